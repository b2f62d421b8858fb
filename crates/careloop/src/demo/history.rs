//! A year of follow-up history for the demo (演示历史), so its figures look like a working
//! service rather than a first morning: each chronic patient joined their national-standard
//! plan 10 to 14 months ago, and every call that fell due since was made by the responsible
//! nurse on its day or a little after — most reached, some unanswered and retried the next day,
//! a few patients never reached again (lost to follow-up); reached calls record blood pressure
//! (and fasting glucose for diabetes), under control in most patients and most visits, so the
//! standard's classification asks for two-week rechecks where it is not. One patient in ten
//! still has a call of the last month open, so the worklist has overdue work. After about one
//! reached call in three the nurse sends the outpatient satisfaction survey, which most
//! patients answer, so 问卷回收率 and 满意度 have a year of history too.
//!
//! Everything goes through the service calls the call sheet uses, each at the moment it
//! happened (`now` is the call's time), so tasks, records, retries, alerts and the audit trail
//! are what a year of real work leaves. The outcomes are drawn from a fixed hash of the
//! patient's index and the attempt: the same seed gives the same history.

use careloop_domain::access::Actor;
use careloop_domain::followup::task::TaskState;
use careloop_domain::indicator::ObservationInput;
use careloop_domain::staff::Role;
use careloop_service::followup::{alerts, plans, visits};
use careloop_service::kernel::access::system_actor;
use careloop_service::questionnaires::links;
use careloop_store::Db;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A chronic patient's plan to live through: (patient, plan, the patient's index, diabetes).
pub struct Lived {
    pub patient: Uuid,
    pub plan: Uuid,
    pub index: usize,
    pub diabetes: bool,
}

