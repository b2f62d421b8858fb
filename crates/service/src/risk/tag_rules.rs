//! Tag rules (自动标签规则): admins keep CEL rules that set tags automatically. A rule's tags
//! carry source `rule`; they are added when the patient's record satisfies it and removed when
//! it no longer does; tags staff set by hand are never touched. A new tag enrols the patient in
//! protocols triggered by it.
//!
//! Rules are re-applied to a patient whenever results, diagnoses or the risk tier change (the
//! same hook points as the risk tier), to patients whose tasks the scheduler made overdue, and
//! to everyone when a rule is saved. Before saving, a dry run shows how many patients would
//! gain and lose the tag.

use crate::followup::triggers::enrol_on;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
use careloop_domain::clock::local_today;
use careloop_domain::followup::protocol::TriggerEvent;
use careloop_domain::patient::age_on;
use careloop_domain::tag_rules::{
    AnswerFacts, CompiledTagRule, HistoryFacts, PatientFacts, RiskFacts, TagFacts, TagRule, builtins,
};
use careloop_domain::tiering::TierFacts;
use careloop_store::patients::PatientRow;
use careloop_store::tags::{self, TagRow};
use careloop_store::{Db, Tx, questionnaires, stored_time};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;
use uuid::Uuid;

/// Patients read per transaction when a rule is applied to everyone.
const PAGE: u64 = 500;

