//! Imports on screen (导入检查结果): upload a FHIR, HL7 v2, CSV or Excel file as the sending
//! system wrote it, read the report — created, updated, unchanged and rejected by kind, the
//! codes CareLoop does not know, each problem at its place in the file — and open the report of
//! any earlier import. Whoever may import through the API may import here.

use super::{Chrome, FormErrors, UiUser, render};
use crate::AppState;
use crate::IMPORT_LIMIT;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use careloop_domain::FieldError;
use careloop_domain::import::Severity;
use careloop_service::ServiceError;
use careloop_service::admin::staff::{self, DepartmentView};
use careloop_service::imports::history::{self, BatchSummary};
use careloop_service::imports::{self, Counts, ImportOptions, ImportReport, Upload, profiles};
use time::OffsetDateTime;
use uuid::Uuid;

/// The formats a file may come in: (form value, what the select shows).
const FORMATS: [(&str, &str); 4] = [
    ("fhir", "FHIR（JSON / NDJSON）"),
    ("hl7v2", "HL7 v2（ORU^R01）"),
    ("csv", "CSV"),
    ("xlsx", "Excel（.xlsx）"),
];

/// What the upload form holds, as typed (the file aside).
#[derive(Debug, Clone, Default)]
pub struct UploadForm {
    format: String,
    profile: String,
    source: String,
    department: String,
    all_or_nothing: bool,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    c: Chrome,
    formats: [(&'static str, &'static str); 4],
    /// Saved column-mapping profiles: (id, name).
    profiles: Vec<(String, String)>,
    departments: Vec<DepartmentView>,
    form: UploadForm,
    errors: FormErrors,
    batches: Vec<BatchSummary>,
}

impl ImportsPage {
    fn local(&self, at: &OffsetDateTime) -> String {
        super::followup::local(at)
    }

    fn format_name(&self, code: &str) -> &'static str {
        format_name(code)
    }
}

fn format_name(code: &str) -> &'static str {
    FORMATS.iter().find(|(c, _)| *c == code).map_or("", |(_, name)| name)
}

#[derive(Template)]
#[template(path = "import_report.html")]
struct ReportPage {
    c: Chrome,
    report: ImportReport,
    /// When and by whom the import was recorded (`None`: refused, so not recorded).
    recorded: Option<(String, String)>,
}

impl ReportPage {
    /// The four kinds of item with their counts, in the page's language.
    fn kinds(&self) -> [(&'static str, Counts); 4] {
        let t = self.c.t;
        let r = &self.report;
        [
            (t.import_patients, r.patients),
            (t.import_values, r.observations),
            (t.import_diagnoses, r.diagnoses),
            (t.import_reports, r.reports),
        ]
    }

    fn format_name(&self) -> &'static str {
        format_name(&self.report.format)
    }

    fn is_error(&self, s: &Severity) -> bool {
        *s == Severity::Error
    }

    /// A kind of item left out on purpose: the importer's own kinds in words, the sender's
    /// types (`Claim`, `HL7 ADT^A01`) as the file names them.
    fn skipped_kind<'a>(&self, kind: &'a str) -> &'a str {
        if kind == "deceased patient's item" {
            self.c.t.import_skipped_deceased
        } else {
            kind
        }
    }

    fn is_own_kind(&self, kind: &str) -> bool {
        kind == "deceased patient's item"
    }
}

async fn imports_page(s: &AppState, u: &UiUser, form: UploadForm, errors: FormErrors) -> Response {
    let loaded = async {
        let batches = history::recent(&s.db, &u.who.actor).await?;
        let profiles = profiles::list_profiles(&s.db).await?;
        let departments = staff::list_departments(&s.db).await?;
        Ok::<_, ServiceError>((batches, profiles, departments))
    };
    let (batches, profiles, departments) = match loaded.await {
        Ok(l) => l,
        Err(e) => return u.fail(e),
    };
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(&ImportsPage {
        c: u.chrome(),
        formats: FORMATS,
        profiles: profiles.into_iter().map(|p| (p.id, p.name)).collect(),
        departments,
        form,
        errors,
        batches,
    });
    *res.status_mut() = status;
    res
}

pub async fn page(State(s): State<AppState>, u: UiUser) -> Response {
    let form = UploadForm {
        format: "fhir".into(),
        ..UploadForm::default()
    };
    imports_page(&s, &u, form, FormErrors::default()).await
}