/// A number in [0, 1) fixed by its inputs (SplitMix64 of the pair).
fn roll(index: usize, salt: u64) -> f64 {
    let mut z = (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn between(r: f64, low: f64, high: f64) -> f64 {
    ((low + r * (high - low)) * 10.0).round() / 10.0
}

/// The staff who sign calls, by user id.
async fn signers(db: &Db) -> anyhow::Result<HashMap<Uuid, Actor>> {
    let mut tx = db.begin_read().await?;
    let users = careloop_store::users::list(&mut tx).await?;
    tx.commit().await?;
    Ok(users
        .into_iter()
        .filter_map(|u| {
            let role = Role::parse(&u.role).ok()?;
            Some((
                u.id,
                Actor {
                    user_id: u.id,
                    username: u.username,
                    role,
                    department_id: u.department_id,
                    ip: None,
                },
            ))
        })
        .collect())
}

/// Live each plan's past year; returns the number of calls signed.
pub async fn live(db: &Db, lived: &[Lived], now: OffsetDateTime) -> anyhow::Result<usize> {
    let staff = signers(db).await?;
    let cli = system_actor();
    let mut signed = 0;
    for p in lived {
        // Never reached again from their second call: three failed calls make them lost.
        let lost = roll(p.index, 1) < 0.06;
        let leave_recent_open = roll(p.index, 2) < 0.1;
        let controlled_patient = roll(p.index, 3) < 0.72;
        for attempt in 0..40u64 {
            let plans = plans::list_plans(db, &cli, p.patient, now).await?;
            let Some(plan) = plans.iter().find(|x| x.id == p.plan && x.status == "active") else {
                break;
            };
            let Some(task) = plan
                .tasks
                .iter()
                .filter(|t| TaskState::is_open(&t.state) && t.state != TaskState::Failed.as_str())
                .min_by_key(|t| t.due_at)
            else {
                break;
            };
            let r = |salt: u64| roll(p.index, attempt * 16 + salt + 100);
            // On its day mostly, a few days into the window often, past the deadline sometimes.
            let late = r(0) < 0.08;
            let from = task.retry_at.unwrap_or(task.due_at).max(task.due_at);
            let delay = if late {
                task.deadline - task.due_at + Duration::days(1 + (r(1) * 5.0) as i64)
            } else {
                Duration::hours((r(1) * 72.0) as i64)
            };
            // Nurses call in working hours: 08:30 to 17:30, China time, on the day it falls.
            let day = (from + delay).to_offset(careloop_domain::clock::CHINA).date();
            let at = OffsetDateTime::new_in_offset(day, time::macros::time!(08:30), careloop_domain::clock::CHINA)
                + Duration::minutes((r(2) * 540.0) as i64);
            let at = at.max(from);
            let recent = task.due_at > now - Duration::days(30);
            if at > now - Duration::hours(2) || (leave_recent_open && recent) {
                break;
            }
            let first_call = attempt == 0;
            let reached = (first_call || !lost) && r(3) >= 0.11;
            let contact_result = match (reached, r(4)) {
                (true, _) => "reached",
                (false, x) if x < 0.7 => "no_answer",
                (false, x) if x < 0.85 => "busy",
                _ => "powered_off",
            };
            let mut observations = Vec::new();
            if reached {
                let controlled = if controlled_patient { r(5) < 0.88 } else { r(5) < 0.35 };
                let (sbp, dbp) = if controlled {
                    (between(r(6), 116.0, 138.0), between(r(7), 68.0, 88.0))
                } else {
                    (between(r(6), 142.0, 168.0), between(r(7), 86.0, 102.0))
                };
                let value = |code: &str, value: f64| ObservationInput {
                    code: code.into(),
                    value: value.round(),
                    unit: None,
                    effective_at: at,
                    source: Some("followup".into()),
                };
                observations.push(value("sbp", sbp));
                observations.push(value("dbp", dbp));
                observations.push(value("hr", between(r(8), 62.0, 88.0)));
                if p.diabetes {
                    let fpg = if controlled {
                        between(r(9), 5.2, 6.9)
                    } else {
                        between(r(9), 7.3, 11.8)
                    };
                    observations.push(ObservationInput {
                        value: fpg,
                        ..value("fpg", 0.0)
                    });
                }
            }
            let input = visits::RecordInput {
                contact_result: contact_result.into(),
                observations,
                answers: None,
                adverse_drug_reaction: false,
                new_complication: false,
                emergency_symptom: false,
                note: None,
            };
            let signer = task.assignee_id.and_then(|id| staff.get(&id)).unwrap_or(&cli);
            visits::record_follow_up(db, signer, task.id, input, at).await?;
            signed += 1;
            // After about one reached call in three, the nurse sends the outpatient
            // satisfaction survey (门诊满意度调查); most patients answer within two days.
            if reached && r(10) < 0.3 {
                survey(db, signer, p.patient, at, |salt| r(20 + salt)).await?;
            }
        }
    }
    close_old_alerts(db, &staff, now).await?;
    Ok(signed)
}

/// A satisfaction survey sent at `at`: its link made by the nurse and, three times in four,
/// answered within two days — most ratings the best option (满意), some 一般, a few 有待改进.
async fn survey(
    db: &Db,
    nurse: &Actor,
    patient: Uuid,
    at: OffsetDateTime,
    r: impl Fn(u64) -> f64,
) -> anyhow::Result<()> {
    const QUESTIONNAIRE: &str = "satisfaction-outpatient";
    const RATED: [&str; 6] = [
        "registration",
        "waiting",
        "listened",
        "explained",
        "attitude",
        "environment",
    ];
    let link =
        links::create_questionnaire_link(db, nurse, patient, QUESTIONNAIRE, None, "https://demo.invalid", at).await?;
    if r(0) >= 0.75 {
        return Ok(());
    }
    let token = link.url.rsplit('/').next().unwrap_or_default().to_string();
    let mut fields: Vec<(String, String)> = RATED
        .iter()
        .zip(1u64..)
        .map(|(id, salt)| {
            let x = r(salt);
            // Waiting times please least.
            let best = if *id == "waiting" { 0.55 } else { 0.8 };
            let option = if x < best {
                0
            } else if x < 0.96 {
                1
            } else {
                2
            };
            (
                (*id).to_string(),
                careloop_domain::questionnaire::form::option_field(option),
            )
        })
        .collect();
    fields.push(("red_envelope".into(), "false".into()));
    let answered_at = at + Duration::minutes(30 + (r(9) * 2880.0) as i64);
    links::answer(db, &token, &fields, None, answered_at).await?;
    Ok(())
}

/// Alerts the history raised more than a week ago were handled at the time: a doctor closed
/// each the day after with an outcome, as the alert centre does.
async fn close_old_alerts(db: &Db, staff: &HashMap<Uuid, Actor>, now: OffsetDateTime) -> anyhow::Result<()> {
    let cli = system_actor();
    let doctors: Vec<&Actor> = staff.values().filter(|a| a.role == Role::Doctor).collect();
    for a in alerts::list_alerts(db, &cli, Some("open"), now).await? {
        if a.created_at >= now - Duration::days(7) {
            continue;
        }
        let at = a.created_at + Duration::hours(20);
        let outcome = "已电话联系患者，调整用药并预约复诊";
        let mut closed = false;
        for doctor in &doctors {
            // The doctor of the patient's department may close it; another is refused.
            if alerts::handle_alert(db, doctor, a.id, Some(outcome), at).await.is_ok() {
                closed = true;
                break;
            }
        }
        if !closed {
            alerts::handle_alert(db, &cli, a.id, Some(outcome), at).await?;
        }
    }
    Ok(())
}
