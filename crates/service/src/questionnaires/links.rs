//! The patient's own links (患者端链接): a signed, expiring link to one patient's questionnaire,
//! as sent by SMS or WeChat — no app, no password. Only the token's hash is stored; a link opens
//! nothing for anyone else, after it expires, once revoked, or once its questionnaire is
//! submitted. Every creation, opening and submission is audited (without answers).

use crate::admin::auth::{new_link_token, token_hash};
use crate::followup::visits::{RecordInput, record_in};
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::questionnaires::responses::{ResponseOutcome, store_response};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::followup::message::salutation;
use careloop_domain::patient::Sex;
use careloop_domain::proxy::Relation;
use careloop_domain::questionnaire::form::response_from_form;
use careloop_domain::questionnaire::response::check;
use careloop_domain::questionnaire::{AnswerValue, Questionnaire};
use careloop_domain::staff::Role;
use careloop_store::audit::AuditEvent;
use careloop_store::outbox::{self, PatientLinkRow};
use careloop_store::{Db, Tx, patients, proxies, questionnaires, stored_time};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How long a questionnaire link stays valid.
pub const LINK_DAYS: i64 = 7;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Make a link for `patient_id` to answer `questionnaire_id`; `public_url` is where patients
/// reach CareLoop (settings).
#[allow(clippy::too_many_arguments)]
pub async fn create_questionnaire_link(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    questionnaire_id: &str,
    proxy_id: Option<Uuid>,
    public_url: &str,
    now: OffsetDateTime,
) -> Result<LinkView> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    if let Some(pid) = proxy_id {
        let fits = proxies::find(&mut tx, pid)
            .await?
            .is_some_and(|p| p.patient_id == patient_id && p.revoked_at.is_none());
        if !fits {
            return Err(careloop_domain::FieldError::new(
                "proxy_id",
                "proxy_invalid",
                "not a family proxy of this patient with consent in force",
                "不是该患者已授权的家属",
            )
            .into());
        }
    }
    let q = questionnaires::latest(&mut tx, questionnaire_id.trim())
        .await?
        .ok_or_else(|| {
            careloop_domain::FieldError::new(
                "questionnaire",
                "questionnaire_unknown",
                "no questionnaire has this id",
                "问卷不存在",
            )
        })?;
    let token = new_link_token();
    let expires_at = stored_time(now + Duration::days(LINK_DAYS));
    outbox::insert_link(
        &mut tx,
        &PatientLinkRow {
            token_hash: token_hash(&token),
            patient_id,
            task_id: None,
            purpose: "questionnaire".into(),
            expires_at,
            revoked_at: None,
            created_at: stored_time(now),
            questionnaire_id: Some(q.id.clone()),
            proxy_id,
        },
    )
    .await?;
    record(
        &mut tx,
        event(
            actor,
            "patient_link.create",
            Some(patient_id),
            Some(format!("questionnaire={}", q.id)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(LinkView {
        url: format!("{}/m/{token}", public_url.trim_end_matches('/')),
        expires_at,
    })
}

/// What the patient's page shows.
#[derive(Debug, Clone)]
pub struct OpenLink {
    pub patient_id: Uuid,
    /// 王先生 / 李女士.
    pub address: String,
    pub questionnaire_id: String,
    pub questionnaire: Questionnaire,
    /// When a family proxy answers: their relation to the patient, in words (子女).
    pub proxy_relation: Option<String>,
    /// The patient's own latest readings and coming follow-ups (我的健康).
    pub health: MyHealth,
}

/// What a patient may see of their own record from their link.
#[derive(Debug, Clone, Default)]
pub struct MyHealth {
    /// (indicator name, value with unit, date, abnormal)
    pub readings: Vec<(String, String, time::Date, bool)>,
    /// (date, what happens)
    pub upcoming: Vec<(time::Date, String)>,
    /// Advice for the patient: (title, why it was chosen, Markdown body).
    pub advice: Vec<(String, String, String)>,
}

/// The indicators shown to patients, in this order.
const MY_INDICATORS: [&str; 6] = ["sbp", "dbp", "fpg", "hba1c", "weight", "ldl"];

async fn my_health(tx: &mut Tx, patient_id: Uuid, now: OffsetDateTime) -> Result<MyHealth> {
    use careloop_domain::clock::CHINA;
    let mut readings = Vec::new();
    for code in MY_INDICATORS {
        if let Some(o) = careloop_store::observations::list(tx, patient_id, Some(code), 1)
            .await?
            .into_iter()
            .next()
            && let Some(ind) = careloop_domain::indicator::lookup(code)
        {
            readings.push((
                ind.name_zh.to_string(),
                format!("{} {}", o.value, o.unit),
                o.effective_at.to_offset(CHINA).date(),
                o.flag != "normal",
            ));
        }
    }
    let mut upcoming = Vec::new();
    for plan in careloop_store::plans::plans_of_patient(tx, patient_id).await? {
        if plan.status != "active" {
            continue;
        }
        for t in careloop_store::plans::tasks_of_plan(tx, plan.id).await? {
            if matches!(t.state.as_str(), "pending" | "due") && t.due_at >= now - Duration::days(1) {
                let what = match t.method.as_str() {
                    "phone_call" => "医护人员电话随访",
                    "in_person" => "到院复诊",
                    "questionnaire" => "填写问卷",
                    _ => "短信或微信提醒",
                };
                upcoming.push((t.due_at.to_offset(CHINA).date(), what.to_string()));
            }
        }
    }
    upcoming.sort();
    upcoming.truncate(3);
    let advice = match careloop_store::patients::find(tx, patient_id).await? {
        Some(p) => crate::advice::matched_in(tx, &p, now)
            .await?
            .into_iter()
            .map(|m| (m.article.title, m.why.join("；"), m.article.body))
            .collect(),
        None => Vec::new(),
    };
    Ok(MyHealth {
        readings,
        upcoming,
        advice,
    })
}

fn patient_event(
    action: &str,
    patient_id: Uuid,
    detail: Option<String>,
    ip: Option<String>,
    now: OffsetDateTime,
) -> AuditEvent {
    AuditEvent {
        id: Uuid::now_v7(),
        at: now,
        actor_id: None,
        actor_username: "patient-link".into(),
        action: action.into(),
        patient_id: Some(patient_id),
        detail,
        ip,
    }
}

/// The link's row if it may be used now: unknown (or tampered) tokens are not found; expired,
/// revoked or used ones are gone.
async fn usable(tx: &mut Tx, token: &str, now: OffsetDateTime) -> Result<PatientLinkRow> {
    // Anything not shaped as a link token cannot be one.
    if !crate::admin::auth::is_link_token(token) {
        return Err(ServiceError::NotFound("link"));
    }
    let link = outbox::find_link(tx, &token_hash(token))
        .await?
        .ok_or(ServiceError::NotFound("link"))?;
    if link.revoked_at.is_some() || link.expires_at <= now {
        return Err(ServiceError::LinkExpired);
    }
    // A proxy's link dies with the consent behind it.
    if let Some(pid) = link.proxy_id
        && proxies::find(tx, pid).await?.is_none_or(|p| p.revoked_at.is_some())
    {
        return Err(ServiceError::LinkExpired);
    }
    Ok(link)
}

async fn load(tx: &mut Tx, link: &PatientLinkRow, now: OffsetDateTime) -> Result<OpenLink> {
    let qid = link
        .questionnaire_id
        .clone()
        .ok_or(ServiceError::NotFound("questionnaire"))?;
    let stored = questionnaires::latest(tx, &qid)
        .await?
        .ok_or(ServiceError::NotFound("questionnaire"))?;
    let resource =
        serde_json::from_str(&stored.resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
    let questionnaire =
        Questionnaire::from_value(resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
    let patient = patients::find(tx, link.patient_id)
        .await?
        .ok_or(ServiceError::NotFound("patient"))?;
    let sex = Sex::parse(&patient.sex).map_err(|_| ServiceError::Internal("stored sex"))?;
    let proxy_relation = match link.proxy_id {
        Some(pid) => proxies::find(tx, pid)
            .await?
            .and_then(|p| Relation::parse(&p.relation).ok())
            .map(|r| r.label_zh().to_string()),
        None => None,
    };
    let health = my_health(tx, patient.id, now).await?;
    Ok(OpenLink {
        proxy_relation,
        health,
        patient_id: patient.id,
        address: salutation(&patient.name, sex),
        questionnaire_id: stored.id,
        questionnaire,
    })
}

/// Open a link (the patient's page), audited.
pub async fn open(db: &Db, token: &str, ip: Option<String>, now: OffsetDateTime) -> Result<OpenLink> {
    let mut tx = db.begin().await?;
    let link = usable(&mut tx, token, now).await?;
    let page = load(&mut tx, &link, now).await?;
    outbox::mark_opened(&mut tx, &link.token_hash, now).await?;
    crate::kernel::audit::record(
        &mut tx,
        patient_event("patient_link.open", link.patient_id, None, ip, now),
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

/// Who acts when a patient answers through their link: no staff member; the link's token
/// already bound the patient, so access was checked when the link was made.
fn system_actor() -> Actor {
    Actor {
        user_id: Uuid::nil(),
        username: "patient-link".into(),
        role: Role::Admin,
        department_id: None,
        ip: None,
    }
}

/// A questionnaire a protocol step sent completes its task: the answers are signed as the
/// task's follow-up record (contact result `reached`), so the protocol's outcome rules, alerts
/// and next steps follow exactly as after a nurse's call. Choices enter the record as the words
/// the patient chose (what the rules compare), numbers as numbers.
/// Settle the questionnaire task `task_id` as reached with the response's answers in words,
/// signed by `actor` with `note` — unless it was settled meanwhile (a nurse reached the patient).
pub(crate) async fn complete_task(
    tx: &mut Tx,
    actor: &Actor,
    task_id: Uuid,
    questionnaire: &Questionnaire,
    response: &serde_json::Value,
    note: String,
    now: OffsetDateTime,
) -> Result<()> {
    let Some(task) = careloop_store::plans::find_task(tx, task_id).await? else {
        return Ok(());
    };
    // A nurse may have reached the patient meanwhile; the task is then already settled.
    if !careloop_domain::followup::task::TaskState::can_complete(&task.state) {
        return Ok(());
    }
    let checked = check(questionnaire, response).map_err(ServiceError::InvalidItems)?;
    let mut answers = serde_json::Map::new();
    for item in questionnaire.all_items() {
        let Some(values) = checked.answers.get(&item.link_id) else {
            continue;
        };
        let words: Vec<serde_json::Value> = values
            .iter()
            .map(|v| match v {
                AnswerValue::Coding { .. } => item
                    .options
                    .iter()
                    .find(|o| v.same_as(&o.value))
                    .map_or(serde_json::Value::Null, |o| o.label.clone().into()),
                AnswerValue::Boolean(b) => (*b).into(),
                AnswerValue::String(s) => s.clone().into(),
                other => other.number().map_or(serde_json::Value::Null, Into::into),
            })
            .collect();
        let value = if item.repeats {
            words.into()
        } else {
            words.into_iter().next().unwrap_or_default()
        };
        answers.insert(item.link_id.clone(), value);
    }
    let input = RecordInput {
        contact_result: "reached".into(),
        observations: Vec::new(),
        answers: Some(answers.into()),
        adverse_drug_reaction: false,
        new_complication: false,
        emergency_symptom: false,
        note: Some(note),
    };
    record_in(
        tx,
        actor,
        task_id,
        &input,
        careloop_domain::followup::contact::ContactResult::Reached,
        input.note.clone(),
        now,
    )
    .await?;
    Ok(())
}

/// Submit the page's answers (field name = link id, choices as option indexes). On success the
/// response is stored as the patient's, alerts are raised, and the link is used up.
pub async fn answer(
    db: &Db,
    token: &str,
    fields: &[(String, String)],
    ip: Option<String>,
    now: OffsetDateTime,
) -> Result<(OpenLink, ResponseOutcome)> {
    let mut tx = db.begin().await?;
    let link = usable(&mut tx, token, now).await?;
    let page = load(&mut tx, &link, now).await?;
    let response = response_from_form(
        &page.questionnaire,
        fields,
        &format!("Patient/{}", link.patient_id),
        "completed",
    );
    let text = response.to_string();
    let out = store_response(
        &mut tx,
        &system_actor(),
        link.patient_id,
        &page.questionnaire_id,
        &response,
        &text,
        (
            if link.proxy_id.is_some() { "proxy" } else { "patient" },
            None,
            link.proxy_id,
        ),
        now,
    )
    .await?;
    if let Some(task_id) = link.task_id {
        let note = format!("患者在线填写《{}》", page.questionnaire.title);
        complete_task(
            &mut tx,
            &system_actor(),
            task_id,
            &page.questionnaire,
            &response,
            note,
            now,
        )
        .await?;
    }
    outbox::mark_answered(&mut tx, &link.token_hash, now).await?;
    // What the patient sees next includes what they just reported.
    let mut page = page;
    page.health = my_health(&mut tx, link.patient_id, now).await?;
    crate::kernel::audit::record(
        &mut tx,
        patient_event(
            "patient_link.answer",
            link.patient_id,
            Some(format!("questionnaire={} response={}", page.questionnaire_id, out.id)),
            ip,
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((page, out))
}
