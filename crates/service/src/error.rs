//! The service layer's error: what went wrong in terms a handler can turn into a status code.

use careloop_domain::FieldError;
use careloop_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input: {0}")]
    Invalid(FieldError),
    /// A questionnaire response with problems on some of its items, each one reported.
    #[error("{} item(s) of the response are invalid", .0.len())]
    InvalidItems(Vec<careloop_domain::questionnaire::response::ItemError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("not allowed")]
    Forbidden,
    /// A patient link that has expired, was revoked or is used up.
    #[error("link expired or used")]
    LinkExpired,
    #[error("not authenticated")]
    Unauthenticated,
    #[error("conflict on {field}: {message}")]
    Conflict {
        field: String,
        message: String,
        message_zh: String,
    },
    #[error(transparent)]
    Store(StoreError),
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl From<FieldError> for ServiceError {
    fn from(e: FieldError) -> Self {
        ServiceError::Invalid(e)
    }
}

/// Fields whose uniqueness the schema enforces, in the order they are looked for in the
/// constraint name or message the database reports.
const UNIQUE_FIELDS: [(&str, &str, &str); 4] = [
    (
        "id_number",
        "a patient with this ID number is already enrolled",
        "该身份证号码已建档",
    ),
    ("username", "this username is taken", "用户名已存在"),
    ("card_number", "this card number is already in use", "卡号已被使用"),
    ("code", "this code is already in use", "代码已存在"),
];

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => {
                let (field, message, message_zh) = UNIQUE_FIELDS
                    .iter()
                    .find(|(f, _, _)| what.contains(f))
                    .map(|(f, m, z)| (f.to_string(), m.to_string(), z.to_string()))
                    .unwrap_or_else(|| ("id".into(), "duplicate record".into(), "记录重复".into()));
                ServiceError::Conflict {
                    field,
                    message,
                    message_zh,
                }
            }
            other => ServiceError::Store(other),
        }
    }
}
