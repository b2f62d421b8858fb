//! Outcome rules at work: what a rule sees of a visit, what the matched rules call for when a
//! record is signed, and the dry run (试运行) that replays a protocol's rules over the visits
//! already stored, before the protocol is published.

use crate::kernel::access::require_admin;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::followup::protocol::Protocol;
use careloop_domain::followup::rules::{
    self, CompiledRule, Effects, HistoryFacts, PatientFacts, RuleResult, Severity, VisitFacts,
};
use careloop_domain::followup::schedule::Offset;
use careloop_domain::patient::{age_on, parse_date};
use careloop_store::observations::{self, ObservationRow};
use careloop_store::patients::PatientRow;
use careloop_store::{Db, Tx, amendments, patients, tags};
use serde::Serialize;
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// One visit as the rules see it.
pub(crate) struct Visit<'a> {
    pub contact_result: &'a str,
    pub classification: Option<&'a str>,
    pub observations: &'a [ObservationRow],
    pub answers: Option<&'a serde_json::Value>,
    pub adverse_drug_reaction: bool,
    pub new_complication: bool,
    pub patient: &'a PatientRow,
    pub on: Date,
    pub history: HistoryFacts,
    /// The patient's tags now (a dry run sees today's tags: tags keep no history yet).
    pub tags: Vec<String>,
}

pub(crate) fn facts(v: Visit<'_>) -> VisitFacts {
    // Observations come in time order; the last value of each indicator wins.
    let mut visit = BTreeMap::new();
    let mut obs: Vec<&ObservationRow> = v.observations.iter().collect();
    obs.sort_by_key(|o| o.effective_at);
    for o in obs {
        visit.insert(o.code.clone(), o.value);
    }
    VisitFacts {
        contact_result: v.contact_result.into(),
        classification: v.classification.unwrap_or_default().into(),
        visit,
        answers: v
            .answers
            .filter(|a| a.is_object())
            .cloned()
            .unwrap_or_else(|| serde_json::json!({})),
        adverse_drug_reaction: v.adverse_drug_reaction,
        new_complication: v.new_complication,
        patient: PatientFacts {
            age: i64::from(age_on(v.patient.birth_date, v.on)),
            sex: v.patient.sex.clone(),
        },
        history: v.history,
        tags: v.tags,
    }
}

/// The patient's tags as rules see them.
pub(crate) async fn tag_names(tx: &mut Tx, patient_id: Uuid) -> Result<Vec<String>> {
    Ok(tags::of_patient(tx, patient_id)
        .await?
        .into_iter()
        .map(|t| t.tag)
        .collect())
}

/// The protocol's rules, compiled (they were checked when the protocol was stored).
pub(crate) fn compiled(p: &Protocol) -> Result<Vec<CompiledRule<'_>>> {
    rules::compile(&p.rules).map_err(|_| ServiceError::Internal("stored protocol rules invalid"))
}

