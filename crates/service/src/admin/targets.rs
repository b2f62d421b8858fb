//! Targets for the follow-up figures (考核目标) of each organisation: administrators state the
//! percentage aimed for on a figure and its source, or remove it; staff read them, and the
//! figures page draws each as a line on its chart. Rules: [`careloop_domain::targets`].

use crate::kernel::access::require_admin;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::targets::{self, FIGURES};
use careloop_store::figure_targets::{self, FigureTargetRow};
use careloop_store::{Db, Tx, departments, organisations};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// One figure's target as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TargetView {
    /// `completion`, `on_time`, `contact_success`, `lost_to_follow_up`,
    /// `hypertension_standard_management`, `hypertension_control`,
    /// `diabetes_standard_management`, `diabetes_control` or `satisfaction`.
    pub figure: String,
    /// A lower value is better (失访率): the target is a ceiling.
    pub lower_is_better: bool,
    /// The percentage aimed for; `None` when the organisation has set none.
    pub percent: Option<f64>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// 0–100.
    pub percent: f64,
    /// Where the target comes from, e.g. 区卫健委2026年基本公共卫生服务考核方案; at most 200 characters.
    #[schema(max_length = 200)]
    pub source: String,
}

async fn organisation_exists(tx: &mut Tx, id: Uuid) -> Result<()> {
    if organisations::find(tx, id).await?.is_some() {
        Ok(())
    } else {
        Err(ServiceError::NotFound("organisation"))
    }
}

fn views(rows: &[FigureTargetRow]) -> Vec<TargetView> {
    FIGURES
        .iter()
        .map(|(figure, lower)| {
            let row = rows.iter().find(|r| r.figure == *figure);
            TargetView {
                figure: (*figure).into(),
                lower_is_better: *lower,
                percent: row.map(|r| r.percent),
                source: row.map(|r| r.source.clone()),
            }
        })
        .collect()
}

/// Every figure with the organisation's target, if any (any staff member may read them).
pub async fn of_organisation(db: &Db, organisation_id: Uuid) -> Result<Vec<TargetView>> {
    let mut tx = db.begin_read().await?;
    organisation_exists(&mut tx, organisation_id).await?;
    let rows = figure_targets::of_organisation(&mut tx, organisation_id).await?;
    tx.commit().await?;
    Ok(views(&rows))
}

/// The organisation whose targets a staff member's figures are read against: that of their
/// department, else that of the first department (where the patients are), else the default.
pub async fn organisation_of(db: &Db, actor: &Actor) -> Result<Uuid> {
    let mut tx = db.begin_read().await?;
    let own = match actor.department_id {
        Some(d) => departments::find(&mut tx, d).await?,
        None => None,
    };
    let department = match own {
        Some(d) => Some(d),
        None => departments::list(&mut tx).await?.into_iter().next(),
    };
    tx.commit().await?;
    Ok(department.map_or(organisations::DEFAULT_ID, |d| d.organisation_id))
}

/// Set an organisation's target on a figure (admins).
pub async fn set(
    db: &Db,
    actor: &Actor,
    organisation_id: Uuid,
    figure: &str,
    input: &TargetInput,
    now: OffsetDateTime,
) -> Result<TargetView> {
    require_admin(actor)?;
    let target = targets::check(figure, input.percent, &input.source)?;
    let mut tx = db.begin().await?;
    organisation_exists(&mut tx, organisation_id).await?;
    let row = FigureTargetRow {
        organisation_id,
        figure: figure.into(),
        percent: target.percent,
        source: target.source,
        updated_by: (!actor.user_id.is_nil()).then_some(actor.user_id),
        updated_at: now,
    };
    figure_targets::upsert(&mut tx, &row).await?;
    let detail = format!("organisation={organisation_id} figure={figure} percent={}", row.percent);
    record(
        &mut tx,
        event(actor, "organisation.figure_target", None, Some(detail), now),
    )
    .await?;
    tx.commit().await?;
    views(std::slice::from_ref(&row))
        .into_iter()
        .find(|v| v.figure == figure)
        .ok_or(ServiceError::Internal("target view"))
}

/// Remove an organisation's target on a figure (admins); 404 when it had none.
pub async fn remove(db: &Db, actor: &Actor, organisation_id: Uuid, figure: &str, now: OffsetDateTime) -> Result<()> {
    require_admin(actor)?;
    let mut tx = db.begin().await?;
    organisation_exists(&mut tx, organisation_id).await?;
    if !figure_targets::delete(&mut tx, organisation_id, figure).await? {
        return Err(ServiceError::NotFound("target"));
    }
    let detail = format!("organisation={organisation_id} figure={figure} removed");
    record(
        &mut tx,
        event(actor, "organisation.figure_target", None, Some(detail), now),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
