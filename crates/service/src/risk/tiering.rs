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
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::risk::assessments::{AssessmentOutcome, apply};
use crate::risk::facts::{facts_of, facts_of_many};
use careloop_domain::access::Actor;
use careloop_domain::risk_tier::RiskTier;
use careloop_domain::tiering::{ComputedTier, TierFacts, compute};
use careloop_store::patients::PatientRow;
use careloop_store::{Db, Tx, risk_tiers};
use time::OffsetDateTime;
use uuid::Uuid;

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
    let current = patient
        .risk_tier
        .as_deref()
        .and_then(|t| RiskTier::parse(t, "risk_tier").ok());
    if current == Some(tier) {
        return Ok(None);
    }
    let latest = risk_tiers::of_patient(tx, patient.id).await?.into_iter().next();
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

/// Recompute now, in the caller's transaction: the records of all the patients are read in a
/// fixed number of statements and the rules once; only changes are written per patient.
async fn refresh_now(tx: &mut Tx, actor: &Actor, patient_ids: &[Uuid], enrol: bool, now: OffsetDateTime) -> Result<()> {
    let rules = crate::risk::tag_rules::stored_rules(tx).await?;
    let mut patients = careloop_store::patients::find_many(tx, patient_ids).await?;
    let facts = facts_of_many(tx, &patients, now).await?;
    for (patient, facts) in patients.iter_mut().zip(&facts) {
        recompute_with(tx, actor, patient, facts, enrol, now).await?;
    }
    // The tag rules read the tier just computed.
    let seen = crate::risk::tag_rules::seen_many(tx, &patients, facts, now).await?;
    for (patient, seen) in patients.iter().zip(seen) {
        crate::risk::tag_rules::apply_with(tx, actor, &rules, patient, seen, now).await?;
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
    let actor = crate::kernel::access::system_actor();
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
    let (computed, advice) = overview_in(&mut tx, &patient, now).await?;
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

/// The computed tier and the matched advice from one reading of the facts, inside the
/// caller's transaction.
pub(crate) async fn overview_in(
    tx: &mut Tx,
    patient: &PatientRow,
    now: OffsetDateTime,
) -> Result<(ComputedTier, Vec<careloop_domain::advice::Matched>)> {
    let facts = facts_of(tx, patient, now).await?;
    let computed = compute(&facts, now);
    let advice = crate::advice::matched_with(tx, patient, facts, now).await?;
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
