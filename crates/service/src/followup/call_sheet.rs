//! The call sheet (随访登记): everything a nurse needs on one screen to make a follow-up call —
//! who to call (the full number: this is the one place it is needed), the step and its form
//! fields, the call script (话术) with the patient's polite address filled in, recent readings,
//! and what earlier attempts on this task recorded.

use crate::followup::amendments::{self, FollowUpRecordView};
use crate::followup::plans::{TaskDetail, get_task_in};
use crate::kernel::access::accessible;
use crate::kernel::alerts::AlertView;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::clock::local_today;
use careloop_domain::followup::answers::{Question, question};
use careloop_domain::followup::message::salutation;
use careloop_domain::followup::task::TaskState;
use careloop_domain::indicator::lookup;
use careloop_domain::patient::{Sex, age_on};
use careloop_store::{Db, observations, organisations, protocols};
use time::OffsetDateTime;
use uuid::Uuid;

/// One field of the step's form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormField {
    /// A measured value stored as an observation (code, Chinese name, canonical unit).
    Indicator {
        code: String,
        name_zh: &'static str,
        unit: &'static str,
    },
    /// A yes/no finding the national standard classifies on.
    Flag(String),
    /// A question answered in words, a choice, a scale or a number ([`Question`]), stored as
    /// written so outcome rules can compare it.
    Answer { name: String, question: Question },
}

impl FormField {
    fn of(name: &str) -> FormField {
        match lookup(name) {
            Some(i) => FormField::Indicator {
                code: i.code.into(),
                name_zh: i.name_zh,
                unit: i.unit,
            },
            None if matches!(name, "adverse_drug_reaction" | "new_complication") => FormField::Flag(name.into()),
            None => FormField::Answer {
                name: name.into(),
                question: question(name),
            },
        }
    }
}

/// A recent reading shown beside the form.
#[derive(Debug, Clone)]
pub struct Reading {
    pub code: String,
    pub name_zh: &'static str,
    pub value: f64,
    pub unit: String,
    pub flag: String,
    pub date: time::Date,
}

#[derive(Debug, Clone)]
pub struct CallSheet {
    pub task: TaskDetail,
    pub patient_id: Uuid,
    pub name: String,
    pub sex: String,
    pub age: i32,
    pub phone: Option<String>,
    /// The emergency contact's name and number (either may be missing), for a call when the
    /// patient cannot be reached.
    pub emergency_contact: Option<String>,
    pub emergency_phone: Option<String>,
    pub protocol_name: String,
    pub step_name: String,
    pub fields: Vec<FormField>,
    pub script: Vec<String>,
    pub readings: Vec<Reading>,
    /// Records already signed on this task (earlier unanswered attempts), newest first.
    pub records: Vec<FollowUpRecordView>,
    /// What the last record signed on this task set off, once there is one.
    pub caused: Option<CallResult>,
    /// The caller's next call to make (their earliest due call but this one), for 下一位.
    pub next_call: Option<Uuid>,
    /// For an automated step: what went out and how it stands.
    pub outreach: Option<Outreach>,
}

/// A message sent for the task (sandbox or a provider), as the outbox keeps it.
#[derive(Debug, Clone)]
pub struct TaskMessage {
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
    /// `sms`, `wechat` or `voice`.
    pub channel: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    /// The text with its link shown as [链接].
    pub body: String,
    /// The provider's receipt: `delivered` or `undelivered`.
    pub delivery: Option<String>,
}

/// A patient link made for the task, and where it stands.
#[derive(Debug, Clone)]
pub struct TaskLink {
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// `answered`, `withdrawn`, `expired` or `open`.
    pub state: &'static str,
}

/// What an automated step (a questionnaire, an SMS, a WeChat message, a robot call) has done so
/// far, so the nurse can follow it up: what went out and when, whether the link was answered,
/// and whether it may be sent again.
#[derive(Debug, Clone)]
pub struct Outreach {
    /// The questionnaire the step sends: (id, title).
    pub questionnaire: Option<(String, String)>,
    pub messages: Vec<TaskMessage>,
    pub links: Vec<TaskLink>,
    /// The task's state lets staff move it to today, so the scheduler sends it again.
    pub may_resend: bool,
    /// The task can be settled now, so staff may enter its questionnaire for the patient.
    pub may_fill: bool,
}

