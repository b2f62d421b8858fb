//! A questionnaire task answered on the patient's behalf (代患者填写): the nurse reaches the
//! patient by phone, reads out the questions of the questionnaire the task sends, and enters
//! the answers. The response is stored as entered by staff (`answered_by` `staff`, the nurse
//! as author), checked, scored and alerting exactly as the patient's own; the task is settled as
//! reached with a record the nurse signs; the task's links still open are withdrawn, so the
//! patient is not asked twice.

use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::questionnaires::links::complete_task;
use crate::questionnaires::responses::{ResponseOutcome, store_response};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::followup::task::TaskState;
use careloop_domain::questionnaire::Questionnaire;
use careloop_domain::questionnaire::form::response_from_form;
use careloop_store::{Db, Tx, outbox, plans, protocols, questionnaires};
use time::OffsetDateTime;
use uuid::Uuid;

/// The questionnaire of an open questionnaire task, and whose it is.
#[derive(Debug, Clone)]
pub struct TaskQuestionnaire {
    pub task_id: Uuid,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub questionnaire_id: String,
    pub questionnaire: Questionnaire,
}

fn conflict(message: &str, message_zh: &str) -> ServiceError {
    ServiceError::Conflict {
        field: "task".into(),
        message: message.into(),
        message_zh: message_zh.into(),
    }
}

/// The task's questionnaire; with `lock`, the task's row stays locked until the transaction
/// ends, so that answers submitted twice at once are stored once.
async fn of_task(tx: &mut Tx, actor: &Actor, task_id: Uuid, lock: bool) -> Result<TaskQuestionnaire> {
    let task = if lock {
        plans::lock_task(tx, task_id).await?
    } else {
        plans::find_task(tx, task_id).await?
    }
    .ok_or(ServiceError::NotFound("task"))?;
    let patient = accessible(tx, actor, task.patient_id).await?;
    if !TaskState::can_complete(&task.state) {
        return Err(conflict(
            "the task is not open: not yet due, or already settled",
            "该任务未到应访时间或已完成，不能代填",
        ));
    }
    let plan = plans::find_plan(tx, task.plan_id)
        .await?
        .ok_or(ServiceError::NotFound("plan"))?;
    let stored = protocols::version(tx, &plan.protocol_id, plan.protocol_version)
        .await?
        .ok_or(ServiceError::NotFound("protocol"))?;
    let protocol = crate::kernel::protocols::read_stored(stored.document.0)?;
    let questionnaire_id = protocol
        .steps
        .iter()
        .find(|s| s.key == task.step_key)
        .and_then(|s| s.questionnaire.clone())
        .ok_or_else(|| conflict("the task sends no questionnaire", "该任务没有问卷"))?;
    let row = questionnaires::latest(tx, &questionnaire_id)
        .await?
        .ok_or(ServiceError::NotFound("questionnaire"))?;
    let resource = serde_json::from_str(&row.resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
    let questionnaire =
        Questionnaire::from_value(resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
    Ok(TaskQuestionnaire {
        task_id,
        patient_id: patient.id,
        patient_name: patient.name,
        questionnaire_id: row.id,
        questionnaire,
    })
}

/// The questionnaire to fill in for `task_id` (audited as a read of the patient).
pub async fn form(db: &Db, actor: &Actor, task_id: Uuid, now: OffsetDateTime) -> Result<TaskQuestionnaire> {
    let mut tx = db.begin().await?;
    let out = of_task(&mut tx, actor, task_id, false).await?;
    record(
        &mut tx,
        event(
            actor,
            "questionnaire_response.form",
            Some(out.patient_id),
            Some(format!("task={task_id} questionnaire={}", out.questionnaire_id)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Store the answers the nurse entered (field name = link id, choices as option indexes, as the
/// patient's page posts them) and settle the task, in one transaction.
pub async fn fill(
    db: &Db,
    actor: &Actor,
    task_id: Uuid,
    fields: &[(String, String)],
    now: OffsetDateTime,
) -> Result<(TaskQuestionnaire, ResponseOutcome)> {
    let mut tx = db.begin().await?;
    let task = of_task(&mut tx, actor, task_id, true).await?;
    let response = response_from_form(
        &task.questionnaire,
        fields,
        &format!("Patient/{}", task.patient_id),
        "completed",
    );
    let text = response.to_string();
    let author = Some(actor.user_id).filter(|u| !u.is_nil());
    let out = store_response(
        &mut tx,
        actor,
        task.patient_id,
        &task.questionnaire_id,
        &response,
        &text,
        ("staff", author, None),
        now,
    )
    .await?;
    let note = format!("电话随访，医护代患者填写《{}》", task.questionnaire.title);
    complete_task(&mut tx, actor, task_id, &task.questionnaire, &response, note, now).await?;
    let withdrawn = outbox::revoke_links_of_task(&mut tx, task_id, now).await?;
    record(
        &mut tx,
        event(
            actor,
            "questionnaire_response.save",
            Some(task.patient_id),
            Some(format!(
                "questionnaire={} response={} task={task_id} links_withdrawn={withdrawn}",
                task.questionnaire_id, out.id
            )),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((task, out))
}
