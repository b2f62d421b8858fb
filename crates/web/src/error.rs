//! The web layer's one error type and its single mapping to HTTP: status code plus the JSON
//! body `{"error": {"code", "message", "field"}}`. Internal causes go to the log with no
//! patient data; the client gets a safe message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use careloop_domain::FieldError;
use careloop_service::ServiceError;
use careloop_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Item-level problems of a questionnaire response.
    pub items: Vec<ItemProblem>,
    /// Seconds until a throttled client may try again (`Retry-After`).
    pub retry_after: Option<u64>,
}

/// One questionnaire item's problem: its link id, where it sits in the response, a stable
/// code and messages in English and Chinese.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemProblem {
    pub link_id: String,
    pub path: String,
    pub code: String,
    pub message: String,
    pub message_zh: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemProblem>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            items: Vec::new(),
            retry_after: None,
        }
    }

    pub fn field(e: FieldError) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: e.code,
            message: e.message,
            field: Some(e.field),
            items: Vec::new(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_request", message)
    }

    /// 429 with `Retry-After`: the client has tried too often.
    pub fn throttled(retry_after: std::time::Duration) -> Self {
        let secs = crate::limits::retry_after_secs(retry_after);
        ApiError {
            retry_after: Some(secs),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("too many attempts; try again in {secs} s"),
            )
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::field(e)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(f) => ApiError::field(f),
            ServiceError::InvalidItems(list) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "response_invalid",
                message: format!("{} item(s) of the response are invalid; see items", list.len()),
                field: Some("item".into()),
                items: list
                    .into_iter()
                    .map(|e| ItemProblem {
                        link_id: e.link_id,
                        path: e.path,
                        code: e.code.into(),
                        message: e.message,
                        message_zh: e.message_zh,
                    })
                    .collect(),
                retry_after: None,
            },
            ServiceError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            ServiceError::LinkExpired => ApiError::new(
                StatusCode::GONE,
                "link_expired",
                "this link has expired, was withdrawn or was already used",
            ),
            ServiceError::Forbidden => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", "you are not allowed to do this")
            }
            ServiceError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "invalid credentials or session expired",
            ),
            ServiceError::Conflict { field, message, .. } => ApiError {
                status: StatusCode::CONFLICT,
                code: "conflict",
                message,
                field: Some(field),
                items: Vec::new(),
                retry_after: None,
            },
            ServiceError::Store(StoreError::Database(sqlx_err)) if is_storage_full(&sqlx_err) => {
                tracing::error!(error = %sqlx_err, "the database's storage is full");
                ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "storage_full",
                    "the server's storage is full; nothing of this request was stored",
                )
            }
            ServiceError::Store(StoreError::Database(sqlx_err)) if is_unavailable(&sqlx_err) => {
                tracing::error!(error = %sqlx_err, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is unavailable; try again",
                )
            }
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
            }
        }
    }
}

/// SQLite's SQLITE_FULL (13) and PostgreSQL's disk_full (53100).
fn is_storage_full(e: &careloop_store::SqlxError) -> bool {
    match e {
        careloop_store::SqlxError::Database(db) => matches!(db.code().as_deref(), Some("13" | "53100")),
        _ => false,
    }
}

fn is_unavailable(e: &careloop_store::SqlxError) -> bool {
    matches!(
        e,
        careloop_store::SqlxError::PoolTimedOut
            | careloop_store::SqlxError::PoolClosed
            | careloop_store::SqlxError::Io(_)
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: self.message,
                field: self.field,
                items: self.items,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        res
    }
}
