//! CareLoop's domain core: the types and rules of patient follow-up, as plain values and pure
//! functions. Nothing here does IO or knows about a database or HTTP; callers pass in `now` and any
//! data a rule needs. Input is parsed at the edge into these types, so a value of a domain type is
//! always valid.

pub mod access;
pub mod advice;
pub mod card;
pub mod classify;
pub mod clock;
pub mod consent;
pub mod critical;
pub mod error;
pub mod followup;
pub mod id_number;
pub mod import;
pub mod indicator;
pub mod mask;
pub mod patient;
pub mod phone;
pub mod proxy;
pub mod questionnaire;
pub mod record;
pub mod reply;
pub mod risk;
pub mod risk_tier;
pub mod sex;
pub mod staff;
pub mod stage_summary;
pub mod tag_rules;
pub mod targets;
pub mod tiering;
pub mod trend;

pub use error::FieldError;
