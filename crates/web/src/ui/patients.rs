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
    let protocols = match super::protocol_choices(&s.db).await {
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

/// One row of the observation table.
struct ObsRow {
    o: ObservationView,
    date: String,
}

#[derive(Template)]
#[template(path = "patient.html")]
struct PatientPage {
    c: Chrome,
    p: PatientDetail,
    record: HealthRecord,
    diagnoses: Vec<DiagnosisView>,
    tiers: RiskTierHistory,
    responses: Vec<ResponseSummary>,
    /// PHQ-9 and GAD-7 totals over time as an inline SVG (numbers and fixed labels only).
    score_chart: Option<String>,
    /// (id, title) of every questionnaire, for making a link.
    questionnaire_list: Vec<(String, String)>,
    /// A link just made, shown once.
    new_link: Option<String>,
    /// The patient's recent links, open ones with a 收回 button.
    links: Vec<LinkSummary>,
    /// Family proxies (家属代理), withdrawn ones included.
    proxies: Vec<ProxyView>,
    /// Indicators with two or more values: the trend and its chart (numbers and catalogue words).
    trends: Vec<(IndicatorTrend, String)>,
    /// Matched advice articles: the article, why, and its body as HTML (Markdown with raw HTML
    /// escaped, `ui/markdown.rs`).
    advice: Vec<(Matched, String)>,
    /// Tags with their source (manual / rule).
    tags: Vec<careloop_service::followup::events::TagView>,
    /// What the tiering rules make of the patient now, with reasons and model bounds.
    computed: careloop_domain::tiering::ComputedTier,
    /// Imported reports (检查报告) with their values.
    lab_reports: Vec<careloop_service::patients::lab_reports::LabReportView>,
    relations: [Relation; 5],
    /// Doctors and health managers see the assessment form.
    may_assess: bool,
    tier_options: [RiskTier; 3],
    observations: Vec<ObsRow>,
    catalogue: &'static [Indicator],
    errors: FormErrors,
    today: String,
}

impl PatientPage {
    /// A free-text field, or "not recorded" when empty.
    fn text<'a>(&'a self, v: &'a Option<String>) -> &'a str {
        v.as_deref().filter(|s| !s.is_empty()).unwrap_or(self.c.t.not_recorded)
    }

    /// A stored tier (`high` ...) in words.
    fn tier_text<'a>(&self, stored: &'a str) -> &'a str {
        self.c.t.tier_label(stored)
    }

    /// A trend's one-line summary: slope, direction, abnormal values, worsening runs.
    fn trend_summary(&self, t: &IndicatorTrend) -> String {
        use careloop_domain::trend::Direction;
        let zh = self.c.t.lang == super::i18n::Lang::Zh;
        let tr = &t.trend;
        let direction = match (zh, tr.direction) {
            (true, Some(Direction::Rising)) => "上升",
            (true, Some(Direction::Falling)) => "下降",
            (true, _) => "平稳",
            (false, Some(Direction::Rising)) => "rising",
            (false, Some(Direction::Falling)) => "falling",
            (false, _) => "stable",
        };
        let slope = tr
            .slope_per_year
            .map_or(String::new(), |s| format!("{s:+.2} {}/", t.unit));
        let (abnormal, total, runs) = (tr.abnormal_count, tr.points.len(), tr.worsening_runs.len());
        if zh {
            format!("{slope}年，{direction}；异常 {abnormal} 次 / 共 {total} 次；连续恶化 {runs} 段")
        } else {
            format!("{slope}year, {direction}; {abnormal} of {total} abnormal; {runs} worsening run(s)")
        }
    }

    /// The China-time day of an instant.
    fn day(&self, t: &OffsetDateTime) -> time::Date {
        t.to_offset(CHINA).date()
    }

    fn tier_label(&self, t: &RiskTier) -> &'static str {
        super::worklist::tier_label(self.c.t, *t)
    }

    /// A coded lifestyle answer in words, or "not recorded".
    fn coded<'a>(&self, v: &'a Option<String>) -> &'a str {
        match v.as_deref() {
            Some(code) => self.c.t.record_label(code),
            None => self.c.t.not_recorded,
        }
    }
}

async fn patient_page(s: &AppState, u: &UiUser, id: Uuid, errors: FormErrors) -> Response {
    patient_page_with(s, u, id, errors, None).await
}

