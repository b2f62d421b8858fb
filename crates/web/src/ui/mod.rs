#![allow(
    clippy::result_large_err,
    reason = "UI handlers return a ready response as their error; it is built once per failed request, so its size does not matter"
)]
//! The staff web UI: server-rendered askama pages, Chinese by default with an English switch.
//! Sessions are cookies (HttpOnly, SameSite=Strict); every form carries the session's CSRF
//! token and every POST handler checks it before doing anything.

mod admin;
mod alerts;
mod auth;
mod chart;
mod critical_limits;
mod followup;
pub mod i18n;
mod imports;
mod inbox;
pub(crate) mod markdown;
mod on_behalf;
mod patients;
mod protocols;
mod questionnaires;
mod report;
mod tag_rules;
mod targets;
mod worklist;

use crate::AppState;
use crate::extract::{client_ip, cookie_value, session_cookie};
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use careloop_service::ServiceError;
use careloop_service::admin::auth::{Authenticated, authenticate};
use i18n::{Lang, Tr};
use time::OffsetDateTime;

pub use crate::extract::SESSION_COOKIE;
pub const LANG_COOKIE: &str = "careloop_lang";

/// Pages may load only this server's stylesheet; no scripts run at all.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/worklist") }))
        .route("/worklist", get(worklist::show))
        .route("/tasks/{id}", get(followup::show))
        .route("/tasks/{id}/record", post(followup::sign))
        .route("/tasks/{id}/resend", post(followup::resend))
        .route(
            "/tasks/{id}/questionnaire",
            get(on_behalf::form).post(on_behalf::submit),
        )
        .route("/stats", get(followup::stats))
        .route("/stats.csv", get(followup::stats_csv))
        .route("/outbox", get(followup::outbox))
        .route("/alerts", get(alerts::board))
        .route(
            "/imports",
            get(imports::page)
                .post(imports::upload)
                .layer(axum::extract::DefaultBodyLimit::max(crate::IMPORT_LIMIT)),
        )
        .route("/imports/{id}", get(imports::show))
        .route("/alerts/{id}/acknowledge", post(alerts::acknowledge))
        .route("/alerts/{id}/close", post(alerts::close))
        .route("/inbox", get(inbox::page))
        .route("/inbox/{id}/handled", post(inbox::mark_handled))
        .route("/patients/{id}/messages", get(inbox::patient_thread))
        .route("/questionnaires", get(questionnaires::list))
        .route("/questionnaires/{id}/preview", get(questionnaires::preview))
        .route("/questionnaires/{id}/export", get(questionnaires::export))
        .route("/protocols", get(protocols::list))
        .route("/protocols/{id}", get(protocols::show))
        .route("/protocols/{id}/export", get(protocols::export))
        .route(
            "/protocols/{id}/dry-run",
            get(protocols::dry_run_form).post(protocols::dry_run_submit),
        )
        .route("/static/app.css", get(stylesheet))
        .route("/static/report.css", get(report::stylesheet))
        .route("/patients/{id}/report", get(report::show))
        .route("/lang/{code}", get(auth::switch_language))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/patients", get(patients::list).post(patients::create))
        .route("/patients/new", get(patients::new_form))
        .route("/patients/batch-enrol", post(patients::enrol_batch))
        .route("/patients/{id}", get(patients::show))
        .route("/patients/{id}/edit", get(patients::edit_form).post(patients::update))
        .route(
            "/patients/{id}/record",
            get(patients::record_form).post(patients::save_record),
        )
        .route("/patients/{id}/observations", post(patients::add_observation))
        .route("/patients/{id}/diagnoses", post(patients::add_diagnosis))
        .route("/patients/{id}/risk-tier", post(patients::assess_tier))
        .route("/patients/{id}/death", post(patients::report_death))
        .route("/patients/{id}/discharges", post(patients::record_discharge))
        .route("/patients/{id}/death/clear", post(patients::clear_death))
        .route("/patients/{id}/questionnaire-link", post(patients::make_link))
        .route("/patients/{id}/responses/{response_id}", get(patients::show_response))
        .route("/patients/{id}/links/{link_id}/withdraw", post(patients::withdraw_link))
        .route("/patients/{id}/proxies", post(patients::add_proxy))
        .route("/patients/{id}/consents", post(patients::record_consent))
        .route("/patients/{id}/proxies/{proxy_id}/revoke", post(patients::revoke_proxy))
        .route(
            "/admin/departments",
            get(admin::departments).post(admin::create_department),
        )
        .route("/admin/organisations/{id}/location", post(admin::organisation_location))
        .route("/admin/organisations/{id}/phone", post(admin::organisation_phone))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{id}", post(admin::update_user))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/critical-limits", get(critical_limits::page))
        .route("/tag-rules", get(tag_rules::page).post(tag_rules::submit))
        .route("/admin/targets", get(targets::page))
        .route("/admin/targets/{id}", post(targets::save))
        .route("/admin/targets/{id}/remove", post(targets::remove))
        .route("/admin/critical-limits/{id}", post(critical_limits::save))
        .route("/admin/critical-limits/{id}/reset", post(critical_limits::reset))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

