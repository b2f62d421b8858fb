//! `careloop import`: files or folders of results from a hospital system, imported through the
//! same service path as the API, with a progress bar. A long NDJSON file goes in parts of
//! `--part-lines` lines, each part one transaction (the service's atomicity rule, per part).

use crate::open_db;
use crate::settings::Settings;
use anyhow::{Context, bail};
use careloop_domain::import::{ImportBatch, Severity};
use careloop_service::imports::{Counts, ImportOptions, ImportReport, import_batch};
use careloop_service::kernel::access::system_actor;
use careloop_sheet::Profile;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// FHIR R4 Bundles (.json) and bulk-export NDJSON (.ndjson).
    Fhir,
    /// HL7 v2 ORU^R01 messages (.hl7, .txt; CR, LF or CRLF; UTF-8).
    Hl7v2,
    /// CSV exports (.csv; UTF-8 or GB18030) read through `--profile`.
    Csv,
    /// Excel workbooks (.xlsx) read through `--profile`.
    Xlsx,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Fhir => "fhir",
            Format::Hl7v2 => "hl7v2",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    fn takes(self, ext: &str) -> bool {
        match self {
            Format::Fhir => matches!(ext, "json" | "ndjson"),
            Format::Hl7v2 => matches!(ext, "hl7" | "txt"),
            Format::Csv => ext == "csv",
            Format::Xlsx => ext == "xlsx",
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    pub format: Format,
    /// Files or folders (a folder's files are taken in name order, patients first).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The sending system (`his`, `lis`, `tijian`…); its keys are unique only within it.
    #[arg(long)]
    pub source: String,
    /// Department code for the patients the import creates.
    #[arg(long)]
    pub department: Option<String>,
    /// Store nothing of a file (or part) if any of its items is rejected.
    #[arg(long)]
    pub all_or_nothing: bool,
    /// Lines of NDJSON per transaction.
    #[arg(long, default_value_t = 20_000)]
    pub part_lines: usize,
    /// For csv / xlsx: a saved profile's id, or the path of a profile JSON file.
    #[arg(long)]
    pub profile: Option<String>,
    /// Write every report (all issues, all unknown codes) to this JSON file.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// The files to read, patients before what refers to them.
fn files(format: Format, paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|e| format.takes(&e.to_string_lossy())))
                .collect();
            inner.sort_by_key(|f| {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                let first = ["Patient", "hospital", "practitioner"]
                    .iter()
                    .any(|s| name.starts_with(s));
                (!first, name)
            });
            out.extend(inner);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("{} is neither a file nor a folder", p.display());
        }
    }
    Ok(out)
}

/// The parts of one file, each read into a batch: a Bundle whole, NDJSON by lines.
fn parts(
    format: Format,
    profile: Option<&Profile>,
    path: &Path,
    bytes: &[u8],
    part_lines: usize,
) -> anyhow::Result<Vec<(ImportBatch, usize)>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if let (Format::Csv | Format::Xlsx, Some(p)) = (format, profile) {
        let batch = if format == Format::Csv {
            careloop_sheet::read_csv(bytes, p, &name)
        } else {
            careloop_sheet::read_xlsx(bytes, p, &name)
        };
        return Ok(vec![(batch, bytes.len())]);
    }
    if format == Format::Hl7v2 {
        let batch = careloop_hl7::read_bytes(bytes, &name).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        return Ok(vec![(batch, bytes.len())]);
    }
    let ndjson = path.extension().is_some_and(|e| e == "ndjson");
    if !ndjson {
        return Ok(vec![(careloop_fhir::read(bytes, &name), bytes.len())]);
    }
    let mut out = Vec::new();
    let mut first_line = 1;
    let mut rest = bytes;
    while !rest.is_empty() {
        let mut end = 0;
        let mut lines = 0;
        while end < rest.len() && lines < part_lines.max(1) {
            end += rest[end..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(rest.len() - end, |i| i + 1);
            lines += 1;
        }
        out.push((careloop_fhir::read_ndjson_from(&rest[..end], &name, first_line), end));
        first_line += lines;
        rest = &rest[end..];
    }
    Ok(out)
}

