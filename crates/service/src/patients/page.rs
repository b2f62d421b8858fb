//! The staff patient page (患者详情) as one use case: every section read in one read
//! transaction, so they show one snapshot, then one audit row saying what was shown — instead of
//! thirteen use cases, thirteen transactions and thirteen audit rows per view. The audit row is
//! written in a short transaction of its own after the read, so the page never holds SQLite's
//! write lock while it reads; if it cannot be written, the page is not shown.

use crate::Result;
use crate::followup::alerts::{BoardAlert, on_board};
use crate::followup::events::{TagView, tags_in};
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::patients::lab_reports::{LabReportView, reports_in};
use crate::patients::observations::{ObservationView, observations_in};
use crate::patients::proxies::{ProxyView, proxies_in};
use crate::patients::records::{DiagnosisView, diagnoses_in, health_record_in};
use crate::patients::register::{PatientDetail, detail};
use crate::patients::trends::{IndicatorTrend, trends_in};
use crate::questionnaires::link_revocation::{LinkSummary, links_in};
use crate::questionnaires::responses::{QuestionnaireSummary, ResponseSummary, list_in, responses_in};
use crate::risk::assessments::{RiskTierHistory, history_in};
use crate::risk::tiering::overview_in;
use careloop_domain::access::Actor;
use careloop_domain::advice::Matched;
use careloop_domain::clock::local_today;
use careloop_domain::followup::alert::urgency;
use careloop_domain::record::HealthRecord;
use careloop_domain::tiering::ComputedTier;

use careloop_store::Db;
use time::OffsetDateTime;
use uuid::Uuid;

/// The newest values the page lists.
const OBSERVATIONS_SHOWN: u64 = 500;
/// The newest alerts the page lists.
const ALERTS_SHOWN: u64 = 20;

/// Everything the staff patient page shows, read at one instant.
#[derive(Debug, Clone)]
pub struct PatientPage {
    pub patient: PatientDetail,
    pub record: HealthRecord,
    pub diagnoses: Vec<DiagnosisView>,
    pub tiers: RiskTierHistory,
    pub computed: ComputedTier,
    pub advice: Vec<Matched>,
    pub tags: Vec<TagView>,
    pub observations: Vec<ObservationView>,
    pub trends: Vec<IndicatorTrend>,
    pub lab_reports: Vec<LabReportView>,
    pub responses: Vec<ResponseSummary>,
    /// Every questionnaire, for making a link.
    pub questionnaires: Vec<QuestionnaireSummary>,
    pub links: Vec<LinkSummary>,
    pub proxies: Vec<ProxyView>,
    /// The patient's last twenty alerts: open and acknowledged ones first, most urgent first,
    /// then the closed ones.
    pub alerts: Vec<BoardAlert>,
    /// Follow-up plans that are running or paused, each with its next call or message.
    pub plans: Vec<PlanSummary>,
    /// The last follow-up records: who, when, the result, the values signed with them, the note.
    pub recent_records: Vec<RecentRecord>,
    /// The last messages sent to the patient (or their proxy), newest first, as the outbox
    /// keeps them (a link's place reads [链接]).
    pub recent_messages: Vec<RecentMessage>,
    /// What the patient sent back (SMS replies), newest first: when, the words, an opt-out.
    pub replies: Vec<(OffsetDateTime, String, bool)>,
    /// The patient withdrew consent to SMS (a 退订 reply): when and how.
    /// Consent to be contacted, per channel, with its history.
    pub consents: crate::patients::consents::Consents,
}

/// One of the last messages, as the page's summary shows it.
#[derive(Debug, Clone)]
pub struct RecentMessage {
    pub created_at: OffsetDateTime,
    pub channel: String,
    pub status: String,
    pub body: String,
    /// The task it was sent for, to open its sheet.
    pub task_id: Option<Uuid>,
}

/// Messages the page's summary shows.
const RECENT_MESSAGES_SHOWN: u64 = 3;

/// One of the last follow-up records, as the page's summary shows it.
#[derive(Debug, Clone)]
pub struct RecentRecord {
    pub record_id: Uuid,
    pub signed_at: OffsetDateTime,
    /// The signer's display name (none for the system or a patient's own questionnaire).
    pub signed_by: Option<String>,
    pub contact_result: String,
    pub classification: Option<String>,
    /// The values signed with the record: (Chinese name, value, unit).
    pub values: Vec<(String, f64, String)>,
    /// The note in effect (after any amendment).
    pub note: Option<String>,
}

/// Follow-up records the page's summary shows.
const RECENT_RECORDS_SHOWN: u64 = 3;

/// The last records, each with its signer's name and the values stored at its signing.
async fn recent_records_in(
    tx: &mut careloop_store::Tx,
    patient_id: Uuid,
    observations: &[ObservationView],
) -> Result<Vec<RecentRecord>> {
    let records = crate::followup::amendments::latest_in(tx, patient_id, RECENT_RECORDS_SHOWN).await?;
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let users = careloop_store::users::list(tx).await?;
    Ok(records
        .into_iter()
        .map(|r| RecentRecord {
            record_id: r.id,
            signed_at: r.signed_at,
            signed_by: r
                .signed_by
                .and_then(|id| users.iter().find(|u| u.id == id))
                .map(|u| u.display_name.clone()),
            contact_result: r.contact_result,
            classification: r.classification,
            // A visit's values are stored at the moment it is signed.
            values: observations
                .iter()
                .filter(|o| o.effective_at == r.signed_at)
                .map(|o| (o.name.clone(), o.value, o.unit.clone()))
                .collect(),
            note: r.current_note,
        })
        .collect())
}

