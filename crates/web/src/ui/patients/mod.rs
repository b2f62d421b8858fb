//! Patient pages: list with search and pagination, enrol and edit forms, the patient page with
//! record, diagnoses and observations, and the forms that add to them.

use super::{Chrome, FormErrors, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use careloop_domain::advice::Matched;
use careloop_domain::clock::CHINA;
use careloop_domain::indicator::{CATALOGUE, Indicator, ObservationInput};
use careloop_domain::patient::PatientInput;
use careloop_domain::proxy::Relation;
use careloop_domain::record::DiagnosisInput;
use careloop_domain::record::HealthRecord;
use careloop_domain::risk_tier::RiskTier;
use careloop_service::admin::staff::DepartmentView;
use careloop_service::followup::batch_enrol::{self, BatchEnrolInput, BatchEnrolment};
use careloop_service::patients::observations::ObservationView;
use careloop_service::patients::proxies::{self, ProxyInput, ProxyView};
use careloop_service::patients::records::DiagnosisView;
use careloop_service::patients::register::{PatientDetail, PatientSummary};
use careloop_service::patients::trends::IndicatorTrend;
use careloop_service::questionnaires::link_revocation::{self, LinkSummary};
use careloop_service::questionnaires::links as patient_links;
use careloop_service::questionnaires::responses::ResponseSummary;
use careloop_service::risk::assessments::{self as risk_tiers, AssessmentInput, RiskTierHistory};
use careloop_service::{
    Page, ServiceError, admin::staff, patients::observations, patients::records, patients::register as patients,
};
use serde::Deserialize;
use time::{OffsetDateTime, Time};
use uuid::Uuid;

mod batch;
mod consent;
mod death;
mod discharge;
mod links;
mod page;
mod record;
mod response;
mod values;

pub use batch::enrol_batch;
pub use consent::record_consent;
pub use death::{clear_death, report_death};
pub use discharge::record_discharge;
pub use links::{add_proxy, make_link, revoke_proxy, withdraw_link};
pub use page::show;
use page::{patient_page, patient_page_with};
pub use record::{record_form, save_record};
pub use response::show_response;
pub use values::{add_diagnosis, add_observation, assess_tier};

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "patients.html")]
struct ListPage {
    c: Chrome,
    /// (id, name) of every protocol, for batch enrolment.
    protocols: Vec<(String, String)>,
    today: String,
    q: String,
    page: Page<PatientSummary>,
    pages: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
}

pub async fn list(State(s): State<AppState>, u: UiUser, Query(q): Query<ListQuery>) -> Response {
    let now = OffsetDateTime::now_utc();
    let page = match patients::search_patients(&s.db, &u.who.actor, q.q.as_deref(), q.page, Some(20), now).await {
        Ok(p) => p,
        Err(e) => return u.fail(e),
    };
    let protocols = match super::protocol_choices(&s.db, u.lang).await {
        Ok(p) => p,
        Err(e) => return u.fail(e),
    };
    let pages = (page.total.max(0) as u64).div_ceil(page.per_page).max(1);
    let query = q.q.clone().unwrap_or_default();
    let href = |n: u64| format!("/patients?q={}&page={n}", super::percent_encode(&query));
    let prev_href = (page.page > 1).then(|| href(page.page - 1));
    let next_href = (page.page < pages).then(|| href(page.page + 1));
    render(&ListPage {
        c: u.chrome(),
        protocols,
        today: careloop_domain::clock::local_today(now).to_string(),
        q: query,
        pages,
        prev_href,
        next_href,
        page,
    })
}

#[derive(Template)]
#[template(path = "patient_form.html")]
struct PatientForm {
    c: Chrome,
    action: String,
    title: &'static str,
    v: PatientInput,
    errors: FormErrors,
    departments: Vec<DepartmentView>,
}

impl PatientForm {
    /// The current value of a form field, by its name.
    fn field(&self, key: &str) -> &str {
        let v = &self.v;
        let slot = match key {
            "name" => &v.name,
            "sex" => &v.sex,
            "birth_date" => &v.birth_date,
            "id_number" => &v.id_number,
            "phone" => &v.phone,
            "address" => &v.address,
            "emergency_contact_name" => &v.emergency_contact_name,
            "emergency_contact_phone" => &v.emergency_contact_phone,
            "department" => &v.department,
            _ => &None,
        };
        slot.as_deref().unwrap_or("")
    }
}

