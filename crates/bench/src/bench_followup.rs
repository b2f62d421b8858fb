//! `careloop-bench followup`: on a fresh database of each backend, enrol a synthetic population
//! in follow-up plans through the service, drain every due automated step through the sandbox
//! channel (queue, lease, send, settle), and time the nurse's worklist. Beside each service
//! rate it measures the raw speed of the same database for the nearest plain SQL: multi-row
//! INSERTs of the same task rows, and one UPDATE per 200 tasks for the drain.

use crate::bench::rate;
use crate::bench_worklist::{self, Timings};
use careloop_service::admin::auth::{self, SessionKind};
use careloop_service::admin::staff::{self, NewUserInput};
use careloop_service::kernel::access::system_actor;
use careloop_service::outreach::delivery::{Delivery, send_due};
use careloop_service::{followup::batch_enrol, followup::enrolment as followup};
use careloop_service::{outreach::delivery, patients::register as patients};
use careloop_store::Db;
use careloop_synth::Generator;
use careloop_synth::scratch::{admin_sql, with_database};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

const DEPARTMENTS: usize = 10;
const PASSWORD: &str = "BenchPassword2026";

#[derive(clap::Args, Debug)]
pub struct FollowupBenchArgs {
    /// Patients, each enrolled in one post-discharge plan (three tasks).
    #[arg(long, default_value_t = 20_000)]
    pub plans: usize,
    /// Worklist reads to time at each layer.
    #[arg(long, default_value_t = 300)]
    pub reads: usize,
    /// Fill the tasks table with synthetic follow-up history up to this many tasks before
    /// timing the worklist (the figure is for 10,000,000); 0 leaves it as enrolled.
    #[arg(long, default_value_t = 0)]
    pub tasks: usize,
    /// Nurses, spread over ten departments; each patient's tasks go to a nurse of theirs.
    #[arg(long, default_value_t = 200)]
    pub nurses: usize,
    /// Also run on PostgreSQL: a server URL where a scratch database may be created.
    #[arg(long, env = "CARELOOP_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    #[arg(long)]
    pub no_sqlite: bool,
    /// Keep the SQLite database file afterwards (its path is printed), to study query plans.
    #[arg(long)]
    pub keep_db: bool,
}

struct Report {
    backend: &'static str,
    plans: usize,
    tasks: i64,
    plan_rate: f64,
    batch_rate: f64,
    raw_task_rate: f64,
    task_rate: f64,
    drained: u64,
    drain_rate: f64,
    raw_drain_rate: f64,
    /// Tasks in the table when the worklist was timed, and the fill rate.
    table_tasks: usize,
    fill_rate: f64,
    worklist: Timings,
}

