//! `careloop-bench import`: a synthetic bulk FHIR export (NDJSON: patients, then their
//! laboratory and vital-sign Observations in mixed units) imported through the same path as
//! `careloop import` — read, matched, converted, flagged and stored in parts of 20,000 lines,
//! one transaction each — on a fresh database of each backend; then imported again (every
//! item recognised, nothing written); beside the raw multi-row INSERT of the same number of
//! observation rows on the same database, and the reading alone.

use crate::bench::{rate, raw};
use anyhow::Context;
use careloop_domain::indicator::ObservationInput;
use careloop_service::admin::staff;
use careloop_service::imports::{ImportOptions, import_batch};
use careloop_service::kernel::access::system_actor;
use careloop_store::Db;
use careloop_synth::scratch::on_scratch_databases;
use std::time::Instant;
use time::{Duration, OffsetDateTime};

#[derive(clap::Args, Debug)]
pub struct ImportBenchArgs {
    /// Patients in the export.
    #[arg(long, default_value_t = 2_000)]
    pub patients: usize,
    /// Observations per patient.
    #[arg(long, default_value_t = 50)]
    pub values: usize,
    /// Lines per transaction (as `careloop import --part-lines`).
    #[arg(long, default_value_t = 20_000)]
    pub part_lines: usize,
    #[arg(long, env = "CARELOOP_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    #[arg(long)]
    pub no_sqlite: bool,
}

/// (LOINC, unit as sent, typical value, spread)
const ITEMS: [(&str, &str, f64, f64); 10] = [
    ("8480-6", "mm[Hg]", 128.0, 14.0),
    ("8462-4", "mm[Hg]", 80.0, 8.0),
    ("8867-4", "/min", 72.0, 8.0),
    ("29463-7", "kg", 66.0, 9.0),
    ("1558-6", "mg/dL", 100.0, 15.0),
    ("2093-3", "mg/dL", 190.0, 30.0),
    ("2571-8", "mg/dL", 140.0, 40.0),
    ("18262-6", "mg/dL", 110.0, 25.0),
    ("2085-9", "mg/dL", 50.0, 10.0),
    ("4548-4", "%", 5.7, 0.5),
];

