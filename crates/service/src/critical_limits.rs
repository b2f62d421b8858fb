//! The critical-value table for laboratory results (危急值表) of each organisation: the seeded
//! rows of [`careloop_domain::critical`] with the organisation's own in their place. Staff read
//! it; administrators set or remove a row (the seeded one applies again). The alerts of critical
//! values ([`crate::reactions::critical_alerts`]) read each patient's organisation's table.

use crate::kernel::access::require_admin;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::critical::{self, LabLimit};
use careloop_domain::indicator::lookup;
use careloop_store::critical_limits::{self, CriticalLimitRow};
use careloop_store::{Db, Tx};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// One row of an organisation's table as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CriticalLimitView {
    /// The indicator's short code (`k`, `na`, `fpg`, `hb`, `plt`, …).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    /// Critical at or below this value.
    pub at_most: Option<f64>,
    /// Critical at or above this value.
    pub at_least: Option<f64>,
    /// Where the limits come from, as the alert names it.
    pub source: String,
    /// The organisation set this row; otherwise it is the seeded default.
    pub own: bool,
}

impl From<LabLimit> for CriticalLimitView {
    fn from(l: LabLimit) -> Self {
        let (name_zh, name_en, unit) = lookup(l.code).map_or(("", "", ""), |i| (i.name_zh, i.name_en, i.unit));
        CriticalLimitView {
            code: l.code.into(),
            name_zh: name_zh.into(),
            name_en: name_en.into(),
            unit: unit.into(),
            at_most: l.at_most,
            at_least: l.at_least,
            source: l.source,
            own: l.own,
        }
    }
}

/// An organisation's row for one indicator.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriticalLimitInput {
    /// Critical at or below this value (the indicator's unit); below the normal range.
    pub at_most: Option<f64>,
    /// Critical at or above this value (the indicator's unit); above the normal range.
    pub at_least: Option<f64>,
    /// Where the limits come from, e.g. 本院危急值管理制度（2025版）; at most 200 characters.
    #[schema(max_length = 200)]
    pub source: String,
}

fn own_limit(r: &CriticalLimitRow) -> Option<LabLimit> {
    Some(LabLimit {
        code: lookup(&r.code)?.code,
        at_most: r.at_most,
        at_least: r.at_least,
        source: r.source.clone(),
        own: true,
    })
}

async fn organisation_exists(tx: &mut Tx, id: Uuid) -> Result<()> {
    if careloop_store::organisations::find(tx, id).await?.is_some() {
        Ok(())
    } else {
        Err(ServiceError::NotFound("organisation"))
    }
}

/// An organisation's table (any staff member may read it).
pub async fn table(db: &Db, organisation_id: Uuid) -> Result<Vec<CriticalLimitView>> {
    let mut tx = db.begin_read().await?;
    organisation_exists(&mut tx, organisation_id).await?;
    let own = critical_limits::all(&mut tx).await?;
    tx.commit().await?;
    let own = own
        .iter()
        .filter(|r| r.organisation_id == organisation_id)
        .filter_map(own_limit)
        .collect();
    Ok(critical::lab_table(own).into_iter().map(Into::into).collect())
}

/// Set an organisation's row for an indicator (short or LOINC code; admins). Values already
/// stored are not re-checked: the row applies to values that arrive from now on.
pub async fn set(
    db: &Db,
    actor: &Actor,
    organisation_id: Uuid,
    code: &str,
    input: &CriticalLimitInput,
    now: OffsetDateTime,
) -> Result<CriticalLimitView> {
    require_admin(actor)?;
    let limit = critical::lab_limit(code, input.at_most, input.at_least, &input.source)?;
    let mut tx = db.begin().await?;
    organisation_exists(&mut tx, organisation_id).await?;
    let row = CriticalLimitRow {
        organisation_id,
        code: limit.code.into(),
        at_most: limit.at_most,
        at_least: limit.at_least,
        source: limit.source.clone(),
        updated_by: (!actor.user_id.is_nil()).then_some(actor.user_id),
        updated_at: now,
    };
    critical_limits::upsert(&mut tx, &row).await?;
    let detail = format!(
        "organisation={organisation_id} code={} at_most={:?} at_least={:?}",
        limit.code, limit.at_most, limit.at_least
    );
    record(
        &mut tx,
        event(actor, "organisation.critical_limit", None, Some(detail), now),
    )
    .await?;
    tx.commit().await?;
    Ok(limit.into())
}

/// Remove an organisation's row, so the seeded one (or none) applies again (admins).
pub async fn reset(db: &Db, actor: &Actor, organisation_id: Uuid, code: &str, now: OffsetDateTime) -> Result<()> {
    require_admin(actor)?;
    let code = lookup(code).map_or(code, |i| i.code);
    let mut tx = db.begin().await?;
    organisation_exists(&mut tx, organisation_id).await?;
    if !critical_limits::delete(&mut tx, organisation_id, code).await? {
        return Err(ServiceError::NotFound("critical limit"));
    }
    let detail = format!("organisation={organisation_id} code={code} reset");
    record(
        &mut tx,
        event(actor, "organisation.critical_limit", None, Some(detail), now),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The laboratory table of each patient's organisation, for the patients of `patient_ids`: one
/// read of every organisation's own rows, and of the patients' organisations only when some
/// organisation has rows of its own.
pub(crate) async fn tables_of_patients(tx: &mut Tx, patient_ids: &[Uuid]) -> Result<PatientTables> {
    let own = critical_limits::all(tx).await?;
    let seeded = critical::seeded_lab_table();
    if own.is_empty() {
        return Ok(PatientTables {
            seeded,
            of_patient: HashMap::new(),
        });
    }
    let mut by_organisation: HashMap<Uuid, Vec<LabLimit>> = HashMap::new();
    for r in &own {
        if let Some(l) = own_limit(r) {
            by_organisation.entry(r.organisation_id).or_default().push(l);
        }
    }
    let tables: HashMap<Uuid, Vec<LabLimit>> = by_organisation
        .into_iter()
        .map(|(o, rows)| (o, critical::lab_table(rows)))
        .collect();
    let mut of_patient = HashMap::new();
    for p in careloop_store::organisations::of_patients(tx, patient_ids).await? {
        if let Some(t) = tables.get(&p.organisation_id) {
            of_patient.insert(p.patient_id, t.clone());
        }
    }
    Ok(PatientTables { seeded, of_patient })
}

/// Each patient's laboratory table ([`tables_of_patients`]).
pub(crate) struct PatientTables {
    seeded: Vec<LabLimit>,
    of_patient: HashMap<Uuid, Vec<LabLimit>>,
}

impl PatientTables {
    pub(crate) fn of(&self, patient_id: Uuid) -> &[LabLimit] {
        self.of_patient.get(&patient_id).unwrap_or(&self.seeded)
    }
}
