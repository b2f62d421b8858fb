//! The health record form (健康档案).

use super::*;

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
