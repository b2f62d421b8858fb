//! The figures' targets of an organisation (考核目标) on screen (admins, as in the API): a row
//! per figure with its target and source, a form to set or change it, and a button to remove
//! it. A refused form keeps what was typed and says what is wrong.

use super::admin::{admin_only, errors_of};
use super::{Chrome, FormErrors, Lang, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use careloop_service::ServiceError;
use careloop_service::admin::figures::BREAKDOWN_FIGURES;
use careloop_service::admin::staff::{self, OrganisationView};
use careloop_service::admin::targets::{self, TargetInput, TargetView};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "targets.html")]
struct TargetsPage {
    c: Chrome,
    organisations: Vec<OrganisationView>,
    organisation: OrganisationView,
    /// (figure's name, its target) in the figures page's order.
    rows: Vec<(&'static str, TargetView)>,
    refused: Option<TargetForm>,
    errors: FormErrors,
}

impl TargetsPage {
    fn refused_of(&self, figure: &str) -> Option<&TargetForm> {
        self.refused.as_ref().filter(|f| f.figure == figure)
    }

    fn error(&self, figure: &str, field: &str) -> Option<&str> {
        self.refused_of(figure).and_then(|_| self.errors.get(field))
    }

    /// What a field shows: as typed when its form was refused, else as stored.
    fn value(&self, v: &TargetView, field: &str) -> String {
        if let Some(f) = self.refused_of(&v.figure) {
            return if field == "percent" {
                f.percent.clone()
            } else {
                f.source.clone()
            };
        }
        match field {
            "percent" => v.percent.map(|p| p.to_string()).unwrap_or_default(),
            _ => v.source.clone().unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
pub struct Which {
    organisation: Option<Uuid>,
}

async fn targets_page(
    s: &AppState,
    u: &UiUser,
    id: Option<Uuid>,
    refused: Option<TargetForm>,
    errors: FormErrors,
) -> Response {
    let organisations = match staff::list_organisations(&s.db).await {
        Ok(o) => o,
        Err(e) => return u.fail(e),
    };
    let default = match targets::organisation_of(&s.db, &u.who.actor).await {
        Ok(d) => d,
        Err(e) => return u.fail(e),
    };
    let chosen = id.unwrap_or(default);
    let Some(organisation) = organisations
        .iter()
        .find(|o| o.id == chosen)
        .or(organisations.first())
        .cloned()
    else {
        return u.fail(ServiceError::NotFound("organisation"));
    };
    let views = match targets::of_organisation(&s.db, organisation.id).await {
        Ok(v) => v,
        Err(e) => return u.fail(e),
    };
    let zh = u.lang == Lang::Zh;
    let satisfaction = (u.t().satisfaction_chart, u.t().satisfaction_chart);
    let rows = BREAKDOWN_FIGURES
        .iter()
        .chain(std::iter::once(&satisfaction))
        .zip(views)
        .map(|((name_zh, name_en), v)| (if zh { *name_zh } else { *name_en }, v))
        .collect();
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(&TargetsPage {
        c: u.chrome(),
        organisations,
        organisation,
        rows,
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
    targets_page(&s, &u, q.organisation, None, FormErrors::default()).await
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetForm {
    csrf: String,
    figure: String,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    source: String,
}

fn back(id: Uuid) -> Response {
    Redirect::to(&format!("/admin/targets?organisation={id}")).into_response()
}

/// Set a figure's target.
pub async fn save(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>, Form(f): Form<TargetForm>) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    let typed = f.percent.trim().trim_end_matches('%').trim();
    let result = match typed.parse::<f64>() {
        Ok(percent) => {
            let input = TargetInput {
                percent,
                source: f.source.clone(),
            };
            targets::set(&s.db, &u.who.actor, id, &f.figure, &input, OffsetDateTime::now_utc())
                .await
                .map(|_| ())
        }
        Err(_) => Err(careloop_domain::FieldError::new(
            "percent",
            "not_a_number",
            "the target must be a number",
            "请输入数字",
        )
        .into()),
    };
    match result {
        Ok(()) => back(id),
        Err(e) => match errors_of(e, &u) {
            Ok(errors) => targets_page(&s, &u, Some(id), Some(f), errors).await,
            Err(r) => r,
        },
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    csrf: String,
    figure: String,
}

/// Remove a figure's target.
pub async fn remove(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>, Form(f): Form<RemoveForm>) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    match targets::remove(&s.db, &u.who.actor, id, &f.figure, OffsetDateTime::now_utc()).await {
        Ok(()) => back(id),
        Err(e) => u.fail(e),
    }
}
