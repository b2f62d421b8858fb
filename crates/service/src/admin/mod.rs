//! Administration: organisations, departments and staff, logins and sessions, and the follow-up
//! figures administrators read.

pub mod auth;
pub mod figures;
pub mod staff;
pub mod targets;
