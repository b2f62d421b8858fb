//! Tag rules (自动标签规则): admins keep CEL rules that set tags automatically. A rule's tags
//! carry source `rule`; they are added when the patient's record satisfies it and removed when
//! it no longer does; tags staff set by hand are never touched. A new tag enrols the patient in
//! protocols triggered by it.
//!
//! Rules are re-applied to a patient whenever results, diagnoses or the risk tier change (the
//! same hook points as the risk tier), to patients whose tasks the scheduler made overdue, and
//! to everyone when a rule is saved. Before saving, a dry run shows how many patients would
//! gain and lose the tag.

use crate::audit::{event, record};
use crate::patients::local_today;
use crate::triggers::enrol_on;
use crate::{Result, ServiceError};
use careloop_domain::access::Actor;
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

/// What a rule sees of one patient, given what the risk tier read of the same record.
async fn facts_of(tx: &mut Tx, patient: &PatientRow, tier_facts: TierFacts, now: OffsetDateTime) -> Result<TagFacts> {
    let recent = now - time::Duration::days(365 * careloop_domain::tiering::RECENT_YEARS);
    let mut f = TagFacts {
        patient: PatientFacts {
            age: i64::from(age_on(patient.birth_date, local_today(now))),
            sex: patient.sex.clone(),
        },
        risk: RiskFacts {
            tier: patient.risk_tier.clone().unwrap_or_default(),
        },
        diagnoses: tier_facts.diagnoses,
        ..TagFacts::default()
    };
    for (code, r) in tier_facts.latest.iter().filter(|(_, r)| r.at > recent) {
        f.latest.insert(code.clone(), r.value);
        f.flags.insert(code.clone(), r.flag.as_str().into());
    }
    for r in questionnaires::responses_of_patient(tx, patient.id).await? {
        if r.status == "completed"
            && let Some(total) = r.score
        {
            f.answers.entry(r.questionnaire_id.clone()).or_insert(AnswerFacts {
                total,
                band: r.band.clone().unwrap_or_default(),
            });
        }
    }
    let last = tags::last_visit(tx, patient.id).await?;
    f.history = HistoryFacts {
        overdue_tasks: tags::overdue_tasks(tx, patient.id).await?,
        days_since_last_visit: last.map_or(-1, |t| (now - t).whole_days()),
    };
    f.tags = tags::of_patient(tx, patient.id)
        .await?
        .into_iter()
        .filter(|t| t.source == "manual")
        .map(|t| t.tag)
        .collect();
    Ok(f)
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
    let tier_facts = crate::tiering::facts_of(tx, &patient, now).await?;
    apply_with(tx, actor, &rules, &patient, tier_facts, now).await
}

pub(crate) async fn apply_with(
    tx: &mut Tx,
    actor: &Actor,
    rules: &[CompiledTagRule],
    patient: &PatientRow,
    tier_facts: TierFacts,
    now: OffsetDateTime,
) -> Result<(Vec<String>, Vec<String>)> {
    let patient_id = patient.id;
    let facts = facts_of(tx, patient, tier_facts, now).await?;
    let existing = tags::of_patient(tx, patient_id).await?;
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
        for (id, _) in &page {
            let Some(p) = careloop_store::patients::find(&mut tx, *id).await? else {
                continue;
            };
            let tier_facts = crate::tiering::facts_of(&mut tx, &p, now).await?;
            let facts = facts_of(&mut tx, &p, tier_facts, now).await?;
            let has = tags::of_patient(&mut tx, *id).await?.into_iter().find(|t| t.tag == tag);
            out.evaluated += 1;
            match compiled.matches(&facts) {
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
        for (id, _) in &page {
            let Some(p) = careloop_store::patients::find(&mut tx, *id).await? else {
                continue;
            };
            let tier_facts = crate::tiering::facts_of(&mut tx, &p, now).await?;
            let (a, r) = apply_with(&mut tx, actor, &rules, &p, tier_facts, now).await?;
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
