//! Family proxies (家属代理): recorded with the patient's consent, listed with masked phones,
//! withdrawn with a reason. A withdrawn proxy's links stop working at once. The audit names the
//! action and the proxy id, never the family member's name or phone.

use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::proxy::{NewProxy, Relation};
use careloop_store::Tx;
use careloop_store::proxies::{self, ProxyRow};
use careloop_store::{Db, stored_time};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxyInput {
    pub name: String,
    /// spouse / child / parent / sibling / other
    pub relation: String,
    pub phone: String,
    /// How the patient consented, e.g. 患者门诊当面口头同意.
    pub consent: String,
    /// Send the plan's questionnaire links to this proxy instead of the patient (家属代收).
    #[serde(default)]
    pub receives_links: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProxyView {
    pub id: Uuid,
    pub name: String,
    pub relation: String,
    pub relation_zh: String,
    /// Masked, e.g. `138****5678`.
    pub phone: String,
    pub consent: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Set once consent is withdrawn.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoke_reason: Option<String>,
    pub receives_links: bool,
}

fn view(p: ProxyRow) -> ProxyView {
    ProxyView {
        id: p.id,
        relation_zh: Relation::parse(&p.relation).map_or("", |r| r.label_zh()).into(),
        name: p.name,
        relation: p.relation,
        phone: careloop_domain::mask::phone(&p.phone),
        consent: p.consent,
        created_at: p.created_at,
        revoked_at: p.revoked_at,
        revoke_reason: p.revoke_reason,
        receives_links: p.receives_links,
    }
}

pub async fn add_proxy(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    input: &ProxyInput,
    now: OffsetDateTime,
) -> Result<ProxyView> {
    let p = NewProxy::parse(&input.name, &input.relation, &input.phone, &input.consent)?;
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let row = ProxyRow {
        id: Uuid::now_v7(),
        patient_id,
        name: p.name,
        relation: p.relation.as_str().into(),
        phone: p.phone.as_str().into(),
        consent: p.consent,
        consent_by: Some(actor.user_id).filter(|u| !u.is_nil()),
        created_at: stored_time(now),
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
        receives_links: input.receives_links,
    };
    proxies::insert(&mut tx, &row).await?;
    record(
        &mut tx,
        event(
            actor,
            "proxy.add",
            Some(patient_id),
            Some(format!("proxy={}", row.id)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(view(row))
}

pub async fn list_proxies(db: &Db, actor: &Actor, patient_id: Uuid, now: OffsetDateTime) -> Result<Vec<ProxyView>> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let out = proxies_in(&mut tx, patient_id).await?;
    record(&mut tx, event(actor, "proxy.list", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(out)
}

/// The patient's family proxies, withdrawn ones included, inside the caller's transaction.
pub(crate) async fn proxies_in(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<ProxyView>> {
    Ok(proxies::of_patient(tx, patient_id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// The reason given for withdrawing something a patient was given (consent, a link): 1–200
/// characters, trimmed.
pub(crate) fn withdrawal_reason(raw: &str) -> Result<&str> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(FieldError::new(
            "reason",
            "reason_invalid",
            "give a reason of 1–200 characters",
            "请填写原因（1–200字）",
        )
        .into());
    }
    Ok(reason)
}

/// Withdraw a proxy's consent (the patient asked, or the family member no longer helps).
pub async fn revoke_proxy(
    db: &Db,
    actor: &Actor,
    proxy_id: Uuid,
    reason: &str,
    now: OffsetDateTime,
) -> Result<ProxyView> {
    let reason = withdrawal_reason(reason)?;
    let mut tx = db.begin().await?;
    let proxy = proxies::find(&mut tx, proxy_id)
        .await?
        .ok_or(ServiceError::NotFound("proxy"))?;
    accessible(&mut tx, actor, proxy.patient_id).await?;
    if !proxies::revoke(
        &mut tx,
        proxy_id,
        Some(actor.user_id).filter(|u| !u.is_nil()),
        reason,
        now,
    )
    .await?
    {
        return Err(ServiceError::Conflict {
            field: "proxy".into(),
            message: "consent was already withdrawn".into(),
            message_zh: "该家属授权已撤销".into(),
        });
    }
    record(
        &mut tx,
        event(
            actor,
            "proxy.revoke",
            Some(proxy.patient_id),
            Some(format!("proxy={proxy_id}")),
            now,
        ),
    )
    .await?;
    let row = proxies::find(&mut tx, proxy_id)
        .await?
        .ok_or(ServiceError::NotFound("proxy"))?;
    tx.commit().await?;
    Ok(view(row))
}