pub async fn run(args: FollowupBenchArgs) -> anyhow::Result<()> {
    let mut reports = Vec::new();
    if !args.no_sqlite {
        let dir = std::env::temp_dir().join(format!("careloop-bench-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let db = Db::connect(&format!("sqlite://{}/bench.db", dir.display()), 4).await?;
        let r = run_backend("SQLite", &db, &args).await;
        db.close().await;
        if args.keep_db {
            println!("kept {}/bench.db", dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
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
        "\n| backend | plans (tasks) | plans/s one per transaction (tasks/s) | plans/s batched, 500 per transaction (tasks/s) | raw task INSERT rows/s |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for r in &reports {
        println!(
            "| {} | {} ({}) | {:.0} ({:.0}) | {:.0} ({:.0}) | {:.0} |",
            r.backend,
            r.plans,
            r.tasks,
            r.plan_rate,
            r.task_rate,
            r.batch_rate,
            3.0 * r.batch_rate,
            r.raw_task_rate,
        );
    }
    println!("\n| backend | steps drained | steps/s via CareLoop (queue + send + settle) | raw UPDATE rows/s |");
    println!("| --- | --- | --- | --- |");
    for r in &reports {
        println!(
            "| {} | {} | {:.0} | {:.0} |",
            r.backend, r.drained, r.drain_rate, r.raw_drain_rate,
        );
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "\n| backend | tasks in table | one nurse's page (50 rows) p50 / p99 | raw 50-row index read p50 / p99 | service worklist (4 counts + page + audit) p50 / p99 | HTTP p50 / p99 |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in &reports {
        let w = &r.worklist;
        println!(
            "| {} | {} | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.2} / {:.2} ms |",
            r.backend,
            r.table_tasks,
            ms(w.page_db.0),
            ms(w.page_db.1),
            ms(w.raw.0),
            ms(w.raw.1),
            ms(w.service.0),
            ms(w.service.1),
            ms(w.http.0),
            ms(w.http.1),
        );
        if r.fill_rate > 0.0 {
            println!("  (history filled at {:.0} rows/s)", r.fill_rate);
        }
    }
    Ok(())
}

async fn run_backend(backend: &'static str, db: &Db, args: &FollowupBenchArgs) -> anyhow::Result<Report> {
    println!("\n== {backend}");
    db.migrate().await?;
    let now = OffsetDateTime::now_utc();
    followup::seed_builtin_protocols(db, now).await?;
    let cli = system_actor();
    for d in 0..DEPARTMENTS {
        staff::create_department(db, &cli, &format!("ward{d}"), &format!("第{d}病区"), None, now).await?;
    }
    for n in 0..args.nurses.max(1) {
        let input = NewUserInput {
            username: format!("nurse{n}"),
            password: PASSWORD.into(),
            display_name: None,
            role: "nurse".into(),
            department: Some(format!("ward{}", n % DEPARTMENTS)),
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

    let mut g = Generator::new(7, careloop_domain::clock::local_today(now), 1);
    let mut ids = Vec::with_capacity(args.plans);
    let inputs: Vec<_> = (0..args.plans)
        .map(|i| {
            let mut p = g.patient().input;
            p.department = Some(format!("ward{}", i % DEPARTMENTS));
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
    let anchor = (careloop_domain::clock::local_today(now) - time::Duration::days(31)).to_string();
    // Half one plan per transaction (a nurse enrolling a patient), half through batch
    // enrolment (批量入组), 500 patients per transaction.
    let (one_by_one, batched) = ids.split_at(ids.len() / 2);
    let start = Instant::now();
    for id in one_by_one {
        followup::enrol_in_protocol(db, &cli, *id, "post-discharge-surgery", Some(&anchor), now).await?;
    }
    let elapsed = start.elapsed();
    let plan_rate = rate(one_by_one.len(), elapsed);
    let task_rate = rate(one_by_one.len() * 3, elapsed);
    println!(
        "plans via service, one per transaction: {plan_rate:.0}/s ({task_rate:.0} tasks/s with their transitions and audit)"
    );
    let start = Instant::now();
    for chunk in batched.chunks(500) {
        let input = batch_enrol::BatchEnrolInput {
            protocol: "post-discharge-surgery".into(),
            patient_ids: chunk.to_vec(),
            anchor_date: Some(anchor.clone()),
        };
        batch_enrol::enrol_many(db, &cli, &input, now).await?;
    }
    let batch_rate = rate(batched.len(), start.elapsed());
    println!("plans via batch enrolment, 500 per transaction: {batch_rate:.0}/s");
    let tasks = (ids.len() * 3) as i64;
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

    let (mut table_tasks, mut fill_rate) = (tasks as usize, 0.0);
    if args.tasks > 0 {
        println!("filling the tasks table to {} with synthetic history...", args.tasks);
        let owners = bench_worklist::owners(db).await?;
        let (added, r) = bench_worklist::fill(db, &owners, args.tasks, OffsetDateTime::now_utc()).await?;
        table_tasks += added;
        fill_rate = r;
        db.optimize().await?;
    }
    let nurse = auth::login(
        db,
        "nurse0",
        PASSWORD,
        SessionKind::Api,
        None,
        OffsetDateTime::now_utc(),
    )
    .await?;
    println!("worklist of nurse0 with {table_tasks} tasks in the table:");
    let worklist = bench_worklist::time_worklist(db, &nurse.actor, &nurse.token, args.reads).await?;
    Ok(Report {
        backend,
        plans: ids.len(),
        tasks,
        plan_rate,
        batch_rate,
        raw_task_rate,
        task_rate,
        drained: out.sent,
        drain_rate,
        raw_drain_rate,
        table_tasks,
        fill_rate,
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