/// A running or paused plan as the patient's page shows it.
#[derive(Debug, Clone)]
pub struct PlanSummary {
    pub plan_id: Uuid,
    pub protocol_name: String,
    /// `active` or `paused`.
    pub status: String,
    pub next: Option<NextTask>,
}

/// A plan's next open task: its step by name, how, when and in what state.
#[derive(Debug, Clone)]
pub struct NextTask {
    pub task_id: Uuid,
    pub step_name: String,
    pub method: String,
    pub due_at: OffsetDateTime,
    pub state: String,
}

/// The patient's running and paused plans with their next open task, steps named from each
/// plan's own protocol version.
async fn plans_in(tx: &mut careloop_store::Tx, patient_id: Uuid) -> Result<Vec<PlanSummary>> {
    let mut out = Vec::new();
    for row in careloop_store::plans::plans_of_patient(tx, patient_id).await? {
        if !matches!(row.status.as_str(), "active" | "paused") {
            continue;
        }
        let protocol = match careloop_store::protocols::version(tx, &row.protocol_id, row.protocol_version).await? {
            Some(stored) => Some(crate::kernel::protocols::read_stored(stored.document.0)?),
            None => None,
        };
        let plan = crate::followup::plans::view(tx, row).await?;
        let next = plan
            .tasks
            .iter()
            .filter(|t| careloop_domain::followup::task::TaskState::is_open(&t.state))
            .min_by_key(|t| t.due_at)
            .map(|t| NextTask {
                task_id: t.id,
                step_name: protocol
                    .as_ref()
                    .map_or_else(|| t.step.clone(), |p| p.step_name_zh(&t.step)),
                method: t.method.clone(),
                due_at: t.due_at,
                state: t.state.clone(),
            });
        out.push(PlanSummary {
            plan_id: plan.id,
            protocol_name: protocol.map_or_else(|| plan.protocol.clone(), |p| p.name_zh),
            status: plan.status,
            next,
        });
    }
    Ok(out)
}

/// Read the page of a patient the actor may see, auditing the view once (`patient.page`, with
/// how many of each kind of item were shown).
pub async fn patient_page(db: &Db, actor: &Actor, id: Uuid, now: OffsetDateTime) -> Result<PatientPage> {
    let mut tx = db.begin_read().await?;
    let row = accessible(&mut tx, actor, id).await?;
    let record_view = health_record_in(&mut tx, id).await?;
    let diagnoses = diagnoses_in(&mut tx, id).await?;
    let tiers = history_in(&mut tx, id).await?;
    let (computed, advice) = overview_in(&mut tx, &row, now).await?;
    let tags = tags_in(&mut tx, id).await?;
    let observations = observations_in(&mut tx, &row, None, OBSERVATIONS_SHOWN).await?;
    let trends = trends_in(&mut tx, &row, None).await?;
    let lab_reports = reports_in(&mut tx, &row).await?;
    let responses = responses_in(&mut tx, id).await?;
    let questionnaires = list_in(&mut tx).await?;
    let links = links_in(&mut tx, id, now).await?;
    let proxies = proxies_in(&mut tx, id).await?;
    let mut alerts: Vec<BoardAlert> = careloop_store::records::alerts_of_patient(&mut tx, id, ALERTS_SHOWN)
        .await?
        .into_iter()
        .map(|a| on_board(a, row.name.clone(), actor, now))
        .collect();
    alerts.sort_by_key(|a| {
        (
            a.alert.status == "closed",
            urgency(&a.alert.severity, a.alert.sla_due_at),
        )
    });
    let plans = plans_in(&mut tx, id).await?;
    let recent_records = recent_records_in(&mut tx, id, &observations).await?;
    let recent_messages = careloop_store::outbox::list(&mut tx, Some(id), None, RECENT_MESSAGES_SHOWN)
        .await?
        .into_iter()
        .map(|m| RecentMessage {
            created_at: m.created_at,
            channel: m.channel,
            status: m.status,
            body: m.body,
            task_id: m.task_id,
        })
        .collect();
    let replies = careloop_store::consents::inbound_of_patient(&mut tx, id, RECENT_MESSAGES_SHOWN)
        .await?
        .into_iter()
        .map(|r| (r.received_at, r.content, r.opt_out))
        .collect();
    let consents = crate::patients::consents::consents_of(careloop_store::consents::of_patient(&mut tx, id).await?);
    let shown = format!(
        "observations={} diagnoses={} assessments={} responses={} reports={} links={} proxies={} articles={} tags={} alerts={} plans={}",
        observations.len(),
        diagnoses.len(),
        tiers.history.len(),
        responses.len(),
        lab_reports.len(),
        links.len(),
        proxies.len(),
        advice.len(),
        tags.len(),
        alerts.len(),
        plans.len()
    );
    tx.commit().await?;
    let mut audit = db.begin().await?;
    record(&mut audit, event(actor, "patient.page", Some(id), Some(shown), now)).await?;
    audit.commit().await?;
    Ok(PatientPage {
        patient: detail(row, local_today(now)),
        record: record_view.record,
        diagnoses,
        tiers,
        computed,
        advice,
        tags,
        observations,
        trends,
        lab_reports,
        responses,
        questionnaires,
        links,
        proxies,
        alerts,
        plans,
        recent_records,
        recent_messages,
        replies,
        consents,
    })
}
