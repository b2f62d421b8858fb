//! Automatic enrolment (自动入组): a diagnosis, a discharge, an abnormal value or a tag enrols
//! the patient in every published protocol whose trigger it matches, in the same transaction
//! as the event itself.
//!
//! Rules, so that automation never overrides a person's decision:
//! - a diagnosis, tag or abnormal value enrols only a patient who has never been on that
//!   protocol (a plan stopped by staff stays stopped; re-enrol by hand);
//! - a new discharge restarts post-discharge follow-up: a running plan of that protocol is
//!   stopped (`superseded_by_new_discharge`) and a new one anchored on the new date begins;
//! - a patient recorded as deceased is never enrolled again.

use crate::Result;
use crate::followup::enrolment::{PlanView, create_plan, stop_plan};
use careloop_domain::access::Actor;
use careloop_domain::clock::local_today;
use careloop_domain::followup::protocol::{Anchor, Protocol, TriggerEvent};
use careloop_store::patients::PatientRow;
use careloop_store::{Tx, plans, protocols};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

pub(crate) async fn enrol_on(
    tx: &mut Tx,
    actor: &Actor,
    patient: &PatientRow,
    events: &[TriggerEvent],
    now: OffsetDateTime,
) -> Result<Vec<PlanView>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let published = Published::load(tx).await?;
    published.enrol(tx, actor, patient, events, now).await
}

/// Enrol many patients, each on their own events, reading the published protocols once; a
/// patient is read only when some protocol fires on their events.
pub(crate) async fn enrol_each(
    tx: &mut Tx,
    actor: &Actor,
    events_of: &BTreeMap<Uuid, Vec<TriggerEvent>>,
    now: OffsetDateTime,
) -> Result<()> {
    if events_of.is_empty() {
        return Ok(());
    }
    let published = Published::load(tx).await?;
    for (patient_id, events) in events_of.iter().filter(|(_, e)| published.fires(e)) {
        if let Some(patient) = careloop_store::patients::find(tx, *patient_id).await? {
            published.enrol(tx, actor, &patient, events, now).await?;
        }
    }
    Ok(())
}

/// The published protocols (newest version of each), read and parsed once for a batch of
/// patients: a bulk write that enrols many patients does not re-read them per patient.
pub(crate) struct Published(Vec<(i32, Protocol)>);

impl Published {
    pub(crate) async fn load(tx: &mut Tx) -> Result<Published> {
        let mut out = Vec::new();
        for row in protocols::list_latest(tx).await? {
            out.push((row.version, crate::kernel::protocols::read_stored(row.document.0)?));
        }
        Ok(Published(out))
    }

    /// Whether any protocol's trigger fires on any of the events (no need to look further
    /// at the patient otherwise).
    pub(crate) fn fires(&self, events: &[TriggerEvent]) -> bool {
        self.0.iter().any(|(_, p)| events.iter().any(|e| p.trigger.fires_on(e)))
    }

    pub(crate) async fn enrol(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        patient: &PatientRow,
        events: &[TriggerEvent],
        now: OffsetDateTime,
    ) -> Result<Vec<PlanView>> {
        if !self.fires(events) || patient.deceased_at.is_some() {
            return Ok(Vec::new());
        }
        let existing = plans::plans_of_patient(tx, patient.id).await?;
        if existing.iter().any(|p| p.status_reason.as_deref() == Some("deceased")) {
            return Ok(Vec::new());
        }
        let mut created = Vec::new();
        for (version, protocol) in &self.0 {
            let Some(event) = events.iter().find(|e| protocol.trigger.fires_on(e)) else {
                continue;
            };
            let mine = existing.iter().filter(|p| p.protocol_id == protocol.id);
            let anchor_date = match event {
                TriggerEvent::Discharge { on } => {
                    let mut log = Vec::new();
                    for running in mine.filter(|p| matches!(p.status.as_str(), "active" | "paused")) {
                        stop_plan(tx, running, "superseded_by_new_discharge", actor, now, &mut log).await?;
                    }
                    plans::insert_transitions(tx, &log).await?;
                    if protocol.anchor == Anchor::Discharge {
                        *on
                    } else {
                        local_today(now)
                    }
                }
                _ if mine.count() > 0 => continue,
                _ => local_today(now),
            };
            let plan = create_plan(
                tx,
                actor,
                patient,
                protocol,
                *version,
                anchor_date,
                Some(event.describe()),
                now,
            )
            .await?;
            created.push(plan);
        }
        Ok(created)
    }
}
