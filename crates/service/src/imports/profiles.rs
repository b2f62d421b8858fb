//! Column-mapping profiles (导入模板): saved by admins and health managers, checked on save,
//! named on every CSV or Excel import.

use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::staff::Role;
use careloop_sheet::Profile;
use careloop_store::Db;
use careloop_store::imports as store;
use time::OffsetDateTime;

fn may_edit(actor: &Actor) -> bool {
    matches!(actor.role, Role::Admin | Role::HealthManager)
}

/// Check and save a profile under its id (replacing an earlier one); returns it as stored.
pub async fn save_profile(db: &Db, actor: &Actor, json: &str, now: OffsetDateTime) -> Result<Profile> {
    if !may_edit(actor) {
        return Err(ServiceError::Forbidden);
    }
    let profile = Profile::parse(json)?;
    let document = serde_json::to_value(&profile).map_err(|_| ServiceError::Internal("profile"))?;
    let mut tx = db.begin().await?;
    let by = Some(actor.user_id).filter(|id| !id.is_nil());
    store::save_profile(&mut tx, &profile.id, document, by, now).await?;
    record(
        &mut tx,
        event(
            actor,
            "import.profile.save",
            None,
            Some(format!("profile={}", profile.id)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(profile)
}

pub async fn list_profiles(db: &Db) -> Result<Vec<Profile>> {
    let mut tx = db.begin().await?;
    let rows = store::profiles(&mut tx).await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|r| serde_json::from_value(r.document.0).map_err(|_| ServiceError::Internal("stored profile")))
        .collect()
}

pub async fn load_profile(db: &Db, id: &str) -> Result<Profile> {
    let mut tx = db.begin().await?;
    let row = store::profile(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound("import profile"))?;
    tx.commit().await?;
    serde_json::from_value(row.document.0).map_err(|_| ServiceError::Internal("stored profile"))
}
