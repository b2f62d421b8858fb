//! `careloop-bench latest`: one patient with a home monitor's worth of readings (100,000 by
//! default: blood pressure, pulse, weight and glucose every few minutes) among others; the
//! latest value of each indicator (what the risk tier, the advice, the staff page and the
//! patient's phone page read) and the staff patient page, timed beside the raw speed of the same
//! database: one `ORDER BY effective_at DESC LIMIT 1` per indicator.

use crate::bench::percentiles;
use careloop_domain::indicator::ObservationInput;
use careloop_service::admin::staff;
use careloop_service::kernel::access::system_actor;
use careloop_service::patients::{observations, page};
use careloop_store::Db;
use careloop_synth::scratch::on_scratch_databases;
use sea_query::{Expr, ExprTrait, Order, Query};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(clap::Args, Debug)]
pub struct LatestBenchArgs {
    /// Readings of the one patient.
    #[arg(long, default_value_t = 100_000)]
    pub readings: usize,
    /// Timed repetitions of each read.
    #[arg(long, default_value_t = 50)]
    pub requests: usize,
    #[arg(long, env = "CARELOOP_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    #[arg(long)]
    pub no_sqlite: bool,
}

/// (code, base value, spread)
const MONITOR: [(&str, f64, f64); 5] = [
    ("sbp", 132.0, 12.0),
    ("dbp", 82.0, 8.0),
    ("hr", 74.0, 9.0),
    ("weight", 70.0, 1.5),
    ("fpg", 6.2, 1.0),
];

type Timing = (Duration, Duration);

struct Figures {
    name: &'static str,
    latest: Timing,
    page: Timing,
    raw: Timing,
}

pub async fn run(args: LatestBenchArgs) -> anyhow::Result<()> {
    let rows = on_scratch_databases(!args.no_sqlite, args.pg_url.as_deref(), 8, async |name, db| {
        backend(name, db, &args).await
    })
    .await?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "\n| backend | latest value per indicator, {} readings, p50 / p99 | staff patient page p50 / p99 | raw: one `ORDER BY … LIMIT 1` per indicator p50 / p99 |",
        args.readings
    );
    println!("| --- | --- | --- | --- |");
    for f in rows {
        println!(
            "| {} | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.2} / {:.2} ms |",
            f.name,
            ms(f.latest.0),
            ms(f.latest.1),
            ms(f.page.0),
            ms(f.page.1),
            ms(f.raw.0),
            ms(f.raw.1)
        );
    }
    Ok(())
}

/// `n` readings of the monitor's indicators for `patient`, five minutes apart, going back
/// from `now`.
fn readings(patient: Uuid, n: usize, now: OffsetDateTime) -> Vec<(Uuid, ObservationInput)> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (code, base, spread) = MONITOR[i % MONITOR.len()];
            let wobble = (x % 2001) as f64 / 1000.0 - 1.0;
            let input = ObservationInput {
                code: code.into(),
                value: ((base + spread * wobble) * 10.0).round() / 10.0,
                unit: None,
                effective_at: now - time::Duration::minutes(5 * (i / MONITOR.len()) as i64 + 1),
                source: Some("home-monitor".into()),
            };
            (patient, input)
        })
        .collect()
}

async fn time_it<F: AsyncFnMut() -> anyhow::Result<()>>(requests: usize, mut f: F) -> anyhow::Result<Timing> {
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed());
    }
    Ok(percentiles(&mut times))
}

async fn backend(name: &'static str, db: &Db, args: &LatestBenchArgs) -> anyhow::Result<Figures> {
    db.migrate().await?;
    let now = OffsetDateTime::now_utc();
    let admin = system_actor();
    staff::create_department(db, &admin, "community", "社区卫生服务中心", None, now).await?;
    let ids = crate::bench::enrol_synthetic(db, "community", 200, 5, now).await?;
    let patient = ids[0];
    let started = Instant::now();
    for batch in readings(patient, args.readings, now).chunks(observations::MAX_BATCH) {
        observations::record_observations(db, &admin, batch, now).await?;
    }
    for (n, other) in ids.iter().skip(1).enumerate() {
        observations::record_observations(db, &admin, &readings(*other, 50 + n % 50, now), now).await?;
    }
    db.optimize().await?;
    println!(
        "{name}: {} readings of one patient stored in {:.1} s, among {} other patients",
        args.readings,
        started.elapsed().as_secs_f64(),
        ids.len() - 1
    );

    let latest = time_it(args.requests, async || {
        let mut tx = db.begin_read().await?;
        let rows = careloop_store::observations::latest_per_code_of(&mut tx, &[patient]).await?;
        tx.commit().await?;
        anyhow::ensure!(rows.len() == MONITOR.len(), "read {} latest values", rows.len());
        Ok(())
    })
    .await?;
    let page = time_it(args.requests, async || {
        page::patient_page(db, &admin, patient, now).await?;
        Ok(())
    })
    .await?;
    let raw = time_it(args.requests, async || {
        let mut tx = db.begin_read().await?;
        for (code, _, _) in MONITOR {
            let stmt = Query::select()
                .columns(["id", "value", "effective_at"])
                .from("observations")
                .and_where(Expr::col("patient_id").eq(patient))
                .and_where(Expr::col("code").eq(code))
                .order_by("effective_at", Order::Desc)
                .order_by("id", Order::Desc)
                .limit(1)
                .to_owned();
            let row: Option<(Uuid, f64, OffsetDateTime)> = tx.fetch_optional(&stmt).await?;
            anyhow::ensure!(row.is_some(), "no {code}");
        }
        tx.commit().await?;
        Ok(())
    })
    .await?;
    Ok(Figures {
        name,
        latest,
        page,
        raw,
    })
}
