//! `careloop bench-followup`: on a fresh database of each backend, enrol a synthetic population
//! in follow-up plans through the service, drain every due automated step through the sandbox
//! channel (queue, lease, send, settle), and time the nurse's worklist. Beside each service
//! rate it measures the raw speed of the same database for the nearest plain SQL: multi-row
//! INSERTs of the same task rows, and one UPDATE per 200 tasks for the drain.

use crate::bench::{admin_sql, percentiles, rate, with_database};
use careloop_service::delivery::{Delivery, send_due};
use careloop_service::followup;
use careloop_service::staff::{self, NewUserInput, cli_actor};
use careloop_service::synth::Generator;
use careloop_service::worklist::{self, WorklistOptions, WorklistTab};
use careloop_service::{delivery, patients};
use careloop_store::Db;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(clap::Args, Debug)]
pub struct FollowupBenchArgs {
    /// Patients, each enrolled in one post-discharge plan (three tasks).
    #[arg(long, default_value_t = 20_000)]
    pub plans: usize,
    /// Worklist reads to time.
    #[arg(long, default_value_t = 300)]
    pub reads: usize,
    /// Also run on PostgreSQL: a server URL where a scratch database may be created.
    #[arg(long, env = "CARELOOP_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    #[arg(long)]
    pub no_sqlite: bool,
}

struct Report {
    backend: &'static str,
    plans: usize,
    tasks: i64,
    plan_rate: f64,
    raw_task_rate: f64,
    task_rate: f64,
    drained: u64,
    drain_rate: f64,
    raw_drain_rate: f64,
    worklist: (Duration, Duration),
}

