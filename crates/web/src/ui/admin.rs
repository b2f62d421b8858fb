//! Administration pages: departments, staff accounts and the audit trail (admin only).

use super::{Chrome, FormErrors, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use careloop_domain::clock::CHINA;
use careloop_domain::record::Location;
use careloop_domain::staff::Role;
use careloop_service::admin::staff::{self, DepartmentView, NewUserInput, UserPatch, UserView};
use careloop_service::kernel::audit::{self, AuditEventView};
use careloop_service::{Page, ServiceError};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

pub(super) fn admin_only(u: &UiUser) -> Result<(), Response> {
    if u.who.actor.is_admin() {
        Ok(())
    } else {
        Err(u.error_page(StatusCode::FORBIDDEN, u.t().forbidden))
    }
}

pub(super) fn errors_of(e: ServiceError, u: &UiUser) -> Result<FormErrors, Response> {
    match e {
        ServiceError::Invalid(f) => Ok(FormErrors::from_field(f, u.lang)),
        ServiceError::Conflict {
            field,
            message,
            message_zh,
        } => Ok(FormErrors(vec![(
            field,
            if u.lang == super::Lang::Zh { message_zh } else { message },
        )])),
        other => Err(u.fail(other)),
    }
}

#[derive(Template)]
#[template(path = "admin_departments.html")]
struct DepartmentsPage {
    c: Chrome,
    departments: Vec<DepartmentView>,
    organisations: Vec<careloop_service::admin::staff::OrganisationView>,
    errors: FormErrors,
}

impl DepartmentsPage {
    fn organisation_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.organisations
            .iter()
            .find(|o| o.code == code)
            .map_or(code, |o| o.name.as_str())
    }
}

async fn departments_page(s: &AppState, u: &UiUser, errors: FormErrors) -> Response {
    let loaded = async {
        Ok::<_, ServiceError>((
            staff::list_departments(&s.db).await?,
            staff::list_organisations(&s.db).await?,
        ))
    };
    let (departments, organisations) = match loaded.await {
        Ok(d) => d,
        Err(e) => return u.fail(e),
    };
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(&DepartmentsPage {
        c: u.chrome(),
        departments,
        organisations,
        errors,
    });
    *res.status_mut() = status;
    res
}

pub async fn departments(State(s): State<AppState>, u: UiUser) -> Response {
    if let Err(r) = admin_only(&u) {
        return r;
    }
    departments_page(&s, &u, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct DepartmentForm {
    csrf: String,
    code: String,
    name: String,
    organisation: Option<String>,
}

pub async fn create_department(State(s): State<AppState>, u: UiUser, Form(f): Form<DepartmentForm>) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    match staff::create_department(
        &s.db,
        &u.who.actor,
        &f.code,
        &f.name,
        f.organisation.as_deref(),
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(_) => Redirect::to("/admin/departments").into_response(),
        Err(e) => match errors_of(e, &u) {
            Ok(errors) => departments_page(&s, &u, errors).await,
            Err(r) => r,
        },
    }
}

#[derive(Deserialize)]
pub struct LocationForm {
    csrf: String,
    region: Option<String>,
    residence: Option<String>,
}

/// Set an organisation's location (default region and residence of its patients' records).
pub async fn organisation_location(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<LocationForm>,
) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    let l = Location {
        region: f.region.filter(|v| !v.is_empty()),
        residence: f.residence.filter(|v| !v.is_empty()),
    };
    match staff::set_organisation_location(&s.db, &u.who.actor, id, &l, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to("/admin/departments").into_response(),
        Err(e) => match errors_of(e, &u) {
            Ok(errors) => departments_page(&s, &u, errors).await,
            Err(r) => r,
        },
    }
}

#[derive(Deserialize)]
pub struct PhoneForm {
    csrf: String,
    phone: Option<String>,
}

/// Set the number patients call for an organisation (named in reminders).
pub async fn organisation_phone(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<PhoneForm>,
) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    match staff::set_organisation_phone(&s.db, &u.who.actor, id, f.phone.as_deref(), OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to("/admin/departments").into_response(),
        Err(e) => match errors_of(e, &u) {
            Ok(errors) => departments_page(&s, &u, errors).await,
            Err(r) => r,
        },
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserView>,
    departments: Vec<DepartmentView>,
    roles: [Role; 5],
    errors: FormErrors,
}

