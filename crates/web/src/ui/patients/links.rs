//! Questionnaire links and family proxies from the patient page.

use super::*;

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
        Ok(link) => patient_page_with(&s, &u, id, FormErrors::default(), Some(link.url), None).await,
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
