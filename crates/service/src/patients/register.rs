//! Enrolment (开卡), search, the patient detail view and edits.

use crate::kernel::access::accessible;
use crate::kernel::audit::event;
use crate::{Page, Result, ServiceError, page_bounds};
use careloop_domain::access::{Actor, PatientScope};
use careloop_domain::patient::{NewPatient, PatientInput, Sex, age_on};
use careloop_domain::staff::DepartmentCode;
use careloop_domain::{FieldError, mask};
use careloop_store::departments::{self, Department};
use careloop_store::patients::{self, PatientRow, PatientWrite, SearchTerm};
use careloop_store::{Db, audit, counters};
use careloop_text::{pinyin_full, pinyin_initials};
use serde::Serialize;
use std::collections::HashSet;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Most patients one enrolment call may carry.
pub const MAX_BATCH: usize = 5000;

use careloop_domain::clock::{CHINA, iso_date, local_today};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Enrolled {
    pub id: Uuid,
    pub card_number: String,
}

/// A patient as lists show it: identifiers masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatientSummary {
    pub id: Uuid,
    pub card_number: String,
    pub name: String,
    #[schema(value_type = String, example = "female")]
    pub sex: Sex,
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    pub age: i32,
    /// Masked, e.g. `110101********1234`.
    pub id_number: Option<String>,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    pub department: String,
    pub department_name: String,
}

/// A patient as the detail view shows it: identifiers in full.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PatientDetail {
    pub id: Uuid,
    pub card_number: String,
    pub name: String,
    #[schema(value_type = String, example = "female")]
    pub sex: Sex,
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    pub age: i32,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub department: String,
    pub department_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When the patient died, if recorded (no follow-up is started or sent after it).
    #[serde(with = "time::serde::rfc3339::option")]
    pub deceased_at: Option<OffsetDateTime>,
}

fn sex_of(row: &PatientRow) -> Sex {
    if row.sex == "male" { Sex::Male } else { Sex::Female }
}

fn summary(row: PatientRow, today: Date) -> PatientSummary {
    PatientSummary {
        id: row.id,
        sex: sex_of(&row),
        age: age_on(row.birth_date, today),
        id_number: row.id_number.as_deref().map(mask::id_number),
        phone: row.phone.as_deref().map(mask::phone),
        card_number: row.card_number,
        name: row.name,
        birth_date: row.birth_date,
        department: row.department_code,
        department_name: row.department_name,
    }
}

pub(crate) fn detail(row: PatientRow, today: Date) -> PatientDetail {
    PatientDetail {
        id: row.id,
        sex: sex_of(&row),
        age: age_on(row.birth_date, today),
        card_number: row.card_number,
        name: row.name,
        birth_date: row.birth_date,
        id_number: row.id_number,
        phone: row.phone,
        address: row.address,
        emergency_contact_name: row.emergency_contact_name,
        emergency_contact_phone: row.emergency_contact_phone,
        department: row.department_code,
        department_name: row.department_name,
        created_at: row.created_at,
        updated_at: row.updated_at,
        deceased_at: row.deceased_at,
    }
}

/// The stored patient as form input, so a partial edit can be laid over it and re-validated.
pub fn as_input(row: &PatientRow) -> PatientInput {
    PatientInput {
        name: Some(row.name.clone()),
        sex: Some(row.sex.clone()),
        birth_date: Some(format!("{}", row.birth_date)),
        id_number: row.id_number.clone(),
        phone: row.phone.clone(),
        address: row.address.clone(),
        emergency_contact_name: row.emergency_contact_name.clone(),
        emergency_contact_phone: row.emergency_contact_phone.clone(),
        department: Some(row.department_code.clone()),
    }
}

/// Report a batch item's error against its position: `[3].id_number`.
pub(crate) fn at_index(e: FieldError, i: usize, batch: bool) -> FieldError {
    if batch {
        let f = format!("[{i}].{}", e.field);
        e.at(f)
    } else {
        e
    }
}

pub(crate) fn write_row(
    id: Uuid,
    card_number: String,
    p: &NewPatient,
    department_id: Uuid,
    at: OffsetDateTime,
) -> PatientWrite {
    PatientWrite {
        id,
        card_number,
        name_initials: pinyin_initials(&p.name),
        name_pinyin: pinyin_full(&p.name),
        name: p.name.clone(),
        sex: p.sex.as_str().into(),
        birth_date: p.birth_date,
        id_number: p.id_number.as_ref().map(|i| i.as_str().to_string()),
        phone: p.phone.as_ref().map(|p| p.as_str().to_string()),
        address: p.address.clone(),
        emergency_contact_name: p.emergency_contact_name.clone(),
        emergency_contact_phone: p.emergency_contact_phone.as_ref().map(|p| p.as_str().to_string()),
        department_id,
        at,
    }
}

