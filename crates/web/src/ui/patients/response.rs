//! One questionnaire response opened item by item (问卷逐题查看): each answered question with
//! the answer in the words the patient chose and its score.

use super::*;
use careloop_service::questionnaires::responses::{ResponseDetail, response_detail};

#[derive(Template)]
#[template(path = "response.html")]
struct ResponsePage {
    c: Chrome,
    r: ResponseDetail,
}

impl ResponsePage {
    fn local(&self, at: &OffsetDateTime) -> String {
        crate::ui::followup::local(at)
    }
}

pub async fn show_response(
    State(s): State<AppState>,
    u: UiUser,
    Path((id, response_id)): Path<(Uuid, Uuid)>,
) -> Response {
    match response_detail(&s.db, &u.who.actor, id, response_id, OffsetDateTime::now_utc()).await {
        Ok(r) => render(&ResponsePage { c: u.chrome(), r }),
        Err(e) => u.fail(e),
    }
}
