//! Signing a follow-up record on a task (随访记录): the contact result moves the task through
//! its state machine; a reached chronic-disease visit is classified by the national standard,
//! which decides the next task, alerts (预警) and referral (转诊). Everything — observations,
//! record, task changes, new tasks, alerts, audit — is one transaction.

use crate::followup::enrolment::{TaskView, at_nine, stop_plan, stored_state};
use crate::followup::rules;
use crate::kernel::access::accessible;
use crate::kernel::alerts::{AlertView, alert_from};
use crate::kernel::audit::{event, record};
use crate::kernel::protocols::read_stored;
use crate::kernel::transitions::step;
use crate::patients::observations::insert_observations;
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::clock::local_today;
use careloop_domain::followup::classification::{History, Outcome, VisitClass, VisitFindings, classify};
use careloop_domain::followup::contact::{ContactResult, trailing_failures};
use careloop_domain::followup::rules::{HistoryFacts, RuleResult};
use careloop_domain::followup::schedule::Offset;
use careloop_domain::followup::task::TaskState;
use careloop_domain::followup::visit::{self, Stop};
use careloop_domain::indicator::ObservationInput;
use careloop_domain::patient::{age_on, optional_text};
use careloop_store::plans::{self, TaskRow, TransitionRow};
use careloop_store::records::{self, AlertRow, FollowUpRecordRow};
use careloop_store::{Db, Tx, protocols, users};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The result codes of a contact attempt, in the order the call sheet offers them.
pub const CONTACT_RESULTS: [ContactResult; 8] = ContactResult::ALL;

