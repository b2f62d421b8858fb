//! `careloop-bench trends`: a patient with ten years of monthly check-up values for twelve
//! indicators (1,440 observations) among other patients; the trends API and the patient page
//! (which charts every trend) timed over HTTP on loopback, p50 / p99, beside the raw SELECT of
//! that patient's observations on the same database; then the patient page under `--clients`
//! concurrent clients (16 by default), and the audit rows one view of the page writes.

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
    /// Concurrent clients for the patient page under load.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
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
        "\n| backend | trends API p50 / p99 | patient page with charts p50 / p99 | page, {} clients p50 / p99 | audit rows per page view | raw SELECT of the 1,440 values p50 / p99 |",
        args.clients
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut service_rows = Vec::new();
    for f in rows {
        println!(
            "| {} | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {} | {:.2} / {:.2} ms |",
            f.name,
            ms(f.api.0),
            ms(f.api.1),
            ms(f.page.0),
            ms(f.page.1),
            ms(f.loaded.0),
            ms(f.loaded.1),
            f.audit_rows_per_view,
            ms(f.raw.0),
            ms(f.raw.1)
        );
        service_rows.push((f.name, f.sections, f.one_read));
    }
    println!(
        "\n| backend | page sections by 13 use cases, {} tasks p50 / p99 | by the one page use case p50 / p99 |",
        args.clients
    );
    println!("| --- | --- | --- |");
    for (name, sections, one) in service_rows {
        println!(
            "| {name} | {:.2} / {:.2} ms | {:.2} / {:.2} ms |",
            ms(sections.0),
            ms(sections.1),
            ms(one.0),
            ms(one.1)
        );
    }
    Ok(())
}

type Timing = (Duration, Duration);

/// One backend's figures.
struct Figures {
    name: &'static str,
    api: Timing,
    page: Timing,
    raw: Timing,
    /// The patient page with `clients` clients at once.
    loaded: Timing,
    /// Audit rows one view of the patient page appends.
    audit_rows_per_view: i64,
    /// At the service layer with `clients` tasks at once: the page's sections read by the
    /// thirteen use cases the page used to call, and by the one page use case.
    sections: Timing,
    one_read: Timing,
}

async fn backend(name: &'static str, db: &Db, args: &TrendBenchArgs) -> anyhow::Result<Figures> {
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
        // The benchmark measures the work behind requests from one address, not the limiter.
        limits: std::sync::Arc::new(careloop_web::limits::Limits::unlimited()),
        trusted_proxies: std::sync::Arc::from([]),
        write_probe: Default::default(),
        metrics_token: None,
        aliyun_callback_secret: None,
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
    let page_request = format!(
        "GET /patients/{patient} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}={}\r\n\r\n",
        careloop_web::ui::SESSION_COOKIE,
        web_session.token
    );
    let page = time_get(addr, &page_request, args.requests).await?;
    let before = audit_rows(db).await?;
    time_get(addr, &page_request, 1).await?;
    let audit_rows_per_view = audit_rows(db).await? - before;
    let clients = args.clients.max(1);
    let mut all = Vec::with_capacity(args.requests);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let request = page_request.clone();
        let n = args.requests.div_ceil(clients);
        tasks.push(tokio::spawn(async move { times_get(addr, &request, n).await }));
    }
    for t in tasks {
        all.extend(t.await??);
    }
    server.abort();
    let actor = auth::authenticate(db, &web_session.token, None, now).await?.actor;
    let sections = concurrently(clients, args.requests, {
        let (db, actor) = (db.clone(), actor.clone());
        move || {
            let (db, actor) = (db.clone(), actor.clone());
            async move { thirteen_use_cases(&db, &actor, patient).await }
        }
    })
    .await?;
    let one_read = concurrently(clients, args.requests, {
        let (db, actor) = (db.clone(), actor.clone());
        move || {
            let (db, actor) = (db.clone(), actor.clone());
            async move {
                careloop_service::patients::page::patient_page(&db, &actor, patient, OffsetDateTime::now_utc()).await?;
                Ok(())
            }
        }
    })
    .await?;
    Ok(Figures {
        name,
        api,
        page,
        raw,
        loaded: percentiles(&mut all),
        audit_rows_per_view,
        sections,
        one_read,
    })
}

/// `n` calls of `call` spread over `clients` tasks at once; p50 / p99 of each call.
async fn concurrently<F, Fut>(clients: usize, n: usize, call: F) -> anyhow::Result<Timing>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let call = call.clone();
        let per = n.div_ceil(clients);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(per);
            for _ in 0..per {
                let t = Instant::now();
                call().await?;
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(percentiles(&mut all))
}

/// The sections of the patient page as it read them before it had a use case of its own: one
/// use case (transaction, audit row) per section.
async fn thirteen_use_cases(db: &Db, a: &careloop_domain::access::Actor, id: Uuid) -> anyhow::Result<()> {
    use careloop_service::{followup, patients, questionnaires, risk};
    let now = OffsetDateTime::now_utc();
    patients::register::get_patient(db, a, id, now).await?;
    patients::records::get_health_record(db, a, id, now).await?;
    patients::records::list_diagnoses(db, a, id, now).await?;
    risk::assessments::history(db, a, id, now).await?;
    questionnaires::responses::responses_of_patient(db, a, id, now).await?;
    questionnaires::responses::list(db).await?;
    patients::observations::list_observations(db, a, id, None, Some(500), now).await?;
    questionnaires::link_revocation::links_of_patient(db, a, id, now).await?;
    patients::proxies::list_proxies(db, a, id, now).await?;
    patients::trends::of_patient(db, a, id, None, now).await?;
    risk::tiering::overview(db, a, id, now).await?;
    followup::events::list_tags(db, a, id, now).await?;
    patients::lab_reports::of_patient(db, a, id, now).await?;
    Ok(())
}

async fn audit_rows(db: &Db) -> anyhow::Result<i64> {
    let mut tx = db.begin_read().await?;
    let n = careloop_store::audit::count(&mut tx, None).await?;
    tx.commit().await?;
    Ok(n)
}

async fn time_get(addr: std::net::SocketAddr, request: &str, n: usize) -> anyhow::Result<Timing> {
    Ok(percentiles(&mut times_get(addr, request, n).await?))
}

/// `n` requests one after another on one keep-alive connection, each one's time.
async fn times_get(addr: std::net::SocketAddr, request: &str, n: usize) -> anyhow::Result<Vec<Duration>> {
    let mut conn = BufReader::new(tokio::net::TcpStream::connect(addr).await?);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        conn.get_mut().write_all(request.as_bytes()).await?;
        let status = read_response(&mut conn).await?;
        anyhow::ensure!(status == 200, "HTTP {status}");
        times.push(t.elapsed());
    }
    Ok(times)
}