pub fn lang_of(parts: &Parts) -> Lang {
    Lang::from_cookie(cookie_value(parts, LANG_COOKIE).as_deref())
}

/// A logged-in staff member using the web UI.
pub struct UiUser {
    pub who: Authenticated,
    pub lang: Lang,
    pub path: String,
    /// Open alerts on the user's desk, for the badge; `None` when they could not be counted.
    pub open_alerts: Option<i64>,
    /// Replies waiting in the user's inbox that need reading, for the badge.
    pub waiting_replies: Option<i64>,
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/login").into_response();
        let token = session_cookie(parts).ok_or_else(to_login)?;
        let who = authenticate(&state.db, &token, client_ip(parts), OffsetDateTime::now_utc())
            .await
            .map_err(|_| to_login())?;
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
        let open_alerts = match careloop_service::followup::alerts::open_on_desk(&state.db, &who.actor).await {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::error!(error = %e, "could not count the open alerts");
                None
            }
        };
        let waiting_replies = match careloop_service::outreach::inbox::waiting(&state.db, &who.actor).await {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::error!(error = %e, "could not count the waiting replies");
                None
            }
        };
        Ok(UiUser {
            who,
            lang: lang_of(parts),
            path,
            open_alerts,
            waiting_replies,
        })
    }
}

/// What every page's frame needs: strings, the user, the CSRF token, the language switch.
pub struct Chrome {
    pub t: &'static Tr,
    pub user_name: String,
    pub is_admin: bool,
    pub csrf: String,
    pub lang_href: String,
    /// The alert badge: open alerts on the user's desk (`None`: could not be counted).
    pub open_alerts: Option<i64>,
    /// The reply badge: replies waiting that need reading.
    pub waiting_replies: Option<i64>,
}

impl UiUser {
    pub fn t(&self) -> &'static Tr {
        self.lang.tr()
    }

    pub fn chrome(&self) -> Chrome {
        Chrome {
            t: self.t(),
            user_name: self.who.display_name.clone(),
            is_admin: self.who.actor.is_admin(),
            csrf: self.who.csrf_token.clone(),
            lang_href: format!("/lang/{}?next={}", self.t().other_lang_code, percent_encode(&self.path)),
            open_alerts: self.open_alerts,
            waiting_replies: self.waiting_replies,
        }
    }

    /// Refuse a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Response> {
        use subtle::ConstantTimeEq;
        let same: bool = self.who.csrf_token.as_bytes().ct_eq(submitted.as_bytes()).into();
        if same {
            Ok(())
        } else {
            Err(self.error_page(StatusCode::FORBIDDEN, self.t().forbidden))
        }
    }

    pub fn error_page(&self, status: StatusCode, message: &str) -> Response {
        let page = ErrorPage {
            c: self.chrome(),
            message: message.to_string(),
        };
        let mut res = render(&page);
        *res.status_mut() = status;
        res
    }

    /// A service failure as a page (validation errors are handled by the form handlers).
    pub fn fail(&self, e: ServiceError) -> Response {
        match e {
            ServiceError::Forbidden => self.error_page(StatusCode::FORBIDDEN, self.t().forbidden),
            ServiceError::NotFound(_) => self.error_page(StatusCode::NOT_FOUND, self.t().not_found),
            ServiceError::Invalid(f) => {
                let msg = if self.lang == Lang::Zh { f.message_zh } else { f.message };
                self.error_page(StatusCode::UNPROCESSABLE_ENTITY, &msg)
            }
            ServiceError::Conflict {
                message, message_zh, ..
            } => self.error_page(
                StatusCode::CONFLICT,
                if self.lang == Lang::Zh { &message_zh } else { &message },
            ),
            ServiceError::Unauthenticated => Redirect::to("/login").into_response(),
            other => {
                tracing::error!(error = %other, "ui request failed");
                self.error_page(StatusCode::INTERNAL_SERVER_ERROR, self.t().error_title)
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    message: String,
}

/// Render a template as an HTML response with the UI's content security policy.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => {
            let mut res = Html(html).into_response();
            res.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// A query-string value, encoded as forms encode it (`application/x-www-form-urlencoded`).
pub fn percent_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Field errors of a form, in the UI's language, keyed by field name.
#[derive(Default)]
pub struct FormErrors(pub Vec<(String, String)>);

impl FormErrors {
    pub fn from_field(e: careloop_domain::FieldError, lang: Lang) -> Self {
        let msg = if lang == Lang::Zh { e.message_zh } else { e.message };
        FormErrors(vec![(e.field, msg)])
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
}

/// (id, name in the page's language) of every protocol's newest version, for the pages'
/// protocol selects.
pub(crate) async fn protocol_choices(
    db: &careloop_store::Db,
    lang: Lang,
) -> Result<Vec<(String, String)>, ServiceError> {
    let name = if lang == Lang::Zh { "name_zh" } else { "name_en" };
    Ok(careloop_service::followup::enrolment::list_protocols(db)
        .await?
        .iter()
        .map(|d| {
            let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            (text("id"), text(name))
        })
        .collect())
}
