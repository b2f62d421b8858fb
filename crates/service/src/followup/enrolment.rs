//! Follow-up plans: the protocol catalogue, enrolling a patient in a protocol (which creates the
//! plan and its tasks through the task state machine) and the task lists behind worklists.

use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::{Page, Result, ServiceError, page_bounds};
use careloop_domain::FieldError;
use careloop_domain::access::{Actor, PatientScope};
use careloop_domain::clock::CHINA;
use careloop_domain::clock::iso_date;
use careloop_domain::clock::local_today;
use careloop_domain::followup::protocol::{AssigneeRule, Protocol, builtin};
use careloop_domain::followup::task::{TaskEvent, TaskState, transition};
use careloop_domain::patient::parse_date;
use careloop_domain::risk_tier::RiskTier;
use careloop_domain::staff::Role;
use careloop_store::patients::PatientRow;
use careloop_store::plans::{self, PlanRow, TaskFilter, TaskRow, TransitionRow};
use careloop_store::{Db, Tx, protocols, users};
use serde::Serialize;
use time::{Date, Duration, OffsetDateTime, Time};
use uuid::Uuid;

/// Plans create their tasks this far ahead; later occurrences are added as the plan runs.
pub const HORIZON: Duration = Duration::days(366);

/// Store the built-in protocols (version 1 of each) unless they are already there.
pub async fn seed_builtin_protocols(db: &Db, now: OffsetDateTime) -> Result<()> {
    let mut tx = db.begin().await?;
    for p in builtin()? {
        let doc = serde_json::to_value(&p).map_err(|_| ServiceError::Internal("protocol serialisation"))?;
        protocols::insert_if_missing(&mut tx, &p.id, i32::try_from(p.version).unwrap_or(i32::MAX), doc, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The newest version of every protocol, as its document.
pub async fn list_protocols(db: &Db) -> Result<Vec<serde_json::Value>> {
    let mut tx = db.begin_read().await?;
    let rows = protocols::list_latest(&mut tx).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| r.document.0).collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub patient_id: Uuid,
    /// The protocol step, e.g. `D3` or `Q`.
    pub step: String,
    pub method: String,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub deadline: OffsetDateTime,
    pub state: String,
    pub assignee_id: Option<Uuid>,
    pub attempts: i32,
    /// When an unanswered task will be tried again.
    #[serde(with = "time::serde::rfc3339::option")]
    pub retry_at: Option<OffsetDateTime>,
}

impl From<TaskRow> for TaskView {
    fn from(t: TaskRow) -> Self {
        TaskView {
            id: t.id,
            plan_id: t.plan_id,
            patient_id: t.patient_id,
            step: t.step_key,
            method: t.method,
            due_at: t.due_at,
            deadline: t.deadline,
            state: t.state,
            assignee_id: t.assignee_id,
            attempts: t.attempts,
            retry_at: t.retry_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub protocol: String,
    pub protocol_version: i32,
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub anchor_date: Date,
    /// `active`, `paused` or `stopped`.
    pub status: String,
    /// Why it was paused or stopped, e.g. `lost_to_follow_up` or `deceased`.
    pub status_reason: Option<String>,
    /// The event that enrolled the patient automatically (e.g. `diagnosis I10`); none when
    /// enrolled by hand.
    pub trigger_event: Option<String>,
    /// For a protocol planned by risk tier (`post-checkup`): the tier its tasks follow.
    pub risk_tier: Option<String>,
    pub tasks: Vec<TaskView>,
}

/// Steps start at 09:00 China time on their day, when clinics open.
pub(crate) fn at_nine(date: Date) -> OffsetDateTime {
    OffsetDateTime::new_in_offset(date, Time::from_hms(9, 0, 0).unwrap_or(Time::MIDNIGHT), CHINA)
}

/// A department's active nurses and doctors, who take the steps of its patients' plans.
pub(crate) struct Staffing {
    nurses: Vec<Uuid>,
    doctors: Vec<Uuid>,
    health_managers: Vec<Uuid>,
}

impl Staffing {
    pub(crate) async fn of_department(tx: &mut Tx, department_id: Uuid) -> Result<Staffing> {
        let ids = |rows: Vec<users::User>| rows.into_iter().map(|u| u.id).collect::<Vec<_>>();
        let nurses = ids(users::active_in_department(tx, department_id, "nurse").await?);
        let doctors = ids(users::active_in_department(tx, department_id, "doctor").await?);
        let health_managers = ids(users::active_in_department(tx, department_id, "health_manager").await?);
        Ok(Staffing {
            nurses,
            doctors,
            health_managers,
        })
    }

    pub(crate) fn is_doctor(&self, id: Uuid) -> bool {
        self.doctors.contains(&id)
    }

    /// Pick the assignee of the `n`th task: the same nurse or doctor follows the same patient
    /// (责任护士), chosen stably from the department's active staff; round-robin spreads a
    /// role's steps over its members, starting from a place that differs by patient so that
    /// first steps do not all land on one person.
    pub(crate) fn pick(&self, patient_id: Uuid, n: usize, rule: &AssigneeRule) -> Option<Uuid> {
        let staff = match rule {
            AssigneeRule::ResponsibleDoctor => &self.doctors,
            // A check-up centre may have health managers and no nurses: they take the
            // nurses' steps there.
            AssigneeRule::ResponsibleNurse if self.nurses.is_empty() => &self.health_managers,
            AssigneeRule::ResponsibleNurse => &self.nurses,
            AssigneeRule::RoundRobin { role } => match role {
                Role::Doctor => &self.doctors,
                Role::HealthManager => &self.health_managers,
                // Refused at import; nurses should a stored protocol name one.
                Role::Nurse | Role::Admin | Role::Psychologist => &self.nurses,
            },
        };
        if staff.is_empty() {
            return None;
        }
        let start = (patient_id.as_u128() % staff.len() as u128) as usize;
        let i = match rule {
            AssigneeRule::RoundRobin { .. } => start + n,
            _ => start,
        };
        staff.get(i % staff.len()).copied()
    }
}

/// Enrol a patient in a protocol's newest version: the plan and all tasks due within the
/// horizon, each task taken through the state machine to where `now` puts it.
pub async fn enrol_in_protocol(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    protocol_id: &str,
    anchor_date: Option<&str>,
    now: OffsetDateTime,
) -> Result<PlanView> {
    let anchor_date = match anchor_date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => parse_date(d, "anchor_date")?,
        None => local_today(now),
    };
    let mut tx = db.begin().await?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    let stored = protocols::latest(&mut tx, protocol_id.trim()).await?.ok_or_else(|| {
        ServiceError::Invalid(FieldError::new(
            "protocol",
            "protocol_unknown",
            "no protocol has this id",
            "随访方案不存在",
        ))
    })?;
    let protocol = crate::kernel::protocols::read_stored(stored.document.0)?;
    // Two running plans of one protocol would mean every call twice.
    let running = plans::plans_of_patient(&mut tx, patient_id)
        .await?
        .into_iter()
        .any(|p| p.protocol_id == protocol.id && matches!(p.status.as_str(), "active" | "paused"));
    if running {
        return Err(ServiceError::Conflict {
            field: "protocol".into(),
            message: "the patient is already on this protocol; stop that plan first".into(),
            message_zh: "该患者已在此随访方案中，如需重新入组请先终止原计划".into(),
        });
    }
    let view = create_plan(
        &mut tx,
        actor,
        &patient,
        &protocol,
        stored.version,
        anchor_date,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// The risk tier a plan of `protocol` is planned for: the patient's current tier when the
/// protocol's steps differ by tier (检后随访), none otherwise. A tiered protocol cannot be
/// planned for a patient whose tier has not been assessed.
fn plan_tier(protocol: &Protocol, patient: &PatientRow) -> Result<Option<RiskTier>> {
    if !protocol.is_tiered() {
        return Ok(None);
    }
    match patient.risk_tier.as_deref() {
        Some(t) => Ok(Some(RiskTier::parse(t, "risk_tier")?)),
        None => Err(FieldError::new(
            "protocol",
            "risk_tier_missing",
            "this protocol plans follow-up by risk tier: assess the patient's risk tier first",
            "该方案按风险分层随访，请先评定患者的风险分层",
        )
        .into()),
    }
}

/// Create a plan and its tasks inside the caller's transaction (by hand, or when a trigger
/// fires: `trigger_event` says which).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_plan(
    tx: &mut Tx,
    actor: &Actor,
    patient: &PatientRow,
    protocol: &Protocol,
    version: i32,
    anchor_date: Date,
    trigger_event: Option<String>,
    now: OffsetDateTime,
) -> Result<PlanView> {
    let patient_id = patient.id;
    if patient.deceased_at.is_some() {
        return Err(ServiceError::Conflict {
            field: "patient".into(),
            message: "the patient is recorded as deceased: no follow-up plan can start".into(),
            message_zh: "患者已故，不能开始随访计划".into(),
        });
    }
    let anchor = at_nine(anchor_date);
    let tier = plan_tier(protocol, patient)?;
    let schedule = protocol.schedule(anchor, anchor + HORIZON, tier)?;
    let staffing = Staffing::of_department(tx, patient.department_id).await?;
    let plan = PlanRow {
        id: Uuid::now_v7(),
        patient_id,
        protocol_id: protocol.id.clone(),
        protocol_version: version,
        anchor_at: anchor,
        status: "active".into(),
        created_at: now,
        created_by: Some(actor.user_id).filter(|id| !id.is_nil()),
        status_reason: None,
        status_changed_at: None,
        trigger_event,
        scheduled_until: Some(anchor + HORIZON),
        risk_tier: tier.map(|t| t.as_str().to_string()),
    };
    let mut tasks = Vec::with_capacity(schedule.len());
    let mut transitions = Vec::new();
    for (n, due) in schedule.iter().enumerate() {
        let step = &protocol.steps[due.step];
        let id = Uuid::now_v7();
        let mut state = TaskState::Pending;
        let log = |from: Option<TaskState>, to: TaskState, event: &str| TransitionRow {
            id: Uuid::now_v7(),
            task_id: id,
            from_state: from.map(|s| s.as_str().to_string()),
            to_state: to.as_str().into(),
            event: event.into(),
            at: now,
            actor_id: plan.created_by,
            reason: None,
        };
        transitions.push(log(None, state, "created"));
        for (passed, ev, name) in [
            (due.due_at <= now, TaskEvent::WindowOpened, "window_opened"),
            (due.deadline <= now, TaskEvent::DeadlinePassed, "deadline_passed"),
        ] {
            if passed {
                let next = transition(state, ev).map_err(|_| ServiceError::Internal("task state machine"))?;
                transitions.push(log(Some(state), next, name));
                state = next;
            }
        }
        tasks.push(TaskRow {
            id,
            plan_id: plan.id,
            patient_id,
            step_key: step.key.clone(),
            method: step.method.as_str().into(),
            due_at: due.due_at,
            deadline: due.deadline,
            state: state.as_str().into(),
            assignee_id: staffing.pick(patient_id, n, &step.assignee),
            attempts: 0,
            created_at: now,
            updated_at: now,
            retry_at: None,
            department_id: patient.department_id,
            plan_active: true,
        });
    }
    plans::insert_plan(tx, &plan).await?;
    plans::insert_tasks(tx, &tasks).await?;
    plans::insert_transitions(tx, &transitions).await?;
    let detail = format!(
        "plan={} protocol={} v{} tasks={}",
        plan.id,
        plan.protocol_id,
        plan.protocol_version,
        tasks.len()
    );
    record(tx, event(actor, "plan.create", Some(patient_id), Some(detail), now)).await?;
    Ok(PlanView {
        id: plan.id,
        patient_id,
        protocol: plan.protocol_id,
        protocol_version: plan.protocol_version,
        anchor_date,
        status: plan.status,
        status_reason: None,
        trigger_event: plan.trigger_event,
        risk_tier: plan.risk_tier,
        tasks: tasks.into_iter().map(Into::into).collect(),
    })
}

/// What a worklist asks for.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// Only the caller's own tasks.
    pub mine: bool,
    /// Comma-separated states, e.g. `due,overdue`.
    pub states: Option<String>,
    /// RFC 3339 instant or a date (tasks due before its start, China time).
    pub due_before: Option<String>,
    /// Only tasks of plans on this protocol.
    pub protocol: Option<String>,
    /// Only tasks of patients in this risk tier (`high`, `medium`, `low`).
    pub risk_tier: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Tasks visible to the actor (own department; admins all), earliest due first.
pub async fn list_tasks(db: &Db, actor: &Actor, q: &TaskQuery, now: OffsetDateTime) -> Result<Page<TaskView>> {
    let states: Vec<String> = q
        .states
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(bad) = states.iter().find(|s| TaskState::parse(s).is_none()) {
        let msg = format!("unknown task state '{}'", bad.chars().take(20).collect::<String>());
        return Err(FieldError::new("status", "state_unknown", msg, "任务状态无效").into());
    }
    let due_before = match q.due_before.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            match OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
                Ok(t) => t,
                Err(_) => OffsetDateTime::new_in_offset(parse_date(s, "due_before")?, Time::MIDNIGHT, CHINA),
            },
        ),
    };
    let department_id = match actor.patient_scope() {
        PatientScope::All => None,
        PatientScope::Department(d) => Some(d),
        PatientScope::Nobody => return Err(ServiceError::Forbidden),
    };
    let risk_tier = match q.risk_tier.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Some(RiskTier::parse(t, "risk_tier")?.as_str().to_string()),
        None => None,
    };
    let filter = TaskFilter {
        risk_tier,
        assignee_id: q.mine.then_some(actor.user_id),
        department_id,
        states,
        due_before,
        protocol_id: q
            .protocol
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        ..TaskFilter::default()
    };
    let (page, per_page, offset) = page_bounds(q.page, q.per_page)?;
    let mut tx = db.begin().await?;
    let total = plans::count_tasks(&mut tx, &filter).await?;
    let rows = plans::list_tasks(&mut tx, &filter, per_page, offset).await?;
    record(
        &mut tx,
        event(
            actor,
            "task.list",
            None,
            Some(format!("results={} page={page}", rows.len())),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Page {
        items: rows.into_iter().map(Into::into).collect(),
        total,
        page,
        per_page,
    })
}

/// Stop a plan (deceased, lost to follow-up, withdrawn, ...): every open task is cancelled with
/// the reason, each cancellation recorded in `log`.
pub(crate) async fn stop_plan(
    tx: &mut careloop_store::Tx,
    plan: &PlanRow,
    reason: &str,
    actor: &Actor,
    now: OffsetDateTime,
    log: &mut Vec<TransitionRow>,
) -> Result<u64> {
    plans::set_plan_status(tx, plan.id, "stopped", Some(reason), now).await?;
    let mut cancelled = 0;
    for t in plans::tasks_of_plan(tx, plan.id).await? {
        let mut s = stored_state(&t.state)?;
        // Failed tasks stay failed: they are the record of why a patient was lost.
        if s.is_terminal() || s == TaskState::Failed {
            continue;
        }
        crate::kernel::transitions::step(&mut s, TaskEvent::Cancelled, "plan_stopped", t.id, actor, now, log)?;
        if let Some(l) = log.last_mut() {
            l.reason = Some(reason.to_string());
        }
        plans::set_task_state(tx, t.id, s.as_str(), None, now).await?;
        cancelled += 1;
    }
    Ok(cancelled)
}

/// A task state read back from the database.
pub(crate) fn stored_state(s: &str) -> Result<TaskState> {
    TaskState::parse(s).ok_or(ServiceError::Internal("unknown task state in database"))
}
