//! Recording a death, and an admin undoing a mistaken one.

use super::*;

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
