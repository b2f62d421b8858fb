//! Computed risk tiers (风险分层) from stored data: the facts a patient's record holds, the
//! domain's rules (`careloop_domain::tiering`), and when the result becomes the current tier.
//!
//! **When the computed tier applies.** It is recomputed whenever results or diagnoses arrive
//! (entered, imported or recorded at a visit). It becomes the current tier, kept as a `model`
//! assessment with its reasons, when it differs from the current one — except that a
//! clinician's assessment is never lowered by the rules: after a `staff` assessment the rules
//! may only raise the tier. The clinician can always assess again.
//!
//! **Enrolment.** A tier computed from a check-up centre's imported results enrols the patient
//! in protocols triggered by an assessment (检后随访, `post-checkup`); a tier recomputed after a
//! value entered at a visit or by hand only re-plans the patient's running tiered plans — a
//! hypertensive patient whose blood pressure is recorded is not put on post-check-up follow-up.
//!
//! **Facts.** The latest value of each indicator, the diagnoses, and from the health record
//! smoking, blood-pressure treatment, family history, region and residence — the last two
//! falling back to the organisation's location. What neither holds is unknown, and the models
//! are bounded over it (see the domain module).

use crate::Result;
use crate::audit::{event, record};
use crate::patients::{accessible, local_today};
use crate::risk_tiers::{AssessmentOutcome, apply};
use careloop_domain::access::Actor;
use careloop_domain::indicator::Flag;
use careloop_domain::patient::{Sex, age_on};
use careloop_domain::record::Location;
use careloop_domain::risk_tier::RiskTier;
use careloop_domain::tiering::{ComputedTier, Reading, TierFacts, compute};
use careloop_store::patients::PatientRow;
use careloop_store::{Db, Tx, diagnoses, health_records, observations, organisations, risk_tiers};
use time::OffsetDateTime;
use uuid::Uuid;

pub(crate) async fn facts_of(tx: &mut Tx, patient: &PatientRow, now: OffsetDateTime) -> Result<TierFacts> {
    let mut f = TierFacts {
        sex: Some(if patient.sex == "male" { Sex::Male } else { Sex::Female }),
        age: Some(age_on(patient.birth_date, local_today(now))),
        ..TierFacts::default()
    };
    for o in observations::latest_per_code(tx, patient.id).await? {
        f.latest.insert(
            o.code.clone(),
            Reading {
                value: o.value,
                flag: Flag::parse(&o.flag),
                at: o.effective_at,
            },
        );
    }
    f.diagnoses = diagnoses::list(tx, patient.id)
        .await?
        .into_iter()
        .map(|d| d.icd10_code)
        .collect();
    let record = health_records::find(tx, patient.id)
        .await?
        .map(crate::records::record_of)
        .unwrap_or_default();
    let org = organisations::location_of_department(tx, patient.department_id).await?;
    let org = Location {
        region: org.region,
        residence: org.residence,
    };
    Ok(f.with_record(&record, &org))
}

fn rank(t: RiskTier) -> u8 {
    match t {
        RiskTier::Low => 0,
        RiskTier::Medium => 1,
        RiskTier::High => 2,
    }
}

/// Recompute a patient's tier inside the caller's transaction and apply it under the rule in
/// the module documentation. Returns the outcome when the current tier changed.
pub(crate) async fn recompute(
    tx: &mut Tx,
    actor: &Actor,
    patient_id: Uuid,
    enrol: bool,
    now: OffsetDateTime,
) -> Result<Option<AssessmentOutcome>> {
    let Some(mut patient) = careloop_store::patients::find(tx, patient_id).await? else {
        return Ok(None);
    };
    let facts = facts_of(tx, &patient, now).await?;
    recompute_with(tx, actor, &mut patient, &facts, enrol, now).await
}

async fn recompute_with(
    tx: &mut Tx,
    actor: &Actor,
    patient: &mut PatientRow,
    facts: &TierFacts,
    enrol: bool,
    now: OffsetDateTime,
) -> Result<Option<AssessmentOutcome>> {
    let computed = compute(facts, now);
    let Some(tier) = computed.tier else {
        return Ok(None);
    };
    let latest = risk_tiers::of_patient(tx, patient.id).await?.into_iter().next();
    let current = patient
        .risk_tier
        .as_deref()
        .and_then(|t| RiskTier::parse(t, "risk_tier").ok());
    let applies = match (current, latest.as_ref().map(|r| r.source.as_str())) {
        (None, _) => true,
        (Some(c), Some("staff")) => rank(tier) > rank(c),
        (Some(c), _) => tier != c,
    };
    if !applies {
        return Ok(None);
    }
    Ok(Some(
        apply(tx, actor, patient, tier, computed.summary(), "model", enrol, now).await?,
    ))
}

