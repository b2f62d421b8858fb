//! CareLoop's use cases. Each public function is one transaction: it validates input into
//! domain types, checks the actor's role and department, calls the store, appends the audit
//! events and commits. Handlers in `careloop-web` and the CLI call these and nothing below them.

pub mod advice;
pub mod alerts;
pub mod amendments;
pub mod audit;
pub mod auth;
pub mod batch_enrol;
pub mod call_sheet;
pub mod delivery;
mod error;
pub mod events;
pub mod facts;
pub mod figures;
pub mod followup;
pub mod free_text;
pub mod horizon;
pub mod imports;
pub mod kernel;
pub mod lab_reports;
pub mod link_revocation;
pub mod observations;
pub mod patient_links;
pub mod patients;
pub mod plans;
pub mod protocols;
pub mod proxies;
pub mod questionnaires;
pub mod records;
pub mod report;
pub mod response_rates;
pub mod risk_models;
pub mod risk_tiers;
pub mod rules;
pub mod scheduler;
pub mod staff;
pub mod synth;
pub mod tag_rules;
pub mod tiering;
pub mod trends;
pub mod triggers;
pub mod visits;
pub mod worklist;

pub use error::ServiceError;

use serde::Serialize;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// One page of a list, with the total number of matching rows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u64,
    pub per_page: u64,
}

/// Page numbers start at 1; a page holds at most 200 rows.
pub fn page_bounds(page: Option<u64>, per_page: Option<u64>) -> (u64, u64) {
    let per_page = per_page.unwrap_or(20).clamp(1, 200);
    (page.unwrap_or(1).max(1), per_page)
}
