//! The critical-value table (危急值表) of an organisation, on screen: the national thresholds
//! that cannot change, and the laboratory rows — seeded or the organisation's own — each with a
//! form to change it or go back to the seeded row, and a form to add a row for another
//! laboratory indicator (admin only, as in the API).

use super::admin::{admin_only, errors_of};
use super::{Chrome, FormErrors, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use careloop_domain::critical;
use careloop_domain::indicator::CATALOGUE;
use careloop_service::ServiceError;
use careloop_service::admin::staff::{self, OrganisationView};
use careloop_service::critical_limits::{self, CriticalLimitInput, CriticalLimitView};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "critical_limits.html")]
struct LimitsPage {
    c: Chrome,
    organisations: Vec<OrganisationView>,
    organisation: OrganisationView,
    rows: Vec<CriticalLimitView>,
    /// Laboratory indicators without a row yet: (code, name, unit).
    addable: Vec<(&'static str, &'static str, &'static str)>,
    national: Vec<(&'static str, String)>,
    /// The form that was refused, as typed, with the errors to show on it.
    refused: Option<LimitForm>,
    errors: FormErrors,
}

impl LimitsPage {
    /// The refused form, when it is row `code`'s (`""`: the form adding a row).
    fn refused_of(&self, code: &str) -> Option<&LimitForm> {
        let refused = self.refused.as_ref()?;
        let is_row = self.rows.iter().any(|r| r.code == refused.code);
        (refused.code == code || (code.is_empty() && !is_row)).then_some(refused)
    }

    /// Whether the refused form was adding a row for indicator `code`.
    fn adding(&self, code: &str) -> bool {
        self.refused_of("").is_some_and(|f| f.code == code)
    }

    /// The error of a field of row `code`, when its form was refused.
    fn error(&self, code: &str, field: &str) -> Option<&str> {
        self.refused_of(code).and_then(|_| self.errors.get(field))
    }

    /// What a field of row `code` shows: as typed when its form was refused, else as stored
    /// (`""` for the form adding a row).
    fn value(&self, code: &str, field: &str) -> String {
        if let Some(f) = self.refused_of(code) {
            let typed = match field {
                "at_most" => &f.at_most,
                "at_least" => &f.at_least,
                _ => &f.source,
            };
            return typed.clone().unwrap_or_default();
        }
        let Some(row) = self.rows.iter().find(|r| r.code == code) else {
            return String::new();
        };
        let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        match field {
            "at_most" => number(row.at_most),
            "at_least" => number(row.at_least),
            // A seeded row's source is not the organisation's: it names its own when it sets one.
            _ if !row.own => String::new(),
            _ => row.source.clone(),
        }
    }
}

#[derive(Deserialize)]
pub struct Which {
    organisation: Option<Uuid>,
}

async fn limits_page(
    s: &AppState,
    u: &UiUser,
    id: Option<Uuid>,
    refused: Option<LimitForm>,
    errors: FormErrors,
) -> Response {
    let organisations = match staff::list_organisations(&s.db).await {
        Ok(o) => o,
        Err(e) => return u.fail(e),
    };
    // Without a choice: the organisation of the first department (where the patients are).
    let departments = match staff::list_departments(&s.db).await {
        Ok(d) => d,
        Err(e) => return u.fail(e),
    };
    let default = departments
        .first()
        .and_then(|d| organisations.iter().find(|o| o.code == d.organisation))
        .or(organisations.first());
    let Some(organisation) = organisations.iter().find(|o| Some(o.id) == id).or(default).cloned() else {
        return u.fail(ServiceError::NotFound("organisation"));
    };
    let rows = match critical_limits::table(&s.db, organisation.id).await {
        Ok(r) => r,
        Err(e) => return u.fail(e),
    };
    let t = u.t();
    let zh = u.lang == super::Lang::Zh;
    let name = |i: &careloop_domain::indicator::Indicator| if zh { i.name_zh } else { i.name_en };
    let addable = CATALOGUE
        .iter()
        .filter(|i| critical::is_laboratory(i.code) && !rows.iter().any(|r| r.code == i.code))
        .map(|i| (i.code, name(i), i.unit))
        .collect();
    let national = vec![
        (t.critical_sbp, format!("≥ {} mmHg", critical::SBP_AT_LEAST)),
        (t.critical_dbp, format!("≥ {} mmHg", critical::DBP_AT_LEAST)),
        (
            t.critical_glucose,
            format!(
                "≥ {} mmol/L；≤ {} mmol/L {}",
                critical::GLUCOSE_AT_LEAST,
                critical::GLUCOSE_AT_MOST,
                t.critical_glucose_low_note
            ),
        ),
    ];
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(&LimitsPage {
        c: u.chrome(),
        organisations,
        organisation,
        rows,
        addable,
        national,
        refused,
        errors,
    });
    *res.status_mut() = status;
    res
}

pub async fn page(State(s): State<AppState>, u: UiUser, Query(q): Query<Which>) -> Response {
    if let Err(r) = admin_only(&u) {
        return r;
    }
    limits_page(&s, &u, q.organisation, None, FormErrors::default()).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitForm {
    csrf: String,
    code: String,
    at_most: Option<String>,
    at_least: Option<String>,
    source: Option<String>,
}

/// A typed limit: empty is none; anything else must be a number.
fn typed(v: Option<&str>, field: &str) -> Result<Option<f64>, careloop_domain::FieldError> {
    let v = v.map(str::trim).filter(|v| !v.is_empty());
    v.map(|v| {
        v.parse::<f64>().map_err(|_| {
            careloop_domain::FieldError::new(field, "not_a_number", format!("{field} must be a number"), "请输入数字")
        })
    })
    .transpose()
}

fn back(id: Uuid) -> Response {
    Redirect::to(&format!("/admin/critical-limits?organisation={id}")).into_response()
}

/// Set a row (a changed row or a new one).
pub async fn save(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>, Form(f): Form<LimitForm>) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    let parsed =
        typed(f.at_most.as_deref(), "at_most").and_then(|m| Ok((m, typed(f.at_least.as_deref(), "at_least")?)));
    let result = match parsed {
        Ok((at_most, at_least)) => {
            let input = CriticalLimitInput {
                at_most,
                at_least,
                source: f.source.clone().unwrap_or_default(),
            };
            critical_limits::set(&s.db, &u.who.actor, id, &f.code, &input, OffsetDateTime::now_utc())
                .await
                .map(|_| ())
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => back(id),
        Err(e) => match errors_of(e, &u) {
            Ok(errors) => limits_page(&s, &u, Some(id), Some(f), errors).await,
            Err(r) => r,
        },
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    csrf: String,
    code: String,
}

/// Remove the organisation's row: the seeded one (or none) applies again.
pub async fn reset(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>, Form(f): Form<ResetForm>) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    match critical_limits::reset(&s.db, &u.who.actor, id, &f.code, OffsetDateTime::now_utc()).await {
        Ok(()) => back(id),
        Err(e) => u.fail(e),
    }
}
