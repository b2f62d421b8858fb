//! `careloop-bench questionnaire`: how fast responses are checked, scored and stored, and how
//! the patient's page holds up under load — each beside the raw speed of the same work without
//! CareLoop on the same machine:
//!
//! 1. **Check and score** N PHQ-9 responses (parse, item-by-item check, skip logic, score,
//!    band) beside parsing the same JSON documents alone.
//! 2. **Store** them through the service (one transaction each: access check, check, score,
//!    response row, alerts, audit) beside multi-row INSERTs of as many rows into a scratch
//!    table with the responses table's columns.
//! 3. **The patient's page under load**: C concurrent keep-alive clients on loopback each GET
//!    `/m/{token}` R times (each open is checked and audited), requests/s and p50 / p99, beside
//!    `GET /healthz` (a database ping) under the same load.

use crate::bench::{percentiles, rate};
use crate::bench_worklist::read_response;
use careloop_domain::questionnaire::builtin;
use careloop_domain::questionnaire::instrument::Instrument;
use careloop_domain::questionnaire::response::check;
use careloop_service::admin::staff::{self, NewUserInput};
use careloop_service::kernel::access::system_actor;
use careloop_service::{questionnaires::links as patient_links, questionnaires::responses as questionnaires};
use careloop_store::Db;
use careloop_synth::scratch::on_scratch_databases;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::io::{AsyncWriteExt, BufReader};
use uuid::Uuid;

#[derive(clap::Args, Debug)]
pub struct QuestionnaireBenchArgs {
    /// Responses to check, score and store.
    #[arg(long, default_value_t = 20_000)]
    pub responses: usize,
    /// Concurrent clients on the patient's page.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Requests per client.
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// Also run on PostgreSQL: a server URL where a scratch database may be created.
    #[arg(long, env = "CARELOOP_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    #[arg(long)]
    pub no_sqlite: bool,
}

/// PHQ-9 responses with pseudo-random answers, for `patient`.
fn documents(n: usize, patients: &[Uuid]) -> Vec<String> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|i| {
            let items: Vec<Value> = (1..=9)
                .map(|q| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    json!({"linkId": format!("q{q}"), "answer": [{"valueCoding": {"code": (x % 4).to_string()}}]})
                })
                .collect();
            json!({"resourceType": "QuestionnaireResponse", "status": "completed",
                   "subject": {"reference": format!("Patient/{}", patients[i % patients.len()])},
                   "item": [{"linkId": "g", "item": items}]})
            .to_string()
        })
        .collect()
}

pub async fn run(args: QuestionnaireBenchArgs) -> anyhow::Result<()> {
    // 1. Pure checking and scoring (no database).
    let phq = builtin()?
        .into_iter()
        .find(|(id, _)| *id == "phq-9")
        .map(|(_, q)| q)
        .ok_or_else(|| anyhow::anyhow!("phq-9 missing"))?;
    let docs = documents(args.responses, &[Uuid::nil()]);
    let t = Instant::now();
    let mut parsed = 0;
    for d in &docs {
        parsed += usize::from(serde_json::from_str::<Value>(d)?.is_object());
    }
    let raw_parse = rate(parsed, t.elapsed());
    let t = Instant::now();
    let mut scored = 0.0;
    for d in &docs {
        let v: Value = serde_json::from_str(d)?;
        let c = check(&phq, &v).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let s = c.score.unwrap_or(0.0);
        scored += s + Instrument::Phq9.band(s).map_or(0.0, |b| b.low);
    }
    let checked = rate(docs.len(), t.elapsed());
    println!("check + score + band: {checked:.0} responses/s; JSON parse alone: {raw_parse:.0}/s (checksum {scored})");

    let rows = on_scratch_databases(!args.no_sqlite, args.pg_url.as_deref(), 8, async |name, db| {
        backend(name, db, &args).await
    })
    .await?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("\n| check + score + band, responses/s | JSON parse alone, documents/s |");
    println!("| --- | --- |\n| {checked:.0} | {raw_parse:.0} |");
    println!(
        "\n| backend | responses stored/s via CareLoop | raw multi-row INSERT rows/s | patient page req/s (p50 / p99) | /healthz req/s (p50 / p99) |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for r in rows {
        println!(
            "| {} | {:.0} | {:.0} | {:.0} ({:.2} / {:.2} ms) | {:.0} ({:.2} / {:.2} ms) |",
            r.backend,
            r.stored,
            r.raw_insert,
            r.page.0,
            ms(r.page.1),
            ms(r.page.2),
            r.health.0,
            ms(r.health.1),
            ms(r.health.2)
        );
    }
    Ok(())
}

struct Row {
    backend: &'static str,
    stored: f64,
    raw_insert: f64,
    /// Requests/s, p50, p99.
    page: (f64, Duration, Duration),
    health: (f64, Duration, Duration),
}

