//! Keeping plans ahead of time (随访计划续排): a plan creates its tasks one year ahead; each
//! scheduler pass extends recurring steps of active plans whose tasks end within 60 days by
//! another year, so a chronic-disease plan never runs out of visits. The new tasks go to the
//! person who holds the step now (the same nurse follows the same patient).

use crate::Result;
use crate::followup::enrolment::HORIZON;
use careloop_domain::followup::protocol::Protocol;
use careloop_domain::followup::task::TaskState;
use careloop_domain::risk_tier::RiskTier;
use careloop_store::plans::{self, TaskRow, TransitionRow};
use careloop_store::{Db, patients, protocols};
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Extend plans whose tasks end before this far ahead.
pub const LOOKAHEAD: Duration = Duration::days(60);
const BATCH: u64 = 200;

/// One pass: returns how many tasks were added.
pub async fn extend_schedules(db: &Db, now: OffsetDateTime) -> Result<u64> {
    let mut added = 0;
    let mut cache: HashMap<(String, i32), Option<Protocol>> = HashMap::new();
    loop {
        let mut tx = db.begin().await?;
        let claimed = plans::claim_to_extend(&mut tx, now + LOOKAHEAD, BATCH).await?;
        let mut tasks = Vec::new();
        let mut log = Vec::new();
        for plan in &claimed {
            let from = plan.scheduled_until.unwrap_or(plan.anchor_at + HORIZON);
            // Catch up at once if the scheduler was off for long.
            let mut until = from + HORIZON;
            while until < now + LOOKAHEAD {
                until += HORIZON;
            }
            let key = (plan.protocol_id.clone(), plan.protocol_version);
            if !cache.contains_key(&key) {
                let doc = protocols::version(&mut tx, &key.0, key.1).await?;
                cache.insert(key.clone(), doc.and_then(|d| serde_json::from_value(d.document.0).ok()));
            }
            let plan_tier = plan
                .risk_tier
                .as_deref()
                .map(|t| RiskTier::parse(t, "risk_tier"))
                .transpose()?;
            if let Some(Some(protocol)) = cache.get(&key) {
                let existing = plans::tasks_of_plan(&mut tx, plan.id).await?;
                // Where the plan's tasks are listed now (they move with a transfer).
                let department_id = match existing.last() {
                    Some(t) => t.department_id,
                    None => {
                        patients::find(&mut tx, plan.patient_id)
                            .await?
                            .ok_or(crate::ServiceError::Internal("plan without its patient"))?
                            .department_id
                    }
                };
                for due in protocol
                    .schedule(plan.anchor_at, until, plan_tier)?
                    .into_iter()
                    .filter(|d| d.due_at > from)
                {
                    let step = &protocol.steps[due.step];
                    // The step's current holder, or the plan's latest assignee.
                    let assignee = existing
                        .iter()
                        .rev()
                        .find(|t| t.step_key == step.key)
                        .or(existing.last())
                        .and_then(|t| t.assignee_id);
                    let id = Uuid::now_v7();
                    tasks.push(TaskRow {
                        id,
                        plan_id: plan.id,
                        patient_id: plan.patient_id,
                        step_key: step.key.clone(),
                        method: step.method.as_str().into(),
                        due_at: due.due_at,
                        deadline: due.deadline,
                        state: TaskState::Pending.as_str().into(),
                        assignee_id: assignee,
                        attempts: 0,
                        created_at: now,
                        updated_at: now,
                        retry_at: None,
                        department_id,
                        plan_active: true,
                    });
                    log.push(TransitionRow {
                        id: Uuid::now_v7(),
                        task_id: id,
                        from_state: None,
                        to_state: TaskState::Pending.as_str().into(),
                        event: "created".into(),
                        at: now,
                        actor_id: None,
                        reason: Some("schedule extended".into()),
                    });
                }
            }
            plans::set_scheduled_until(&mut tx, plan.id, until).await?;
        }
        added += tasks.len() as u64;
        plans::insert_tasks(&mut tx, &tasks).await?;
        plans::insert_transitions(&mut tx, &log).await?;
        tx.commit().await?;
        if (claimed.len() as u64) < BATCH {
            break;
        }
    }
    Ok(added)
}
