//! Administration: departments, staff accounts and the audit trail.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Path;
use crate::extract::{ApiJson, ApiQuery, ApiUser};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use careloop_domain::record::Location;
use careloop_service::admin::staff::{self, DepartmentView, NewUserInput, OrganisationView, UserPatch, UserView};
use careloop_service::kernel::audit::{self, AuditEventView};
use careloop_service::{Page, ServiceError};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[utoipa::path(get, path = "/api/v1/departments", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<DepartmentView>)))]
pub async fn list_departments(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
) -> Result<Json<Vec<DepartmentView>>, ApiError> {
    Ok(Json(staff::list_departments(&s.db).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    code: String,
    name: String,
    /// Organisation code; the default organisation when left out.
    organisation: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/departments", tag = "admin", request_body = NewDepartment, security(("bearer" = [])),
    responses((status = 201, body = DepartmentView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_department(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(d): ApiJson<NewDepartment>,
) -> Result<(StatusCode, Json<DepartmentView>), ApiError> {
    let d = staff::create_department(
        &s.db,
        &who.actor,
        &d.code,
        &d.name,
        d.organisation.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)))]
pub async fn list_users(State(s): State<AppState>, ApiUser(who): ApiUser) -> Result<Json<Vec<UserView>>, ApiError> {
    Ok(Json(staff::list_users(&s.db, &who.actor).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserInput, security(("bearer" = [])),
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(u): ApiJson<NewUserInput>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let u = staff::create_user(&s.db, &who.actor, &u, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(u)))
}

/// Change a user's role, department or active flag, reset the password or lift a lockout.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "admin", request_body = UserPatch, security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn update_user(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(p): ApiJson<UserPatch>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(
        staff::update_user(&s.db, &who.actor, id, &p, OffsetDateTime::now_utc()).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    patient_id: Option<Uuid>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The audit trail, newest first (admin only).
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "admin", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<AuditEventView>), (status = 403, body = ErrorBody)))]
pub async fn audit_events(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Page<AuditEventView>>, ApiError> {
    if !who.actor.is_admin() {
        return Err(ServiceError::Forbidden.into());
    }
    Ok(Json(
        audit::list_events(
            &s.db,
            &who.actor,
            q.patient_id,
            q.page,
            q.per_page,
            OffsetDateTime::now_utc(),
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<OrganisationView>)))]
pub async fn list_organisations(
    State(s): State<AppState>,
    ApiUser(_who): ApiUser,
) -> Result<Json<Vec<OrganisationView>>, ApiError> {
    Ok(Json(staff::list_organisations(&s.db).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    code: String,
    name: String,
}

#[utoipa::path(post, path = "/api/v1/organisations", tag = "admin", request_body = NewOrganisation, security(("bearer" = [])),
    responses((status = 201, body = OrganisationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_organisation(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    ApiJson(o): ApiJson<NewOrganisation>,
) -> Result<(StatusCode, Json<OrganisationView>), ApiError> {
    let o = staff::create_organisation(&s.db, &who.actor, &o.code, &o.name, OffsetDateTime::now_utc()).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// The number patients call, as set through the API; null or blank clears it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPhone {
    /// Digits, spaces and hyphens, 3 to 20 characters, e.g. `0571-87000000` or `12320`.
    #[schema(required = true, max_length = 20)]
    phone: Option<String>,
}

/// Set the number patients call for appointments and questions; reminders (复诊提醒) name it.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/phone", tag = "admin", request_body = OrganisationPhone, security(("bearer" = [])),
    responses((status = 200, body = OrganisationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_organisation_phone(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<OrganisationPhone>,
) -> Result<Json<OrganisationView>, ApiError> {
    Ok(Json(
        staff::set_organisation_phone(&s.db, &who.actor, id, body.phone.as_deref(), OffsetDateTime::now_utc()).await?,
    ))
}

/// Set where an organisation is: the default `region` (north/south of the Yangtze) and
/// `residence` (urban/rural) of its patients' records, read by China-PAR where a record leaves
/// them out. Null clears. Its patients' tiers and tags are refreshed.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/location", tag = "admin", request_body = Location, security(("bearer" = [])),
    responses((status = 200, body = OrganisationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_organisation_location(
    State(s): State<AppState>,
    ApiUser(who): ApiUser,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<Location>,
) -> Result<Json<OrganisationView>, ApiError> {
    Ok(Json(
        staff::set_organisation_location(&s.db, &who.actor, id, &body, OffsetDateTime::now_utc()).await?,
    ))
}
