//! The satisfaction figure (满意度): of the rated questions answered in the satisfaction
//! questionnaires completed in a period, the share answered with the best option (top-box;
//! [`careloop_domain::questionnaire::satisfaction`]) — overall and month by month (China
//! time), for one department or all, with its counts.

use crate::admin::figures::{Figure, FigureQuery, resolve, start_of};
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::clock::CHINA;
use careloop_domain::followup::figures::Rate;
use careloop_domain::questionnaire::Questionnaire;
use careloop_domain::questionnaire::response::check;
use careloop_domain::questionnaire::satisfaction::{QUESTIONNAIRES, top_box};
use careloop_store::questionnaires::{self, CompletedResponseRow};
use careloop_store::{Db, Tx};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use time::{Date, Duration, OffsetDateTime};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthFigure {
    /// `YYYY-MM`.
    pub month: String,
    pub figure: Figure,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SatisfactionFigures {
    #[serde(with = "careloop_domain::clock::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[serde(with = "careloop_domain::clock::iso_date")]
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// Completed satisfaction questionnaires in the period.
    pub responses: u64,
    /// Best-option answers ÷ rated answers.
    pub overall: Figure,
    /// Each month of the period that had a response, in order.
    pub by_month: Vec<MonthFigure>,
}

/// The questionnaire versions the responses answered, read once each.
async fn versions(tx: &mut Tx, rows: &[CompletedResponseRow]) -> Result<HashMap<(String, i32), Questionnaire>> {
    let mut out = HashMap::new();
    for r in rows {
        let key = (r.questionnaire_id.clone(), r.questionnaire_version);
        if out.contains_key(&key) {
            continue;
        }
        let stored = questionnaires::version(tx, &key.0, key.1)
            .await?
            .ok_or(ServiceError::NotFound("questionnaire"))?;
        let resource =
            serde_json::from_str(&stored.resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
        let q = Questionnaire::from_value(resource).map_err(|_| ServiceError::Internal("stored questionnaire"))?;
        out.insert(key, q);
    }
    Ok(out)
}

/// Count each response's answers into its month (China time). A stored response that no longer
/// reads is left out rather than failing the figure.
fn count(
    rows: &[CompletedResponseRow],
    versions: &HashMap<(String, i32), Questionnaire>,
) -> BTreeMap<String, (i64, i64)> {
    let mut months: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let Some(q) = versions.get(&(r.questionnaire_id.clone(), r.questionnaire_version)) else {
            continue;
        };
        let Ok(response) = serde_json::from_str(&r.resource) else {
            continue;
        };
        let Ok(checked) = check(q, &response) else {
            continue;
        };
        let (top, rated) = top_box(q, &checked.answers);
        let day = r.updated_at.to_offset(CHINA).date();
        let month = format!("{}-{:02}", day.year(), u8::from(day.month()));
        let e = months.entry(month).or_default();
        e.0 += i64::try_from(top).unwrap_or(i64::MAX);
        e.1 += i64::try_from(rated).unwrap_or(i64::MAX);
    }
    months
}

pub async fn satisfaction(db: &Db, actor: &Actor, q: &FigureQuery, now: OffsetDateTime) -> Result<SatisfactionFigures> {
    let (from, to, department) = resolve(actor, q, now)?;
    let mut tx = db.begin().await?;
    let rows = questionnaires::completed_between(
        &mut tx,
        &QUESTIONNAIRES,
        start_of(from),
        start_of(to) + Duration::days(1),
        department,
    )
    .await?;
    let versions = versions(&mut tx, &rows).await?;
    record(
        &mut tx,
        event(
            actor,
            "stats.satisfaction",
            None,
            Some(format!("responses={}", rows.len())),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    let responses = rows.len() as u64;
    // Reading every response is the heavy part: off the async workers.
    let months = tokio::task::spawn_blocking(move || count(&rows, &versions))
        .await
        .map_err(|_| ServiceError::Internal("satisfaction count"))?;
    let (top, rated) = months.values().fold((0, 0), |a, m| (a.0 + m.0, a.1 + m.1));
    Ok(SatisfactionFigures {
        from,
        to,
        responses,
        overall: Rate::new(top, rated).into(),
        by_month: months
            .into_iter()
            .map(|(month, (t, r))| MonthFigure {
                month,
                figure: Rate::new(t, r).into(),
            })
            .collect(),
    })
}