/// The export as NDJSON lines, patients first; the values end two months ago, so none of
/// them is recent enough to enrol anyone (the benchmark measures the import, not protocols).
fn export(args: &ImportBenchArgs, now: OffsetDateTime) -> Vec<u8> {
    let mut out = String::new();
    for p in 0..args.patients {
        let gender = if p % 2 == 0 { "male" } else { "female" };
        out.push_str(&format!(
            r#"{{"resourceType":"Patient","id":"b{p}","name":[{{"text":"受检者{p}"}}],"gender":"{gender}","birthDate":"19{:02}-0{}-1{}","telecom":[{{"system":"phone","value":"13{:09}"}}]}}"#,
            40 + p % 50,
            1 + p % 9,
            p % 10,
            p
        ));
        out.push('\n');
    }
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for p in 0..args.patients {
        for v in 0..args.values {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (loinc, unit, mid, spread) = ITEMS[v % ITEMS.len()];
            let value = mid + spread * ((x % 2001) as f64 / 1000.0 - 1.0);
            let at = now - Duration::days(60 + 30 * (v / ITEMS.len()) as i64);
            let when = at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            out.push_str(&format!(
                r#"{{"resourceType":"Observation","id":"b{p}-{v}","status":"final","code":{{"coding":[{{"system":"http://loinc.org","code":"{loinc}"}}]}},"subject":{{"reference":"Patient/b{p}"}},"effectiveDateTime":"{when}","valueQuantity":{{"value":{value:.2},"unit":"{unit}","system":"http://unitsofmeasure.org","code":"{unit}"}}}}"#
            ));
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// The export's lines in parts of `n` lines, with the first line number of each.
fn parts(bytes: &[u8], n: usize) -> Vec<(&[u8], usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut line = 1;
    while start < bytes.len() {
        let mut end = start;
        let mut lines = 0;
        while end < bytes.len() && lines < n {
            end += bytes[end..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len() - end, |i| i + 1);
            lines += 1;
        }
        out.push((&bytes[start..end], line));
        line += lines;
        start = end;
    }
    out
}

struct Row {
    backend: &'static str,
    first: f64,
    refresh: f64,
    dry_run: f64,
    again: f64,
    raw: f64,
}

async fn backend(
    name: &'static str,
    db: &Db,
    args: &ImportBenchArgs,
    data: &[u8],
    total: usize,
) -> anyhow::Result<Row> {
    db.migrate().await?;
    let now = OffsetDateTime::now_utc();
    staff::create_department(db, &system_actor(), "checkup", "体检中心", None, now).await?;
    let options = ImportOptions {
        format: "fhir",
        source: "bench".into(),
        department: Some("checkup".into()),
        all_or_nothing: false,
    };
    let run = async || -> anyhow::Result<(f64, usize, usize)> {
        let start = Instant::now();
        let (mut created, mut unchanged) = (0, 0);
        for (part, first_line) in parts(data, args.part_lines) {
            let batch = careloop_fhir::read_ndjson_from(part, "bench.ndjson", first_line);
            let r = import_batch(db, &system_actor(), batch, &options, OffsetDateTime::now_utc())
                .await
                .map_err(|e| anyhow::anyhow!("import: {e}"))?;
            anyhow::ensure!(r.errors == 0, "the synthetic export has errors: {:?}", r.issues.first());
            created += r.patients.created + r.observations.created;
            unchanged += r.patients.unchanged + r.observations.unchanged;
        }
        Ok((rate(total, start.elapsed()), created, unchanged))
    };
    let (first, created, _) = run().await?;
    anyhow::ensure!(created == total, "created {created} of {total}");
    // Bulk writes queue their patients' tier and tag refresh for the scheduler: time it too.
    let start = Instant::now();
    let refreshed = careloop_service::risk::tiering::drain_refresh_queue(db, OffsetDateTime::now_utc())
        .await
        .map_err(|e| anyhow::anyhow!("refresh: {e}"))?;
    let refresh = rate(refreshed as usize, start.elapsed());
    println!("{name}: tier and tag refresh of {refreshed} patients: {refresh:.0} patients/s");
    // An admin's dry run of a tag rule over the whole imported population.
    let rule = careloop_domain::tag_rules::builtins()
        .into_iter()
        .next()
        .context("a built-in tag rule")?;
    let start = Instant::now();
    let dry = careloop_service::risk::tag_rules::dry_run(db, &system_actor(), rule, OffsetDateTime::now_utc())
        .await
        .map_err(|e| anyhow::anyhow!("dry run: {e}"))?;
    let dry_run = rate(dry.evaluated, start.elapsed());
    anyhow::ensure!(dry.evaluated == args.patients, "dry run saw {} patients", dry.evaluated);
    println!(
        "{name}: tag-rule dry run ({}) over {} patients: {dry_run:.0} patients/s, {} matching",
        dry.tag, dry.evaluated, dry.matching
    );
    let (again, _, unchanged) = run().await?;
    anyhow::ensure!(unchanged == total, "re-import recognised {unchanged} of {total}");
    println!("{name}: first import {first:.0} resources/s, again (all unchanged) {again:.0} resources/s");

    // The raw baseline: the same number of observation rows for the same patients.
    let keys: Vec<String> = (0..args.patients).map(|p| format!("Patient/b{p}")).collect();
    let mut tx = db.begin().await?;
    let ids = careloop_store::imports::patients_by_key(&mut tx, "bench", &keys).await?;
    tx.commit().await?;
    let entries: Vec<_> = (0..args.patients * args.values)
        .map(|i| {
            let patient = ids[&keys[i / args.values.max(1)]];
            let input = ObservationInput {
                code: "sbp".into(),
                value: 120.0,
                unit: Some("mmHg".into()),
                effective_at: now - Duration::days(60),
                source: Some("import:bench".into()),
            };
            (patient, input)
        })
        .collect();
    let raw = raw::observations(db, &entries, 2000).await.context("raw insert")?;
    Ok(Row {
        backend: name,
        first,
        refresh,
        dry_run,
        again,
        raw,
    })
}

pub async fn run(args: ImportBenchArgs) -> anyhow::Result<()> {
    let data = export(&args, OffsetDateTime::now_utc());
    let total = args.patients * (1 + args.values);
    let start = Instant::now();
    let mut read = 0;
    for (part, first_line) in parts(&data, args.part_lines) {
        read += careloop_fhir::read_ndjson_from(part, "bench.ndjson", first_line).received;
    }
    anyhow::ensure!(read == total, "read {read} of {total}");
    let read_rate = rate(total, start.elapsed());
    println!(
        "{total} resources ({} patients × {} values + the patients), {:.1} MB of NDJSON; reading alone: {read_rate:.0} resources/s",
        args.patients,
        args.values,
        data.len() as f64 / 1e6
    );
    let rows = on_scratch_databases(!args.no_sqlite, args.pg_url.as_deref(), 4, async |name, db| {
        backend(name, db, &args, &data, total).await
    })
    .await?;
    println!(
        "\n| backend | import (resources/s) | then tier and tag refresh (patients/s) | tag-rule dry run (patients/s) | re-import, nothing changes (resources/s) | raw multi-row INSERT (rows/s) | import ÷ raw |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for r in rows {
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} |",
            r.backend,
            r.first,
            r.refresh,
            r.dry_run,
            r.again,
            r.raw,
            r.first / r.raw
        );
    }
    Ok(())
}