/// Patients one write refreshes at once; a bulk write queues the rest for the scheduler.
pub const IMMEDIATE_REFRESH: usize = 50;

/// After new results or diagnoses: recompute each patient's tier, then re-apply the tag rules
/// (which may read the tier), in the caller's transaction — or, for a bulk write touching more
/// than [`IMMEDIATE_REFRESH`] patients, queue them for the scheduler's next pass (so a large
/// import is not held up patient by patient; the tiers follow within one pass).
pub(crate) async fn refresh(
    tx: &mut Tx,
    actor: &Actor,
    patient_ids: &[Uuid],
    enrol: bool,
    now: OffsetDateTime,
) -> Result<()> {
    if patient_ids.len() > IMMEDIATE_REFRESH {
        careloop_store::refresh_queue::push(tx, patient_ids, enrol, now).await?;
        return Ok(());
    }
    refresh_now(tx, actor, patient_ids, enrol, now).await
}

/// Recompute now, in the caller's transaction. The record is read once per patient and the
/// rules once in all.
async fn refresh_now(tx: &mut Tx, actor: &Actor, patient_ids: &[Uuid], enrol: bool, now: OffsetDateTime) -> Result<()> {
    let rules = crate::tag_rules::stored_rules(tx).await?;
    for id in patient_ids {
        let Some(mut patient) = careloop_store::patients::find(tx, *id).await? else {
            continue;
        };
        let facts = facts_of(tx, &patient, now).await?;
        recompute_with(tx, actor, &mut patient, &facts, enrol, now).await?;
        crate::tag_rules::apply_with(tx, actor, &rules, &patient, facts, now).await?;
    }
    Ok(())
}

/// What the rules make of a patient now, with every reason and model bound; nothing stored.
pub async fn explain(db: &Db, actor: &Actor, patient_id: Uuid, now: OffsetDateTime) -> Result<ComputedTier> {
    let mut tx = db.begin().await?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    let computed = compute(&facts_of(&mut tx, &patient, now).await?, now);
    record(&mut tx, event(actor, "risk_tier.explain", Some(patient_id), None, now)).await?;
    tx.commit().await?;
    Ok(computed)
}

/// Recompute the queued patients, one group per transaction, until the queue is empty; returns
/// how many were refreshed. Run by the scheduler pass.
pub async fn drain_refresh_queue(db: &Db, now: OffsetDateTime) -> Result<u64> {
    let actor = crate::staff::cli_actor();
    let mut done = 0;
    loop {
        let mut tx = db.begin().await?;
        let Some((mut ids, enrol)) = careloop_store::refresh_queue::take(&mut tx).await? else {
            tx.commit().await?;
            return Ok(done);
        };
        ids.sort_unstable();
        ids.dedup();
        refresh_now(&mut tx, &actor, &ids, enrol, now).await?;
        tx.commit().await?;
        done += ids.len() as u64;
    }
}

/// The patient page's view of risk and advice from one read of the record: what the rules
/// make of the patient now and the advice that applies (audited as both).
pub async fn overview(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    now: OffsetDateTime,
) -> Result<(ComputedTier, Vec<careloop_domain::advice::Matched>)> {
    let mut tx = db.begin().await?;
    let patient = accessible(&mut tx, actor, patient_id).await?;
    let facts = facts_of(&mut tx, &patient, now).await?;
    let computed = compute(&facts, now);
    let advice = crate::advice::matched_with(&mut tx, &patient, facts, now).await?;
    record(&mut tx, event(actor, "risk_tier.explain", Some(patient_id), None, now)).await?;
    let detail = format!("articles={}", advice.len());
    record(
        &mut tx,
        event(actor, "advice.read", Some(patient_id), Some(detail), now),
    )
    .await?;
    tx.commit().await?;
    Ok((computed, advice))
}

/// Recompute now (after a change the hooks do not see, e.g. an edited health record).
pub async fn recompute_now(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<AssessmentOutcome>> {
    let mut tx = db.begin().await?;
    accessible(&mut tx, actor, patient_id).await?;
    let out = recompute(&mut tx, actor, patient_id, false, now).await?;
    tx.commit().await?;
    Ok(out)
}
