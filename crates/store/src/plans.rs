//! Plans (随访计划), their tasks (随访任务) and the record of every task state change.

use crate::{Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlanRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub protocol_id: String,
    pub protocol_version: i32,
    pub anchor_at: OffsetDateTime,
    pub status: String,
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
    /// Why the plan was paused or stopped, e.g. `lost_to_follow_up`.
    pub status_reason: Option<String>,
    pub status_changed_at: Option<OffsetDateTime>,
    /// The event that enrolled the patient automatically, e.g. `diagnosis I10`; none when
    /// enrolled by hand.
    pub trigger_event: Option<String>,
    /// Tasks exist up to this instant; the scheduler extends recurring steps beyond it.
    pub scheduled_until: Option<OffsetDateTime>,
    /// For a tiered protocol (检后随访): the risk tier the tasks were planned for.
    pub risk_tier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TaskRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub patient_id: Uuid,
    pub step_key: String,
    pub method: String,
    pub due_at: OffsetDateTime,
    pub deadline: OffsetDateTime,
    pub state: String,
    pub assignee_id: Option<Uuid>,
    pub attempts: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// When an unanswered task is tried again.
    pub retry_at: Option<OffsetDateTime>,
    /// The patient's department, kept here (and moved with a transfer) so worklists filter by
    /// it inside the task index.
    pub department_id: Uuid,
    /// Whether the plan is active, kept here (and changed with the plan) for the same reason.
    pub plan_active: bool,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TransitionRow {
    pub id: Uuid,
    pub task_id: Uuid,
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub reason: Option<String>,
}

const PLAN_COLUMNS: [&str; 13] = [
    "id",
    "patient_id",
    "protocol_id",
    "protocol_version",
    "anchor_at",
    "status",
    "created_at",
    "created_by",
    "status_reason",
    "status_changed_at",
    "trigger_event",
    "scheduled_until",
    "risk_tier",
];
/// The tasks table's columns, in the order rows are written and read.
pub const TASK_COLUMNS: [&str; 15] = [
    "id",
    "plan_id",
    "patient_id",
    "step_key",
    "method",
    "due_at",
    "deadline",
    "state",
    "assignee_id",
    "attempts",
    "created_at",
    "updated_at",
    "retry_at",
    "department_id",
    "plan_active",
];
const TRANSITION_COLUMNS: [&str; 8] = [
    "id",
    "task_id",
    "from_state",
    "to_state",
    "event",
    "at",
    "actor_id",
    "reason",
];

pub async fn insert_plan(tx: &mut Tx, p: &PlanRow) -> Result<()> {
    let stmt = Query::insert()
        .into_table("plans")
        .columns(PLAN_COLUMNS)
        .values_panic([
            p.id.into(),
            p.patient_id.into(),
            p.protocol_id.clone().into(),
            p.protocol_version.into(),
            stored_time(p.anchor_at).into(),
            p.status.clone().into(),
            stored_time(p.created_at).into(),
            p.created_by.into(),
            p.status_reason.clone().into(),
            p.status_changed_at.map(stored_time).into(),
            p.trigger_event.clone().into(),
            p.scheduled_until.map(stored_time).into(),
            p.risk_tier.clone().into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn insert_tasks(tx: &mut Tx, tasks: &[TaskRow]) -> Result<()> {
    for chunk in tasks.chunks(1000) {
        let mut stmt = Query::insert().into_table("tasks").columns(TASK_COLUMNS).to_owned();
        for t in chunk {
            stmt.values_panic([
                t.id.into(),
                t.plan_id.into(),
                t.patient_id.into(),
                t.step_key.clone().into(),
                t.method.clone().into(),
                stored_time(t.due_at).into(),
                stored_time(t.deadline).into(),
                t.state.clone().into(),
                t.assignee_id.into(),
                t.attempts.into(),
                stored_time(t.created_at).into(),
                stored_time(t.updated_at).into(),
                t.retry_at.map(stored_time).into(),
                t.department_id.into(),
                t.plan_active.into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

pub async fn insert_transitions(tx: &mut Tx, rows: &[TransitionRow]) -> Result<()> {
    for chunk in rows.chunks(1000) {
        let mut stmt = Query::insert()
            .into_table("task_transitions")
            .columns(TRANSITION_COLUMNS)
            .to_owned();
        for r in chunk {
            stmt.values_panic([
                r.id.into(),
                r.task_id.into(),
                r.from_state.clone().into(),
                r.to_state.clone().into(),
                r.event.clone().into(),
                stored_time(r.at).into(),
                r.actor_id.into(),
                r.reason.clone().into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

pub async fn tasks_of_plan(tx: &mut Tx, plan_id: Uuid) -> Result<Vec<TaskRow>> {
    let stmt = Query::select()
        .columns(TASK_COLUMNS)
        .from("tasks")
        .and_where(Expr::col("plan_id").eq(plan_id))
        .order_by("due_at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn transitions_of_task(tx: &mut Tx, task_id: Uuid) -> Result<Vec<TransitionRow>> {
    let stmt = Query::select()
        .columns(TRANSITION_COLUMNS)
        .from("task_transitions")
        .and_where(Expr::col("task_id").eq(task_id))
        .order_by("id", Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Which tasks a worklist query wants.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub assignee_id: Option<Uuid>,
    /// Restrict to patients of this department (non-admin staff).
    pub department_id: Option<Uuid>,
    pub states: Vec<String>,
    pub due_before: Option<OffsetDateTime>,
    /// Due at or after this instant.
    pub due_after: Option<OffsetDateTime>,
    /// Failed tasks count only when due at or after this instant: an old failure is history
    /// once its plan has moved on, while an overdue task waits until someone acts.
    pub failed_since: Option<OffsetDateTime>,
    /// Only steps a person performs (calls and visits), not automated messages.
    pub manual_only: bool,
    /// Leave out tasks of paused and stopped plans.
    pub active_plans_only: bool,
    /// Only tasks of plans on this protocol.
    pub protocol_id: Option<String>,
    /// Only tasks of patients whose current risk tier is this one.
    pub risk_tier: Option<String>,
}

/// The order of a worklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOrder {
    /// Earliest due first.
    Due,
    /// Earliest deadline first (the most urgent overdue work on top).
    Deadline,
    /// By patient name, then due time.
    Patient,
}

/// `stmt` restricted by `filter`, on the tasks table's own columns where it can (the worklist
/// index covers them).
fn filtered(mut stmt: sea_query::SelectStatement, filter: &TaskFilter) -> sea_query::SelectStatement {
    if let Some(a) = filter.assignee_id {
        stmt.and_where(Expr::col(("tasks", "assignee_id")).eq(a));
    }
    if let Some(d) = filter.department_id {
        stmt.and_where(Expr::col(("tasks", "department_id")).eq(d));
    }
    if !filter.states.is_empty() {
        stmt.and_where(Expr::col(("tasks", "state")).is_in(filter.states.iter().cloned()));
    }
    if let Some(t) = filter.due_before {
        stmt.and_where(Expr::col(("tasks", "due_at")).lt(stored_time(t)));
    }
    if let Some(t) = filter.due_after {
        stmt.and_where(Expr::col(("tasks", "due_at")).gte(stored_time(t)));
    }
    if let Some(t) = filter.failed_since {
        stmt.cond_where(
            sea_query::Condition::any()
                .add(Expr::col(("tasks", "state")).ne("failed"))
                .add(Expr::col(("tasks", "due_at")).gte(stored_time(t))),
        );
    }
    if filter.manual_only {
        stmt.and_where(Expr::col(("tasks", "method")).is_in(["phone_call", "in_person"]));
    }
    if filter.active_plans_only {
        stmt.and_where(Expr::col(("tasks", "plan_active")).eq(true));
    }
    if let Some(p) = &filter.protocol_id {
        // Correlated, so each candidate task looks its plan up by key; `IN (SELECT id FROM
        // plans ...)` made SQLite list every plan of the protocol on every worklist read.
        let wanted = Query::select()
            .expr(Expr::val(1))
            .from("plans")
            .and_where(Expr::col(("plans", "id")).equals(("tasks", "plan_id")))
            .and_where(Expr::col(("plans", "protocol_id")).eq(p.as_str()))
            .to_owned();
        stmt.and_where(Expr::exists(wanted));
    }
    if let Some(t) = &filter.risk_tier {
        let of_tier = Query::select()
            .expr(Expr::val(1))
            .from("patients")
            .and_where(Expr::col(("patients", "id")).equals(("tasks", "patient_id")))
            .and_where(Expr::col(("patients", "risk_tier")).eq(t.as_str()))
            .to_owned();
        stmt.and_where(Expr::exists(of_tier));
    }
    stmt
}

/// Tasks matching `filter`, earliest due first.
pub async fn list_tasks(tx: &mut Tx, filter: &TaskFilter, limit: u64, offset: u64) -> Result<Vec<TaskRow>> {
    // The page's ids from the worklist index alone, then only those rows (see `worklist`).
    let page = filtered(Query::select().column(("tasks", "id")).from("tasks").to_owned(), filter)
        .order_by(("tasks", "due_at"), Order::Asc)
        .order_by(("tasks", "id"), Order::Asc)
        .limit(limit)
        .offset(offset)
        .to_owned();
    let stmt = Query::select()
        .columns(TASK_COLUMNS.map(|c| ("tasks", c)))
        .from("tasks")
        .and_where(Expr::col(("tasks", "id")).in_subquery(page))
        .order_by(("tasks", "due_at"), Order::Asc)
        .order_by(("tasks", "id"), Order::Asc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn count_tasks(tx: &mut Tx, filter: &TaskFilter) -> Result<i64> {
    let base = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from("tasks")
        .to_owned();
    Ok(tx.fetch_one::<crate::Count, _>(&filtered(base, filter)).await?.n)
}

/// Tasks whose window has opened or whose deadline has passed at `now` and whose state still
/// says otherwise, locked for this transaction. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets
/// several scheduler processes share the work without taking the same task twice; SQLite has a
/// single writer (`BEGIN IMMEDIATE`), so the clause is left out there.
pub async fn claim_to_advance(tx: &mut Tx, now: OffsetDateTime, limit: u64) -> Result<Vec<TaskRow>> {
    let now = stored_time(now);
    let opened = Expr::col("state").eq("pending").and(Expr::col("due_at").lte(now));
    let late = Expr::col("state")
        .is_in(["pending", "due", "in_progress", "no_answer"])
        .and(Expr::col("deadline").lte(now));
    let retry = Expr::col("retry_at").lte(now);
    let stmt = Query::select()
        .columns(TASK_COLUMNS)
        .from("tasks")
        .cond_where(sea_query::Condition::any().add(opened).add(late).add(retry))
        .and_where(Expr::col("plan_active").eq(true))
        .order_by("due_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit)
        .lock_with_behavior(sea_query::LockType::Update, sea_query::LockBehavior::SkipLocked)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Active plans whose tasks end before `before`, locked for this pass (skipped by others).
pub async fn claim_to_extend(tx: &mut Tx, before: OffsetDateTime, limit: u64) -> Result<Vec<PlanRow>> {
    let stmt = Query::select()
        .columns(PLAN_COLUMNS)
        .from("plans")
        .and_where(Expr::col("status").eq("active"))
        .and_where(Expr::col("scheduled_until").lt(stored_time(before)))
        .order_by("scheduled_until", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(limit)
        .lock_with_behavior(sea_query::LockType::Update, sea_query::LockBehavior::SkipLocked)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn set_scheduled_until(tx: &mut Tx, plan_id: Uuid, until: OffsetDateTime) -> Result<()> {
    let stmt = Query::update()
        .table("plans")
        .value("scheduled_until", stored_time(until))
        .and_where(Expr::col("id").eq(plan_id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Set a task's state, and its attempt count when an attempt was made. A change of state ends
/// any retry that was waiting.
pub async fn set_task_state(
    tx: &mut Tx,
    id: Uuid,
    state: &str,
    attempts: Option<i32>,
    at: OffsetDateTime,
) -> Result<()> {
    let mut stmt = Query::update()
        .table("tasks")
        .value("state", state)
        .value("updated_at", stored_time(at))
        .value("retry_at", Option::<OffsetDateTime>::None)
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    if let Some(n) = attempts {
        stmt.value("attempts", n);
    }
    tx.execute(&stmt).await?;
    Ok(())
}

/// Try the task again at `at` (the scheduler makes it due then).
pub async fn schedule_retry(tx: &mut Tx, id: Uuid, at: OffsetDateTime) -> Result<()> {
    let stmt = Query::update()
        .table("tasks")
        .value("retry_at", stored_time(at))
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Move a task to another time and window (the caller records the transition and reason).
pub async fn reschedule_task(
    tx: &mut Tx,
    id: Uuid,
    due_at: OffsetDateTime,
    deadline: OffsetDateTime,
    state: &str,
    at: OffsetDateTime,
) -> Result<()> {
    let stmt = Query::update()
        .table("tasks")
        .value("due_at", stored_time(due_at))
        .value("deadline", stored_time(deadline))
        .value("state", state)
        .value("retry_at", Option::<OffsetDateTime>::None)
        .value("updated_at", stored_time(at))
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// Give a task to another member of staff.
pub async fn reassign_task(tx: &mut Tx, id: Uuid, assignee: Uuid, at: OffsetDateTime) -> Result<()> {
    let stmt = Query::update()
        .table("tasks")
        .value("assignee_id", assignee)
        .value("updated_at", stored_time(at))
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn find_task(tx: &mut Tx, id: Uuid) -> Result<Option<TaskRow>> {
    let stmt = Query::select()
        .columns(TASK_COLUMNS)
        .from("tasks")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// A task, its row locked until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite's
/// writer already holds the database), so that two settling it at once go one after the other.
pub async fn lock_task(tx: &mut Tx, id: Uuid) -> Result<Option<TaskRow>> {
    let stmt = Query::select()
        .columns(TASK_COLUMNS)
        .from("tasks")
        .and_where(Expr::col("id").eq(id))
        .lock(sea_query::LockType::Update)
        .to_owned();
    tx.fetch_optional(&stmt).await
}

pub async fn find_plan(tx: &mut Tx, id: Uuid) -> Result<Option<PlanRow>> {
    let stmt = Query::select()
        .columns(PLAN_COLUMNS)
        .from("plans")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.fetch_optional(&stmt).await
}

/// A patient's plans, newest first.
pub async fn plans_of_patient(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<PlanRow>> {
    let stmt = Query::select()
        .columns(PLAN_COLUMNS)
        .from("plans")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .order_by("id", Order::Desc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Record the risk tier a tiered plan's tasks are now planned for.
pub async fn set_plan_tier(tx: &mut Tx, id: Uuid, tier: &str) -> Result<()> {
    let stmt = Query::update()
        .table("plans")
        .value("risk_tier", tier)
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

pub async fn set_plan_status(
    tx: &mut Tx,
    id: Uuid,
    status: &str,
    reason: Option<&str>,
    at: OffsetDateTime,
) -> Result<()> {
    let stmt = Query::update()
        .table("plans")
        .value("status", status)
        .value("status_reason", reason.map(str::to_string))
        .value("status_changed_at", stored_time(at))
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    tx.execute(&stmt).await?;
    let tasks = Query::update()
        .table("tasks")
        .value("plan_active", status == "active")
        .and_where(Expr::col("plan_id").eq(id))
        .to_owned();
    tx.execute(&tasks).await?;
    Ok(())
}

/// Move a patient's tasks with the patient to another department (a transfer, 转科).
pub async fn move_patient_tasks(tx: &mut Tx, patient_id: Uuid, department_id: Uuid) -> Result<()> {
    let plans_of = Query::select()
        .column("id")
        .from("plans")
        .and_where(Expr::col("patient_id").eq(patient_id))
        .to_owned();
    let stmt = Query::update()
        .table("tasks")
        .value("department_id", department_id)
        .and_where(Expr::col("plan_id").in_subquery(plans_of))
        .and_where(Expr::col("department_id").ne(department_id))
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(())
}

/// A worklist row: the task with the few patient fields a nurse needs to make the call.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WorklistRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub step_key: String,
    pub method: String,
    pub due_at: OffsetDateTime,
    pub deadline: OffsetDateTime,
    pub state: String,
    pub attempts: i32,
    pub name: String,
    pub sex: String,
    pub birth_date: time::Date,
    pub phone: Option<String>,
    pub risk_tier: Option<String>,
    /// The plan's protocol version, for the step's name.
    pub protocol_id: String,
    pub protocol_version: i32,
}

/// Tasks matching `filter` with their patients, earliest due first.
pub async fn worklist(
    tx: &mut Tx,
    filter: &TaskFilter,
    order: TaskOrder,
    limit: u64,
    offset: u64,
) -> Result<Vec<WorklistRow>> {
    let mut stmt = Query::select()
        .columns(
            [
                "id",
                "patient_id",
                "step_key",
                "method",
                "due_at",
                "deadline",
                "state",
                "attempts",
            ]
            .map(|c| ("tasks", c)),
        )
        .columns(["name", "sex", "birth_date", "phone", "risk_tier"].map(|c| ("patients", c)))
        .columns(["protocol_id", "protocol_version"].map(|c| ("plans", c)))
        .from("tasks")
        .inner_join(
            "patients",
            Expr::col(("patients", "id")).equals(("tasks", "patient_id")),
        )
        .inner_join("plans", Expr::col(("plans", "id")).equals(("tasks", "plan_id")))
        .to_owned();
    match order {
        // Two steps: the page's task ids come from the worklist index alone (it holds every
        // filter column, the due time and the id), then only those rows are read with their
        // patients, instead of reading every candidate task and patient before sorting.
        TaskOrder::Due => {
            let page = filtered(Query::select().column(("tasks", "id")).from("tasks").to_owned(), filter)
                .order_by(("tasks", "due_at"), Order::Asc)
                .order_by(("tasks", "id"), Order::Asc)
                .limit(limit)
                .offset(offset)
                .to_owned();
            stmt.and_where(Expr::col(("tasks", "id")).in_subquery(page))
                .order_by(("tasks", "due_at"), Order::Asc);
        }
        TaskOrder::Deadline => {
            stmt = filtered(stmt, filter);
            stmt.order_by(("tasks", "deadline"), Order::Asc)
                .limit(limit)
                .offset(offset);
        }
        // Pinyin order is what a Chinese list sorted by name means (王 after 李).
        TaskOrder::Patient => {
            stmt = filtered(stmt, filter);
            stmt.order_by(("patients", "name_pinyin"), Order::Asc)
                .order_by(("tasks", "due_at"), Order::Asc)
                .limit(limit)
                .offset(offset);
        }
    };
    stmt.order_by(("tasks", "id"), Order::Asc);
    tx.fetch_all(&stmt).await
}
