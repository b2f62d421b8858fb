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
    })
}
