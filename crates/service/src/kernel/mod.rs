//! What every use case needs and no workflow owns: the department and admin checks and the
//! system actor, task transitions and their log, alerts, and reading stored protocols. Nothing
//! here calls a workflow module; every workflow may call it.

pub mod access;
pub mod alerts;
pub mod protocols;
pub mod transitions;
