//! Importing exam and lab results (同步检查报告数据): a batch read from FHIR, HL7 v2 or a
//! spreadsheet is matched to patients, checked item by item and stored in one transaction.
//!
//! **Atomicity rule.** Each item (resource, OBX, row) is checked on its own. By default a bad
//! item is reported with its location and left out, and every good item is stored together in
//! one transaction — the batch lands whole (minus its reported rejects) or, on a database
//! failure, not at all. With `all_or_nothing` any rejected item stops the whole batch and nothing
//! is stored. Items about a rejected patient are rejected with it.
//!
//! **Idempotency.** Every item carries its sender's key, stored with it (`source|key`); an item
//! whose key is already stored is counted as unchanged, or — for a value whose number or time
//! changed (a corrected result) — updated. Patients are matched by the sender's key, then by
//! resident ID number; an existing patient is never changed by an import.
//!
//! **Triggers.** New abnormal values measured in the last 30 days and new diagnoses enrol the
//! patient in matching protocols, as values entered by staff do; older history does not.

mod facts;
pub mod history;
mod patients;
pub mod profiles;

use crate::kernel::audit::event;
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::{Actor, PatientScope};
use careloop_domain::import::{ImportBatch, Issue, Severity, UnknownCode};
use careloop_store::imports::{self as store, ImportBatchRow};
use careloop_store::{Db, audit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Issues listed in a report; the rest are counted.
const MAX_LISTED_ISSUES: usize = 1000;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// `fhir`, `hl7v2` or `csv`.
    pub format: &'static str,
    /// The sending system (e.g. `his`, `lis`, `tijian`): its keys are unique only within it.
    pub source: String,
    /// Department code for patients the import creates; default the importer's own.
    pub department: Option<String>,
    pub all_or_nothing: bool,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub batch_id: Uuid,
    pub format: String,
    pub source: String,
    /// False when `all_or_nothing` refused the batch: nothing was stored.
    pub applied: bool,
    /// Items the input held.
    pub received: usize,
    pub patients: Counts,
    pub observations: Counts,
    pub diagnoses: Counts,
    pub reports: Counts,
    /// Items not imported on purpose, by kind (resource types CareLoop does not take, items
    /// about a deceased patient).
    pub skipped: BTreeMap<String, usize>,
    /// Codes CareLoop does not know, with counts and where each first appeared.
    pub unknown_codes: Vec<UnknownCode>,
    pub errors: usize,
    pub warnings: usize,
    /// The first 1000 issues, each with its location.
    pub issues: Vec<Issue>,
    /// Enrolled patients the sender reported as dead, now recorded as deceased with their
    /// follow-up stopped.
    pub deceased: usize,
}

impl ImportReport {
    /// Whether nothing in the file could be read: no item, or every item an error. Such a
    /// file is answered as refused even when the good-items rule stored what little it held.
    pub fn unreadable(&self) -> bool {
        self.received == 0 || (self.errors > 0 && self.errors >= self.received)
    }
}

/// Keys a sender may use as its name: short, no spaces, no `|` (the key separator).
fn check_source(source: &str) -> Result<String> {
    let s = source.trim();
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(FieldError::new(
            "source",
            "source_invalid",
            "source names the sending system: 1–64 letters, digits, '-', '_', '.', ':'",
            "来源系统名称应为1–64个字母、数字或 - _ . :",
        )
        .into())
    }
}

/// A file as a sending system wrote it.
#[derive(Debug, Clone)]
pub enum Upload {
    /// A FHIR R4 Bundle, a single resource, or NDJSON.
    Fhir(Vec<u8>),
    /// HL7 v2 ORU^R01 messages, in the character set MSH-18 declares.
    Hl7v2(Vec<u8>),
    /// A CSV export read through the saved profile with this id.
    Csv { bytes: Vec<u8>, profile: String },
    /// An Excel workbook read through the saved profile with this id.
    Xlsx { bytes: Vec<u8>, profile: String },
}