/// The department a (parsed, so lower-cased) code names: codes are case-insensitive.
pub(crate) fn department_for(all: &[Department], code: &DepartmentCode) -> Result<Uuid, FieldError> {
    all.iter()
        .find(|d| d.code.eq_ignore_ascii_case(code.as_str()))
        .map(|d| d.id)
        .ok_or_else(|| {
            FieldError::new(
                "department",
                "department_unknown",
                "no department has this code",
                "科室不存在",
            )
        })
}

/// Enrol one or more patients in one transaction: all are stored or none.
pub async fn enrol_patients(
    db: &Db,
    actor: &Actor,
    inputs: &[PatientInput],
    now: OffsetDateTime,
) -> Result<Vec<Enrolled>> {
    if inputs.is_empty() || inputs.len() > MAX_BATCH {
        return Err(FieldError::new(
            "patients",
            "batch_size",
            format!("send between 1 and {MAX_BATCH} patients"),
            format!("每次应提交1至{MAX_BATCH}名患者"),
        )
        .into());
    }
    if actor.patient_scope() == PatientScope::Nobody {
        return Err(ServiceError::Forbidden);
    }
    let today = local_today(now);
    let batch = inputs.len() > 1;
    let mut tx = db.begin().await?;
    let all = departments::list(&mut tx).await?;
    let own = actor
        .department_id
        .and_then(|id| all.iter().find(|d| d.id == id))
        .map(|d| d.code.as_str());
    let own = own.map(careloop_domain::staff::DepartmentCode::parse).transpose()?;
    let mut parsed = Vec::with_capacity(inputs.len());
    let mut seen_ids = HashSet::new();
    for (i, input) in inputs.iter().enumerate() {
        let p = NewPatient::parse(input, today, own.as_ref()).map_err(|e| at_index(e, i, batch))?;
        let department_id = department_for(&all, &p.department).map_err(|e| at_index(e, i, batch))?;
        if !actor.may_access_patient(department_id) {
            return Err(ServiceError::Forbidden);
        }
        if let Some(id) = &p.id_number
            && !seen_ids.insert(id.as_str().to_string())
        {
            return Err(ServiceError::Conflict {
                field: at_index(FieldError::required("id_number"), i, batch).field,
                message: "the same ID number appears twice in this batch".into(),
                message_zh: "同一批次中身份证号码重复".into(),
            });
        }
        parsed.push((p, department_id));
    }
    let first = counters::reserve(&mut tx, "card_number", parsed.len() as u64).await?;
    let rows: Vec<PatientWrite> = parsed
        .iter()
        .enumerate()
        .map(|(i, (p, dept))| {
            let seq = u64::try_from(first).unwrap_or(0) + i as u64;
            write_row(Uuid::now_v7(), careloop_domain::card::card_number(seq), p, *dept, now)
        })
        .collect();
    patients::insert_many(&mut tx, &rows).await?;
    let events: Vec<_> = rows
        .iter()
        .map(|r| event(actor, "patient.create", Some(r.id), None, now))
        .collect();
    audit::insert_many(&mut tx, &events).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| Enrolled {
            id: r.id,
            card_number: r.card_number,
        })
        .collect())
}

/// A page of the patients this actor may see, matching the search box `q`.
pub async fn search_patients(
    db: &Db,
    actor: &Actor,
    q: Option<&str>,
    page: Option<u64>,
    per_page: Option<u64>,
    now: OffsetDateTime,
) -> Result<Page<PatientSummary>> {
    let (page, per_page, offset) = page_bounds(page, per_page)?;
    let term = q.and_then(SearchTerm::classify);
    let scope = actor.patient_scope();
    let mut tx = db.begin().await?;
    let total = patients::count(&mut tx, scope, term.as_ref()).await?;
    let rows = patients::search(&mut tx, scope, term.as_ref(), per_page, offset).await?;
    // The query text may itself be an identifier, so only its kind and the result size are kept.
    let detail = format!("results={} page={page}", rows.len());
    crate::kernel::audit::record(&mut tx, event(actor, "patient.search", None, Some(detail), now)).await?;
    tx.commit().await?;
    let today = local_today(now);
    Ok(Page {
        items: rows.into_iter().map(|r| summary(r, today)).collect(),
        total,
        page,
        per_page,
    })
}

