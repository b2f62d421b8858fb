//! Follow-up (随访) rules: how a chronic-disease visit is classified and what it implies, and
//! the life cycle of a follow-up task. Pure functions; the scheduler and services call them.

pub mod alert;
pub mod answers;
pub mod classification;
pub mod contact;
pub mod figures;
pub mod message;
pub mod protocol;
pub mod reach;
pub mod rules;
pub mod schedule;
pub mod task;
pub mod visit;
