//! CareLoop's use cases, one folder per workflow (patients, follow-up, risk, questionnaires,
//! outreach, imports, administration) over a shared kernel. Each public function is one
//! transaction: it validates input into domain types, checks the actor's role and department,
//! calls the store, appends the audit events and commits. Handlers in `careloop-web` and the CLI call these and nothing below them.

pub mod admin;
pub mod advice;
pub mod critical_limits;
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

use careloop_domain::FieldError;
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

/// The highest page number a list answers: a million pages of 200 rows is beyond any table
/// here, and the bound keeps the row offset far from overflowing.
pub const MAX_PAGE: u64 = 1_000_000;

/// Page numbers start at 1 and stop at [`MAX_PAGE`]; a page holds at most 200 rows. Returns the
/// page, its size and the offset of its first row.
pub fn page_bounds(page: Option<u64>, per_page: Option<u64>) -> Result<(u64, u64, u64), FieldError> {
    let per_page = per_page.unwrap_or(20).clamp(1, 200);
    let page = page.unwrap_or(1).max(1);
    if page > MAX_PAGE {
        return Err(FieldError::new(
            "page",
            "page_out_of_range",
            format!("page must be between 1 and {MAX_PAGE}"),
            format!("页码应在 1 至 {MAX_PAGE} 之间"),
        ));
    }
    Ok((page, per_page, (page - 1) * per_page))
}
