//! Assessing a patient's risk tier (风险分层) and what follows from it, in one transaction:
//! the assessment is kept with its reason, it becomes the patient's current tier, running plans
//! of tiered protocols (检后随访) are re-planned for the new tier, and a protocol triggered by an
//! assessment (`post-checkup`) enrols a patient who has never been on it.
//!
//! Re-planning keeps what both tiers share: pending tasks of steps the new tier does not have
//! are cancelled (with the change as the reason); steps the new tier has and the old one did
//! not get their tasks from now to the plan's horizon. Tasks already due or in progress stay
//! with the person working them.

use crate::followup::enrolment::{HORIZON, PlanView, Staffing, stored_state};
use crate::followup::triggers::enrol_on;
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::followup::protocol::TriggerEvent;
use careloop_domain::followup::task::{TaskEvent, TaskState};
use careloop_domain::risk_tier::{Assessment, RiskTier};
use careloop_store::patients::PatientRow;
use careloop_store::plans::{self, PlanRow, TaskRow, TransitionRow};
use careloop_store::risk_tiers::{self, RiskTierRow};
use careloop_store::{Db, Tx, protocols, stored_time};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `high`, `medium` or `low`.
    #[schema(pattern = "^(high|medium|low)$")]
    pub tier: String,
    /// Why, e.g. the abnormal results it rests on.
    #[schema(min_length = 1)]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskTierView {
    pub tier: String,
    pub reason: String,
    /// `staff` (a clinician's assessment) or `model`.
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub assessed_at: OffsetDateTime,
    pub assessed_by: Option<Uuid>,
}

impl From<RiskTierRow> for RiskTierView {
    fn from(r: RiskTierRow) -> Self {
        RiskTierView {
            tier: r.tier,
            reason: r.reason,
            source: r.source,
            assessed_at: r.assessed_at,
            assessed_by: r.assessed_by,
        }
    }
}

