//! CareLoop's HTTP layer: the REST API v1 (JSON, documented by OpenAPI at `/api/openapi.json`
//! with Swagger UI at `/api/docs`) and the server-rendered staff UI. Handlers stay thin:
//! extract, call one service function, render or redirect.

pub mod api;
mod callbacks;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
mod mobile;
pub mod ui;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use careloop_store::Db;
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (a batch of observations fits; a stray upload does not).
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Largest import one request may carry (API or upload form); bigger exports go through
/// `careloop import`.
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Set the `Secure` flag on cookies (when served over HTTPS behind a proxy).
    pub secure_cookies: bool,
    /// Where patients reach CareLoop: the base of the links they are sent.
    pub public_url: String,
    /// How often a client may try passwords, patient links and API calls.
    pub limits: std::sync::Arc<limits::Limits>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: std::sync::Arc<[std::net::IpAddr]>,
    /// `/healthz`'s last write probe.
    pub write_probe: api::WriteProbe,
    /// With it, `/metrics` needs `Authorization: Bearer <token>`; without, it serves loopback only.
    pub metrics_token: Option<String>,
    /// The secret path of Aliyun's receipt push; `None`: the endpoint answers 404.
    pub aliyun_callback_secret: Option<String>,
}

/// The whole application: API, docs, UI and static files, with the security headers every
/// response carries.
pub fn app(state: AppState) -> Router {
    let (api_router, openapi) = api::router();
    let openapi_json = serde_json::to_string(&openapi).unwrap_or_default();
    Router::new()
        .merge(api_router)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi-swagger.json", openapi))
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let body = openapi_json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        )
        .merge(ui::router())
        .merge(mobile::router())
        .merge(callbacks::router())
        .route("/metrics", axum::routing::get(metrics::render))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(state, limits::client_address))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                // Paths carry patient ids but no names or identifiers; query strings may, so they
                // are left out of the log, and a patient link's token never reaches it.
                tracing::info_span!("request", method = %req.method(), path = %loggable_path(req.uri().path()))
            }),
        )
}

/// The path as the log may show it: a patient link (`/m/{token}`) is a credential, so its token
/// is replaced, and so is any segment of 32 or more hex digits (a link's hash in a revocation
/// path): the log keeps the shape of the request, not what identifies a link.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    let secret = |seg: &str| seg.len() >= 32 && seg.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(rest) = path.strip_prefix("/m/")
        && !rest.is_empty()
    {
        return std::borrow::Cow::Borrowed("/m/{token}");
    }
    if !path.split('/').any(secret) {
        return std::borrow::Cow::Borrowed(path);
    }
    let shown: Vec<&str> = path
        .split('/')
        .map(|seg| if secret(seg) { "{hex}" } else { seg })
        .collect();
    std::borrow::Cow::Owned(shown.join("/"))
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn a_patient_links_token_never_reaches_the_log() {
        assert_eq!(loggable_path("/m/3f9a0c77e1d24b6a"), "/m/{token}");
        assert_eq!(loggable_path("/m/3f9a0c77e1d24b6a/extra"), "/m/{token}");
        assert_eq!(loggable_path("/patients/0193/report"), "/patients/0193/report");
        assert_eq!(loggable_path("/m/"), "/m/");
        let hash = "3f9a0c77e1d24b6a3f9a0c77e1d24b6a3f9a0c77e1d24b6a3f9a0c77e1d24b6a";
        assert_eq!(
            loggable_path(&format!("/api/v1/patients/0193/questionnaire-links/{hash}/revoke")),
            "/api/v1/patients/0193/questionnaire-links/{hex}/revoke"
        );
    }
}
