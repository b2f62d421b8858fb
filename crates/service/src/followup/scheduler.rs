//! One scheduler pass (调度): alerts whose SLA passed escalate, task windows open and deadlines
//! pass through the task state machine, unanswered tasks come back when their retry is due,
//! schedules are extended, and overdue high-risk patients are tagged. Sending automated steps
//! is the outreach workflow's (`delivery::send_due`); the binary's loop calls both.

use crate::Result;
use crate::followup::enrolment::stored_state;
use careloop_domain::followup::task::{TaskEvent, transition};
use careloop_store::Db;
use careloop_store::plans::{self, TransitionRow};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// What one scheduler pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TickOutcome {
    /// Tasks whose window opened (now on worklists).
    pub opened: u64,
    /// Tasks whose deadline passed (now overdue, 超期).
    pub overdue: u64,
    /// Unanswered tasks whose retry time came (due again).
    pub retried: u64,
    /// Open alerts whose SLA passed, handed to the next role.
    pub escalated: u64,
    /// Tasks added to plans whose schedule was extended.
    pub extended: u64,
}

/// Tasks advanced per transaction.
const TICK_BATCH: u64 = 500;

/// One scheduler pass as of `now`: open alerts whose SLA has passed escalate to the next role;
/// every task whose window has opened becomes due and every task whose deadline has passed
/// becomes overdue, through the task state machine, with each transition recorded.
/// Idempotent: a second pass at the same instant finds nothing to do.
pub async fn tick(db: &Db, now: OffsetDateTime) -> Result<TickOutcome> {
    let mut outcome = TickOutcome::default();
    let mut tx = db.begin().await?;
    outcome.escalated = crate::kernel::alerts::escalate_overdue_alerts(&mut tx, now).await?;
    tx.commit().await?;
    // New occurrences first, so that this pass also opens any that are already due.
    outcome.extended = crate::followup::horizon::extend_schedules(db, now).await?;
    loop {
        let mut tx = db.begin().await?;
        let claimed = plans::claim_to_advance(&mut tx, now, TICK_BATCH).await?;
        if claimed.is_empty() {
            tx.commit().await?;
            break;
        }
        let mut log = Vec::new();
        let mut went_overdue: Vec<Uuid> = Vec::new();
        for t in &claimed {
            let mut state = stored_state(&t.state)?;
            let steps = [
                (
                    t.retry_at.is_some_and(|r| r <= now),
                    TaskEvent::RetryScheduled,
                    "retry_due",
                ),
                (t.due_at <= now, TaskEvent::WindowOpened, "window_opened"),
                (t.deadline <= now, TaskEvent::DeadlinePassed, "deadline_passed"),
            ];
            for (passed, ev, name) in steps {
                // Only the transitions the state machine allows from here (a due task does not
                // open again); anything else is simply not this pass's business.
                if let (true, Ok(next)) = (passed, transition(state, ev)) {
                    log.push(TransitionRow {
                        id: Uuid::now_v7(),
                        task_id: t.id,
                        from_state: Some(state.as_str().into()),
                        to_state: next.as_str().into(),
                        event: name.into(),
                        at: now,
                        actor_id: None,
                        reason: None,
                    });
                    match ev {
                        TaskEvent::WindowOpened => outcome.opened += 1,
                        TaskEvent::RetryScheduled => outcome.retried += 1,
                        _ => {
                            outcome.overdue += 1;
                            went_overdue.push(t.patient_id);
                        }
                    }
                    state = next;
                }
            }
            plans::set_task_state(&mut tx, t.id, state.as_str(), None, now).await?;
        }
        plans::insert_transitions(&mut tx, &log).await?;
        // Overdue work may set a tag (高危未复诊): re-apply the tag rules to those patients.
        went_overdue.sort_unstable();
        went_overdue.dedup();
        for patient_id in went_overdue {
            crate::risk::tag_rules::apply_to(&mut tx, &crate::kernel::access::system_actor(), patient_id, now).await?;
        }
        tx.commit().await?;
        // A batch that changed nothing would be claimed again forever; stop instead.
        if log.is_empty() || (claimed.len() as u64) < TICK_BATCH {
            break;
        }
    }
    Ok(outcome)
}