/// The outreach of an automated task, read in the sheet's transaction.
async fn outreach_of(
    tx: &mut careloop_store::Tx,
    task: &TaskDetail,
    step: Option<&careloop_domain::followup::protocol::Step>,
    now: OffsetDateTime,
) -> Result<Option<Outreach>> {
    let Some(step) = step.filter(|s| s.method.is_automated() && s.key == task.task.step) else {
        return Ok(None);
    };
    let questionnaire = match &step.questionnaire {
        Some(id) => careloop_store::questionnaires::latest(tx, id)
            .await?
            .map(|q| (q.id, q.title)),
        None => None,
    };
    let task_id = task.task.id;
    let messages = careloop_store::outbox::list(tx, Some(task.task.patient_id), None, 200)
        .await?
        .into_iter()
        .filter(|m| m.task_id == Some(task_id))
        .map(|m| TaskMessage {
            created_at: m.created_at,
            sent_at: m.sent_at,
            channel: m.channel,
            status: m.status,
            body: m.body,
            delivery: m.delivery,
        })
        .collect();
    let links = careloop_store::outbox::links_of_patient(tx, task.task.patient_id, 200)
        .await?
        .into_iter()
        .filter(|l| l.task_id == Some(task_id))
        .map(|l| TaskLink {
            created_at: l.created_at,
            expires_at: l.expires_at,
            state: careloop_domain::followup::message::link_state(
                l.answered_at.is_some(),
                l.revoked_at.is_some(),
                l.expires_at,
                now,
            ),
        })
        .collect();
    let may_resend = TaskState::parse(&task.task.state).is_some_and(|s| {
        careloop_domain::followup::task::transition(s, careloop_domain::followup::task::TaskEvent::Rescheduled).is_ok()
    });
    Ok(Some(Outreach {
        may_fill: questionnaire.is_some() && TaskState::can_complete(&task.task.state),
        questionnaire,
        messages,
        links,
        may_resend,
    }))
}

/// What a signed call set off (本次随访结果): the visit class, a referral, the alerts it raised
/// and whose they are, the plan's next task, a retry, or the patient lost to follow-up.
#[derive(Debug, Clone)]
pub struct CallResult {
    pub contact_result: String,
    pub classification: Option<String>,
    pub referral: bool,
    pub alerts: Vec<AlertView>,
    /// The plan's next open task: step, method and when it is due.
    pub next_task: Option<(String, String, OffsetDateTime)>,
    /// When an unanswered call is tried again.
    pub retry_at: Option<OffsetDateTime>,
    /// The plan stopped: the patient is lost to follow-up (失访).
    pub lost: bool,
}

/// What the newest record of `task` set off, read in the sheet's transaction.
async fn caused_by(
    tx: &mut careloop_store::Tx,
    task: &TaskDetail,
    plan: &careloop_store::plans::PlanRow,
    newest: &FollowUpRecordView,
) -> Result<CallResult> {
    let alerts = careloop_store::records::alerts_of_patient(tx, newest.patient_id, 50)
        .await?
        .into_iter()
        .filter(|a| a.record_id == Some(newest.id))
        .map(Into::into)
        .collect();
    let next_task = careloop_store::plans::tasks_of_plan(tx, plan.id)
        .await?
        .into_iter()
        .filter(|t| t.id != task.task.id && TaskState::is_open(&t.state))
        .min_by_key(|t| t.due_at)
        .map(|t| (t.step_key, t.method, t.due_at));
    Ok(CallResult {
        contact_result: newest.contact_result.clone(),
        classification: newest.classification.clone(),
        referral: newest.referral,
        alerts,
        next_task,
        retry_at: task.task.retry_at.filter(|_| task.task.state != "done"),
        lost: plan.status == "stopped" && plan.status_reason.as_deref() == Some("lost_to_follow_up"),
    })
}