/// Uploads read at once: all cores but one, so parsing never takes the whole machine from the
/// requests being served; further uploads wait their turn, first come first served.
static PARSES: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    std::sync::Arc::new(tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1)))
});

/// How long an upload may take to read before the request is answered with a refusal. Every
/// reader is linear in its input (a workbook also stops itself: [`careloop_sheet::Budget`]),
/// so a real file never comes near it; it bounds what the readers do not foresee.
pub const READ_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

/// Read an upload with its reader and store the batch. Reading runs on the blocking pool, not
/// on the async workers, at most [`PARSES`] at once (a reader keeps its turn until it has
/// really finished, even when its request has been answered), within [`READ_BUDGET`], so large
/// or hostile files do not stall other requests.
pub async fn import_upload(
    db: &Db,
    actor: &Actor,
    upload: Upload,
    options: &ImportOptions,
    now: OffsetDateTime,
) -> Result<ImportReport> {
    let profile = match &upload {
        Upload::Csv { profile, .. } | Upload::Xlsx { profile, .. } => Some(profiles::load_profile(db, profile).await?),
        Upload::Fhir(_) | Upload::Hl7v2(_) => None,
    };
    let read = read_off_the_workers(READ_BUDGET, move || match (upload, profile) {
        (Upload::Fhir(bytes), _) => Ok(careloop_fhir::read(&bytes, "")),
        (Upload::Hl7v2(bytes), _) => careloop_hl7::read_bytes(&bytes, "")
            .map_err(|e| ServiceError::Invalid(FieldError::new("body", "encoding_invalid", e, "文件编码无法识别"))),
        (Upload::Csv { bytes, .. }, Some(p)) => Ok(careloop_sheet::read_csv(&bytes, &p, "")),
        (Upload::Xlsx { bytes, .. }, Some(p)) => Ok(careloop_sheet::read_xlsx(&bytes, &p, "")),
        (Upload::Csv { .. } | Upload::Xlsx { .. }, None) => Err(ServiceError::Internal("profile not loaded")),
    })
    .await?;
    import_batch(db, actor, read, options, now).await
}

/// Run `read` on the blocking pool in its turn ([`PARSES`]), answering a refusal once `budget`
/// is spent. The reader keeps its turn until it has really finished, so readers that outlive
/// their requests still never take more than their share of the cores.
async fn read_off_the_workers<T: Send + 'static>(
    budget: std::time::Duration,
    read: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let turn = PARSES
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ServiceError::Internal("the reader queue closed"))?;
    let reading = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        read()
    });
    match tokio::time::timeout(budget, reading).await {
        Ok(done) => done.map_err(|_| ServiceError::Internal("the reader stopped"))?,
        Err(_) => Err(ServiceError::Invalid(FieldError::new(
            "body",
            "read_too_long",
            format!(
                "the file took more than {} s to read; split it, or use `careloop import`",
                budget.as_secs()
            ),
            "文件读取超时，请拆分后再导入",
        ))),
    }
}

/// Match, check and store one batch; see the module documentation for the rules.
pub async fn import_batch(
    db: &Db,
    actor: &Actor,
    batch: ImportBatch,
    options: &ImportOptions,
    now: OffsetDateTime,
) -> Result<ImportReport> {
    if actor.patient_scope() == PatientScope::Nobody {
        return Err(ServiceError::Forbidden);
    }
    match import_once(db, actor, &batch, options, now).await {
        // The same file imported twice at once: on PostgreSQL both transactions matched
        // nothing and the second to commit broke a uniqueness rule. Once the first has
        // committed, the batch matches what it stored and reads as unchanged, as a serial
        // re-import does.
        Err(ServiceError::Conflict { .. }) => import_once(db, actor, &batch, options, now).await,
        other => other,
    }
}

