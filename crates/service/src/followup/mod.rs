//! Follow-up (随访): the protocol catalogue and enrolment, plans and their tasks, signing visits
//! on the call sheet, outcome rules, alerts, worklists, the events that enrol (diagnoses,
//! discharges, tags, abnormal values), schedule extension and the scheduler pass.

pub mod alerts;
pub mod amendments;
pub mod batch_enrol;
pub mod call_sheet;
pub mod enrolment;
pub mod events;
pub mod horizon;
pub mod plans;
pub mod protocols;
pub mod rules;
pub mod scheduler;
pub mod triggers;
pub mod visits;
pub mod worklist;