/// Staff record a death they learned of (a family's call, a death certificate) on the day it
/// happened, not in the future; as [`crate::reactions::died`]. Conflict when already recorded.
pub async fn report_death(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    died_on: &str,
    now: OffsetDateTime,
) -> Result<PatientDetail> {
    let day = careloop_domain::patient::parse_date(died_on, "died_on")?;
    if day > local_today(now) {
        return Err(FieldError::new(
            "died_on",
            "date_in_future",
            "died_on cannot be in the future",
            "死亡日期不能晚于今天",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, id).await?;
    // Noon, China time: the day is what was reported, not an hour.
    let at = OffsetDateTime::new_in_offset(
        day,
        time::Time::from_hms(12, 0, 0).unwrap_or(time::Time::MIDNIGHT),
        CHINA,
    );
    if !crate::reactions::died(&mut tx, actor, id, at.min(now), now).await? {
        return Err(ServiceError::Conflict {
            field: "died_on".into(),
            message: "a death is already recorded for this patient".into(),
            message_zh: "该患者已登记死亡".into(),
        });
    }
    let row = accessible(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(detail(row, local_today(now)))
}

/// Admins undo a death recorded in error (a wrong match, a mistaken report). The plans it
/// stopped stay stopped: follow-up restarts only when staff enrol the patient again, so no
/// automatic message reaches a family by surprise.
pub async fn clear_death(db: &Db, actor: &Actor, id: Uuid, now: OffsetDateTime) -> Result<PatientDetail> {
    crate::kernel::access::require_admin(actor)?;
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, id).await?;
    if !patients::clear_deceased(&mut tx, id).await? {
        return Err(ServiceError::NotFound("recorded death"));
    }
    crate::kernel::audit::record(&mut tx, event(actor, "patient.death_cleared", Some(id), None, now)).await?;
    let row = accessible(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(detail(row, local_today(now)))
}

pub async fn get_patient(db: &Db, actor: &Actor, id: Uuid, now: OffsetDateTime) -> Result<PatientDetail> {
    let mut tx = db.begin().await?;
    let row = accessible(&mut tx, actor, id).await?;
    crate::kernel::audit::record(&mut tx, event(actor, "patient.read", Some(id), None, now)).await?;
    tx.commit().await?;
    Ok(detail(row, local_today(now)))
}

/// Apply a partial edit; the merged patient is validated as a whole.
pub async fn update_patient(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    patch: PatientInput,
    now: OffsetDateTime,
) -> Result<PatientDetail> {
    let mut tx = db.begin().await?;
    let row = accessible(&mut tx, actor, id).await?;
    let base = as_input(&row);
    let merged = patch.clone().over(base.clone());
    // A patient a hospital system sent without a mobile may be edited without adding one.
    let p = if row.phone.is_some() {
        NewPatient::parse(&merged, local_today(now), None)?
    } else {
        NewPatient::parse_imported(&merged, local_today(now), None)?
    };
    let all = departments::list(&mut tx).await?;
    let department_id = department_for(&all, &p.department)?;
    if !actor.may_access_patient(department_id) {
        return Err(ServiceError::Forbidden);
    }
    patients::update(&mut tx, &write_row(id, row.card_number.clone(), &p, department_id, now)).await?;
    if department_id != row.department_id {
        crate::reactions::transferred(&mut tx, actor, id, row.department_id, department_id, now).await?;
    }
    let changed = changed_fields(&patch, &base);
    crate::kernel::audit::record(
        &mut tx,
        event(
            actor,
            "patient.update",
            Some(id),
            Some(format!("fields={changed}")),
            now,
        ),
    )
    .await?;
    let updated = accessible(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(detail(updated, local_today(now)))
}

/// Names (never values) of the fields an edit touched, for the audit trail.
fn changed_fields(patch: &PatientInput, base: &PatientInput) -> String {
    let pairs = [
        ("name", &patch.name, &base.name),
        ("sex", &patch.sex, &base.sex),
        ("birth_date", &patch.birth_date, &base.birth_date),
        ("id_number", &patch.id_number, &base.id_number),
        ("phone", &patch.phone, &base.phone),
        ("address", &patch.address, &base.address),
        (
            "emergency_contact_name",
            &patch.emergency_contact_name,
            &base.emergency_contact_name,
        ),
        (
            "emergency_contact_phone",
            &patch.emergency_contact_phone,
            &base.emergency_contact_phone,
        ),
        ("department", &patch.department, &base.department),
    ];
    let names: Vec<&str> = pairs
        .iter()
        .filter(|(_, new, old)| new.is_some() && new != old)
        .map(|(n, _, _)| *n)
        .collect();
    names.join(",")
}
