//! Batch enrolment (批量入组): many patients put on one protocol in one transaction, as when a
//! community health centre starts its registered hypertensive patients on the national-standard
//! protocol, or a check-up centre enrols a day's check-ups.
//!
//! The request is checked as a whole before anything is written: an unknown protocol, or a
//! patient the caller may not follow up, fails it with the offending index. Patients who cannot
//! be enrolled for a reason of their own (already on the protocol, deceased, no risk tier for a
//! tiered protocol) are skipped and reported, so one such patient does not hold up the rest.

use crate::followup::enrolment::create_plan;
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::clock::local_today;
use careloop_domain::patient::parse_date;
use careloop_store::{Db, plans, protocols};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use time::OffsetDateTime;
use uuid::Uuid;

/// Most patients in one request (one transaction).
pub const MAX_BATCH: usize = 1000;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchEnrolInput {
    /// Protocol id, e.g. `htn-basic-ph`; its newest version is used.
    pub protocol: String,
    /// 1–1000 patients; repeats are enrolled once.
    #[schema(min_items = 1, max_items = 5000)]
    pub patient_ids: Vec<Uuid>,
    /// The date the steps count from (default today, China time).
    #[schema(format = Date)]
    pub anchor_date: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchEnrolment {
    pub protocol: String,
    pub protocol_version: i32,
    pub enrolled: Vec<Enrolled>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Enrolled {
    pub patient_id: Uuid,
    pub plan_id: Uuid,
    pub tasks: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Skipped {
    pub patient_id: Uuid,
    /// `already_enrolled` (a running plan of this protocol), `deceased`, or `risk_tier_missing`
    /// (the protocol is planned by risk tier and the patient has none yet).
    pub reason: String,
}

pub async fn enrol_many(
    db: &Db,
    actor: &Actor,
    input: &BatchEnrolInput,
    now: OffsetDateTime,
) -> Result<BatchEnrolment> {
    let mut seen = HashSet::new();
    let ids: Vec<Uuid> = input
        .patient_ids
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .collect();
    if ids.is_empty() {
        return Err(FieldError::new(
            "patient_ids",
            "required",
            "choose at least one patient",
            "请至少勾选一名患者",
        )
        .into());
    }
    if ids.len() > MAX_BATCH {
        return Err(FieldError::new(
            "patient_ids",
            "too_many",
            format!("at most {MAX_BATCH} patients per request"),
            format!("每次最多批量入组{MAX_BATCH}人"),
        )
        .into());
    }
    let anchor_date = match input.anchor_date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => parse_date(d, "anchor_date")?,
        None => local_today(now),
    };
    let mut tx = db.begin().await?;
    let stored = protocols::latest(&mut tx, input.protocol.trim())
        .await?
        .ok_or_else(|| {
            FieldError::new(
                "protocol",
                "protocol_unknown",
                "no protocol has this id",
                "随访方案不存在",
            )
        })?;
    let protocol = crate::kernel::protocols::read_stored(stored.document.0)?;
    let mut patients = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        // Another department's patient reads as unknown, as it does everywhere else.
        let p = accessible(&mut tx, actor, *id).await.map_err(|e| match e {
            ServiceError::NotFound(_) | ServiceError::Forbidden => FieldError::new(
                format!("patient_ids[{i}]"),
                "patient_unknown",
                "no patient you may follow up has this id",
                "患者不存在或不在您的管理范围内",
            )
            .into(),
            other => other,
        })?;
        patients.push(p);
    }
    let (mut enrolled, mut skipped) = (Vec::new(), Vec::new());
    for patient in &patients {
        let existing = plans::plans_of_patient(&mut tx, patient.id).await?;
        let reason = if patient.deceased_at.is_some()
            || existing.iter().any(|p| p.status_reason.as_deref() == Some("deceased"))
        {
            Some("deceased")
        } else if existing
            .iter()
            .any(|p| p.protocol_id == protocol.id && matches!(p.status.as_str(), "active" | "paused"))
        {
            Some("already_enrolled")
        } else if protocol.is_tiered() && patient.risk_tier.is_none() {
            Some("risk_tier_missing")
        } else {
            None
        };
        if let Some(reason) = reason {
            skipped.push(Skipped {
                patient_id: patient.id,
                reason: reason.into(),
            });
            continue;
        }
        let plan = create_plan(
            &mut tx,
            actor,
            patient,
            &protocol,
            stored.version,
            anchor_date,
            None,
            now,
        )
        .await?;
        enrolled.push(Enrolled {
            patient_id: patient.id,
            plan_id: plan.id,
            tasks: plan.tasks.len(),
        });
    }
    let detail = format!(
        "protocol={} enrolled={} skipped={}",
        protocol.id,
        enrolled.len(),
        skipped.len()
    );
    record(&mut tx, event(actor, "plan.batch_create", None, Some(detail), now)).await?;
    tx.commit().await?;
    Ok(BatchEnrolment {
        protocol: protocol.id,
        protocol_version: stored.version,
        enrolled,
        skipped,
    })
}
