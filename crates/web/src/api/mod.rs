//! REST API v1. Every route but `/healthz` and `/api/v1/auth/token` needs a bearer token.

mod admin;
mod advice;
mod alerts;
mod auth;
mod consents;
mod critical_limits;
mod doc;
mod events;
mod figures;
mod follow_up_records;
mod imports;
mod inbox;
mod links;
mod observations;
mod outreach;
mod patients;
mod plans;
mod protocols;
mod proxies;
mod questionnaires;
mod records;
mod risk;
mod risk_models;
mod tag_rules;
mod targets;
mod tasks;
mod text;

pub(crate) use figures::figures_csv;

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "CareLoop API", version = "1", description = "智能患者随访与健康管理系统 — patient follow-up and health management"),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Staff login"),
        (name = "patients", description = "Enrolment (开卡) and patient search"),
        (name = "records", description = "Health record (健康档案) and diagnoses"),
        (name = "observations", description = "Indicator values (检测值)"),
        (name = "follow-up", description = "Protocols (随访方案), plans (随访计划) and tasks (随访任务)"),
        (name = "questionnaires", description = "Questionnaires (问卷) as FHIR R4 resources and their responses"),
        (name = "risk", description = "Risk models (疾病风险评估) and measurement classifications"),
        (name = "admin", description = "Departments, staff and the audit trail")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and the OpenAPI document describing them.
pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(auth::token))
        .routes(routes!(patients::create, patients::list))
        .routes(routes!(patients::create_batch))
        .routes(routes!(patients::get, patients::update))
        .routes(routes!(patients::report_death, patients::clear_death))
        .routes(routes!(records::get_record, records::put_record))
        .routes(routes!(records::list_diagnoses, records::add_diagnosis))
        .routes(routes!(observations::create, observations::list))
        .routes(routes!(observations::trends))
        .routes(routes!(imports::fhir))
        .routes(routes!(imports::hl7v2))
        .routes(routes!(imports::csv))
        .routes(routes!(imports::xlsx))
        .routes(routes!(imports::lab_reports))
        .routes(routes!(imports::batches))
        .routes(routes!(imports::batch))
        .routes(routes!(imports::save_profile, imports::list_profiles))
        .routes(routes!(events::record_discharge, events::list_discharges))
        .routes(routes!(events::add_tag, events::list_tags))
        .routes(routes!(events::remove_tag))
        .routes(routes!(tag_rules::list, tag_rules::save))
        .routes(routes!(tag_rules::dry_run))
        .routes(routes!(advice::library, advice::save))
        .routes(routes!(advice::versions))
        .routes(routes!(advice::for_patient))
        .routes(routes!(risk::assess, risk::history))
        .routes(routes!(risk::computed))
        .routes(routes!(risk::recompute))
        .routes(routes!(questionnaires::import, questionnaires::list))
        .routes(routes!(questionnaires::get))
        .routes(routes!(questionnaires::respond))
        .routes(routes!(questionnaires::of_patient))
        .routes(routes!(questionnaires::create_link, links::list))
        .routes(routes!(links::withdraw))
        .routes(routes!(proxies::add, proxies::list))
        .routes(routes!(proxies::revoke))
        .routes(routes!(questionnaires::response_rates))
        .routes(routes!(questionnaires::satisfaction))
        .routes(routes!(text::analyze))
        .routes(routes!(risk_models::evaluate))
        .routes(routes!(risk_models::classify))
        .routes(routes!(admin::list_organisations, admin::create_organisation))
        .routes(routes!(admin::put_organisation_location))
        .routes(routes!(admin::put_organisation_phone))
        .routes(routes!(critical_limits::list))
        .routes(routes!(critical_limits::set, critical_limits::reset))
        .routes(routes!(targets::list))
        .routes(routes!(targets::set, targets::remove))
        .routes(routes!(admin::list_departments, admin::create_department))
        .routes(routes!(admin::list_users, admin::create_user))
        .routes(routes!(admin::update_user))
        .routes(routes!(admin::audit_events))
        .routes(routes!(protocols::list_protocols, protocols::import_protocol))
        .routes(routes!(protocols::dry_run_protocol))
        .routes(routes!(protocols::get_protocol))
        .routes(routes!(plans::create_plan, plans::list_plans))
        .routes(routes!(plans::enrol_batch))
        .routes(routes!(plans::pause_plan))
        .routes(routes!(plans::resume_plan))
        .routes(routes!(plans::stop_plan))
        .routes(routes!(tasks::get_task))
        .routes(routes!(tasks::reschedule_task))
        .routes(routes!(tasks::reassign_task))
        .routes(routes!(tasks::cancel_task))
        .routes(routes!(follow_up_records::list_records))
        .routes(routes!(follow_up_records::get_record))
        .routes(routes!(follow_up_records::amend_record))
        .routes(routes!(tasks::list_tasks))
        .routes(routes!(follow_up_records::create_record))
        .routes(routes!(alerts::list_alerts))
        .routes(routes!(outreach::list_outbox))
        .routes(routes!(figures::follow_up_figures))
        .routes(routes!(outreach::put_organisation_quiet_hours))
        .routes(routes!(outreach::put_patient_quiet_hours))
        .routes(routes!(alerts::acknowledge_alert))
        .routes(routes!(alerts::close_alert))
        .routes(routes!(inbox::list_inbox))
        .routes(routes!(inbox::patient_thread))
        .routes(routes!(inbox::reach_figures))
        .routes(routes!(consents::get_consents, consents::post_consent))
        .routes(routes!(inbox::mark_handled))
        .split_for_parts();
    doc::complete(&mut openapi);
    (router, openapi)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    database: &'static str,
}

/// Liveness, and whether the database answers and takes writes: `database` is `ok`,
/// `read_only` (it answers reads but cannot commit a write — a full disk, a read-only file) or
/// `unavailable`; anything but `ok` answers 503. The write probe runs at most once in
/// [`WRITE_PROBE_EVERY`], so polling this cannot load the database.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = if state.db.ping().await.is_err() {
        "unavailable"
    } else if !writes_succeed(&state).await {
        "read_only"
    } else {
        "ok"
    };
    let (status, label) = if database == "ok" {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "degraded")
    };
    (
        status,
        Json(Health {
            status: label,
            database,
        }),
    )
}

/// How long one write probe's answer stands.
pub const WRITE_PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The last write probe: when, and whether it committed.
pub type WriteProbe = std::sync::Arc<tokio::sync::Mutex<Option<(std::time::Instant, bool)>>>;

async fn writes_succeed(state: &AppState) -> bool {
    let mut last = state.write_probe.lock().await;
    if let Some((at, ok)) = *last
        && at.elapsed() < WRITE_PROBE_EVERY
    {
        return ok;
    }
    let ok = match state.db.probe_write().await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "the database takes no writes");
            false
        }
    };
    *last = Some((std::time::Instant::now(), ok));
    ok
}
