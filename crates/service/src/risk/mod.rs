//! Risk (风险评估与分层): the rules' facts, computed tiers and their refresh, clinicians'
//! assessments and re-planning, tag rules, and the published risk models.

pub mod assessments;
pub mod facts;
pub mod models;
pub mod tag_rules;
pub mod tiering;