async fn import_once(
    db: &Db,
    actor: &Actor,
    batch: &ImportBatch,
    options: &ImportOptions,
    now: OffsetDateTime,
) -> Result<ImportReport> {
    let source = check_source(&options.source)?;
    let mut tx = db.begin().await?;
    let mut work = facts::Work::new(batch, &source, now);
    let department = patients::department_for_new(&mut tx, actor, options.department.as_deref()).await?;
    patients::resolve(&mut tx, actor, batch, department, &mut work).await?;
    facts::observations(&mut tx, batch, &mut work).await?;
    facts::diagnoses(&mut tx, batch, &mut work).await?;
    facts::reports(&mut tx, batch, &mut work).await?;

    let errors = work.issues.iter().filter(|i| i.severity == Severity::Error).count();
    let applied = !(options.all_or_nothing && errors > 0);
    let batch_id = Uuid::now_v7();
    let mut report = ImportReport {
        batch_id,
        format: options.format.into(),
        source: source.clone(),
        applied,
        received: batch.received,
        patients: work.patients,
        observations: work.observations,
        diagnoses: work.diagnoses,
        reports: work.reports,
        skipped: work.skipped.clone(),
        unknown_codes: batch.unknown_codes.values().cloned().collect(),
        errors,
        warnings: work.issues.len() - errors,
        issues: work.issues.iter().take(MAX_LISTED_ISSUES).cloned().collect(),
        deceased: 0,
    };
    if !applied {
        drop(tx); // rolls back: nothing of the batch is stored
        report.patients.created = 0;
        report.observations.created = 0;
        report.observations.updated = 0;
        report.diagnoses.created = 0;
        report.reports.created = 0;
        return Ok(report);
    }
    work.write(&mut tx, actor).await?;
    let mut events: Vec<_> = work
        .touched()
        .into_iter()
        .map(|(patient, detail)| event(actor, "import.write", Some(patient), Some(detail), now))
        .collect();
    events.push(event(
        actor,
        "import.batch",
        None,
        Some(format!("batch={batch_id}")),
        now,
    ));
    audit::insert_many(&mut tx, &events).await?;
    work.enrol_on_triggers(&mut tx, actor).await?;
    report.deceased = patients::record_deaths(&mut tx, actor, batch, &work, now).await?;
    let total = |c: &Counts| (c.created, c.updated, c.unchanged, c.rejected);
    let sums = [report.patients, report.observations, report.diagnoses, report.reports]
        .iter()
        .map(total)
        .fold((0, 0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3));
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    store::insert_batch(
        &mut tx,
        &ImportBatchRow {
            id: batch_id,
            format: options.format.into(),
            source,
            received: as_i64(batch.received),
            created: as_i64(sums.0),
            updated: as_i64(sums.1),
            unchanged: as_i64(sums.2),
            rejected: as_i64(sums.3),
            report: serde_json::to_value(&report).map_err(|_| ServiceError::Internal("import report"))?,
            created_at: now,
            created_by: Some(actor.user_id).filter(|id| !id.is_nil()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::{PARSES, read_off_the_workers};
    use crate::ServiceError;
    use std::time::Duration;

    /// A reader past its budget is answered with a refusal naming the body, and keeps its turn
    /// until it has really finished.
    #[tokio::test]
    async fn a_read_past_its_budget_is_refused_and_keeps_its_turn_until_done() {
        let free = PARSES.available_permits();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let slow = move || {
            std::thread::sleep(Duration::from_millis(400));
            done_tx.send(()).expect("the test waits");
            Ok(1)
        };
        let started = std::time::Instant::now();
        let refused = read_off_the_workers(Duration::from_millis(50), slow).await;
        assert!(
            started.elapsed() < Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
        match refused {
            Err(ServiceError::Invalid(e)) => assert_eq!((e.field.as_str(), e.code), ("body", "read_too_long")),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            PARSES.available_permits(),
            free - 1,
            "the slow reader still holds its turn"
        );
        tokio::task::spawn_blocking(move || done_rx.recv().expect("the reader finishes"))
            .await
            .expect("joined");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            PARSES.available_permits(),
            free,
            "its turn is back once it has finished"
        );
        assert_eq!(
            read_off_the_workers(Duration::from_secs(5), || Ok(2)).await.ok(),
            Some(2)
        );
    }
}