async fn patient_page_with(
    s: &AppState,
    u: &UiUser,
    id: Uuid,
    errors: FormErrors,
    new_link: Option<String>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let a = &u.who.actor;
    match careloop_service::patients::page::patient_page(&s.db, a, id, now).await {
        Ok(page) => {
            let careloop_service::patients::page::PatientPage {
                patient: p,
                record,
                diagnoses,
                tiers,
                computed,
                advice,
                tags,
                observations: obs,
                trends,
                lab_reports,
                responses,
                questionnaires: list,
                links,
                proxies,
            } = page;
            let advice = advice
                .into_iter()
                .map(|m| {
                    let html = super::markdown::to_html(&m.article.body);
                    (m, html)
                })
                .collect();
            let trends = trends
                .into_iter()
                .filter_map(|t| super::chart::indicator_trend(&t).map(|svg| (t, svg)))
                .collect();
            let observations = obs
                .into_iter()
                .map(|o| ObsRow {
                    date: o.effective_at.to_offset(CHINA).date().to_string(),
                    o,
                })
                .collect();
            let status = if errors.any() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let page = PatientPage {
                c: u.chrome(),
                p,
                record,
                diagnoses,
                tiers,
                score_chart: score_chart(&responses),
                responses,
                questionnaire_list: list.into_iter().map(|q| (q.id, q.title)).collect(),
                new_link,
                links,
                proxies,
                trends,
                advice,
                tags,
                computed,
                lab_reports,
                relations: Relation::ALL,
                may_assess: a.may_assess_risk(),
                tier_options: RiskTier::ALL,
                observations,
                catalogue: CATALOGUE,
                errors,
                today: careloop_domain::clock::local_today(now).to_string(),
            };
            let mut res = render(&page);
            *res.status_mut() = status;
            res
        }
        Err(e) => u.fail(e),
    }
}