/// Store the built-in rules that are missing (an edited one stays as edited).
pub async fn seed_builtin_tag_rules(db: &Db, now: OffsetDateTime) -> Result<()> {
    let mut tx = db.begin().await?;
    for r in builtins() {
        let doc = serde_json::to_value(&r).map_err(|_| ServiceError::Internal("tag rule"))?;
        tags::save_rule(&mut tx, &r.id, doc, None, now, false).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn stored_rules(tx: &mut Tx) -> Result<Vec<CompiledTagRule>> {
    tags::rules(tx)
        .await?
        .into_iter()
        .map(|r| {
            let rule: TagRule =
                serde_json::from_value(r.document.0).map_err(|_| ServiceError::Internal("stored tag rule"))?;
            CompiledTagRule::compile(rule).map_err(Into::into)
        })
        .collect()
}

pub async fn list_rules(db: &Db) -> Result<Vec<TagRule>> {
    let mut tx = db.begin().await?;
    let rules = stored_rules(&mut tx).await?;
    tx.commit().await?;
    Ok(rules.into_iter().map(|r| r.rule).collect())
}

/// A rule with how many patients carry its tag now.
#[derive(Debug, Clone, Serialize)]
pub struct RuleOverview {
    pub rule: TagRule,
    pub patients: i64,
}

/// Every rule with its tag's patients, for the rules' page (admins).
pub async fn overview(db: &Db, actor: &Actor) -> Result<Vec<RuleOverview>> {
    admin_only(actor)?;
    let mut tx = db.begin().await?;
    let rules = stored_rules(&mut tx).await?;
    let counts: HashMap<String, i64> = tags::counts(&mut tx).await?.into_iter().collect();
    tx.commit().await?;
    Ok(rules
        .into_iter()
        .map(|r| RuleOverview {
            patients: counts.get(r.rule.tag.trim()).copied().unwrap_or(0),
            rule: r.rule,
        })
        .collect())
}

/// What a rule sees of one patient — given what the risk tier read of the same record — and
/// the patient's tags as they stand.
pub(crate) struct Seen {
    pub facts: TagFacts,
    pub tags: Vec<TagRow>,
}

/// [`Seen`] for many patients, in their order, in a fixed number of statements. Each
/// patient's `risk.tier` is the one on the row passed in.
pub(crate) async fn seen_many(
    tx: &mut Tx,
    patients: &[PatientRow],
    tier_facts: Vec<TierFacts>,
    now: OffsetDateTime,
) -> Result<Vec<Seen>> {
    let ids: Vec<Uuid> = patients.iter().map(|p| p.id).collect();
    let mut answers: HashMap<Uuid, BTreeMap<String, AnswerFacts>> = HashMap::new();
    for r in questionnaires::responses_of_patients(tx, &ids).await? {
        if r.status == "completed"
            && let Some(total) = r.score
        {
            // Newest first: the first completed response of each questionnaire counts.
            answers
                .entry(r.patient_id)
                .or_default()
                .entry(r.questionnaire_id.clone())
                .or_insert(AnswerFacts {
                    total,
                    band: r.band.clone().unwrap_or_default(),
                });
        }
    }
    let last: HashMap<Uuid, OffsetDateTime> = tags::last_visits(tx, &ids).await?.into_iter().collect();
    let overdue: HashMap<Uuid, i64> = tags::overdue_counts(tx, &ids).await?.into_iter().collect();
    let mut tags_of: HashMap<Uuid, Vec<TagRow>> = HashMap::new();
    for t in tags::of_patients(tx, &ids).await? {
        tags_of.entry(t.patient_id).or_default().push(t);
    }
    let recent = now - time::Duration::days(365 * careloop_domain::tiering::RECENT_YEARS);
    let today = local_today(now);
    Ok(patients
        .iter()
        .zip(tier_facts)
        .map(|(patient, t)| {
            let tags = tags_of.remove(&patient.id).unwrap_or_default();
            let mut f = TagFacts {
                patient: PatientFacts {
                    age: i64::from(age_on(patient.birth_date, today)),
                    sex: patient.sex.clone(),
                },
                risk: RiskFacts {
                    tier: patient.risk_tier.clone().unwrap_or_default(),
                },
                diagnoses: t.diagnoses,
                answers: answers.remove(&patient.id).unwrap_or_default(),
                history: HistoryFacts {
                    overdue_tasks: overdue.get(&patient.id).copied().unwrap_or(0),
                    days_since_last_visit: last.get(&patient.id).map_or(-1, |v| (now - *v).whole_days()),
                },
                tags: tags
                    .iter()
                    .filter(|t| t.source == "manual")
                    .map(|t| t.tag.clone())
                    .collect(),
                ..TagFacts::default()
            };
            for (code, r) in t.latest.iter().filter(|(_, r)| r.at > recent) {
                f.latest.insert(code.clone(), r.value);
                f.flags.insert(code.clone(), r.flag.as_str().into());
            }
            Seen { facts: f, tags }
        })
        .collect())
}

/// Apply every rule to one patient inside the caller's transaction: add the rules' tags that
/// now hold (enrolling by them), remove rule tags that no longer do. Returns (added, removed).
pub(crate) async fn apply_to(
    tx: &mut Tx,
    actor: &Actor,
    patient_id: Uuid,
    now: OffsetDateTime,
) -> Result<(Vec<String>, Vec<String>)> {
    let rules = stored_rules(tx).await?;
    let Some(patient) = careloop_store::patients::find(tx, patient_id).await? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let tier_facts = crate::risk::facts::facts_of(tx, &patient, now).await?;
    let seen = seen_many(tx, std::slice::from_ref(&patient), vec![tier_facts], now)
        .await?
        .pop()
        .ok_or(ServiceError::Internal("tag facts"))?;
    apply_with(tx, actor, &rules, &patient, seen, now).await
}

pub(crate) async fn apply_with(
    tx: &mut Tx,
    actor: &Actor,
    rules: &[CompiledTagRule],
    patient: &PatientRow,
    seen: Seen,
    now: OffsetDateTime,
) -> Result<(Vec<String>, Vec<String>)> {
    let patient_id = patient.id;
    let Seen { facts, tags: existing } = seen;
    let (mut added, mut removed): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for r in rules {
        let tag = r.rule.tag.trim();
        // A rule that cannot be evaluated changes nothing for this patient.
        let Ok(holds) = r.matches(&facts) else { continue };
        let has = existing.iter().find(|t| t.tag == tag);
        match (holds, has) {
            (true, None) if !added.iter().any(|a| a == tag) => {
                let row = TagRow {
                    patient_id,
                    tag: tag.to_string(),
                    source: "rule".into(),
                    created_at: stored_time(now),
                    created_by: None,
                };
                if tags::insert_if_missing(tx, &row).await? {
                    added.push(tag.to_string());
                }
            }
            // Two rules may set one tag: it goes only when none of them holds.
            (false, Some(t))
                if t.source == "rule"
                    && !removed.iter().any(|x| x == tag)
                    && !rules
                        .iter()
                        .any(|o| o.rule.tag.trim() == tag && o.matches(&facts) == Ok(true)) =>
            {
                tags::remove(tx, patient_id, tag).await?;
                removed.push(tag.to_string());
            }
            _ => {}
        }
    }
    if !added.is_empty() {
        let events: Vec<TriggerEvent> = added.iter().map(|t| TriggerEvent::Tag { tag: t.clone() }).collect();
        enrol_on(tx, actor, patient, &events, now).await?;
    }
    if !added.is_empty() || !removed.is_empty() {
        // Tags may describe health: counts only.
        let detail = format!("added={} removed={}", added.len(), removed.len());
        record(tx, event(actor, "tag.rules", Some(patient_id), Some(detail), now)).await?;
    }
    Ok((added, removed))
}

/// How a candidate rule would change the population it can see.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct TagDryRun {
    pub tag: String,
    /// Patients evaluated.
    pub evaluated: usize,
    /// Patients who would have the tag.
    pub matching: usize,
    /// Patients who would gain it (do not have it now).
    pub would_gain: usize,
    /// Patients who have it from a rule now and would lose it.
    pub would_lose: usize,
    /// Patients on whom the condition could not be evaluated, and the first error.
    pub failed: usize,
    pub first_error: Option<String>,
}

/// The patients of a page of ids, in the page's order.
async fn page_of_patients(tx: &mut Tx, page: &[(Uuid, Uuid)]) -> Result<Vec<PatientRow>> {
    let ids: Vec<Uuid> = page.iter().map(|(id, _)| *id).collect();
    let mut rows = careloop_store::patients::find_many(tx, &ids).await?;
    rows.sort_by_key(|p| p.id);
    Ok(rows)
}

fn admin_only(actor: &Actor) -> Result<()> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// Evaluate a candidate rule over every patient; nothing is stored.
pub async fn dry_run(db: &Db, actor: &Actor, rule: TagRule, now: OffsetDateTime) -> Result<TagDryRun> {
    admin_only(actor)?;
    let compiled = CompiledTagRule::compile(rule)?;
    let tag = compiled.rule.tag.trim().to_string();
    let mut out = TagDryRun {
        tag: tag.clone(),
        ..TagDryRun::default()
    };
    let mut after = None;
    loop {
        let mut tx = db.begin_read().await?;
        let page = tags::patient_ids_after(&mut tx, after, PAGE).await?;
        let patients = page_of_patients(&mut tx, &page).await?;
        let tier_facts = crate::risk::facts::facts_of_many(&mut tx, &patients, now).await?;
        for seen in seen_many(&mut tx, &patients, tier_facts, now).await? {
            let has = seen.tags.iter().find(|t| t.tag == tag);
            out.evaluated += 1;
            match compiled.matches(&seen.facts) {
                Ok(true) => {
                    out.matching += 1;
                    out.would_gain += usize::from(has.is_none());
                }
                Ok(false) => out.would_lose += usize::from(has.is_some_and(|t| t.source == "rule")),
                Err(e) => {
                    out.failed += 1;
                    out.first_error.get_or_insert(e);
                }
            }
        }
        tx.commit().await?;
        match page.last() {
            Some((id, _)) if page.len() as u64 == PAGE => after = Some(*id),
            _ => break,
        }
    }
    let mut tx = db.begin().await?;
    record(
        &mut tx,
        event(
            actor,
            "tag_rule.dry_run",
            None,
            Some(format!("rule={}", compiled.rule.id)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedTagRule {
    pub rule: TagRule,
    /// Patients who gained and lost the tag when the rule was applied to everyone.
    pub gained: usize,
    pub lost: usize,
}

/// Save (publish) a rule and apply every rule to every patient, page by page.
pub async fn save_rule(db: &Db, actor: &Actor, rule: TagRule, now: OffsetDateTime) -> Result<SavedTagRule> {
    admin_only(actor)?;
    let compiled = CompiledTagRule::compile(rule)?;
    let mut tx = db.begin().await?;
    let doc = serde_json::to_value(&compiled.rule).map_err(|_| ServiceError::Internal("tag rule"))?;
    let by = Some(actor.user_id).filter(|id| !id.is_nil());
    tags::save_rule(&mut tx, &compiled.rule.id, doc, by, now, true).await?;
    record(
        &mut tx,
        event(
            actor,
            "tag_rule.save",
            None,
            Some(format!("rule={}", compiled.rule.id)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    let tag = compiled.rule.tag.trim().to_string();
    let (mut gained, mut lost) = (0, 0);
    let mut after = None;
    loop {
        let mut tx = db.begin().await?;
        let rules = stored_rules(&mut tx).await?;
        let page = tags::patient_ids_after(&mut tx, after, PAGE).await?;
        let patients = page_of_patients(&mut tx, &page).await?;
        let tier_facts = crate::risk::facts::facts_of_many(&mut tx, &patients, now).await?;
        let seen = seen_many(&mut tx, &patients, tier_facts, now).await?;
        for (p, seen) in patients.iter().zip(seen) {
            let (a, r) = apply_with(&mut tx, actor, &rules, p, seen, now).await?;
            gained += usize::from(a.contains(&tag));
            lost += usize::from(r.contains(&tag));
        }
        tx.commit().await?;
        match page.last() {
            Some((id, _)) if page.len() as u64 == PAGE => after = Some(*id),
            _ => break,
        }
    }
    Ok(SavedTagRule {
        rule: compiled.rule,
        gained,
        lost,
    })
}
