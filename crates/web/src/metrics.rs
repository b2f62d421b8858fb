//! Operational metrics in Prometheus' text format at `GET /metrics`: requests and their latency
//! per route and status, the database pool's use, queue depths, and what the scheduler records
//! (pass duration, sends by channel and outcome). The `metrics` facade records; its Prometheus
//! exporter renders (no listener of its own: this router serves the page).
//!
//! Who may read it: with `metrics_token` set, whoever sends `Authorization: Bearer <token>`;
//! without one, only a client on this machine (the TCP peer is a loopback address, whatever a
//! proxy header says).

use crate::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

/// The process's recorder, installed once (the `metrics` facade has one global recorder).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Another recorder already installed (a test binary's second app) keeps its own.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Middleware: count each request and time it, by method, matched route (never the concrete
/// path, which may carry ids) and status.
pub async fn track(req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

/// With a token configured, whoever sends it (compared in constant time), from anywhere;
/// without one, a client on this machine only.
fn may_read(token: Option<&str>, sent: Option<&str>, from_loopback: bool) -> bool {
    match token {
        Some(t) => subtle::ConstantTimeEq::ct_eq(sent.unwrap_or("").as_bytes(), t.as_bytes()).into(),
        None => from_loopback,
    }
}

/// `GET /metrics`.
pub async fn render(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let sent = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !may_read(state.metrics_token.as_deref(), sent, peer.ip().is_loopback()) {
        return (
            StatusCode::FORBIDDEN,
            "metrics are served to this machine or with the metrics token\n",
        )
            .into_response();
    }
    let (size, idle) = state.db.pool_use();
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    match state.db.queue_depths().await {
        Ok(depths) => {
            for (queue, n) in depths {
                metrics::gauge!("queue_depth", "queue" => queue).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "queue depths unreadable"),
    }
    let mut res = handle().render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::may_read;

    #[test]
    fn metrics_go_to_this_machine_or_to_the_token() {
        assert!(may_read(None, None, true));
        assert!(!may_read(None, None, false), "no token: loopback only");
        assert!(!may_read(None, Some("anything"), false));
        assert!(may_read(Some("s3cret-scrape"), Some("s3cret-scrape"), false));
        assert!(
            !may_read(Some("s3cret-scrape"), Some("s3cret-scrapE"), true),
            "a token set binds loopback too"
        );
        assert!(!may_read(Some("s3cret-scrape"), None, true));
    }
}
