//! The worklist at scale, for `careloop bench-followup --tasks N`: fill the tasks table with
//! years of synthetic follow-up history until it holds N tasks, then time one nurse's worklist
//! (50 rows, due order) at the database layer, through the service (four tab counts, the page
//! and its audit row) and through HTTP (`GET /api/v1/tasks` on a real server on loopback), beside
//! the raw speed of the same database for a 50-row index range read of the tasks table alone.

use crate::bench::{percentiles, rate};
use careloop_domain::access::Actor;
use careloop_service::followup::worklist::{self, WorklistOptions, WorklistTab};
use careloop_store::plans::{self, TaskOrder};
use careloop_store::{Backend, Db};
use sea_query::{Expr, ExprTrait, Order, Query};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

/// A plan that filler tasks may belong to: the plan, its patient, the patient's nurse and
/// department.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Owner {
    pub plan_id: Uuid,
    pub patient_id: Uuid,
    pub assignee_id: Uuid,
    pub department_id: Uuid,
}

/// Every plan with its patient and nurse.
pub async fn owners(db: &Db) -> anyhow::Result<Vec<Owner>> {
    let mut tx = db.begin_read().await?;
    let stmt = Query::select()
        .distinct()
        .columns(["plan_id", "patient_id", "assignee_id", "department_id"])
        .from("tasks")
        .and_where(Expr::col("assignee_id").is_not_null())
        .to_owned();
    let rows = tx.fetch_all(&stmt).await?;
    tx.commit().await?;
    Ok(rows)
}

/// A small deterministic generator, so two runs fill the same history.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The state a task due at `due` would be in today, drawn from a follow-up service's usual
/// mix: most past work done, some failed or cancelled, a little left overdue; the last two
/// weeks still being worked; the future pending.
fn state_for(due: OffsetDateTime, now: OffsetDateTime, m: &mut Mix) -> &'static str {
    let r = m.below(100);
    if due >= now {
        "pending"
    } else if due >= now - time::Duration::days(14) {
        match r {
            0..40 => "due",
            40..45 => "in_progress",
            45..50 => "no_answer",
            50..95 => "done",
            _ => "overdue",
        }
    } else {
        match r {
            0..88 => "done",
            88..94 => "failed",
            94..99 => "cancelled",
            _ => "overdue",
        }
    }
}

/// Insert synthetic tasks until the table holds `target`, spread over `owners` (each task
/// assigned to its patient's nurse), due between three years ago and one year ahead. Multi-row
/// INSERTs of 500, one transaction per 5,000; for a large fill the secondary indexes of the
/// tasks table are dropped first and built again at the end, as a bulk load would (keeping
/// them up row by row made a 10M fill take most of an hour). Returns how many were added and
/// the rate.
pub async fn fill(db: &Db, owners: &[Owner], target: usize, now: OffsetDateTime) -> anyhow::Result<(usize, f64)> {
    let mut tx = db.begin_read().await?;
    let have = usize::try_from(
        tx.fetch_one::<careloop_store::Count, _>(
            &Query::select()
                .expr_as(Expr::cust("COUNT(*)"), "n")
                .from("tasks")
                .to_owned(),
        )
        .await?
        .n,
    )?;
    tx.commit().await?;
    let todo = target.saturating_sub(have);
    if todo == 0 || owners.is_empty() {
        return Ok((0, 0.0));
    }
    let indexes = if todo >= 100_000 {
        drop_task_indexes(db).await?
    } else {
        Vec::new()
    };
    let mut m = Mix(42);
    let span = 4 * 365 * 86_400_u64;
    let start = now - time::Duration::days(3 * 365);
    let began = Instant::now();
    let mut left = todo;
    let mut reported = 0;
    while left > 0 {
        let size = left.min(5000);
        left -= size;
        let mut tx = db.begin().await?;
        for part in 0..size.div_ceil(500) {
            let n = (size - part * 500).min(500);
            let mut stmt = Query::insert()
                .into_table("tasks")
                .columns(plans::TASK_COLUMNS)
                .to_owned();
            for _ in 0..n {
                let o = owners[m.below(owners.len() as u64) as usize];
                let due = careloop_store::stored_time(start + time::Duration::seconds(m.below(span) as i64));
                let state = state_for(due, now, &mut m);
                let method = match m.below(10) {
                    0..7 => "phone_call",
                    7..9 => "sms",
                    _ => "in_person",
                };
                let deadline = due + time::Duration::days(7);
                stmt.values_panic([
                    Uuid::now_v7().into(),
                    o.plan_id.into(),
                    o.patient_id.into(),
                    "H".into(),
                    method.into(),
                    due.into(),
                    deadline.into(),
                    state.into(),
                    o.assignee_id.into(),
                    i32::from(state == "failed" || state == "no_answer").into(),
                    due.into(),
                    due.into(),
                    None::<OffsetDateTime>.into(),
                    o.department_id.into(),
                    true.into(),
                ]);
            }
            tx.execute(&stmt).await?;
        }
        tx.commit().await?;
        let done = todo - left;
        if done - reported >= 1_000_000 || left == 0 {
            reported = done;
            println!(
                "  {done} / {todo} tasks added ({:.0} rows/s)",
                rate(done, began.elapsed())
            );
        }
    }
    if !indexes.is_empty() {
        println!("  building the {} task indexes again...", indexes.len());
        let mut tx = db.begin().await?;
        for ddl in &indexes {
            tx.execute_raw(ddl).await?;
        }
        tx.commit().await?;
    }
    Ok((todo, rate(todo, began.elapsed())))
}

