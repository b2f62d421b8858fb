//! Questionnaires (问卷): versions and responses with scoring and alerts, the patient's links and
//! their withdrawal, free-text analysis of answers, and response rates.

pub mod free_text;
pub mod link_revocation;
pub mod links;
pub mod on_behalf;
pub mod response_rates;
pub mod responses;
pub mod satisfaction;
