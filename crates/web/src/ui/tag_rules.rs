//! Tag rules on screen (自动标签规则, admins): every rule with its tag's patients and its
//! condition; a form to write a rule or change one, tried first — how many patients it would
//! tag, gain and lose, nothing stored — then saved and applied to everyone.

use super::admin::admin_only;
use super::{Chrome, FormErrors, Lang, UiUser, render};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use careloop_domain::indicator::CATALOGUE;
use careloop_domain::tag_rules::TagRule;
use careloop_service::ServiceError;
use careloop_service::risk::tag_rules::{self, RuleOverview, SavedTagRule, TagDryRun};
use serde::Deserialize;
use time::OffsetDateTime;

/// The rule form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    description_zh: String,
    #[serde(default)]
    when: String,
}

impl RuleForm {
    fn rule(&self) -> TagRule {
        TagRule {
            id: self.id.trim().to_string(),
            tag: self.tag.trim().to_string(),
            description_zh: self.description_zh.trim().to_string(),
            when: self.when.clone(),
        }
    }

    fn of(rule: &TagRule) -> RuleForm {
        RuleForm {
            id: rule.id.clone(),
            tag: rule.tag.clone(),
            description_zh: rule.description_zh.clone(),
            when: rule.when.clone(),
            ..RuleForm::default()
        }
    }
}

/// What the last action did.
enum Outcome {
    None,
    Tried(TagDryRun),
    Saved(SavedTagRule),
}

#[derive(Template)]
#[template(path = "tag_rules.html")]
struct RulesPage {
    c: Chrome,
    rules: Vec<RuleOverview>,
    form: RuleForm,
    /// Whether the form changes a stored rule (its id is then fixed).
    editing: bool,
    errors: FormErrors,
    outcome: Outcome,
    /// Indicator codes a condition may read: (code, name, unit).
    indicators: Vec<(&'static str, &'static str, &'static str)>,
}

impl RulesPage {
    fn tried(&self) -> Option<&TagDryRun> {
        match &self.outcome {
            Outcome::Tried(r) => Some(r),
            _ => None,
        }
    }

    fn saved(&self) -> Option<&SavedTagRule> {
        match &self.outcome {
            Outcome::Saved(s) => Some(s),
            _ => None,
        }
    }
}

async fn rules_page(s: &AppState, u: &UiUser, form: RuleForm, errors: FormErrors, outcome: Outcome) -> Response {
    let rules = match tag_rules::overview(&s.db, &u.who.actor).await {
        Ok(r) => r,
        Err(e) => return u.fail(e),
    };
    let zh = u.lang == Lang::Zh;
    let editing = rules.iter().any(|r| r.rule.id == form.id.trim());
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut res = render(&RulesPage {
        c: u.chrome(),
        rules,
        form,
        editing,
        errors,
        outcome,
        indicators: CATALOGUE
            .iter()
            .map(|i| (i.code, if zh { i.name_zh } else { i.name_en }, i.unit))
            .collect(),
    });
    *res.status_mut() = status;
    res
}

#[derive(Deserialize)]
pub struct Which {
    edit: Option<String>,
}

/// The rules, with the form empty or holding the rule `?edit=` names.
pub async fn page(State(s): State<AppState>, u: UiUser, Query(q): Query<Which>) -> Response {
    if let Err(r) = admin_only(&u) {
        return r;
    }
    let form = match q.edit {
        Some(id) => match tag_rules::list_rules(&s.db).await {
            Ok(rules) => match rules.iter().find(|r| r.id == id) {
                Some(rule) => RuleForm::of(rule),
                None => return u.fail(ServiceError::NotFound("tag rule")),
            },
            Err(e) => return u.fail(e),
        },
        None => RuleForm::default(),
    };
    rules_page(&s, &u, form, FormErrors::default(), Outcome::None).await
}

/// Try the rule on everyone (`action=dry_run`) or save it and apply it (`action=save`).
pub async fn submit(State(s): State<AppState>, u: UiUser, Form(f): Form<RuleForm>) -> Response {
    if let Err(r) = admin_only(&u).and_then(|()| u.check_csrf(&f.csrf)) {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let done = match f.action.as_str() {
        "save" => tag_rules::save_rule(&s.db, &u.who.actor, f.rule(), now)
            .await
            .map(Outcome::Saved),
        _ => tag_rules::dry_run(&s.db, &u.who.actor, f.rule(), now)
            .await
            .map(Outcome::Tried),
    };
    match done {
        Ok(outcome) => rules_page(&s, &u, f, FormErrors::default(), outcome).await,
        Err(ServiceError::Invalid(e)) => rules_page(&s, &u, f, FormErrors::from_field(e, u.lang), Outcome::None).await,
        Err(e) => u.fail(e),
    }
}
