//! 登记出院 from the patient page: a ward nurse starts discharge follow-up from the ward.

use super::*;
use careloop_service::followup::events::{self, DischargeInput};

#[derive(Deserialize)]
pub struct DischargeForm {
    csrf: String,
    discharged_on: String,
    #[serde(default)]
    ward: String,
    #[serde(default)]
    diagnosis_code: String,
    #[serde(default)]
    summary: String,
}

/// Record the discharge and show the page with what it started (the protocols by name).
pub async fn record_discharge(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<DischargeForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let input = DischargeInput {
        discharged_on: Some(f.discharged_on),
        ward: Some(f.ward),
        diagnosis_code: Some(f.diagnosis_code),
        summary: Some(f.summary),
    };
    match events::record_discharge(&s.db, &u.who.actor, id, &input, OffsetDateTime::now_utc()).await {
        Ok(d) => {
            let names = match crate::ui::protocol_choices(&s.db, u.lang).await {
                Ok(all) => all,
                Err(e) => return u.fail(e),
            };
            let t = u.t();
            let started: Vec<&str> = d
                .enrolled_in
                .iter()
                .map(|p| {
                    names
                        .iter()
                        .find(|(id, _)| id == p)
                        .map_or(p.as_str(), |(_, n)| n.as_str())
                })
                .collect();
            let notice = if started.is_empty() {
                format!(
                    "{}（{}）。{}",
                    t.discharge_recorded, d.discharged_on, t.discharge_no_protocol
                )
            } else {
                format!(
                    "{}（{}）。{}：{}",
                    t.discharge_recorded,
                    d.discharged_on,
                    t.discharge_started,
                    started.join("、")
                )
            };
            patient_page_with(&s, &u, id, FormErrors::default(), None, Some(notice)).await
        }
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}
