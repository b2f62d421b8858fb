//! `careloop-bench search`: on a fresh database of each backend, import a synthetic population
//! through the same service calls the API uses (batched), then insert the same rows with plain
//! prepared statements into equally indexed scratch tables, and report both rates;
//! then measure patient search latency. The raw rate is measured in the same run on the same
//! machine, so the ratio means something even when absolute figures vary between machines.

use anyhow::Context;
use careloop_domain::indicator::ObservationInput;
use careloop_domain::patient::PatientInput;
use careloop_service::kernel::access::system_actor;
use careloop_service::{admin::staff, patients::observations, patients::register as patients};
use careloop_store::Db;
use careloop_synth::{DEPARTMENTS, Generator};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

/// Options of `careloop-bench search`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Patients to import.
    #[arg(long, default_value_t = 100_000)]
    pub patients: usize,
    /// Observations to import (spread over the patients).
    #[arg(long, default_value_t = 1_000_000)]
    pub observations: usize,
    /// Searches to time.
    #[arg(long, default_value_t = 1000)]
    pub searches: usize,
    /// Also run on PostgreSQL: a server URL where a scratch database may be created.
    #[arg(long, env = "CARELOOP_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    /// Skip SQLite (run PostgreSQL only).
    #[arg(long)]
    pub no_sqlite: bool,
    /// Seed of the synthetic population.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

const PATIENT_BATCH: usize = 1000;
const OBSERVATION_BATCH: usize = 5000;

/// What one backend measured.
#[derive(Debug)]
pub struct Report {
    pub backend: &'static str,
    pub patients: usize,
    pub observations: usize,
    pub patient_rate: f64,
    /// Raw rate with one prepared INSERT per row.
    pub raw_patient_row: f64,
    /// Raw rate with prepared multi-row INSERTs (the faster baseline).
    pub raw_patient_rate: f64,
    pub observation_rate: f64,
    pub raw_observation_row: f64,
    pub raw_observation_rate: f64,
    pub search_admin: (Duration, Duration),
    pub search_department: (Duration, Duration),
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    println!(
        "Generating {} patients and {} observations (seed {})...",
        args.patients, args.observations, args.seed
    );
    let data = Population::generate(&args);
    let reports =
        careloop_synth::scratch::on_scratch_databases(!args.no_sqlite, args.pg_url.as_deref(), 4, async |name, db| {
            run_backend(name, db, &data, &args).await
        })
        .await?;
    print_reports(&reports);
    Ok(())
}

/// The synthetic rows, generated before any timing starts.
struct Population {
    patients: Vec<PatientInput>,
    /// (patient index, observation)
    observations: Vec<(usize, ObservationInput)>,
}

impl Population {
    fn generate(args: &BenchArgs) -> Population {
        let today = careloop_domain::clock::local_today(OffsetDateTime::now_utc());
        let mut g = Generator::new(args.seed, today, 1);
        let per_patient = args.observations.div_ceil(args.patients.max(1));
        let mut patients = Vec::with_capacity(args.patients);
        let mut observations = Vec::with_capacity(args.observations);
        for i in 0..args.patients {
            let p = g.patient();
            patients.push(p.input);
            observations.extend(p.observations.into_iter().cycle().take(per_patient).map(|o| (i, o)));
        }
        observations.truncate(args.observations);
        Population { patients, observations }
    }
}

