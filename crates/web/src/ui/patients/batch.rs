//! Batch enrolment (批量入组) from the ticked patient list.

use super::*;

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
                let msg = if u.lang == crate::ui::i18n::Lang::Zh {
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