pub async fn run(settings: &Settings, args: ImportArgs) -> anyhow::Result<()> {
    let files = files(args.format, &args.paths)?;
    let total: u64 = files.iter().map(|f| f.metadata().map(|m| m.len()).unwrap_or(0)).sum();
    let db = open_db(settings).await?;
    let actor = system_actor();
    let profile = match (&args.profile, args.format) {
        (Some(p), _) if Path::new(p).is_file() => {
            let json = std::fs::read_to_string(p).with_context(|| format!("reading {p}"))?;
            Some(Profile::parse(&json).map_err(|e| anyhow::anyhow!("{p}: {}: {}", e.field, e.message))?)
        }
        (Some(id), _) => Some(
            careloop_service::imports::profiles::load_profile(&db, id)
                .await
                .map_err(|e| anyhow::anyhow!("profile {id}: {e}"))?,
        ),
        (None, Format::Csv | Format::Xlsx) => bail!("csv and xlsx imports need --profile (a saved id or a JSON file)"),
        (None, _) => None,
    };
    let options = ImportOptions {
        format: args.format.name(),
        source: args.source.clone(),
        department: args.department.clone(),
        all_or_nothing: args.all_or_nothing,
    };
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let mut reports: Vec<(String, ImportReport)> = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        bar.set_message(
            f.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
        );
        for (batch, size) in parts(args.format, profile.as_ref(), f, &bytes, args.part_lines)? {
            let report = import_batch(&db, &actor, batch, &options, OffsetDateTime::now_utc())
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            bar.inc(size as u64);
            reports.push((f.display().to_string(), report));
        }
    }
    bar.finish_and_clear();
    db.close().await;
    print_summary(&reports, started.elapsed());
    if let Some(path) = &args.report {
        let all: Vec<serde_json::Value> = reports
            .iter()
            .map(|(f, r)| serde_json::json!({"file": f, "report": r}))
            .collect();
        std::fs::write(path, serde_json::to_vec_pretty(&all)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("Full report: {}", path.display());
    }
    let refused = reports.iter().filter(|(_, r)| !r.applied).count();
    if refused > 0 {
        bail!("{refused} part(s) were refused whole (--all-or-nothing) because of rejected items");
    }
    Ok(())
}

fn print_summary(reports: &[(String, ImportReport)], elapsed: std::time::Duration) {
    let received: usize = reports.iter().map(|(_, r)| r.received).sum();
    println!(
        "Imported {} file part(s), {received} item(s) in {:.2} s ({:.0} items/s).",
        reports.len(),
        elapsed.as_secs_f64(),
        received as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!(
        "{:<14}{:>9}{:>9}{:>11}{:>10}",
        "", "created", "updated", "unchanged", "rejected"
    );
    type Pick = fn(&ImportReport) -> Counts;
    let rows: [(&str, Pick); 4] = [
        ("patients", |r| r.patients),
        ("observations", |r| r.observations),
        ("diagnoses", |r| r.diagnoses),
        ("reports", |r| r.reports),
    ];
    for (name, get) in rows {
        let c = reports.iter().map(|(_, r)| get(r)).fold([0; 4], |a, c| {
            [
                a[0] + c.created,
                a[1] + c.updated,
                a[2] + c.unchanged,
                a[3] + c.rejected,
            ]
        });
        println!("{name:<14}{:>9}{:>9}{:>11}{:>10}", c[0], c[1], c[2], c[3]);
    }
    let mut unknown: std::collections::BTreeMap<String, (usize, String)> = Default::default();
    for u in reports.iter().flat_map(|(_, r)| &r.unknown_codes) {
        let e = unknown
            .entry(format!("{} {}", u.system, u.code))
            .or_insert((0, u.display.clone()));
        e.0 += u.count;
    }
    if !unknown.is_empty() {
        let mut list: Vec<_> = unknown.into_iter().collect();
        list.sort_by_key(|(_, (n, _))| std::cmp::Reverse(*n));
        println!(
            "Unknown codes ({} distinct; not imported, listed for mapping):",
            list.len()
        );
        for (code, (n, display)) in list.iter().take(15) {
            println!("  {n:>6} × {code}  {display}");
        }
    }
    let issues: Vec<_> = reports.iter().flat_map(|(_, r)| &r.issues).collect();
    let errors = issues.iter().filter(|i| i.severity == Severity::Error).count();
    println!("{errors} error(s), {} warning(s).", issues.len() - errors);
    for i in issues.iter().filter(|i| i.severity == Severity::Error).take(20) {
        println!("  {}  {}  {}", i.location, i.code, i.message);
    }
}
