//! `careloop-bench trends`: a patient with ten years of monthly check-up values for twelve
//! indicators (1,440 observations) among other patients; the trends API and the patient page
//! (which charts every trend) timed over HTTP on loopback, p50 / p99, beside the raw SELECT of
//! that patient's observations on the same database.

use crate::bench::percentiles;
use crate::bench_worklist::read_response;
use careloop_domain::indicator::ObservationInput;
use careloop_service::admin::auth::{self, SessionKind};
use careloop_service::admin::staff::{self, NewUserInput};
use careloop_service::kernel::access::system_actor;
use careloop_service::patients::observations;
use careloop_store::Db;
use careloop_synth::scratch::on_scratch_databases;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::io::{AsyncWriteExt, BufReader};
use uuid::Uuid;

#[derive(clap::Args, Debug)]
pub struct TrendBenchArgs {
    /// Requests per endpoint.
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// Other patients with the same history in the table.
    #[arg(long, default_value_t = 200)]
    pub patients: usize,
    #[arg(long, env = "CARELOOP_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    #[arg(long)]
    pub no_sqlite: bool,
}

const PASSWORD: &str = "BenchPassword2026";
/// (code, base value, yearly drift, monthly wobble)
const SERIES: [(&str, f64, f64, f64); 12] = [
    ("sbp", 128.0, 1.5, 6.0),
    ("dbp", 80.0, 0.6, 4.0),
    ("hr", 72.0, 0.0, 5.0),
    ("weight", 68.0, 0.4, 1.0),
    ("bmi", 24.5, 0.15, 0.3),
    ("fpg", 5.6, 0.08, 0.4),
    ("hba1c", 5.8, 0.05, 0.2),
    ("tc", 5.0, 0.04, 0.3),
    ("tg", 1.6, 0.03, 0.3),
    ("ldl", 3.0, 0.05, 0.2),
    ("hdl", 1.3, -0.01, 0.08),
    ("ua", 360.0, 3.0, 25.0),
];

fn history(patient: Uuid, now: OffsetDateTime, seed: u64) -> Vec<(Uuid, ObservationInput)> {
    let mut x = seed | 1;
    let mut wobble = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 2001) as f64 / 1000.0 - 1.0
    };
    let mut out = Vec::new();
    for month in 0..120 {
        let at = now - time::Duration::days(30 * (120 - month));
        for (code, base, drift, spread) in SERIES {
            let value = base + drift * month as f64 / 12.0 + spread * wobble();
            out.push((
                patient,
                ObservationInput {
                    code: code.into(),
                    value: (value * 100.0).round() / 100.0,
                    unit: None,
                    effective_at: at,
                    source: Some("checkup".into()),
                },
            ));
        }
    }
    out
}

pub async fn run(args: TrendBenchArgs) -> anyhow::Result<()> {
    let rows = on_scratch_databases(!args.no_sqlite, args.pg_url.as_deref(), 8, async |name, db| {
        backend(name, db, &args).await
    })
    .await?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "\n| backend | trends API p50 / p99 | patient page with charts p50 / p99 | raw SELECT of the 1,440 values p50 / p99 |"
    );
    println!("| --- | --- | --- | --- |");
    for (name, api, page, raw) in rows {
        println!(
            "| {name} | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.2} / {:.2} ms |",
            ms(api.0),
            ms(api.1),
            ms(page.0),
            ms(page.1),
            ms(raw.0),
            ms(raw.1)
        );
    }
    Ok(())
}

type Timing = (Duration, Duration);

async fn backend(
    name: &'static str,
    db: &Db,
    args: &TrendBenchArgs,
) -> anyhow::Result<(&'static str, Timing, Timing, Timing)> {
    db.migrate().await?;
    let now = OffsetDateTime::now_utc();
    let cli = system_actor();
    staff::create_department(db, &cli, "checkup", "体检中心", None, now).await?;
    let doctor = NewUserInput {
        username: "doctor0".into(),
        password: PASSWORD.into(),
        display_name: None,
        role: "doctor".into(),
        department: Some("checkup".into()),
    };
    staff::create_user(db, &cli, &doctor, now).await?;
    let ids = crate::bench::enrol_synthetic(db, "checkup", args.patients + 1, 5, now).await?;
    for (n, id) in ids.iter().enumerate() {
        observations::record_observations(db, &cli, &history(*id, now, n as u64 + 7), now).await?;
    }
    db.optimize().await?;
    let patient = ids[0];
    println!("{name}: {} patients × 1,440 values", ids.len());

    let raw = {
        let mut times = Vec::with_capacity(args.requests);
        for _ in 0..args.requests {
            let t = Instant::now();
            let mut tx = db.begin_read().await?;
            let rows = careloop_store::observations::list(&mut tx, patient, None, 5000).await?;
            tx.commit().await?;
            anyhow::ensure!(rows.len() == 1440, "expected 1,440 values, read {}", rows.len());
            times.push(t.elapsed());
        }
        percentiles(&mut times)
    };

    let api_session = auth::login(db, "doctor0", PASSWORD, SessionKind::Api, None, now).await?;
    let web_session = auth::login(db, "doctor0", PASSWORD, SessionKind::Web, None, now).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = careloop_web::AppState {
        db: db.clone(),
        secure_cookies: false,
        public_url: format!("http://{addr}"),
    };
    let app = careloop_web::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let api = time_get(
        addr,
        &format!(
            "GET /api/v1/patients/{patient}/trends HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\r\n",
            api_session.token
        ),
        args.requests,
    )
    .await?;
    let page = time_get(
        addr,
        &format!(
            "GET /patients/{patient} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}={}\r\n\r\n",
            careloop_web::ui::SESSION_COOKIE,
            web_session.token
        ),
        args.requests,
    )
    .await?;
    server.abort();
    Ok((name, api, page, raw))
}

async fn time_get(addr: std::net::SocketAddr, request: &str, n: usize) -> anyhow::Result<Timing> {
    let mut conn = BufReader::new(tokio::net::TcpStream::connect(addr).await?);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        conn.get_mut().write_all(request.as_bytes()).await?;
        let status = read_response(&mut conn).await?;
        anyhow::ensure!(status == 200, "HTTP {status}");
        times.push(t.elapsed());
    }
    Ok(percentiles(&mut times))
}