pub async fn run(args: FollowupBenchArgs) -> anyhow::Result<()> {
    let mut reports = Vec::new();
    if !args.no_sqlite {
        let dir = std::env::temp_dir().join(format!("careloop-bench-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let db = Db::connect(&format!("sqlite://{}/bench.db", dir.display()), 4).await?;
        let r = run_backend("SQLite", &db, &args).await;
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        reports.push(r?);
    }
    if let Some(url) = &args.pg_url {
        let name = format!("careloop_bench_{}", Uuid::new_v4().simple());
        admin_sql(url, &format!("CREATE DATABASE {name}")).await?;
        let db = Db::connect(&with_database(url, &name), 4).await?;
        let r = run_backend("PostgreSQL", &db, &args).await;
        db.close().await;
        let _ = admin_sql(url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        reports.push(r?);
    }
    println!(
        "\n| backend | plans (tasks) | plans/s via CareLoop | tasks/s via CareLoop | raw task INSERT rows/s | CareLoop ÷ raw |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in &reports {
        println!(
            "| {} | {} ({}) | {:.0} | {:.0} | {:.0} | {:.0}% |",
            r.backend,
            r.plans,
            r.tasks,
            r.plan_rate,
            r.task_rate,
            r.raw_task_rate,
            100.0 * r.task_rate / r.raw_task_rate
        );
    }
    println!(
        "\n| backend | steps drained | steps/s via CareLoop (queue + send + settle) | raw UPDATE rows/s | worklist p50 | worklist p99 |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in &reports {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.2} ms | {:.2} ms |",
            r.backend,
            r.drained,
            r.drain_rate,
            r.raw_drain_rate,
            r.worklist.0.as_secs_f64() * 1000.0,
            r.worklist.1.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

async fn run_backend(backend: &'static str, db: &Db, args: &FollowupBenchArgs) -> anyhow::Result<Report> {
    println!("\n== {backend}");
    db.migrate().await?;
    let now = OffsetDateTime::now_utc();
    followup::seed_builtin_protocols(db, now).await?;
    let cli = cli_actor();
    staff::create_department(db, &cli, "surgery", "普外科", None, now).await?;
    for n in 0..5 {
        let input = NewUserInput {
            username: format!("nurse{n}"),
            password: "BenchPassword2026".into(),
            display_name: None,
            role: "nurse".into(),
            department: Some("surgery".into()),
        };
        staff::create_user(db, &cli, &input, now).await?;
    }
    // No quiet hours, so the drain does not depend on the time of day.
    let org = staff::list_organisations(db).await?[0].id;
    let open = delivery::QuietHoursInput {
        start: Some("00:00".into()),
        end: Some("00:00".into()),
    };
    delivery::set_organisation_quiet_hours(db, &cli, org, &open, now).await?;

    let mut g = Generator::new(7, patients::local_today(now), 1);
    let mut ids = Vec::with_capacity(args.plans);
    let inputs: Vec<_> = (0..args.plans)
        .map(|_| {
            let mut p = g.patient().input;
            p.department = Some("surgery".into());
            p
        })
        .collect();
    for chunk in inputs.chunks(1000) {
        ids.extend(
            patients::enrol_patients(db, &cli, chunk, now)
                .await?
                .into_iter()
                .map(|e| e.id),
        );
    }
    // Discharged 31 days ago: D3 and D7 overdue, the D30 reminder due now.
    let anchor = (patients::local_today(now) - time::Duration::days(31)).to_string();
    let start = Instant::now();
    for id in &ids {
        followup::enrol_in_protocol(db, &cli, *id, "post-discharge-surgery", Some(&anchor), now).await?;
    }
    let elapsed = start.elapsed();
    let tasks = (ids.len() * 3) as i64;
    let plan_rate = rate(ids.len(), elapsed);
    let task_rate = rate(tasks as usize, elapsed);
    println!("plans via service: {plan_rate:.0}/s ({task_rate:.0} tasks/s with their transitions and audit)");
    let raw_task_rate = raw::insert_tasks(db, tasks as usize).await?;
    println!("raw multi-row task INSERT: {raw_task_rate:.0} rows/s");

    db.optimize().await?;
    let d = Delivery::sandbox(db, "https://followup.example.cn");
    let start = Instant::now();
    let out = send_due(db, &d, OffsetDateTime::now_utc()).await?;
    let drain_rate = rate(out.sent as usize, start.elapsed());
    println!("drained {} steps: {drain_rate:.0}/s", out.sent);
    let raw_drain_rate = raw::update_in_batches(db, out.sent as usize).await?;
    println!("raw UPDATE of as many rows, 200 per statement: {raw_drain_rate:.0} rows/s");

    let nurse = staff::list_users(db, &cli, now)
        .await?
        .into_iter()
        .find(|u| u.role == "nurse");
    let actor = careloop_domain::access::Actor {
        user_id: nurse.as_ref().map_or(Uuid::nil(), |u| u.id),
        role: careloop_domain::staff::Role::Nurse,
        department_id: staff::list_departments(db).await?.first().map(|d| d.id),
        ..cli_actor()
    };
    let mut times = Vec::with_capacity(args.reads);
    for i in 0..args.reads {
        let options = WorklistOptions {
            tab: Some(WorklistTab::ALL[i % 4].as_str().into()),
            page: Some(1 + (i as u64 % 3)),
            ..WorklistOptions::default()
        };
        let t = Instant::now();
        worklist::worklist(db, &actor, &options, OffsetDateTime::now_utc()).await?;
        times.push(t.elapsed());
    }
    let worklist = percentiles(&mut times);
    println!(
        "worklist (4 tab counts + one page + audit): p50 {:?} p99 {:?}",
        worklist.0, worklist.1
    );
    Ok(Report {
        backend,
        plans: ids.len(),
        tasks,
        plan_rate,
        raw_task_rate,
        task_rate,
        drained: out.sent,
        drain_rate,
        raw_drain_rate,
        worklist,
    })
}

/// The raw baselines: the same shape of rows through plain SQL, into a scratch table with the
/// tasks table's columns and indexes.
mod raw {
    use crate::bench::rate;
    use careloop_store::Db;
    use std::time::Instant;
    use uuid::Uuid;

    const COLUMNS: &str =
        "id, plan_id, patient_id, step_key, method, due_at, deadline, state, attempts, created_at, updated_at";

    async fn scratch(db: &Db) -> anyhow::Result<()> {
        let pg = matches!(db, Db::Pg(_));
        let (id, ts) = if pg { ("UUID", "TIMESTAMPTZ") } else { ("BLOB", "TEXT") };
        let ddl = format!(
            "DROP TABLE IF EXISTS bench_tasks; CREATE TABLE bench_tasks (id {id} PRIMARY KEY, plan_id {id} NOT NULL, patient_id {id} NOT NULL, step_key TEXT NOT NULL, method TEXT NOT NULL, due_at {ts} NOT NULL, deadline {ts} NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL); CREATE INDEX bench_tasks_due ON bench_tasks (state, due_at); CREATE INDEX bench_tasks_plan ON bench_tasks (plan_id, due_at);"
        );
        let mut tx = db.begin().await?;
        tx.execute_raw(&ddl).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Multi-row INSERTs (500 rows each, one transaction per 1000 rows).
    pub async fn insert_tasks(db: &Db, n: usize) -> anyhow::Result<f64> {
        scratch(db).await?;
        let now = time::OffsetDateTime::now_utc();
        let start = Instant::now();
        let mut left = n;
        while left > 0 {
            let size = left.min(1000);
            left -= size;
            let mut tx = db.begin().await?;
            for part in [size / 2, size - size / 2] {
                if part == 0 {
                    continue;
                }
                let mut stmt = sea_query::Query::insert()
                    .into_table("bench_tasks")
                    .columns(COLUMNS.split(", "))
                    .to_owned();
                for _ in 0..part {
                    let plan = Uuid::now_v7();
                    stmt.values_panic([
                        Uuid::now_v7().into(),
                        plan.into(),
                        plan.into(),
                        "D30".into(),
                        "sms".into(),
                        now.into(),
                        now.into(),
                        "due".into(),
                        0.into(),
                        now.into(),
                        now.into(),
                    ]);
                }
                tx.execute(&stmt).await?;
            }
            tx.commit().await?;
        }
        Ok(rate(n, start.elapsed()))
    }

    /// `UPDATE ... WHERE id IN (200 ids)`, one transaction each.
    pub async fn update_in_batches(db: &Db, n: usize) -> anyhow::Result<f64> {
        use sea_query::{Expr, ExprTrait};
        let mut ids = Vec::new();
        let mut tx = db.begin_read().await?;
        for r in tx
            .fetch_all::<IdRow, _>(
                &sea_query::Query::select()
                    .column("id")
                    .from("bench_tasks")
                    .limit(n as u64)
                    .to_owned(),
            )
            .await?
        {
            ids.push(r.id);
        }
        tx.commit().await?;
        let now = time::OffsetDateTime::now_utc();
        let start = Instant::now();
        for chunk in ids.chunks(200) {
            let mut tx = db.begin().await?;
            let stmt = sea_query::Query::update()
                .table("bench_tasks")
                .value("state", "done")
                .value("updated_at", now)
                .and_where(Expr::col("id").is_in(chunk.iter().copied()))
                .to_owned();
            tx.execute(&stmt).await?;
            tx.commit().await?;
        }
        Ok(rate(ids.len(), start.elapsed()))
    }

    #[derive(sqlx::FromRow)]
    struct IdRow {
        id: Uuid,
    }
}
