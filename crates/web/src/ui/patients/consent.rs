//! 登记患者同意或撤回 from the patient page: staff record a change the patient made on the phone
//! or at the desk (the way back after a 退订 reply).

use super::*;
use careloop_service::patients::consents::{self, ConsentInput};

#[derive(Deserialize)]
pub struct ConsentForm {
    csrf: String,
    channel: String,
    #[serde(default)]
    granted: String,
    #[serde(default)]
    notice_version: String,
}

pub async fn record_consent(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<ConsentForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let input = ConsentInput {
        channel: f.channel,
        granted: f.granted == "true",
        notice_version: Some(f.notice_version),
    };
    match consents::change(&s.db, &u.who.actor, id, &input, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}#consents")).into_response(),
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}