async fn run_backend(backend: &'static str, db: &Db, data: &Population, args: &BenchArgs) -> anyhow::Result<Report> {
    println!("\n== {backend}");
    db.migrate().await?;
    let now = OffsetDateTime::now_utc();
    let cli = system_actor();
    for (code, name) in DEPARTMENTS {
        staff::create_department(db, &cli, code, name, None, now).await?;
    }

    let start = Instant::now();
    let mut ids = Vec::with_capacity(data.patients.len());
    for chunk in data.patients.chunks(PATIENT_BATCH) {
        ids.extend(
            patients::enrol_patients(db, &cli, chunk, now)
                .await?
                .into_iter()
                .map(|e| e.id),
        );
    }
    let patient_rate = rate(data.patients.len(), start.elapsed());
    println!("patients via service:      {:>10.0} rows/s", patient_rate);

    // The inputs are built before timing, as the raw baseline's rows are.
    let entries: Vec<(Uuid, ObservationInput)> = data.observations.iter().map(|(i, o)| (ids[*i], o.clone())).collect();
    let start = Instant::now();
    for chunk in entries.chunks(OBSERVATION_BATCH) {
        observations::record_observations(db, &cli, chunk, now).await?;
    }
    let observation_rate = rate(entries.len(), start.elapsed());
    println!("observations via service:  {:>10.0} rows/s", observation_rate);

    let rows = raw::patient_rows(&data.patients);
    let dept = staff::list_departments(db)
        .await?
        .first()
        .map(|d| d.id)
        .context("no department")?;
    let raw_patient_row = raw::patients(db, &rows, dept, 1).await.context("raw patient insert")?;
    let raw_patient_rate = raw::patients(db, &rows, dept, PATIENT_BATCH)
        .await
        .context("raw patient insert")?;
    println!(
        "patients raw, row by row:  {:>10.0} rows/s; multi-row: {:.0} rows/s",
        raw_patient_row, raw_patient_rate
    );
    let raw_observation_row = raw::observations(db, &entries, 1)
        .await
        .context("raw observation insert")?;
    let raw_observation_rate = raw::observations(db, &entries, 2000)
        .await
        .context("raw observation insert")?;
    println!(
        "observations raw, by row:  {:>10.0} rows/s; multi-row: {:.0} rows/s",
        raw_observation_row, raw_observation_rate
    );

    // As after any bulk load (the demo loader does the same), refresh planner statistics.
    db.optimize().await?;
    println!("search as admin (all patients):");
    let search_admin = search_latency(db, &cli, data, args.searches).await?;
    let nurse = careloop_domain::access::Actor {
        role: careloop_domain::staff::Role::Nurse,
        department_id: staff::list_departments(db)
            .await?
            .into_iter()
            .find(|d| d.code == "cardio")
            .map(|d| d.id),
        ..system_actor()
    };
    println!("search as a nurse (one department):");
    let search_department = search_latency(db, &nurse, data, args.searches).await?;
    println!(
        "search (all patients):     p50 {:?}  p99 {:?}",
        search_admin.0, search_admin.1
    );
    println!(
        "search (one department):   p50 {:?}  p99 {:?}",
        search_department.0, search_department.1
    );
    Ok(Report {
        backend,
        patients: data.patients.len(),
        observations: entries.len(),
        patient_rate,
        raw_patient_row,
        raw_patient_rate,
        observation_rate,
        raw_observation_row,
        raw_observation_rate,
        search_admin,
        search_department,
    })
}

pub(crate) fn rate(rows: usize, elapsed: Duration) -> f64 {
    rows as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// The kinds of search nurses type, in the order they are cycled through.
const SEARCH_KINDS: [&str; 5] = [
    "name prefix",
    "pinyin initials",
    "phone prefix",
    "ID number",
    "no query (first page)",
];

/// Time searches of the kinds nurses type: a name prefix, pinyin initials, a phone prefix, a
/// full ID number and the unfiltered first page, each through the service call (page query,
/// count, audit row, commit). Returns overall p50/p99 and prints them per kind.
async fn search_latency(
    db: &Db,
    actor: &careloop_domain::access::Actor,
    data: &Population,
    n: usize,
) -> anyhow::Result<(Duration, Duration)> {
    let mut all = Vec::with_capacity(n);
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); SEARCH_KINDS.len()];
    let len = data.patients.len().max(1);
    for i in 0..n {
        let p = &data.patients[(i * 7919) % len];
        let name = p.name.clone().unwrap_or_default();
        let kind = i % SEARCH_KINDS.len();
        let q = match kind {
            0 => name.chars().take(2).collect::<String>(),
            1 => careloop_text::pinyin_initials(&name),
            2 => p.phone.clone().unwrap_or_default().chars().take(7).collect(),
            3 => p.id_number.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let start = Instant::now();
        patients::search_patients(
            db,
            actor,
            Some(q.as_str()).filter(|q| !q.is_empty()),
            Some(1),
            Some(20),
            OffsetDateTime::now_utc(),
        )
        .await?;
        let t = start.elapsed();
        all.push(t);
        by_kind[kind].push(t);
    }
    for (kind, times) in SEARCH_KINDS.iter().zip(&mut by_kind) {
        let (p50, p99) = percentiles(times);
        println!("    {kind:<24} p50 {:>7.2} ms  p99 {:>7.2} ms", ms(p50), ms(p99));
    }
    Ok(percentiles(&mut all))
}

