//! What every use case needs and no workflow owns: the department and admin checks and the
//! system actor, task transitions and their log, alerts, the audit trail, and reading stored protocols. Nothing
//! here calls a workflow module; every workflow may call it.

pub mod access;
pub mod alerts;
pub mod audit;
pub mod protocols;
pub mod transitions;