/// A secondary index of the tasks table: its name and the statement that creates it.
#[derive(sqlx::FromRow)]
struct IndexDdl {
    name: String,
    ddl: String,
}

/// Drop the tasks table's secondary indexes; returns the statements that build them again.
async fn drop_task_indexes(db: &Db) -> anyhow::Result<Vec<String>> {
    let stmt = match db.backend() {
        Backend::Sqlite => Query::select()
            .expr_as(Expr::col("name"), "name")
            .expr_as(Expr::col("sql"), "ddl")
            .from("sqlite_master")
            .and_where(Expr::col("type").eq("index"))
            .and_where(Expr::col("tbl_name").eq("tasks"))
            .and_where(Expr::col("sql").is_not_null())
            .to_owned(),
        Backend::Postgres => Query::select()
            .expr_as(Expr::col("indexname"), "name")
            .expr_as(Expr::col("indexdef"), "ddl")
            .from("pg_indexes")
            .and_where(Expr::col("tablename").eq("tasks"))
            .and_where(Expr::col("indexname").ne("tasks_pkey"))
            .to_owned(),
    };
    let mut tx = db.begin().await?;
    let found: Vec<IndexDdl> = tx.fetch_all(&stmt).await?;
    for i in &found {
        tx.execute_raw(&format!("DROP INDEX \"{}\"", i.name)).await?;
    }
    tx.commit().await?;
    Ok(found.into_iter().map(|i| i.ddl).collect())
}

/// Latencies (p50, p99) of one nurse's worklist at each layer.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// The 50-row page query alone (tasks with patient fields, active plans, department).
    pub page_db: (Duration, Duration),
    /// Raw: 50 rows of the tasks table by its assignee index, no joins.
    pub raw: (Duration, Duration),
    /// The service's worklist: four tab counts, the page and the audit row, one transaction.
    pub service: (Duration, Duration),
    /// `GET /api/v1/tasks?assignee=me&status=due,in_progress&per_page=50` over loopback.
    pub http: (Duration, Duration),
}