pub async fn show(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>) -> Response {
    patient_page(&s, &u, id, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct ObservationForm {
    csrf: String,
    code: String,
    value: String,
    unit: Option<String>,
    effective_at: Option<String>,
}

pub async fn add_observation(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<ObservationForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let parsed = parse_observation(&f, now);
    let result = match parsed {
        Ok(input) => observations::record_observations(&s.db, &u.who.actor, &[(id, input)], now)
            .await
            .map(|_| ()),
        Err(e) => Err(ServiceError::Invalid(e)),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/patients/{id}#observations")).into_response(),
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

fn parse_observation(
    f: &ObservationForm,
    now: OffsetDateTime,
) -> Result<ObservationInput, careloop_domain::FieldError> {
    let value: f64 = f.value.trim().parse().map_err(|_| {
        careloop_domain::FieldError::new("value", "value_invalid", "value must be a number", "数值应为数字")
    })?;
    let effective_at = match f.effective_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => {
            let date = careloop_domain::patient::parse_date(d, "effective_at")?;
            // A date alone means that morning; entered before 08:00 on the day itself, it means
            // now (else a reading taken at 07:30 would count as in the future).
            OffsetDateTime::new_in_offset(date, Time::from_hms(8, 0, 0).unwrap_or(Time::MIDNIGHT), CHINA).min(now)
        }
        None => now,
    };
    Ok(ObservationInput {
        code: f.code.clone(),
        value,
        unit: f.unit.clone().filter(|u| !u.trim().is_empty()),
        effective_at,
        source: Some("manual".into()),
    })
}

#[derive(Deserialize)]
pub struct DiagnosisForm {
    csrf: String,
    icd10_code: String,
    name: String,
    diagnosed_on: Option<String>,
}

pub async fn add_diagnosis(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<DiagnosisForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let input = DiagnosisInput {
        icd10_code: Some(f.icd10_code),
        name: Some(f.name),
        diagnosed_on: f.diagnosed_on,
        note: None,
    };
    match records::add_diagnosis(&s.db, &u.who.actor, id, &input, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}#diagnoses")).into_response(),
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct TierForm {
    csrf: String,
    tier: String,
    reason: String,
}

/// A doctor's or health manager's risk tier assessment from the patient page.
pub async fn assess_tier(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<TierForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let input = AssessmentInput {
        tier: f.tier,
        reason: f.reason,
    };
    match risk_tiers::assess(&s.db, &u.who.actor, id, &input, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}#risk-tier")).into_response(),
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

/// PHQ-9 and GAD-7 totals of completed responses, oldest first.
fn score_chart(responses: &[ResponseSummary]) -> Option<String> {
    let series = |id: &str, label: &'static str, max: f64| {
        let mut points: Vec<_> = responses
            .iter()
            .filter(|r| r.questionnaire == id && r.status == "completed")
            .filter_map(|r| Some((r.updated_at.to_offset(CHINA).date(), r.score?)))
            .collect();
        points.reverse();
        super::chart::Series { label, max, points }
    };
    super::chart::scores_over_time(&[series("phq-9", "PHQ-9", 27.0), series("gad-7", "GAD-7", 21.0)])
}

#[derive(Deserialize)]
pub struct LinkForm {
    csrf: String,
    questionnaire: String,
}

/// Make a questionnaire link for the patient and show it once on their page (to send by SMS or
/// WeChat, or read out on the phone).
pub async fn make_link(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<LinkForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let made = patient_links::create_questionnaire_link(
        &s.db,
        &u.who.actor,
        id,
        &f.questionnaire,
        None,
        &s.public_url,
        OffsetDateTime::now_utc(),
    )
    .await;
    match made {
        Ok(link) => patient_page_with(&s, &u, id, FormErrors::default(), Some(link.url)).await,
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct ProxyForm {
    csrf: String,
    name: String,
    relation: String,
    phone: String,
    consent: String,
    /// A checkbox: present (`on`) when ticked.
    receives_links: Option<String>,
}

/// Bind a family proxy with the patient's recorded consent (家属代理).
pub async fn add_proxy(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<ProxyForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let input = ProxyInput {
        name: f.name,
        relation: f.relation,
        phone: f.phone,
        consent: f.consent,
        receives_links: f.receives_links.is_some(),
    };
    match proxies::add_proxy(&s.db, &u.who.actor, id, &input, OffsetDateTime::now_utc()).await {
        Ok(_) => patient_page(&s, &u, id, FormErrors::default()).await,
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

/// Withdraw a proxy's consent; their open links stop working at once.
pub async fn revoke_proxy(
    State(s): State<AppState>,
    u: UiUser,
    Path((id, proxy_id)): Path<(Uuid, Uuid)>,
    Form(f): Form<WithdrawForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    match proxies::revoke_proxy(&s.db, &u.who.actor, proxy_id, &f.reason, OffsetDateTime::now_utc()).await {
        Ok(_) => patient_page(&s, &u, id, FormErrors::default()).await,
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    csrf: String,
    reason: String,
}

/// Withdraw one of the patient's open links (收回链接) from their page.
pub async fn withdraw_link(
    State(s): State<AppState>,
    u: UiUser,
    Path((id, link_id)): Path<(Uuid, String)>,
    Form(f): Form<WithdrawForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let done = link_revocation::withdraw(&s.db, &u.who.actor, id, &link_id, &f.reason, OffsetDateTime::now_utc()).await;
    match done {
        Ok(_) => patient_page(&s, &u, id, FormErrors::default()).await,
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

#[derive(Template)]
#[template(path = "batch_result.html")]
struct BatchResultPage {
    c: Chrome,
    result: Option<BatchEnrolment>,
    error: Option<String>,
}

/// 批量入组 from the patient list: the ticked patients on one protocol. The form repeats
/// `patient_ids`, which serde's form parser cannot collect, so the body is read pair by pair.
pub async fn enrol_batch(State(s): State<AppState>, u: UiUser, body: axum::body::Bytes) -> Response {
    let (mut csrf, mut protocol, mut anchor_date, mut ids) = (String::new(), String::new(), None, Vec::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "protocol" => protocol = v.into_owned(),
            "anchor_date" => anchor_date = Some(v.into_owned()),
            "patient_ids" => ids.push(v.into_owned()),
            _ => {}
        }
    }
    if let Err(r) = u.check_csrf(&csrf) {
        return r;
    }
    let input = BatchEnrolInput {
        protocol,
        // Ticked boxes hold patient ids; anything else is not a patient of this list.
        patient_ids: ids.iter().filter_map(|i| Uuid::parse_str(i).ok()).collect(),
        anchor_date,
    };
    let (result, error, status) =
        match batch_enrol::enrol_many(&s.db, &u.who.actor, &input, OffsetDateTime::now_utc()).await {
            Ok(r) => (Some(r), None, StatusCode::OK),
            Err(ServiceError::Invalid(e)) => {
                let msg = if u.lang == super::i18n::Lang::Zh {
                    e.message_zh
                } else {
                    e.message
                };
                (None, Some(msg), StatusCode::UNPROCESSABLE_ENTITY)
            }
            Err(e) => return u.fail(e),
        };
    let mut res = render(&BatchResultPage {
        c: u.chrome(),
        result,
        error,
    });
    *res.status_mut() = status;
    res
}

#[derive(Template)]
#[template(path = "record_form.html")]
struct RecordForm {
    c: Chrome,
    id: Uuid,
    name: String,
    r: HealthRecord,
    errors: FormErrors,
}

impl RecordForm {
    fn selected(&self, key: &str, code: &str) -> bool {
        self.field(key) == code
    }

    /// The current value of a record field, by its name.
    fn field(&self, key: &str) -> &str {
        let r = &self.r;
        let slot = match key {
            "past_history" => &r.past_history,
            "family_history" => &r.family_history,
            "allergies" => &r.allergies,
            "medications" => &r.medications,
            "smoking" => &r.smoking,
            "alcohol" => &r.alcohol,
            "exercise" => &r.exercise,
            "diet" => &r.diet,
            "sleep" => &r.sleep,
            "region" => &r.region,
            "residence" => &r.residence,
            "bp_treated" => &r.bp_treated,
            "family_history_ascvd" => &r.family_history_ascvd,
            "family_history_diabetes" => &r.family_history_diabetes,
            _ => &None,
        };
        slot.as_deref().unwrap_or("")
    }
}

pub async fn record_form(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>) -> Response {
    let now = OffsetDateTime::now_utc();
    let loaded = async {
        let p = patients::get_patient(&s.db, &u.who.actor, id, now).await?;
        let r = records::get_health_record(&s.db, &u.who.actor, id, now).await?;
        Ok::<_, ServiceError>((p, r))
    }
    .await;
    match loaded {
        Ok((p, r)) => render(&RecordForm {
            c: u.chrome(),
            id,
            name: p.name,
            r: r.record,
            errors: FormErrors::default(),
        }),
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct RecordFormData {
    csrf: String,
    #[serde(flatten)]
    r: HealthRecord,
}

pub async fn save_record(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<RecordFormData>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    match records::save_health_record(&s.db, &u.who.actor, id, f.r.clone(), OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}#record")).into_response(),
        Err(ServiceError::Invalid(e)) => {
            let mut res = render(&RecordForm {
                c: u.chrome(),
                id,
                name: String::new(),
                r: f.r,
                errors: FormErrors::from_field(e, u.lang),
            });
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => u.fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn form(date: &str) -> ObservationForm {
        ObservationForm {
            csrf: String::new(),
            code: "sbp".into(),
            value: "150".into(),
            unit: None,
            effective_at: Some(date.into()),
        }
    }

    #[test]
    fn a_date_means_that_morning_but_never_later_than_now() {
        let early = datetime!(2026-11-23 07:30 +08:00);
        let today = parse_observation(&form("2026-11-23"), early).unwrap();
        assert_eq!(today.effective_at, early, "before 08:00 on the day itself: now");
        let past = parse_observation(&form("2026-11-20"), early).unwrap();
        assert_eq!(past.effective_at, datetime!(2026-11-20 08:00 +08:00));
        let later = datetime!(2026-11-23 15:00 +08:00);
        assert_eq!(
            parse_observation(&form("2026-11-23"), later).unwrap().effective_at,
            datetime!(2026-11-23 08:00 +08:00)
        );
    }
}

#[derive(Deserialize)]
pub struct DeathForm {
    csrf: String,
    died_on: String,
}

/// 登记死亡 from the patient page.
pub async fn report_death(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<DeathForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    match patients::report_death(&s.db, &u.who.actor, id, &f.died_on, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}#deceased")).into_response(),
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

/// 撤销死亡登记 (admins).
pub async fn clear_death(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    match patients::clear_death(&s.db, &u.who.actor, id, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}")).into_response(),
        Err(e) => u.fail(e),
    }
}
