//! Task transitions and their log: every change of a task's state goes through the domain's
//! state machine and leaves a row saying who changed it, when and why.

use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::followup::task::{TaskEvent, TaskState, transition};
use careloop_store::plans::TransitionRow;
use time::OffsetDateTime;
use uuid::Uuid;

fn conflict(message: &str, message_zh: &str) -> ServiceError {
    ServiceError::Conflict {
        field: "task".into(),
        message: message.into(),
        message_zh: message_zh.into(),
    }
}

/// Apply `event` to the task's current state, logging the transition.
pub fn step(
    state: &mut TaskState,
    event: TaskEvent,
    name: &str,
    task: Uuid,
    actor: &Actor,
    now: OffsetDateTime,
    log: &mut Vec<TransitionRow>,
) -> Result<()> {
    let next = transition(*state, event).map_err(|_| {
        conflict(
            &format!("the task is {} and cannot take this result", state.as_str()),
            "该随访任务当前状态不能登记此结果",
        )
    })?;
    log.push(TransitionRow {
        id: Uuid::now_v7(),
        task_id: task,
        from_state: Some(state.as_str().into()),
        to_state: next.as_str().into(),
        event: name.into(),
        at: now,
        actor_id: Some(actor.user_id).filter(|id| !id.is_nil()),
        reason: None,
    });
    *state = next;
    Ok(())
}

/// A transition made by the system (scheduler, delivery), with no user behind it.
pub fn system_transition(task: Uuid, from: &str, to: &str, event: &str, now: OffsetDateTime) -> TransitionRow {
    TransitionRow {
        id: Uuid::now_v7(),
        task_id: task,
        from_state: Some(from.into()),
        to_state: to.into(),
        event: event.into(),
        at: now,
        actor_id: None,
        reason: None,
    }
}