/// Time `reads` worklist reads at each layer for `nurse` (whose bearer token is `token`).
pub async fn time_worklist(db: &Db, nurse: &Actor, token: &str, reads: usize) -> anyhow::Result<Timings> {
    let now = OffsetDateTime::now_utc();
    let filter = WorklistTab::Due.filter(
        &plans::TaskFilter {
            assignee_id: Some(nurse.user_id),
            department_id: nurse.department_id,
            ..plans::TaskFilter::default()
        },
        now,
    );
    let mut times = Vec::with_capacity(reads);
    let mut rows = 0;
    for _ in 0..reads {
        let t = Instant::now();
        let mut tx = db.begin_read().await?;
        rows = plans::worklist(&mut tx, &filter, TaskOrder::Due, 50, 0).await?.len();
        tx.commit().await?;
        times.push(t.elapsed());
    }
    let page_db = percentiles(&mut times);
    println!("  page query ({rows} rows): p50 {:?} p99 {:?}", page_db.0, page_db.1);

    let raw_stmt = Query::select()
        .columns(["id", "patient_id", "due_at", "state"])
        .from("tasks")
        .and_where(Expr::col("assignee_id").eq(nurse.user_id))
        .and_where(Expr::col("state").eq("due"))
        .order_by("due_at", Order::Asc)
        .limit(50)
        .to_owned();
    times.clear();
    for _ in 0..reads {
        let t = Instant::now();
        let mut tx = db.begin_read().await?;
        tx.fetch_all::<RawRow, _>(&raw_stmt).await?;
        tx.commit().await?;
        times.push(t.elapsed());
    }
    let raw = percentiles(&mut times);
    println!("  raw 50-row index read: p50 {:?} p99 {:?}", raw.0, raw.1);

    times.clear();
    for i in 0..reads {
        let options = WorklistOptions {
            tab: Some(WorklistTab::ALL[i % 4].as_str().into()),
            ..WorklistOptions::default()
        };
        let t = Instant::now();
        worklist::worklist(db, nurse, &options, OffsetDateTime::now_utc()).await?;
        times.push(t.elapsed());
    }
    let service = percentiles(&mut times);
    println!(
        "  service worklist (4 counts + page + audit): p50 {:?} p99 {:?}",
        service.0, service.1
    );

    let http = time_http(db, token, reads).await?;
    println!("  HTTP GET /api/v1/tasks: p50 {:?} p99 {:?}", http.0, http.1);
    Ok(Timings {
        page_db,
        raw,
        service,
        http,
    })
}

#[derive(sqlx::FromRow)]
#[allow(dead_code)] // read to time the query; the values are not used
struct RawRow {
    id: Uuid,
    patient_id: Uuid,
    due_at: OffsetDateTime,
    state: String,
}

/// Serve the real application on a loopback port and time keep-alive GETs of the nurse's
/// worklist over one connection (the way a browser or an integration client reuses one).
async fn time_http(db: &Db, token: &str, reads: usize) -> anyhow::Result<(Duration, Duration)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = careloop_web::AppState {
        db: db.clone(),
        secure_cookies: false,
        public_url: "http://127.0.0.1".into(),
        // The benchmark measures the work behind requests from one address, not the limiter.
        limits: std::sync::Arc::new(careloop_web::limits::Limits::unlimited()),
        trusted_proxies: std::sync::Arc::from([]),
        write_probe: Default::default(),
        metrics_token: None,
        aliyun_callback_secret: None,
    };
    let app = careloop_web::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut conn = BufReader::new(tokio::net::TcpStream::connect(addr).await?);
    let request = format!(
        "GET /api/v1/tasks?assignee=me&status=due,in_progress&per_page=50 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    let mut times = Vec::with_capacity(reads);
    for _ in 0..reads {
        let t = Instant::now();
        conn.get_mut().write_all(request.as_bytes()).await?;
        let status = read_response(&mut conn).await?;
        times.push(t.elapsed());
        anyhow::ensure!(status == 200, "worklist request failed with HTTP {status}");
    }
    server.abort();
    Ok(percentiles(&mut times))
}

/// Read one HTTP/1.1 response with a Content-Length body; returns its status.
pub(crate) async fn read_response(conn: &mut BufReader<tokio::net::TcpStream>) -> anyhow::Result<u16> {
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line.split(' ').nth(1).unwrap_or("0").parse()?;
    let mut length = 0;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse()?;
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await?;
    Ok(status)
}