/// The caller's earliest due call other than `task_id` (calls due or in progress, then overdue).
async fn next_call_of(tx: &mut careloop_store::Tx, actor: &Actor, task_id: Uuid) -> Result<Option<Uuid>> {
    for states in [&["due", "in_progress"][..], &["overdue"][..]] {
        let filter = careloop_store::plans::TaskFilter {
            assignee_id: Some(actor.user_id),
            department_id: None,
            states: states.iter().map(|s| s.to_string()).collect(),
            due_before: None,
            due_after: None,
            failed_since: None,
            manual_only: true,
            active_plans_only: true,
            protocol_id: None,
            risk_tier: None,
        };
        let next = careloop_store::plans::list_tasks(tx, &filter, 2, 0)
            .await?
            .into_iter()
            .find(|t| t.id != task_id);
        if let Some(t) = next {
            return Ok(Some(t.id));
        }
    }
    Ok(None)
}

/// Everything for calling the patient of `task_id`.
pub async fn call_sheet(db: &Db, actor: &Actor, task_id: Uuid, now: OffsetDateTime) -> Result<CallSheet> {
    let mut tx = db.begin().await?;
    let task = get_task_in(&mut tx, actor, task_id).await?;
    let patient = accessible(&mut tx, actor, task.task.patient_id).await?;
    let plan = careloop_store::plans::find_plan(&mut tx, task.task.plan_id)
        .await?
        .ok_or(ServiceError::NotFound("plan"))?;
    let stored = protocols::version(&mut tx, &plan.protocol_id, plan.protocol_version)
        .await?
        .ok_or(ServiceError::NotFound("protocol"))?;
    let protocol = crate::kernel::protocols::read_stored(stored.document.0)?;
    let org = organisations::of_department(&mut tx, patient.department_id).await?;
    let sex = Sex::parse(&patient.sex).unwrap_or(Sex::Female);
    let address = salutation(&patient.name, sex);
    // Extra steps the engine adds (F14 two-week check, REF referral check) use the protocol's
    // first call step's form and script.
    let step = protocol
        .steps
        .iter()
        .find(|s| s.key == task.task.step)
        .or_else(|| protocol.steps.iter().find(|s| !s.method.is_automated()));
    let step_name = protocol.step_name_zh(&task.task.step);
    let fields = step
        .map(|s| s.form.iter().map(|f| FormField::of(f)).collect())
        .unwrap_or_default();
    let script = step
        .map(|s| {
            s.script
                .iter()
                .map(|l| l.replace("{称呼}", &address).replace("{机构}", &org))
                .collect()
        })
        .unwrap_or_default();
    let mut readings = Vec::new();
    for o in observations::list(&mut tx, patient.id, None, 200).await? {
        let shown = ["sbp", "dbp", "hr", "fpg", "weight"].contains(&o.code.as_str());
        if shown && readings.len() < 10 {
            readings.push(Reading {
                name_zh: lookup(&o.code).map_or("", |i| i.name_zh),
                code: o.code,
                value: o.value,
                unit: o.unit,
                flag: o.flag,
                date: o.effective_at.to_offset(careloop_domain::clock::CHINA).date(),
            });
        }
    }
    let records: Vec<FollowUpRecordView> = amendments::records_in(&mut tx, patient.id)
        .await?
        .into_iter()
        .filter(|r| r.task_id == task_id)
        .collect();
    let caused = match records.first() {
        Some(newest) => Some(caused_by(&mut tx, &task, &plan, newest).await?),
        None => None,
    };
    let next_call = next_call_of(&mut tx, actor, task_id).await?;
    let outreach = outreach_of(&mut tx, &task, step, now).await?;
    record(
        &mut tx,
        event(
            actor,
            "task.call_sheet",
            Some(patient.id),
            Some(format!("task={task_id}")),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(CallSheet {
        task,
        patient_id: patient.id,
        age: age_on(patient.birth_date, local_today(now)),
        name: patient.name,
        sex: patient.sex,
        phone: patient.phone,
        emergency_contact: patient.emergency_contact_name,
        emergency_phone: patient.emergency_contact_phone,
        protocol_name: protocol.name_zh,
        step_name,
        fields,
        script,
        readings,
        records,
        caused,
        next_call,
        outreach,
    })
}