/// The report of an earlier import.
pub async fn show(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>) -> Response {
    match history::report(&s.db, &u.who.actor, id).await {
        Ok(stored) => render(&ReportPage {
            c: u.chrome(),
            recorded: Some((
                super::followup::local(&stored.created_at),
                stored
                    .created_by
                    .unwrap_or_else(|| u.t().import_by_command_line.to_string()),
            )),
            report: stored.report,
        }),
        Err(e) => u.fail(e),
    }
}

fn refused(field: &str, code: &'static str, en: &str, zh: &str) -> FieldError {
    FieldError::new(field, code, en, zh)
}

/// Read the multipart form: its fields as typed and the file's bytes.
async fn read_form(mut multipart: Multipart) -> Result<(String, UploadForm, Vec<u8>), FieldError> {
    let unreadable = || {
        refused(
            "file",
            "upload_unreadable",
            &format!("the upload could not be read; files up to {} MB", IMPORT_LIMIT >> 20),
            &format!("上传未完成或文件超过 {} MB", IMPORT_LIMIT >> 20),
        )
    };
    let (mut csrf, mut form, mut file) = (String::new(), UploadForm::default(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            file = field.bytes().await.map_err(|_| unreadable())?.to_vec();
            continue;
        }
        let text = field.text().await.map_err(|_| unreadable())?;
        match name.as_str() {
            "csrf" => csrf = text,
            "format" => form.format = text,
            "profile" => form.profile = text,
            "source" => form.source = text,
            "department" => form.department = text,
            "all_or_nothing" => form.all_or_nothing = true,
            _ => {}
        }
    }
    Ok((csrf, form, file))
}

/// The upload as the import service takes it, or what is wrong with the form.
fn upload_of(form: &UploadForm, file: Vec<u8>) -> Result<(&'static str, Upload), FieldError> {
    if file.is_empty() {
        return Err(refused("file", "file_required", "choose a file", "请选择要导入的文件"));
    }
    let profile = || {
        let p = form.profile.trim();
        if p.is_empty() {
            Err(refused(
                "profile",
                "profile_required",
                "a CSV or Excel file is read through an import profile",
                "CSV 和 Excel 文件需选择导入模板",
            ))
        } else {
            Ok(p.to_string())
        }
    };
    match form.format.as_str() {
        "fhir" => Ok(("fhir", Upload::Fhir(file))),
        "hl7v2" => Ok(("hl7v2", Upload::Hl7v2(file))),
        "csv" => Ok((
            "csv",
            Upload::Csv {
                bytes: file,
                profile: profile()?,
            },
        )),
        "xlsx" => Ok((
            "xlsx",
            Upload::Xlsx {
                bytes: file,
                profile: profile()?,
            },
        )),
        _ => Err(refused(
            "format",
            "format_invalid",
            "choose the file's format",
            "请选择文件格式",
        )),
    }
}

/// Import the uploaded file: its report on success (200, or 422 when nothing was stored), the
/// form again with the reason when the form or the file is refused as a whole.
pub async fn upload(State(s): State<AppState>, u: UiUser, multipart: Multipart) -> Response {
    let (csrf, form, file) = match read_form(multipart).await {
        Ok(read) => read,
        Err(e) => return imports_page(&s, &u, UploadForm::default(), FormErrors::from_field(e, u.lang)).await,
    };
    if let Err(r) = u.check_csrf(&csrf) {
        return r;
    }
    let (format, upload) = match upload_of(&form, file) {
        Ok(u) => u,
        Err(e) => return imports_page(&s, &u, form, FormErrors::from_field(e, u.lang)).await,
    };
    let options = ImportOptions {
        format,
        source: form.source.clone(),
        department: Some(form.department.trim().to_string()).filter(|d| !d.is_empty()),
        all_or_nothing: form.all_or_nothing,
    };
    match imports::import_upload(&s.db, &u.who.actor, upload, &options, OffsetDateTime::now_utc()).await {
        // Recorded: the report has an address of its own (reloading it imports nothing twice).
        Ok(report) if report.applied && !report.unreadable() => {
            Redirect::to(&format!("/imports/{}", report.batch_id)).into_response()
        }
        Ok(report) => {
            let mut res = render(&ReportPage {
                c: u.chrome(),
                report,
                recorded: None,
            });
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(ServiceError::Invalid(e)) => imports_page(&s, &u, form, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}
