//! Managing running plans and their tasks: list a patient's plans, pause, resume or stop a plan,
//! and reschedule, reassign or cancel a task. Every change needs a reason, goes through the task
//! state machine where it touches a state, and is recorded (transition log and audit).

use crate::followup::enrolment::{PlanView, Staffing, at_nine, stop_plan, stored_state};
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::kernel::transitions::step;
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::clock::CHINA;
use careloop_domain::clock::local_today;
use careloop_domain::followup::protocol::AssigneeRule;
use careloop_domain::followup::task::{TaskEvent, TaskState};
use careloop_domain::patient::{optional_text, parse_date};
use careloop_store::plans::{self, PlanRow, TaskRow, TransitionRow};
use careloop_store::{Db, Tx, users};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// What staff do to a whole plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanAction {
    /// Hold every task (hospital admission, travel); the scheduler leaves the plan alone.
    Pause,
    Resume,
    /// End the plan for good (withdrawal, moved away, care finished); open tasks are cancelled.
    Stop,
}

impl PlanAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanAction::Pause => "pause",
            PlanAction::Resume => "resume",
            PlanAction::Stop => "stop",
        }
    }
}

fn reason_of(raw: &str) -> Result<String> {
    optional_text(&Some(raw.to_string()), "reason", 500)?.ok_or_else(|| FieldError::required("reason").into())
}

fn conflict(field: &str, message: String, message_zh: &str) -> ServiceError {
    ServiceError::Conflict {
        field: field.into(),
        message,
        message_zh: message_zh.into(),
    }
}

pub(crate) async fn view(tx: &mut Tx, plan: PlanRow) -> Result<PlanView> {
    let tasks = plans::tasks_of_plan(tx, plan.id).await?;
    Ok(PlanView {
        id: plan.id,
        patient_id: plan.patient_id,
        protocol: plan.protocol_id,
        protocol_version: plan.protocol_version,
        anchor_date: plan.anchor_at.to_offset(CHINA).date(),
        status: plan.status,
        status_reason: plan.status_reason,
        trigger_event: plan.trigger_event,
        risk_tier: plan.risk_tier,
        tasks: tasks.into_iter().map(Into::into).collect(),
    })
}

