pub const SESSION_COOKIE: &str = "careloop_session";
pub fn router() -> axum::Router<crate::AppState> {
    axum::Router::new()
}