/// Evaluate the rules on a visit; the matched rule ids and what they call for together.
pub(crate) fn apply(
    compiled: &[CompiledRule<'_>],
    facts: &VisitFacts,
    now: OffsetDateTime,
) -> (Vec<RuleResult>, Effects) {
    let results = rules::evaluate(compiled, facts);
    for (r, result) in compiled.iter().zip(&results) {
        if let RuleResult::Failed(_) = result {
            // The message may quote the visit's values: log the rule only.
            tracing::warn!(rule = %r.rule.id, "an outcome rule could not be evaluated; it did not fire");
        }
    }
    let effects = rules::effects(compiled, &results, |a, b| shorter(a, b, now));
    (results, effects)
}

/// Whether duration `a` ends before duration `b`, both counted from `now`.
pub(crate) fn shorter(a: &str, b: &str, now: OffsetDateTime) -> bool {
    let end = |d: &str| Offset::parse(d, "duration").ok().and_then(|o| o.after(now, 1));
    matches!((end(a), end(b)), (Some(x), Some(y)) if x < y)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleTally {
    pub id: String,
    pub name_zh: String,
    /// Visits on which the rule would have fired.
    pub matched: usize,
    /// Visits on which its condition could not be evaluated.
    pub failed: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DryRunVisit {
    pub record_id: Uuid,
    pub patient_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
    pub classification: Option<String>,
    pub matched_rules: Vec<String>,
    /// Rules that could not be evaluated on this visit, with the reason.
    pub failed_rules: Vec<String>,
    /// The alerts the rules would have raised, as `severity: reason`.
    pub alerts: Vec<String>,
    pub referral: bool,
    pub follow_up_within: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DryRun {
    pub protocol: String,
    /// Signed records of the protocol's plans (any version) in the period.
    pub visits: usize,
    pub rules: Vec<RuleTally>,
    pub alerts: usize,
    pub severe_alerts: usize,
    pub referrals: usize,
    pub earlier_follow_ups: usize,
    /// The visits on which any rule fired or failed, newest first (at most 200).
    pub examples: Vec<DryRunVisit>,
}

/// How many stored records a dry run reads at most.
const MAX_RECORDS: u64 = 50_000;

/// Replay a candidate protocol's outcome rules over the stored visits of its plans signed from
/// `from` to `to` inclusive (YYYY-MM-DD, China dates; either may be left out), showing what the
/// rules would have done. Nothing is written but the audit event. The classification is the
/// one recorded at the visit; answers are those in effect after any amendment.
pub async fn dry_run(
    db: &Db,
    actor: &Actor,
    candidate_json: &str,
    from: Option<&str>,
    to: Option<&str>,
    now: OffsetDateTime,
) -> Result<DryRun> {
    require_admin(actor)?;
    let day = |raw: Option<&str>, field: &str| -> Result<Option<Date>> {
        Ok(match raw.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(parse_date(s, field)?),
            None => None,
        })
    };
    let (from, to) = (day(from, "from")?, day(to, "to")?);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(FieldError::new("to", "range_invalid", "to is before from", "结束日期早于开始日期").into());
    }
    let p = Protocol::from_json(candidate_json)?;
    let compiled = compiled(&p)?;
    let mut tx = db.begin_read().await?;
    let stored = amendments::records_of_protocol(&mut tx, &p.id, MAX_RECORDS).await?;
    let ids: Vec<Uuid> = stored.iter().map(|r| r.record.id).collect();
    let corrections = amendments::of_records(&mut tx, &ids).await?;
    let mut tallies: Vec<RuleTally> = p
        .rules
        .iter()
        .map(|r| RuleTally {
            id: r.id.clone(),
            name_zh: r.name_zh.clone(),
            matched: 0,
            failed: 0,
        })
        .collect();
    let mut out = DryRun {
        protocol: p.id.clone(),
        visits: 0,
        rules: Vec::new(),
        alerts: 0,
        severe_alerts: 0,
        referrals: 0,
        earlier_follow_ups: 0,
        examples: Vec::new(),
    };
    let mut patient_cache: BTreeMap<Uuid, PatientRow> = BTreeMap::new();
    let in_period = |at: OffsetDateTime| {
        let day = careloop_domain::clock::local_today(at);
        from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
    };
    for (i, r) in stored.iter().enumerate() {
        let rec = &r.record;
        if !in_period(rec.signed_at) {
            continue;
        }
        out.visits += 1;
        let earlier = stored[..i]
            .iter()
            .rev()
            .take_while(|e| e.record.plan_id == rec.plan_id)
            .collect::<Vec<_>>();
        let history = HistoryFacts::from_earlier(
            earlier
                .iter()
                .rev()
                .map(|e| (e.record.contact_result.as_str(), e.record.classification.as_deref())),
        );
        if let std::collections::btree_map::Entry::Vacant(e) = patient_cache.entry(rec.patient_id) {
            let row = patients::find(&mut tx, rec.patient_id)
                .await?
                .ok_or(ServiceError::NotFound("patient"))?;
            e.insert(row);
        }
        let patient = patient_cache
            .get(&rec.patient_id)
            .ok_or(ServiceError::Internal("patient cache"))?;
        let obs = observations::recorded_at(&mut tx, rec.patient_id, rec.signed_at).await?;
        let tag_names = tag_names(&mut tx, rec.patient_id).await?;
        // Answers in effect: the last amendment's, if one corrected them.
        let answers = corrections
            .iter()
            .rev()
            .filter(|a| a.record_id == rec.id)
            .find_map(|a| a.answers.as_ref().map(|j| j.0.clone()))
            .or_else(|| r.answers.as_ref().map(|j| j.0.clone()));
        let f = facts(Visit {
            contact_result: &rec.contact_result,
            classification: rec.classification.as_deref(),
            observations: &obs,
            answers: answers.as_ref(),
            adverse_drug_reaction: rec.adverse_drug_reaction,
            new_complication: rec.new_complication,
            patient,
            on: careloop_domain::clock::local_today(rec.signed_at),
            history,
            tags: tag_names,
        });
        let (results, effects) = apply(&compiled, &f, rec.signed_at);
        let mut visit = DryRunVisit {
            record_id: rec.id,
            patient_id: rec.patient_id,
            signed_at: rec.signed_at,
            classification: rec.classification.clone(),
            matched_rules: Vec::new(),
            failed_rules: Vec::new(),
            alerts: Vec::new(),
            referral: effects.referral,
            follow_up_within: effects.follow_up_within.clone(),
        };
        for ((tally, cr), result) in tallies.iter_mut().zip(&compiled).zip(&results) {
            match result {
                RuleResult::Matched => {
                    tally.matched += 1;
                    visit.matched_rules.push(cr.rule.id.clone());
                }
                RuleResult::Failed(why) => {
                    tally.failed += 1;
                    visit.failed_rules.push(format!("{}: {why}", cr.rule.id));
                }
                RuleResult::NotMatched => {}
            }
        }
        for (_, a) in &effects.alerts {
            out.alerts += 1;
            let severity = match a.severity {
                Severity::Mild => "mild",
                Severity::Severe => {
                    out.severe_alerts += 1;
                    "severe"
                }
            };
            visit.alerts.push(format!("{severity}: {}", a.reason_zh));
        }
        out.referrals += usize::from(effects.referral);
        out.earlier_follow_ups += usize::from(effects.follow_up_within.is_some());
        if !visit.matched_rules.is_empty() || !visit.failed_rules.is_empty() {
            out.examples.push(visit);
        }
    }
    tx.commit().await?;
    out.examples.sort_by_key(|v| std::cmp::Reverse(v.signed_at));
    out.examples.truncate(200);
    out.rules = tallies;
    let mut tx = db.begin().await?;
    record(
        &mut tx,
        event(
            actor,
            "protocol.dry_run",
            None,
            Some(format!("protocol={} visits={}", p.id, out.visits)),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