async fn form_page(
    s: &AppState,
    u: &UiUser,
    action: String,
    title: &'static str,
    v: PatientInput,
    errors: FormErrors,
) -> Response {
    let departments = staff::list_departments(&s.db).await.unwrap_or_default();
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(&PatientForm {
        c: u.chrome(),
        action,
        title,
        v,
        errors,
        departments,
    });
    *res.status_mut() = status;
    res
}

pub async fn new_form(State(s): State<AppState>, u: UiUser) -> Response {
    form_page(
        &s,
        &u,
        "/patients".into(),
        u.t().new_patient,
        PatientInput::default(),
        FormErrors::default(),
    )
    .await
}

/// The enrol/edit form's fields plus its CSRF token.
#[derive(Deserialize)]
pub struct PatientFormData {
    csrf: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

impl PatientFormData {
    fn input(&self) -> PatientInput {
        let f = |k: &str| {
            self.fields
                .get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        PatientInput {
            name: f("name"),
            sex: f("sex"),
            birth_date: f("birth_date"),
            id_number: f("id_number"),
            phone: f("phone"),
            address: f("address"),
            emergency_contact_name: f("emergency_contact_name"),
            emergency_contact_phone: f("emergency_contact_phone"),
            department: f("department"),
        }
    }
}

pub async fn create(State(s): State<AppState>, u: UiUser, Form(form): Form<PatientFormData>) -> Response {
    if let Err(r) = u.check_csrf(&form.csrf) {
        return r;
    }
    let input = form.input();
    match patients::enrol_patients(
        &s.db,
        &u.who.actor,
        std::slice::from_ref(&input),
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(done) => match done.first() {
            Some(p) => Redirect::to(&format!("/patients/{}", p.id)).into_response(),
            None => Redirect::to("/patients").into_response(),
        },
        Err(e) => form_error(&s, &u, "/patients".into(), u.t().new_patient, input, e).await,
    }
}

async fn form_error(
    s: &AppState,
    u: &UiUser,
    action: String,
    title: &'static str,
    input: PatientInput,
    e: ServiceError,
) -> Response {
    match e {
        ServiceError::Invalid(f) => form_page(s, u, action, title, input, FormErrors::from_field(f, u.lang)).await,
        ServiceError::Conflict {
            field,
            message,
            message_zh,
        } => {
            let msg = if u.lang == super::Lang::Zh { message_zh } else { message };
            form_page(s, u, action, title, input, FormErrors(vec![(field, msg)])).await
        }
        other => u.fail(other),
    }
}

pub async fn edit_form(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>) -> Response {
    match patients::get_patient(&s.db, &u.who.actor, id, OffsetDateTime::now_utc()).await {
        Ok(p) => {
            let v = PatientInput {
                name: Some(p.name),
                sex: Some(p.sex.as_str().into()),
                birth_date: Some(p.birth_date.to_string()),
                id_number: p.id_number,
                phone: p.phone,
                address: p.address,
                emergency_contact_name: p.emergency_contact_name,
                emergency_contact_phone: p.emergency_contact_phone,
                department: Some(p.department),
            };
            form_page(
                &s,
                &u,
                format!("/patients/{id}/edit"),
                u.t().edit,
                v,
                FormErrors::default(),
            )
            .await
        }
        Err(e) => u.fail(e),
    }
}

pub async fn update(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(form): Form<PatientFormData>,
) -> Response {
    if let Err(r) = u.check_csrf(&form.csrf) {
        return r;
    }
    let mut input = form.input();
    // An emptied optional field clears it; the merge only skips fields the form did not send.
    for (key, slot) in [
        ("address", &mut input.address),
        ("emergency_contact_name", &mut input.emergency_contact_name),
        ("emergency_contact_phone", &mut input.emergency_contact_phone),
    ] {
        if slot.is_none() && form.fields.contains_key(key) {
            *slot = Some(String::new());
        }
    }
    match patients::update_patient(&s.db, &u.who.actor, id, input.clone(), OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}")).into_response(),
        Err(e) => form_error(&s, &u, format!("/patients/{id}/edit"), u.t().edit, input, e).await,
    }
}
