//! Request extractors: JSON bodies with precise errors, and the authenticated staff member.

use crate::AppState;
use crate::error::ApiError;
use crate::limits::ClientIp;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use careloop_service::admin::auth::{self, Authenticated};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};
use time::OffsetDateTime;

/// A JSON body. Malformed JSON is a 400; well-formed JSON of the wrong shape is a 422 naming
/// the offending field path; a body over the limit is a 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !json_type {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        parse_json(&body_bytes(req, state).await?).map(ApiJson)
    }
}

/// The whole body, within the server's limit (413 past it).
async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            )
        } else {
            ApiError::bad_request("could not read the request body")
        }
    })
}

/// A JSON body kept as the text it arrived as (FHIR resources are stored and exported byte
/// for byte). Same media-type, size and syntax checks as [`ApiJson`].
pub struct JsonText(pub String);

impl<S: Send + Sync> FromRequest<S> for JsonText {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ApiJson(value) = ApiJson::<Box<serde_json::value::RawValue>>::from_request(req, state).await?;
        Ok(JsonText(value.get().to_string()))
    }
}

/// A text body (UTF-8), such as an advice article in Markdown: too large is a 413 and bytes that
/// are not UTF-8 a 400, in the JSON error body.
pub struct Text(pub String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        String::from_utf8(body_bytes(req, state).await?.to_vec())
            .map(Text)
            .map_err(|_| ApiError::bad_request("the body is not UTF-8 text"))
    }
}

/// A query string. A parameter of the wrong type or one the route does not know is a 422
/// naming it, in the same error body as a JSON field.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let mut err = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                e.into_inner().to_string(),
            );
            err.field = Some(if path == "." { "query".into() } else { path });
            err
        })
    }
}

/// Path parameters. A segment that does not parse as its parameter (an id that is no UUID)
/// names no resource: 404 in the JSON error body, where axum's own extractor answers 400 in
/// plain text. Named `Path` so the OpenAPI document still lists the parameters.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => {
                let mut err = ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "no such resource: the address has a part that is not a valid identifier",
                );
                if let axum::extract::rejection::PathRejection::FailedToDeserializePathParams(e) = &rejection {
                    err.field = path_param_name(e.kind());
                }
                Err(err)
            }
        }
    }
}

/// The name of the path parameter a rejection is about, when axum says.
fn path_param_name(kind: &axum::extract::path::ErrorKind) -> Option<String> {
    use axum::extract::path::ErrorKind;
    match kind {
        ErrorKind::ParseErrorAtKey { key, .. } | ErrorKind::InvalidUtf8InPathParam { key } => Some(key.clone()),
        _ => None,
    }
}

/// Deserialize with the path of the failing field in the error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", inner.to_string());
            err.field = Some(if path == "." { "body".into() } else { path });
            err
        } else {
            ApiError::bad_request(format!("malformed JSON: {inner}"))
        }
    })
}

/// The client's address: the TCP peer, or what a configured trusted proxy says
/// ([`crate::limits::client_address`]).
pub fn client_addr(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ClientIp>()
        .map(|c| c.0)
        .or_else(|| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
}

/// The client's address as an extractor, for handlers that also read a body.
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

/// [`client_addr`] as text, for the audit trail.
pub fn client_ip(parts: &Parts) -> Option<String> {
    client_addr(parts).map(|ip| ip.to_string())
}

/// The staff member behind a request's bearer token (API).
pub struct ApiUser(pub Authenticated);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "send Authorization: Bearer <token>",
                )
            })?;
        state.limits.api(token.trim()).map_err(ApiError::throttled)?;
        let who = auth::authenticate(&state.db, token.trim(), client_ip(parts), OffsetDateTime::now_utc()).await?;
        Ok(ApiUser(who))
    }
}

/// The cookie that carries a web UI session's token.
pub const SESSION_COOKIE: &str = "careloop_session";

/// The session token from the web UI's cookie, if any.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    cookie_value(parts, SESSION_COOKIE)
}

/// A request cookie's value, read with axum-extra's `CookieJar` (every `Cookie` header).
pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    axum_extra::extract::CookieJar::from_headers(&parts.headers)
        .get(name)
        .map(|c| c.value().to_string())
}
