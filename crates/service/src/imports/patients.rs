//! Finding each item's patient: by the sender's key, then by resident ID number; creating
//! the patients a batch introduces (开卡) in the importer's or the chosen department.

use super::facts::Work;
use crate::Result;
use crate::ServiceError;
use crate::patients::register::{department_for, write_row};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::clock::local_today;
use careloop_domain::id_number::IdNumber;
use careloop_domain::import::{ImportBatch, Issue, PatientRef};
use careloop_domain::patient::{NewPatient, Sex};
use careloop_domain::staff::DepartmentCode;
use careloop_store::imports as store;
use careloop_store::{Tx, counters, departments, patients};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// The department new patients join: the one asked for, else the importer's own.
pub(super) async fn department_for_new(
    tx: &mut Tx,
    actor: &Actor,
    code: Option<&str>,
) -> Result<(Uuid, DepartmentCode)> {
    let all = departments::list(tx).await?;
    let code = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => c.to_string(),
        None => actor
            .department_id
            .and_then(|id| all.iter().find(|d| d.id == id))
            .map(|d| d.code.clone())
            .ok_or_else(|| FieldError::required("department"))?,
    };
    let code = DepartmentCode::parse(&code)?;
    let id = department_for(&all, &code)?;
    if !actor.may_access_patient(id) {
        return Err(ServiceError::Forbidden);
    }
    Ok((id, code))
}

fn id_number_of(raw: &str) -> Option<String> {
    IdNumber::parse(raw).ok().map(|i| i.as_str().to_string())
}

/// Resolve every patient the batch names; create the new ones (written later by `Work`).
pub(super) async fn resolve(
    tx: &mut Tx,
    actor: &Actor,
    batch: &ImportBatch,
    (department_id, department): (Uuid, DepartmentCode),
    work: &mut Work,
) -> Result<()> {
    let mut keys: BTreeSet<String> = batch.patients.iter().map(|p| p.key.clone()).collect();
    let mut numbers: BTreeSet<String> = BTreeSet::new();
    // Reported deaths are looked up too: an enrolled patient among them is recorded as dead.
    for d in &batch.deaths {
        keys.insert(d.key.clone());
        numbers.extend(d.id_number.as_deref().and_then(id_number_of));
    }
    let refs = batch
        .observations
        .iter()
        .map(|o| &o.patient)
        .chain(batch.conditions.iter().map(|c| &c.patient))
        .chain(batch.reports.iter().map(|r| &r.patient));
    for r in refs {
        match r {
            PatientRef::Key(k) => {
                keys.insert(k.clone());
            }
            PatientRef::IdNumber(n) => {
                numbers.extend(id_number_of(n));
            }
        }
    }
    numbers.extend(
        batch
            .patients
            .iter()
            .filter_map(|p| p.input.id_number.as_deref().and_then(id_number_of)),
    );
    let keys: Vec<String> = keys.into_iter().collect();
    let numbers: Vec<String> = numbers.into_iter().collect();
    work.by_key = store::patients_by_key(tx, &work.source, &keys).await?;
    work.by_id_number = store::patients_by_id_number(tx, &numbers).await?;
    let earlier = store::excluded_keys(tx, &work.source, &keys).await?;
    work.exclude(earlier);

    // Existing patients: their sex (for reference ranges) and whether the importer may touch them.
    let existing: Vec<Uuid> = work
        .by_key
        .values()
        .chain(work.by_id_number.values())
        .copied()
        .collect();
    for b in patients::briefs(tx, &existing).await? {
        if !actor.may_access_patient(b.department_id) {
            work.forbidden.insert(b.id);
        }
        work.sex
            .insert(b.id, if b.sex == "male" { Sex::Male } else { Sex::Female });
    }

    let today = local_today(work.now);
    let mut created: Vec<(String, NewPatient)> = Vec::new();
    let mut new_numbers: HashMap<String, String> = HashMap::new();
    for p in &batch.patients {
        if work.by_key.contains_key(&p.key) || created.iter().any(|(k, _)| *k == p.key) {
            work.patients.unchanged += 1;
            continue;
        }
        let mut input = p.input.clone();
        input.department = Some(department.as_str().to_string());
        let parsed = match NewPatient::parse_imported(&input, today, Some(&department)) {
            Ok(n) => n,
            Err(e) => {
                work.reject_patient(
                    &p.key,
                    Issue::error(format!("{}.{}", p.location, e.field), e.code, e.message, e.message_zh),
                );
                continue;
            }
        };
        let number = parsed.id_number.as_ref().map(|i| i.as_str().to_string());
        if let Some(existing) = number.as_ref().and_then(|n| work.by_id_number.get(n)).copied() {
            if work.forbidden.contains(&existing) {
                // Enrolled in a department the importer may not change: nothing is written for
                // it (no sender key pointing at that patient), and the answer names no
                // department, as enrolling the same ID number by hand would.
                work.reject_patient(
                    &p.key,
                    Issue::error(
                        format!("{}.id_number", p.location),
                        "id_number_enrolled",
                        "a patient with this ID number is already enrolled; ask for a transfer",
                        "该身份证号码的患者已建档，如需管理请申请转科",
                    ),
                );
                continue;
            }
            // Already enrolled under this ID number: link the sender's key to that patient.
            work.by_key.insert(p.key.clone(), existing);
            work.new_identifiers.push((p.key.clone(), existing));
            work.patients.unchanged += 1;
            continue;
        }
        if let Some(n) = number {
            if let Some(first) = new_numbers.get(&n) {
                work.reject_patient(
                    &p.key,
                    Issue::error(
                        format!("{}.id_number", p.location),
                        "id_number_duplicate",
                        format!("the same ID number is given to patient {first} in this batch"),
                        "同一批次中身份证号码重复",
                    ),
                );
                continue;
            }
            new_numbers.insert(n, p.key.clone());
        }
        created.push((p.key.clone(), parsed));
    }

    if !created.is_empty() {
        let first = counters::reserve(tx, "card_number", created.len() as u64).await?;
        let first = u64::try_from(first).unwrap_or(0);
        for (i, (key, p)) in created.into_iter().enumerate() {
            let id = Uuid::now_v7();
            let card = careloop_domain::card::card_number(first + i as u64);
            work.new_patients.push(write_row(id, card, &p, department_id, work.now));
            work.sex.insert(id, p.sex);
            work.by_key.insert(key.clone(), id);
            if let Some(n) = &p.id_number {
                work.by_id_number.insert(n.as_str().to_string(), id);
            }
            work.new_identifiers.push((key, id));
            work.patients.created += 1;
        }
    }
    Ok(())
}

/// Enrolled patients the sender reports as dead (found by its key or their ID number): each is
/// recorded as deceased and their running plans stopped, which cancels their open tasks so
/// nothing more is sent. Returns how many were newly recorded.
pub(super) async fn record_deaths(
    tx: &mut Tx,
    actor: &Actor,
    batch: &ImportBatch,
    work: &Work,
    now: time::OffsetDateTime,
) -> Result<usize> {
    let mut recorded = 0;
    for d in &batch.deaths {
        let found = work.by_key.get(&d.key).copied().or_else(|| {
            d.id_number
                .as_deref()
                .and_then(id_number_of)
                .and_then(|n| work.by_id_number.get(&n).copied())
        });
        let Some(id) = found.filter(|id| !work.forbidden.contains(id)) else {
            continue;
        };
        let at = d.at.map_or(now, |t| t.min(now));
        recorded += usize::from(crate::reactions::died(tx, actor, id, at, now).await?);
    }
    Ok(recorded)
}