/// A patient's plans, newest first, with their tasks.
pub async fn list_plans(db: &Db, actor: &Actor, patient_id: Uuid, now: OffsetDateTime) -> Result<Vec<PlanView>> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let rows = plans::plans_of_patient(&mut tx, patient_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        out.push(view(&mut tx, p).await?);
    }
    record(
        &mut tx,
        event(
            actor,
            "plan.list",
            Some(patient_id),
            Some(format!("results={}", out.len())),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Pause, resume or stop a plan, with a reason.
pub async fn change_plan(
    db: &Db,
    actor: &Actor,
    plan_id: Uuid,
    action: PlanAction,
    reason: &str,
    now: OffsetDateTime,
) -> Result<PlanView> {
    let reason = reason_of(reason)?;
    let mut tx = db.begin().await?;
    let plan = plans::find_plan(&mut tx, plan_id)
        .await?
        .ok_or(ServiceError::NotFound("plan"))?;
    accessible(&mut tx, actor, plan.patient_id).await?;
    let allowed = matches!(
        (plan.status.as_str(), action),
        ("active", PlanAction::Pause | PlanAction::Stop) | ("paused", PlanAction::Resume | PlanAction::Stop)
    );
    if !allowed {
        return Err(conflict(
            "plan",
            format!("a {} plan cannot {}", plan.status, action.as_str()),
            "该随访计划当前状态不允许此操作",
        ));
    }
    let mut log = Vec::new();
    match action {
        PlanAction::Pause => plans::set_plan_status(&mut tx, plan.id, "paused", Some(&reason), now).await?,
        PlanAction::Resume => plans::set_plan_status(&mut tx, plan.id, "active", Some(&reason), now).await?,
        PlanAction::Stop => {
            stop_plan(&mut tx, &plan, &reason, actor, now, &mut log).await?;
        }
    }
    plans::insert_transitions(&mut tx, &log).await?;
    record(
        &mut tx,
        event(
            actor,
            &format!("plan.{}", action.as_str()),
            Some(plan.patient_id),
            Some(format!("plan={} cancelled_tasks={}", plan.id, log.len())),
            now,
        ),
    )
    .await?;
    let changed = plans::find_plan(&mut tx, plan.id)
        .await?
        .ok_or(ServiceError::NotFound("plan"))?;
    let out = view(&mut tx, changed).await?;
    tx.commit().await?;
    Ok(out)
}

/// A task with every state change it went through.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: crate::followup::enrolment::TaskView,
    pub history: Vec<TransitionView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransitionView {
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub reason: Option<String>,
}

impl From<TransitionRow> for TransitionView {
    fn from(t: TransitionRow) -> Self {
        TransitionView {
            from_state: t.from_state,
            to_state: t.to_state,
            event: t.event,
            at: t.at,
            actor_id: t.actor_id,
            reason: t.reason,
        }
    }
}

async fn load_task(tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<TaskRow> {
    let task = plans::find_task(tx, id).await?.ok_or(ServiceError::NotFound("task"))?;
    accessible(tx, actor, task.patient_id).await?;
    Ok(task)
}

async fn detail(tx: &mut Tx, id: Uuid) -> Result<TaskDetail> {
    let task = plans::find_task(tx, id).await?.ok_or(ServiceError::NotFound("task"))?;
    let history = plans::transitions_of_task(tx, id).await?;
    Ok(TaskDetail {
        task: task.into(),
        history: history.into_iter().map(Into::into).collect(),
    })
}

/// A task the actor may see, with its history (inside a caller's transaction).
pub(crate) async fn get_task_in(tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<TaskDetail> {
    load_task(tx, actor, id).await?;
    detail(tx, id).await
}

/// One task and its history.
pub async fn get_task(db: &Db, actor: &Actor, id: Uuid, now: OffsetDateTime) -> Result<TaskDetail> {
    let mut tx = db.begin().await?;
    let out = get_task_in(&mut tx, actor, id).await?;
    record(
        &mut tx,
        event(
            actor,
            "task.read",
            Some(out.task.patient_id),
            Some(format!("task={id}")),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Changes staff make to one task.
#[derive(Debug, Clone)]
pub enum TaskChange {
    /// Move to another day (09:00 China time), keeping the length of its window.
    Reschedule {
        due_date: String,
    },
    /// Give to another nurse, doctor or health manager of the patient's department.
    Reassign {
        assignee_id: Uuid,
    },
    Cancel,
}

/// A transfer (转科) takes the patient's follow-up work along: every task is listed in the new
/// department, and open tasks go to the new department's responsible nurse (or doctor, for a
/// doctor's step), each change recorded with the reason. With no such staff there, a task keeps
/// its holder and shows on the new department's list. Returns how many tasks changed hands.
pub(crate) async fn follow_transfer(
    tx: &mut Tx,
    actor: &Actor,
    patient_id: Uuid,
    from: Uuid,
    to: Uuid,
    now: OffsetDateTime,
) -> Result<u64> {
    plans::move_patient_tasks(tx, patient_id, to).await?;
    let (old, new) = (
        Staffing::of_department(tx, from).await?,
        Staffing::of_department(tx, to).await?,
    );
    let mut log = Vec::new();
    for plan in plans::plans_of_patient(tx, patient_id).await? {
        for t in plans::tasks_of_plan(tx, plan.id).await? {
            let state = stored_state(&t.state)?;
            if state.is_terminal() || state == TaskState::Failed {
                continue;
            }
            let rule = match t.assignee_id {
                Some(a) if old.is_doctor(a) => AssigneeRule::ResponsibleDoctor,
                _ => AssigneeRule::ResponsibleNurse,
            };
            let Some(holder) = new.pick(patient_id, 0, &rule) else {
                continue;
            };
            plans::reassign_task(tx, t.id, holder, now).await?;
            log.push(TransitionRow {
                id: Uuid::now_v7(),
                task_id: t.id,
                from_state: Some(state.as_str().into()),
                to_state: state.as_str().into(),
                event: "reassigned".into(),
                at: now,
                actor_id: Some(actor.user_id).filter(|u| !u.is_nil()),
                reason: Some("transfer (转科)".into()),
            });
        }
    }
    plans::insert_transitions(tx, &log).await?;
    Ok(log.len() as u64)
}

/// Reschedule, reassign or cancel a task, with a reason.
pub async fn change_task(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    change: TaskChange,
    reason: &str,
    now: OffsetDateTime,
) -> Result<TaskDetail> {
    let reason = reason_of(reason)?;
    let mut tx = db.begin().await?;
    // Locked, so two changes at once (two nurses pressing 今天发送) apply one after the other.
    let task = plans::lock_task(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound("task"))?;
    accessible(&mut tx, actor, task.patient_id).await?;
    let mut state = stored_state(&task.state)?;
    let mut log = Vec::new();
    let action = match &change {
        TaskChange::Reschedule { due_date } => {
            let date = parse_date(due_date, "due_date")?;
            if date < local_today(now) {
                return Err(FieldError::new(
                    "due_date",
                    "date_past",
                    "a task cannot be moved into the past",
                    "不能改期到今天之前",
                )
                .into());
            }
            let due_at = at_nine(date);
            let deadline = due_at + (task.deadline - task.due_at);
            step(
                &mut state,
                TaskEvent::Rescheduled,
                "rescheduled",
                id,
                actor,
                now,
                &mut log,
            )
            .map_err(|_| task_conflict(&task.state))?;
            plans::reschedule_task(&mut tx, id, due_at, deadline, state.as_str(), now).await?;
            "task.reschedule"
        }
        TaskChange::Reassign { assignee_id } => {
            if state.is_terminal() {
                return Err(task_conflict(&task.state));
            }
            let patient = accessible(&mut tx, actor, task.patient_id).await?;
            let staff = users::find(&mut tx, *assignee_id).await?;
            let fits = staff.is_some_and(|u| {
                u.active
                    && u.department_id == Some(patient.department_id)
                    && ["nurse", "doctor", "health_manager"].contains(&u.role.as_str())
            });
            if !fits {
                return Err(FieldError::new(
                    "assignee_id",
                    "assignee_invalid",
                    "the assignee must be an active nurse, doctor or health manager of the patient's department",
                    "只能转给本科室在岗的护士、医生或健康管理师",
                )
                .into());
            }
            plans::reassign_task(&mut tx, id, *assignee_id, now).await?;
            log.push(TransitionRow {
                id: Uuid::now_v7(),
                task_id: id,
                from_state: Some(state.as_str().into()),
                to_state: state.as_str().into(),
                event: "reassigned".into(),
                at: now,
                actor_id: Some(actor.user_id).filter(|u| !u.is_nil()),
                reason: None,
            });
            "task.reassign"
        }
        TaskChange::Cancel => {
            step(&mut state, TaskEvent::Cancelled, "cancelled", id, actor, now, &mut log)
                .map_err(|_| task_conflict(&task.state))?;
            plans::set_task_state(&mut tx, id, state.as_str(), None, now).await?;
            "task.cancel"
        }
    };
    for l in &mut log {
        l.reason = Some(reason.clone());
    }
    plans::insert_transitions(&mut tx, &log).await?;
    record(
        &mut tx,
        event(actor, action, Some(task.patient_id), Some(format!("task={id}")), now),
    )
    .await?;
    let out = detail(&mut tx, id).await?;
    tx.commit().await?;
    Ok(out)
}

fn task_conflict(state: &str) -> ServiceError {
    conflict(
        "task",
        format!("a {state} task cannot be changed this way"),
        "该随访任务当前状态不允许此操作",
    )
}