/// A follow-up record as submitted.
#[derive(Debug, Clone, Default)]
pub struct RecordInput {
    pub contact_result: String,
    pub observations: Vec<ObservationInput>,
    pub answers: Option<serde_json::Value>,
    pub adverse_drug_reaction: bool,
    pub new_complication: bool,
    pub emergency_symptom: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordOutcome {
    pub id: Uuid,
    pub task_id: Uuid,
    pub contact_result: String,
    /// controlled / uncontrolled / adverse_reaction / complication / emergency, for chronic-disease
    /// protocols when the patient was reached.
    pub classification: Option<String>,
    /// The task's state after this record.
    pub task_state: String,
    /// The next follow-up this record leads to, if any.
    pub next_task: Option<TaskView>,
    pub alerts: Vec<AlertView>,
    pub referral: bool,
    /// The protocol's outcome rules that fired on this visit.
    pub matched_rules: Vec<String>,
}

/// The latest value of `code` among this visit's observations.
fn value_of(obs: &[careloop_store::observations::ObservationRow], code: &str) -> Option<f64> {
    obs.iter()
        .filter(|o| o.code == code)
        .max_by_key(|o| o.effective_at)
        .map(|o| o.value)
}

/// A phone follow-up that must happen `within` (ISO 8601) from today: on worklists from a week
/// before its deadline (at once for shorter intervals), overdue after it. Two weeks gives the
/// standard's `F14`.
fn follow_up_task(base: &TaskRow, within: &str, assignee: Option<Uuid>, now: OffsetDateTime) -> Result<TaskRow> {
    let start = at_nine(local_today(now));
    let deadline = Offset::parse(within, "follow_up_within")?
        .after(start, 1)
        .ok_or(ServiceError::Internal("follow-up interval out of range"))?;
    let days = (deadline - start).whole_days();
    let due_at = (deadline - Duration::days(7)).max(start);
    Ok(TaskRow {
        id: Uuid::now_v7(),
        plan_id: base.plan_id,
        patient_id: base.patient_id,
        step_key: format!("F{days}"),
        method: "phone_call".into(),
        due_at,
        deadline,
        state: TaskState::Pending.as_str().into(),
        assignee_id: assignee,
        attempts: 0,
        created_at: now,
        updated_at: now,
        retry_at: None,
        department_id: base.department_id,
        plan_active: base.plan_active,
    })
}

/// A task due within the standard's two weeks: on worklists after a week, overdue after two.
fn two_week_task(base: &TaskRow, key: &str, assignee: Option<Uuid>, now: OffsetDateTime) -> TaskRow {
    let day = local_today(now);
    let at = |d: i64| at_nine(day + Duration::days(d));
    TaskRow {
        id: Uuid::now_v7(),
        plan_id: base.plan_id,
        patient_id: base.patient_id,
        step_key: key.into(),
        method: "phone_call".into(),
        due_at: at(7),
        deadline: at(14),
        state: TaskState::Pending.as_str().into(),
        assignee_id: assignee,
        attempts: 0,
        created_at: now,
        updated_at: now,
        retry_at: None,
        department_id: base.department_id,
        plan_active: base.plan_active,
    }
}

/// Sign a follow-up record on a task.
pub async fn record_follow_up(
    db: &Db,
    actor: &Actor,
    task_id: Uuid,
    input: RecordInput,
    now: OffsetDateTime,
) -> Result<RecordOutcome> {
    let result = ContactResult::parse(input.contact_result.trim())?;
    let note = optional_text(&input.note, "note", 2000)?;
    // Staff answers pass their question's check (a patient's questionnaire is checked by its
    // own definition before it completes a task).
    if let Some(answers) = &input.answers {
        careloop_domain::followup::answers::check(answers)?;
    }
    let reached = result == ContactResult::Reached;
    if !reached && !input.observations.is_empty() {
        return Err(FieldError::new(
            "observations",
            "observations_unreached",
            "values can only be recorded when the patient was reached",
            "未联系到患者时不能登记检测值",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let out = record_in(&mut tx, actor, task_id, &input, result, note, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Sign a record inside the caller's transaction (staff at the call sheet, or a patient's
/// online questionnaire completing its task), with the contact result and note already checked.
pub(crate) async fn record_in(
    tx: &mut Tx,
    actor: &Actor,
    task_id: Uuid,
    input: &RecordInput,
    contact_result: ContactResult,
    note: Option<String>,
    now: OffsetDateTime,
) -> Result<RecordOutcome> {
    let reached = contact_result == ContactResult::Reached;
    let result = contact_result.as_str();
    // Locked: a call signed twice at once (a double click, two nurses) is settled once; the
    // second sees the settled task and is refused.
    let task = plans::lock_task(tx, task_id)
        .await?
        .ok_or(ServiceError::NotFound("task"))?;
    let patient = accessible(tx, actor, task.patient_id).await?;
    let plan = plans::find_plan(tx, task.plan_id)
        .await?
        .ok_or(ServiceError::NotFound("plan"))?;
    let stored = protocols::version(tx, &plan.protocol_id, plan.protocol_version)
        .await?
        .ok_or(ServiceError::NotFound("protocol"))?;
    let protocol = read_stored(stored.document.0)?;

    let mut state = stored_state(&task.state)?;
    let mut log = Vec::new();
    let contact = visit::contact(state, contact_result, task.attempts, &protocol.retry, now);
    for s in &contact.steps {
        step(&mut state, s.event, s.name, task.id, actor, now, &mut log)?;
    }
    let (attempts, retry_at) = (contact.attempts, contact.retry_at);

    let entries: Vec<(Uuid, ObservationInput)> = input
        .observations
        .iter()
        .map(|o| (task.patient_id, o.clone()))
        .collect();
    let (obs, _) = if entries.is_empty() {
        (Vec::new(), Default::default())
    } else {
        insert_observations(tx, actor, &entries, true, None, now)
            .await
            .map_err(|e| prefix(e, "observations"))?
    };

    // The plan's earlier records: the previous class for the standard, history for the rules.
    let earlier = records::of_plan(tx, plan.id).await?;
    let history = HistoryFacts::from_earlier(
        earlier
            .iter()
            .map(|r| (r.contact_result.as_str(), r.classification.as_deref())),
    );
    let outcome: Option<Outcome> = match (reached, protocol.condition) {
        (true, Some(condition)) => {
            let previous = VisitClass::parse(&history.previous_classification);
            let findings = VisitFindings {
                age: age_on(patient.birth_date, local_today(now)),
                sbp: value_of(&obs, "sbp"),
                dbp: value_of(&obs, "dbp"),
                fpg: value_of(&obs, "fpg"),
                adverse_drug_reaction: input.adverse_drug_reaction,
                new_complication: input.new_complication,
                emergency_symptom: input.emergency_symptom,
            };
            Some(classify(condition, &findings, History { previous }))
        }
        _ => None,
    };

    // The protocol's outcome rules see the visit after its classification.
    let class_name = outcome.map(|o| o.class.as_str());
    let facts = rules::facts(rules::Visit {
        contact_result: result,
        classification: class_name,
        observations: &obs,
        answers: input.answers.as_ref(),
        adverse_drug_reaction: input.adverse_drug_reaction,
        new_complication: input.new_complication,
        patient: &patient,
        on: local_today(now),
        history,
        tags: rules::tag_names(tx, patient.id).await?,
    });
    let compiled = rules::compiled(&protocol)?;
    let (results, effects) = rules::apply(&compiled, &facts, now);
    let matched_rules: Vec<String> = compiled
        .iter()
        .zip(&results)
        .filter(|(_, r)| **r == RuleResult::Matched)
        .map(|(c, _)| c.rule.id.clone())
        .collect();
    // A failed task may end a run of failed follow-ups long enough to make the patient lost.
    let failures = if state == TaskState::Failed {
        let mut finished: Vec<TaskState> = Vec::new();
        for t in plans::tasks_of_plan(tx, plan.id).await? {
            finished.push(if t.id == task.id {
                state
            } else {
                stored_state(&t.state)?
            });
        }
        Some(trailing_failures(&finished))
    } else {
        None
    };
    let decided = visit::outcome(contact_result, outcome, &effects, failures, &protocol.stop, |a, b| {
        rules::shorter(a, b, now)
    });
    let referral = decided.referral;

    let rec = FollowUpRecordRow {
        id: Uuid::now_v7(),
        task_id: task.id,
        plan_id: plan.id,
        patient_id: task.patient_id,
        contact_result: result.into(),
        classification: outcome.map(|o| o.class.as_str().to_string()),
        adverse_drug_reaction: input.adverse_drug_reaction,
        new_complication: input.new_complication,
        referral,
        note,
        signed_by: Some(actor.user_id).filter(|id| !id.is_nil()),
        signed_at: now,
    };
    records::insert_record(tx, &rec, input.answers.clone()).await?;
    plans::set_task_state(tx, task.id, state.as_str(), Some(attempts), now).await?;

    let mut new_tasks = Vec::new();
    if let Some(w) = &decided.follow_up_within {
        new_tasks.push(follow_up_task(&task, w, task.assignee_id, now)?);
    }
    let mut alerts: Vec<AlertRow> = decided
        .alerts
        .iter()
        .map(|a| alert_from(task.patient_id, (Some(rec.id), None), a.kind, a.reason.clone(), now))
        .collect();
    // Critical values (危急值) join the visit's own severe alert (an emergency visit names them),
    // or raise their own: one alert for the doctor, not two.
    for critical in crate::reactions::critical_alerts(tx, &obs, "随访记录", (Some(rec.id), None), now).await? {
        match alerts.iter_mut().find(|a| a.severity == "severe") {
            Some(severe) => severe.reason = format!("{}；{}", severe.reason, critical.reason),
            None => alerts.push(critical),
        }
    }
    if referral {
        let doctor = users::active_in_department(tx, patient.department_id, "doctor")
            .await?
            .first()
            .map(|u| u.id);
        new_tasks.push(two_week_task(&task, "REF", doctor.or(task.assignee_id), now));
    }
    if let Some(at) = retry_at {
        plans::schedule_retry(tx, task.id, at).await?;
    }
    match decided.stop {
        Some(Stop::Deceased) => {
            stop_plan(tx, &plan, "deceased", actor, now, &mut log).await?;
            // The patient, not only this plan: every other plan stops and none starts again.
            crate::reactions::died(tx, actor, task.patient_id, now, now).await?;
        }
        Some(Stop::LostToFollowUp { .. }) => {
            stop_plan(tx, &plan, "lost_to_follow_up", actor, now, &mut log).await?;
        }
        None => {}
    }
    for t in &new_tasks {
        log.push(TransitionRow {
            id: Uuid::now_v7(),
            task_id: t.id,
            from_state: None,
            to_state: t.state.clone(),
            event: "created".into(),
            at: now,
            actor_id: Some(actor.user_id).filter(|id| !id.is_nil()),
            reason: Some(format!("record {}", rec.id)),
        });
    }
    plans::insert_tasks(tx, &new_tasks).await?;
    plans::insert_transitions(tx, &log).await?;
    records::insert_alerts(tx, &alerts).await?;
    let detail = format!(
        "task={} result={} class={}",
        task.id,
        result,
        rec.classification.as_deref().unwrap_or("-")
    );
    record(
        tx,
        event(
            actor,
            "followup_record.create",
            Some(task.patient_id),
            Some(detail),
            now,
        ),
    )
    .await?;
    let next_task = match new_tasks.first() {
        Some(t) => Some(t.clone()),
        None => next_pending(tx, plan.id, task.id).await?,
    };
    Ok(RecordOutcome {
        id: rec.id,
        task_id: task.id,
        contact_result: result.into(),
        classification: rec.classification,
        task_state: state.as_str().into(),
        next_task: next_task.map(Into::into),
        alerts: alerts.into_iter().map(Into::into).collect(),
        referral: rec.referral,
        matched_rules,
    })
}

/// The plan's next open task after this one.
async fn next_pending(tx: &mut Tx, plan_id: Uuid, after: Uuid) -> Result<Option<TaskRow>> {
    Ok(plans::tasks_of_plan(tx, plan_id)
        .await?
        .into_iter()
        .find(|t| t.id != after && matches!(t.state.as_str(), "pending" | "due")))
}

/// Report a nested observation error under `observations…`.
fn prefix(e: ServiceError, field: &str) -> ServiceError {
    match e {
        ServiceError::Invalid(f) => {
            let name = if f.field.starts_with('[') {
                format!("{field}{}", f.field)
            } else {
                format!("{field}.{}", f.field)
            };
            ServiceError::Invalid(f.at(name))
        }
        other => other,
    }
}
