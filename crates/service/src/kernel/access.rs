//! Who may do what: the department check every patient read and write makes, the admin check,
//! and the system actor the CLI and the scheduler act as.

use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::staff::Role;
use careloop_store::Tx;
use careloop_store::patients::{self, PatientRow};
use uuid::Uuid;

/// Load a patient the actor may access, or say why not.
pub(crate) async fn accessible(tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<PatientRow> {
    let row = patients::find(tx, id).await?.ok_or(ServiceError::NotFound("patient"))?;
    if actor.may_access_patient(row.department_id) {
        Ok(row)
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// The actor of command-line administration and of the scheduler: an admin with no user
/// behind it (audited as `cli`).
pub fn system_actor() -> Actor {
    Actor {
        user_id: Uuid::nil(),
        username: "cli".into(),
        role: Role::Admin,
        department_id: None,
        ip: None,
    }
}

pub(crate) fn require_admin(actor: &Actor) -> Result<()> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}