async fn backend(name: &'static str, db: &Db, args: &QuestionnaireBenchArgs) -> anyhow::Result<Row> {
    println!("\n== {name}");
    db.migrate().await?;
    let now = OffsetDateTime::now_utc();
    questionnaires::seed_builtin_questionnaires(db, now).await?;
    let cli = system_actor();
    staff::create_department(db, &cli, "gp", "全科", None, now).await?;
    let nurse_input = NewUserInput {
        username: "nurse0".into(),
        password: "BenchPassword2026".into(),
        display_name: None,
        role: "nurse".into(),
        department: Some("gp".into()),
    };
    staff::create_user(db, &cli, &nurse_input, now).await?;
    let ids = crate::bench::enrol_synthetic(db, "gp", 1000, 3, now).await?;
    let docs = documents(args.responses, &ids);
    let t = Instant::now();
    for d in &docs {
        questionnaires::submit_response(db, &cli, "phq-9", d, now).await?;
    }
    let stored = rate(docs.len(), t.elapsed());
    println!("responses stored via CareLoop: {stored:.0}/s");
    let raw_insert = raw_insert(db, &docs, &ids).await?;
    println!("raw multi-row INSERT of as many rows: {raw_insert:.0} rows/s");
    db.optimize().await?;

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
    let mut paths = Vec::new();
    for i in 0..args.clients.max(1) {
        let link =
            patient_links::create_questionnaire_link(db, &cli, ids[i % ids.len()], "phq-9", None, "", now).await?;
        paths.push(link.url);
    }
    let page = load(addr, &paths, args.requests).await?;
    println!("patient page: {:.0} req/s, p50 {:?} p99 {:?}", page.0, page.1, page.2);
    let health = load(addr, &vec!["/healthz".to_string(); paths.len()], args.requests).await?;
    println!("/healthz: {:.0} req/s, p50 {:?} p99 {:?}", health.0, health.1, health.2);
    server.abort();
    Ok(Row {
        backend: name,
        stored,
        raw_insert,
        page,
        health,
    })
}

/// One keep-alive client per path, all at once, each sending `requests` GETs in turn.
async fn load(
    addr: std::net::SocketAddr,
    paths: &[String],
    requests: usize,
) -> anyhow::Result<(f64, Duration, Duration)> {
    let start = Instant::now();
    let mut clients = Vec::new();
    for path in paths {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        let path = path.clone();
        clients.push(tokio::spawn(async move {
            let mut conn = BufReader::new(tokio::net::TcpStream::connect(addr).await?);
            let mut times = Vec::with_capacity(requests);
            for _ in 0..requests {
                let t = Instant::now();
                conn.get_mut().write_all(request.as_bytes()).await?;
                let status = read_response(&mut conn).await?;
                anyhow::ensure!(status == 200, "{path}: HTTP {status}");
                times.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(times)
        }));
    }
    let mut all = Vec::new();
    for c in clients {
        all.extend(c.await??);
    }
    let per_second = rate(all.len(), start.elapsed());
    let (p50, p99) = percentiles(&mut all);
    Ok((per_second, p50, p99))
}

/// The same rows through plain multi-row INSERTs (500 per statement) into a scratch table.
async fn raw_insert(db: &Db, docs: &[String], patients: &[Uuid]) -> anyhow::Result<f64> {
    let pg = matches!(db, Db::Pg(_));
    let (id, ts, real) = if pg {
        ("UUID", "TIMESTAMPTZ", "DOUBLE PRECISION")
    } else {
        ("BLOB", "TEXT", "REAL")
    };
    let mut tx = db.begin().await?;
    tx.execute_raw(&format!(
        "CREATE TABLE bench_responses (id {id} PRIMARY KEY, questionnaire_id TEXT NOT NULL, questionnaire_version INTEGER NOT NULL, patient_id {id} NOT NULL, status TEXT NOT NULL, resource TEXT NOT NULL, score {real}, band TEXT, answered_by TEXT NOT NULL, author_id {id}, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, proxy_id {id}, findings TEXT); CREATE INDEX bench_responses_patient ON bench_responses (patient_id, created_at);"
    ))
    .await?;
    tx.commit().await?;
    let now = careloop_store::stored_time(OffsetDateTime::now_utc());
    let start = Instant::now();
    for (n, chunk) in docs.chunks(500).enumerate() {
        let mut stmt = sea_query::Query::insert()
            .into_table("bench_responses")
            .columns(careloop_store::questionnaires::RESPONSE_COLUMNS)
            .to_owned();
        for (i, d) in chunk.iter().enumerate() {
            stmt.values_panic([
                Uuid::now_v7().into(),
                "phq-9".into(),
                1.into(),
                patients[(n * 500 + i) % patients.len()].into(),
                "completed".into(),
                d.clone().into(),
                Some(9.0_f64).into(),
                Some("mild".to_string()).into(),
                "staff".into(),
                None::<Uuid>.into(),
                now.into(),
                now.into(),
                None::<Uuid>.into(),
                None::<String>.into(),
            ]);
        }
        let mut tx = db.begin().await?;
        tx.execute(&stmt).await?;
        tx.commit().await?;
    }
    Ok(rate(docs.len(), start.elapsed()))
}