pub(crate) fn percentiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort_unstable();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    (at(0.50), at(0.99))
}

fn print_reports(reports: &[Report]) {
    println!(
        "\n| backend | rows | via CareLoop (rows/s) | raw, one INSERT per row | raw, multi-row INSERT | CareLoop ÷ faster raw |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in reports {
        let best = r.raw_patient_row.max(r.raw_patient_rate);
        println!(
            "| {} | {} patients | {:.0} | {:.0} | {:.0} | {:.0}% |",
            r.backend,
            r.patients,
            r.patient_rate,
            r.raw_patient_row,
            r.raw_patient_rate,
            100.0 * r.patient_rate / best
        );
        let best = r.raw_observation_row.max(r.raw_observation_rate);
        println!(
            "| {} | {} observations | {:.0} | {:.0} | {:.0} | {:.0}% |",
            r.backend,
            r.observations,
            r.observation_rate,
            r.raw_observation_row,
            r.raw_observation_rate,
            100.0 * r.observation_rate / best
        );
    }
    println!("\n| backend | search | p50 | p99 |");
    println!("| --- | --- | --- | --- |");
    for r in reports {
        println!(
            "| {} | all patients (admin) | {:.2} ms | {:.2} ms |",
            r.backend,
            ms(r.search_admin.0),
            ms(r.search_admin.1)
        );
        println!(
            "| {} | one department (nurse) | {:.2} ms | {:.2} ms |",
            r.backend,
            ms(r.search_department.0),
            ms(r.search_department.1)
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Enrol `n` synthetic patients (generator seed `seed`) in department `department` through the
/// service, as the benchmarks' populations are; returns their ids.
pub(crate) async fn enrol_synthetic(
    db: &Db,
    department: &str,
    n: usize,
    seed: u64,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<Uuid>> {
    let mut g = Generator::new(seed, careloop_domain::clock::local_today(now), 1);
    let inputs: Vec<_> = (0..n)
        .map(|_| {
            let mut p = g.patient().input;
            p.department = Some(department.into());
            p
        })
        .collect();
    Ok(patients::enrol_patients(db, &system_actor(), &inputs, now)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect())
}

/// The baselines, into scratch tables with the same columns, indexes and foreign keys as the
/// real ones (on PostgreSQL each foreign-key check locks the referenced row, a large share of
/// the cost),
/// committed every batch: one prepared single-row INSERT executed per row (`rows_per_statement`
/// 1), and a prepared multi-row INSERT (`rows_per_statement` > 1), the fastest plain way.
pub(crate) mod raw {
    use super::{OBSERVATION_BATCH, PATIENT_BATCH, rate};
    use careloop_domain::indicator::ObservationInput;
    use careloop_domain::patient::PatientInput;
    use careloop_store::Db;
    use sqlx::{Executor, Postgres, QueryBuilder, Sqlite};
    use std::time::Instant;
    use time::{Date, OffsetDateTime};
    use uuid::Uuid;

    const PATIENTS_DDL: &str = "CREATE TABLE bench_raw_patients (id {uuid} PRIMARY KEY, card_number TEXT NOT NULL UNIQUE, name TEXT NOT NULL, name_initials TEXT NOT NULL, name_pinyin TEXT NOT NULL, sex TEXT NOT NULL, birth_date {date} NOT NULL, id_number TEXT UNIQUE, phone TEXT NOT NULL, address TEXT, emergency_contact_name TEXT, emergency_contact_phone TEXT, department_id {uuid} NOT NULL REFERENCES departments (id), created_at {ts} NOT NULL, updated_at {ts} NOT NULL);
        CREATE INDEX bench_raw_patients_department ON bench_raw_patients (department_id, id);
        CREATE INDEX bench_raw_patients_name ON bench_raw_patients (name);
        CREATE INDEX bench_raw_patients_initials ON bench_raw_patients (name_initials);
        CREATE INDEX bench_raw_patients_pinyin ON bench_raw_patients (name_pinyin);
        CREATE INDEX bench_raw_patients_phone ON bench_raw_patients (phone);";
    const OBSERVATIONS_DDL: &str = "CREATE TABLE bench_raw_observations (id {uuid} PRIMARY KEY, patient_id {uuid} NOT NULL REFERENCES patients (id), code TEXT NOT NULL, value {real} NOT NULL, unit TEXT NOT NULL, effective_at {ts} NOT NULL, source TEXT NOT NULL, flag TEXT NOT NULL, created_at {ts} NOT NULL, created_by {uuid});
        CREATE INDEX bench_raw_observations_patient_code ON bench_raw_observations (patient_id, code, effective_at);";

    fn ddl(template: &str, pg: bool) -> String {
        let (uuid, date, ts, real) = if pg {
            ("UUID", "DATE", "TIMESTAMPTZ", "DOUBLE PRECISION")
        } else {
            ("BLOB", "TEXT", "TEXT", "REAL")
        };
        template
            .replace("{uuid}", uuid)
            .replace("{date}", date)
            .replace("{ts}", ts)
            .replace("{real}", real)
    }

    /// A patient row as the baseline writes it: the same values the service path stores,
    /// prepared before timing starts.
    pub struct PatientRow {
        name: String,
        initials: String,
        pinyin: String,
        sex: String,
        birth: Date,
        id_number: Option<String>,
        phone: String,
        address: Option<String>,
        contact: Option<String>,
        contact_phone: Option<String>,
    }

    pub fn patient_rows(inputs: &[PatientInput]) -> Vec<PatientRow> {
        inputs
            .iter()
            .map(|p| {
                let name = p.name.clone().unwrap_or_default();
                PatientRow {
                    initials: careloop_text::pinyin_initials(&name),
                    pinyin: careloop_text::pinyin_full(&name),
                    name,
                    sex: p.sex.clone().unwrap_or_default(),
                    birth: p
                        .birth_date
                        .as_deref()
                        .and_then(|d| careloop_domain::patient::parse_date(d, "birth_date").ok())
                        .unwrap_or(Date::MIN),
                    id_number: p.id_number.clone(),
                    phone: p.phone.clone().unwrap_or_default(),
                    address: p.address.clone(),
                    contact: p.emergency_contact_name.clone(),
                    contact_phone: p.emergency_contact_phone.clone(),
                }
            })
            .collect()
    }

    /// Insert the patient rows into department `dept`, `rows_per_statement` per INSERT;
    /// returns rows/s.
    pub async fn patients(db: &Db, rows: &[PatientRow], dept: Uuid, rows_per_statement: usize) -> anyhow::Result<f64> {
        let n = rows.len();
        let now = careloop_store::stored_time(OffsetDateTime::now_utc());
        macro_rules! run {
            ($pool:expr, $db:ty, $pg:expr) => {{
                sqlx::raw_sql(sqlx::AssertSqlSafe(ddl(PATIENTS_DDL, $pg))).execute($pool).await?;
                let start = Instant::now();
                let mut i = 0;
                while i < n {
                    let end = (i + PATIENT_BATCH).min(n);
                    let mut tx = $pool.begin().await?;
                    let mut k = i;
                    while k < end {
                        let to = (k + rows_per_statement).min(end);
                        let mut q = QueryBuilder::<$db>::new("INSERT INTO bench_raw_patients (id, card_number, name, name_initials, name_pinyin, sex, birth_date, id_number, phone, address, emergency_contact_name, emergency_contact_phone, department_id, created_at, updated_at) ");
                        q.push_values(k..to, |mut b, r| {
                            let p = &rows[r];
                            b.push_bind(Uuid::now_v7())
                                .push_bind(careloop_domain::card::card_number(r as u64 + 1))
                                .push_bind(p.name.clone())
                                .push_bind(p.initials.clone())
                                .push_bind(p.pinyin.clone())
                                .push_bind(p.sex.clone())
                                .push_bind(p.birth)
                                .push_bind(p.id_number.clone())
                                .push_bind(p.phone.clone())
                                .push_bind(p.address.clone())
                                .push_bind(p.contact.clone())
                                .push_bind(p.contact_phone.clone())
                                .push_bind(dept)
                                .push_bind(now)
                                .push_bind(now);
                        });
                        q.build().execute(&mut *tx).await?;
                        k = to;
                    }
                    tx.commit().await?;
                    i = end;
                }
                let r = rate(n, start.elapsed());
                $pool.execute("DROP TABLE bench_raw_patients").await?;
                Ok(r)
            }};
        }
        match db {
            Db::Sqlite(p, _) => run!(p, Sqlite, false),
            Db::Pg(p) => run!(p, Postgres, true),
        }
    }

    /// Insert the same observations the service stored (patient, code, value, time as given),
    /// `rows_per_statement` per INSERT; returns rows/s.
    pub async fn observations(
        db: &Db,
        entries: &[(Uuid, ObservationInput)],
        rows_per_statement: usize,
    ) -> anyhow::Result<f64> {
        let n = entries.len();
        let now = careloop_store::stored_time(OffsetDateTime::now_utc());
        macro_rules! run {
            ($pool:expr, $db:ty, $pg:expr) => {{
                sqlx::raw_sql(sqlx::AssertSqlSafe(ddl(OBSERVATIONS_DDL, $pg))).execute($pool).await?;
                let start = Instant::now();
                let mut i = 0;
                while i < n {
                    let end = (i + OBSERVATION_BATCH).min(n);
                    let mut tx = $pool.begin().await?;
                    let mut k = i;
                    while k < end {
                        let to = (k + rows_per_statement).min(end);
                        let mut q = QueryBuilder::<$db>::new("INSERT INTO bench_raw_observations (id, patient_id, code, value, unit, effective_at, source, flag, created_at, created_by) ");
                        q.push_values(k..to, |mut b, r| {
                            let (patient, o) = &entries[r];
                            b.push_bind(Uuid::now_v7())
                                .push_bind(*patient)
                                .push_bind(o.code.clone())
                                .push_bind(o.value)
                                .push_bind(o.unit.clone().unwrap_or_default())
                                .push_bind(careloop_store::stored_time(o.effective_at))
                                .push_bind(o.source.clone().unwrap_or_default())
                                .push_bind("normal")
                                .push_bind(now)
                                .push_bind(Option::<Uuid>::None);
                        });
                        q.build().execute(&mut *tx).await?;
                        k = to;
                    }
                    tx.commit().await?;
                    i = end;
                }
                let r = rate(n, start.elapsed());
                $pool.execute("DROP TABLE bench_raw_observations").await?;
                Ok(r)
            }};
        }
        match db {
            Db::Sqlite(p, _) => run!(p, Sqlite, false),
            Db::Pg(p) => run!(p, Postgres, true),
        }
    }
}
