//! A patient's multi-year indicator trends (历年指标趋势分析): every indicator with values, or
//! one, each as its series against the patient's reference range with slope and worsening runs
//! (`careloop_domain::trend`). Audited as a read of the patient's observations.

use crate::Result;
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use careloop_domain::access::Actor;
use careloop_domain::indicator::CATALOGUE;
use careloop_domain::patient::Sex;
use careloop_domain::trend::{Trend, trend};
use careloop_store::Tx;
use careloop_store::patients::PatientRow;
use careloop_store::{Db, observations};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// Values read per patient: ten years of monthly readings of every catalogue indicator fit.
const MAX_VALUES: u64 = 5000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndicatorTrend {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub unit: &'static str,
    /// The reference range applied, e.g. `3.9–<6.1`.
    pub reference_range: Option<String>,
    /// Its limits as numbers (low, high), for charts.
    #[serde(skip)]
    pub limits: (Option<f64>, Option<f64>),
    #[schema(value_type = Object)]
    pub trend: Trend,
}

pub async fn of_patient(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    code: Option<&str>,
    now: OffsetDateTime,
) -> Result<Vec<IndicatorTrend>> {
    let only = crate::patients::observations::indicator_filter(code)?;
    let mut tx = db.begin().await?;
    let p = accessible(&mut tx, actor, patient_id).await?;
    let out = trends_in(&mut tx, &p, only).await?;
    record(
        &mut tx,
        event(actor, "trend.read", Some(patient_id), only.map(str::to_string), now),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// The patient's trends (one indicator with `only`), inside the caller's transaction.
pub(crate) async fn trends_in(tx: &mut Tx, p: &PatientRow, only: Option<&str>) -> Result<Vec<IndicatorTrend>> {
    let rows = observations::list(tx, p.id, only, MAX_VALUES).await?;
    let sex = if p.sex == "male" { Sex::Male } else { Sex::Female };
    Ok(build(&rows, sex))
}

/// One trend per catalogue indicator that has values among `rows`.
pub(crate) fn build(rows: &[careloop_store::observations::ObservationRow], sex: Sex) -> Vec<IndicatorTrend> {
    CATALOGUE
        .iter()
        .filter_map(|ind| {
            let series: Vec<(OffsetDateTime, f64)> = rows
                .iter()
                .filter(|r| r.code == ind.code)
                .map(|r| (r.effective_at, r.value))
                .collect();
            if series.is_empty() {
                return None;
            }
            let range = ind.reference.for_sex(sex);
            Some(IndicatorTrend {
                code: ind.code,
                name_zh: ind.name_zh,
                name_en: ind.name_en,
                unit: ind.unit,
                reference_range: range.map(|r| r.label()),
                limits: range.map_or((None, None), |r| (r.low.map(|l| l.value()), r.high.map(|h| h.value()))),
                trend: trend(&series, range),
            })
        })
        .collect()
}