impl UsersPage {
    /// A department's name, by its code.
    fn department_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.departments
            .iter()
            .find(|d| d.code == code)
            .map_or(code, |d| d.name.as_str())
    }
}

async fn users_page(s: &AppState, u: &UiUser, errors: FormErrors) -> Response {
    let loaded = async {
        Ok::<_, ServiceError>((
            staff::list_users(&s.db, &u.who.actor).await?,
            staff::list_departments(&s.db).await?,
        ))
    }
    .await;
    match loaded {
        Ok((users, departments)) => {
            let status = if errors.any() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let mut res = render(&UsersPage {
                c: u.chrome(),
                users,
                departments,
                roles: Role::ALL,
                errors,
            });
            *res.status_mut() = status;
            res
        }
        Err(e) => u.fail(e),
    }
}

pub async fn users(State(s): State<AppState>, u: UiUser) -> Response {
    if let Err(r) = admin_only(&u) {
        return r;
    }
    users_page(&s, &u, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct UserForm {
    csrf: String,
    username: String,
    password: String,
    display_name: Option<String>,
    role: String,
    department: Option<String>,
}

pub async fn create_user(State(s): State<AppState>, u: UiUser, Form(f): Form<UserForm>) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    let input = NewUserInput {
        username: f.username,
        password: f.password,
        display_name: f.display_name,
        role: f.role,
        department: f.department.filter(|d| !d.is_empty()),
    };
    match staff::create_user(&s.db, &u.who.actor, &input, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(e) => match errors_of(e, &u) {
            Ok(errors) => users_page(&s, &u, errors).await,
            Err(r) => r,
        },
    }
}

#[derive(Deserialize)]
pub struct UserActionForm {
    csrf: String,
    /// `activate`, `deactivate` or `password`.
    op: String,
    password: Option<String>,
}

pub async fn update_user(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<UserActionForm>,
) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    let patch = match f.op.as_str() {
        "activate" => UserPatch {
            active: Some(true),
            ..Default::default()
        },
        "deactivate" => UserPatch {
            active: Some(false),
            ..Default::default()
        },
        _ => UserPatch {
            password: f.password,
            ..Default::default()
        },
    };
    match staff::update_user(&s.db, &u.who.actor, id, &patch, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(e) => match errors_of(e, &u) {
            Ok(errors) => users_page(&s, &u, errors).await,
            Err(r) => r,
        },
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    patient_id: Option<String>,
    page: Option<u64>,
}

struct AuditRow {
    e: AuditEventView,
    at: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<AuditRow>,
    page: Page<()>,
    patient_id: String,
    prev_href: Option<String>,
    next_href: Option<String>,
}

pub async fn audit(State(s): State<AppState>, u: UiUser, Query(q): Query<AuditQuery>) -> Response {
    if let Err(r) = admin_only(&u) {
        return r;
    }
    let patient = q.patient_id.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let patient_id = match patient.map(Uuid::parse_str).transpose() {
        Ok(p) => p,
        Err(_) => return u.error_page(StatusCode::UNPROCESSABLE_ENTITY, u.t().not_found),
    };
    match audit::list_events(
        &s.db,
        &u.who.actor,
        patient_id,
        q.page,
        Some(50),
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(p) => {
            let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
            let rows = p
                .items
                .into_iter()
                .map(|e| AuditRow {
                    at: e.at.to_offset(CHINA).format(&fmt).unwrap_or_default(),
                    e,
                })
                .collect();
            let pid = patient_id.map(|p| p.to_string()).unwrap_or_default();
            let pages = (p.total.max(0) as u64).div_ceil(p.per_page).max(1);
            let href = |n: u64| format!("/admin/audit?patient_id={pid}&page={n}");
            let page = Page {
                items: vec![],
                total: p.total,
                page: p.page,
                per_page: p.per_page,
            };
            render(&AuditPage {
                c: u.chrome(),
                rows,
                prev_href: (p.page > 1).then(|| href(p.page - 1)),
                next_href: (p.page < pages).then(|| href(p.page + 1)),
                page,
                patient_id: pid,
            })
        }
        Err(e) => u.fail(e),
    }
}