/// A patient's current tier and every assessment, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskTierHistory {
    pub current: Option<RiskTierView>,
    pub history: Vec<RiskTierView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssessmentOutcome {
    pub current: RiskTierView,
    /// Protocols the assessment enrolled the patient in (e.g. `post-checkup`).
    pub enrolled_in: Vec<String>,
    /// Running plans re-planned for the new tier.
    pub replanned: Vec<ReplanView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplanView {
    pub plan_id: Uuid,
    pub protocol: String,
    pub from_tier: String,
    pub to_tier: String,
    /// Pending tasks of steps the new tier does not have.
    pub cancelled: usize,
    /// Tasks of the new tier's own steps, from now to the plan's horizon.
    pub added: usize,
}

/// Record a clinician's assessment of `patient_id`'s risk tier.
pub async fn assess(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    input: &AssessmentInput,
    now: OffsetDateTime,
) -> Result<AssessmentOutcome> {
    if !actor.may_assess_risk() {
        return Err(ServiceError::Forbidden);
    }
    let a = Assessment::parse(&input.tier, &input.reason)?;
    let mut tx = db.begin().await?;
    let mut patient = accessible(&mut tx, actor, patient_id).await?;
    let outcome = apply(&mut tx, actor, &mut patient, a.tier, a.reason, "staff", true, now).await?;
    // A tier may change what the tag rules say (高危未复诊).
    crate::risk::tag_rules::apply_to(&mut tx, actor, patient_id, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Keep an assessment (a clinician's, or the rules' from `crate::risk::tiering`), make it the
/// patient's current tier, re-plan tiered plans and — when `enrol` — enrol by the assessment
/// trigger (检后随访).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply(
    tx: &mut Tx,
    actor: &Actor,
    patient: &mut PatientRow,
    tier: RiskTier,
    reason: String,
    source: &str,
    enrol: bool,
    now: OffsetDateTime,
) -> Result<AssessmentOutcome> {
    let row = RiskTierRow {
        id: Uuid::now_v7(),
        patient_id: patient.id,
        tier: tier.as_str().into(),
        reason,
        source: source.into(),
        assessed_at: stored_time(now),
        assessed_by: Some(actor.user_id).filter(|id| !id.is_nil() && source == "staff"),
    };
    risk_tiers::insert(tx, &row).await?;
    patient.risk_tier = Some(row.tier.clone());
    let replanned = replan(tx, actor, patient, tier, now).await?;
    let plans: Vec<PlanView> = if enrol {
        enrol_on(tx, actor, patient, &[TriggerEvent::RiskTierAssessed { tier }], now).await?
    } else {
        Vec::new()
    };
    // The tier is health information: the audit names the action and its effects only.
    let detail = format!("source={source} replanned={} enrolled={}", replanned.len(), plans.len());
    record(
        tx,
        event(actor, "risk_tier.assess", Some(patient.id), Some(detail), now),
    )
    .await?;
    Ok(AssessmentOutcome {
        current: row.into(),
        enrolled_in: plans.into_iter().map(|p| p.protocol).collect(),
        replanned,
    })
}

/// A patient's current tier and assessment history.
pub async fn history(db: &Db, actor: &Actor, patient_id: Uuid, now: OffsetDateTime) -> Result<RiskTierHistory> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let out = history_in(&mut tx, patient_id).await?;
    record(&mut tx, event(actor, "risk_tier.read", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(out)
}

/// The patient's tier assessments, newest first, inside the caller's transaction.
pub(crate) async fn history_in(tx: &mut Tx, patient_id: Uuid) -> Result<RiskTierHistory> {
    let history: Vec<RiskTierView> = risk_tiers::of_patient(tx, patient_id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(RiskTierHistory {
        current: history.first().cloned(),
        history,
    })
}

/// Re-plan the patient's running plans of tiered protocols that follow another tier.
async fn replan(
    tx: &mut Tx,
    actor: &Actor,
    patient: &PatientRow,
    tier: RiskTier,
    now: OffsetDateTime,
) -> Result<Vec<ReplanView>> {
    let mut out = Vec::new();
    let running = plans::plans_of_patient(tx, patient.id)
        .await?
        .into_iter()
        .filter(|p| matches!(p.status.as_str(), "active" | "paused"));
    for plan in running {
        let Some(old) = plan.risk_tier.as_deref() else {
            continue;
        };
        let old = RiskTier::parse(old, "risk_tier")?;
        if old == tier {
            continue;
        }
        out.push(replan_one(tx, actor, patient, &plan, old, tier, now).await?);
    }
    Ok(out)
}

async fn replan_one(
    tx: &mut Tx,
    actor: &Actor,
    patient: &PatientRow,
    plan: &PlanRow,
    old: RiskTier,
    tier: RiskTier,
    now: OffsetDateTime,
) -> Result<ReplanView> {
    let stored = protocols::version(tx, &plan.protocol_id, plan.protocol_version)
        .await?
        .ok_or(ServiceError::Internal("plan's protocol version missing"))?;
    let protocol = crate::kernel::protocols::read_stored(stored.document.0)?;
    let reason = format!("risk tier {} → {}", old.as_str(), tier.as_str());
    let mut log: Vec<TransitionRow> = Vec::new();
    let mut cancelled = 0;
    for t in plans::tasks_of_plan(tx, plan.id).await? {
        let kept = protocol
            .steps
            .iter()
            .find(|s| s.key == t.step_key)
            .is_none_or(|s| s.applies_to(Some(tier)));
        if kept || stored_state(&t.state)? != TaskState::Pending {
            continue;
        }
        let mut s = TaskState::Pending;
        crate::kernel::transitions::step(&mut s, TaskEvent::Cancelled, "replanned", t.id, actor, now, &mut log)?;
        if let Some(l) = log.last_mut() {
            l.reason = Some(reason.clone());
        }
        plans::set_task_state(tx, t.id, s.as_str(), None, now).await?;
        cancelled += 1;
    }
    let until = plan.scheduled_until.unwrap_or(plan.anchor_at + HORIZON);
    let staffing = Staffing::of_department(tx, patient.department_id).await?;
    let mut added = Vec::new();
    for (n, due) in protocol
        .schedule(plan.anchor_at, until, Some(tier))?
        .into_iter()
        .filter(|d| d.due_at > now && !protocol.steps[d.step].applies_to(Some(old)))
        .enumerate()
    {
        let step = &protocol.steps[due.step];
        let id = Uuid::now_v7();
        added.push(TaskRow {
            id,
            plan_id: plan.id,
            patient_id: patient.id,
            step_key: step.key.clone(),
            method: step.method.as_str().into(),
            due_at: due.due_at,
            deadline: due.deadline,
            state: TaskState::Pending.as_str().into(),
            assignee_id: staffing.pick(patient.id, n, &step.assignee),
            attempts: 0,
            created_at: now,
            updated_at: now,
            retry_at: None,
            department_id: patient.department_id,
            plan_active: plan.status == "active",
        });
        log.push(TransitionRow {
            id: Uuid::now_v7(),
            task_id: id,
            from_state: None,
            to_state: TaskState::Pending.as_str().into(),
            event: "created".into(),
            at: now,
            actor_id: Some(actor.user_id).filter(|id| !id.is_nil()),
            reason: Some(reason.clone()),
        });
    }
    plans::insert_tasks(tx, &added).await?;
    plans::insert_transitions(tx, &log).await?;
    plans::set_plan_tier(tx, plan.id, tier.as_str()).await?;
    Ok(ReplanView {
        plan_id: plan.id,
        protocol: plan.protocol_id.clone(),
        from_tier: old.as_str().into(),
        to_tier: tier.as_str().into(),
        cancelled,
        added: added.len(),
    })
}
