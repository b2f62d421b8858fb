//! CareLoop's use cases, one folder per workflow (patients, follow-up, risk, questionnaires,
//! outreach, imports, administration) over a shared kernel. Each public function is one
//! transaction: it validates input into domain types, checks the actor's role and department,
//! calls the store, appends the audit events and commits. Handlers in `careloop-web` and the CLI call these and nothing below them.

pub mod admin;
pub mod advice;
mod error;
pub mod followup;
pub mod imports;
pub mod kernel;
pub mod outreach;
pub mod patients;
pub mod questionnaires;
pub mod reactions;
pub mod risk;

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
