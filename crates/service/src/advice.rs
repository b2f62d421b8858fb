//! Health advice (健康建议): the versioned library staff edit, and the articles that apply to a
//! patient with the reasons each was chosen — for the patient page, the patient's own mobile
//! page and the health report.

use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::advice::{AdviceFacts, Article, Matched, builtins, matching};
use careloop_domain::staff::Role;
use careloop_domain::tiering::TierFacts;
use careloop_store::patients::PatientRow;
use careloop_store::{Db, Tx, advice, questionnaires, tags};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArticleView {
    pub article: Article,
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub saved_at: OffsetDateTime,
}

fn view(r: advice::ArticleRow) -> Result<ArticleView> {
    Ok(ArticleView {
        article: serde_json::from_value(r.document.0).map_err(|_| ServiceError::Internal("stored article"))?,
        version: r.version,
        saved_at: r.created_at,
    })
}

/// Store the built-in articles whose id is not in the library yet.
pub async fn seed_builtin_advice(db: &Db, now: OffsetDateTime) -> Result<()> {
    let mut tx = db.begin().await?;
    let existing: Vec<String> = advice::latest(&mut tx).await?.into_iter().map(|r| r.id).collect();
    for a in builtins().into_iter().filter(|a| !existing.contains(&a.id)) {
        let doc = serde_json::to_value(&a).map_err(|_| ServiceError::Internal("article"))?;
        advice::add_version(&mut tx, &a.id, doc, None, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn library(db: &Db) -> Result<Vec<ArticleView>> {
    let mut tx = db.begin_read().await?;
    let rows = advice::latest(&mut tx).await?;
    tx.commit().await?;
    rows.into_iter().map(view).collect()
}

pub async fn versions(db: &Db, id: &str) -> Result<Vec<ArticleView>> {
    let mut tx = db.begin_read().await?;
    let rows = advice::versions(&mut tx, id).await?;
    tx.commit().await?;
    if rows.is_empty() {
        return Err(ServiceError::NotFound("article"));
    }
    rows.into_iter().map(view).collect()
}

/// Save an article document (front matter + Markdown) as the next version of its id. Doctors,
/// health managers, psychologists and admins edit the library.
pub async fn save(db: &Db, actor: &Actor, document: &str, now: OffsetDateTime) -> Result<ArticleView> {
    if !matches!(
        actor.role,
        Role::Admin | Role::Doctor | Role::HealthManager | Role::Psychologist
    ) {
        return Err(ServiceError::Forbidden);
    }
    let article = Article::parse(document)?;
    let doc = serde_json::to_value(&article).map_err(|_| ServiceError::Internal("article"))?;
    let mut tx = db.begin().await?;
    let by = Some(actor.user_id).filter(|id| !id.is_nil());
    let version = advice::add_version(&mut tx, &article.id, doc, by, now).await?;
    record(
        &mut tx,
        event(
            actor,
            "advice.save",
            None,
            Some(format!("article={} version={version}", article.id)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ArticleView {
        article,
        version,
        saved_at: now,
    })
}

/// What matching reads of a patient: tags, tier, diagnoses, abnormal recent results, the
/// latest questionnaire bands, smoking.
pub(crate) async fn facts_of(
    tx: &mut Tx,
    patient: &PatientRow,
    t: TierFacts,
    now: OffsetDateTime,
) -> Result<AdviceFacts> {
    let recent = now - time::Duration::days(365 * careloop_domain::tiering::RECENT_YEARS);
    let mut bands: Vec<(String, String)> = Vec::new();
    for r in questionnaires::responses_of_patient(tx, patient.id).await? {
        if r.status == "completed"
            && !bands.iter().any(|(q, _)| *q == r.questionnaire_id)
            && let Some(b) = r.band
        {
            bands.push((r.questionnaire_id, b));
        }
    }
    Ok(AdviceFacts {
        tags: tags::of_patient(tx, patient.id)
            .await?
            .into_iter()
            .map(|t| t.tag)
            .collect(),
        tier: patient.risk_tier.clone(),
        diagnoses: t.diagnoses,
        abnormal: t
            .latest
            .iter()
            .filter(|(_, r)| r.at > recent && r.flag.is_abnormal())
            .map(|(c, _)| c.clone())
            .collect(),
        bands,
        smoker: t.smoker == Some(true),
    })
}

/// The library's articles matched to a patient inside a transaction (no audit; callers audit).
pub(crate) async fn matched_in(tx: &mut Tx, patient: &PatientRow, now: OffsetDateTime) -> Result<Vec<Matched>> {
    let t = crate::risk::facts::facts_of(tx, patient, now).await?;
    matched_with(tx, patient, t, now).await
}

/// As [`matched_in`], given what the risk tier already read of the record.
pub(crate) async fn matched_with(
    tx: &mut Tx,
    patient: &PatientRow,
    t: TierFacts,
    now: OffsetDateTime,
) -> Result<Vec<Matched>> {
    let facts = facts_of(tx, patient, t, now).await?;
    let articles: Vec<Article> = advice::latest(tx)
        .await?
        .into_iter()
        .filter_map(|r| serde_json::from_value(r.document.0).ok())
        .collect();
    Ok(matching(&articles, &facts))
}

/// The advice for a patient, each article with why it was chosen.
pub async fn for_patient(db: &Db, actor: &Actor, patient_id: Uuid, now: OffsetDateTime) -> Result<Vec<Matched>> {
    let mut tx = db.begin().await?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    let out = matched_in(&mut tx, &patient, now).await?;
    record(
        &mut tx,
        event(
            actor,
            "advice.read",
            Some(patient_id),
            Some(format!("articles={}", out.len())),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
