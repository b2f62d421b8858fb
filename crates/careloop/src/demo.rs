//! Loads the demo organisation: departments, staff accounts and a synthetic population with
//! health records, diagnoses, five years of annual check-ups and, for hypertensive and diabetic
//! patients, a national-standard follow-up plan with a year of its calls behind it
//! ([`history`]); check-up patients stratified by risk tier and on post-check-up follow-up —
//! all through the same service calls the API uses.

mod history;
mod replies;

pub use replies::load as load_replies;

use careloop_domain::indicator::ObservationInput;
use careloop_service::admin::staff::{self, NewUserInput};
use careloop_service::kernel::access::system_actor;
use careloop_service::{
    followup::enrolment as followup, followup::events, patients::observations, patients::records,
    patients::register as patients, risk::assessments as risk_tiers,
};
use careloop_store::Db;
use careloop_synth::{DEMO_ORGANISATION, DEMO_PASSWORD, DEPARTMENTS, Generator, STAFF};
use time::OffsetDateTime;
use uuid::Uuid;

/// Whether the database already holds departments (then the demo is not loaded again).
pub async fn is_loaded(db: &Db) -> anyhow::Result<bool> {
    Ok(!staff::list_departments(db).await?.is_empty())
}

pub async fn load_organisation(db: &Db, now: OffsetDateTime) -> anyhow::Result<()> {
    let cli = system_actor();
    let (org_code, org_name) = DEMO_ORGANISATION;
    let org = staff::create_organisation(db, &cli, org_code, org_name, now).await?;
    // A city hospital: its patients are urban unless their record says otherwise.
    let location = careloop_domain::record::Location {
        region: Some("north".into()),
        residence: Some("urban".into()),
    };
    staff::set_organisation_location(db, &cli, org.id, &location, now).await?;
    // The number its reminders name (a demo number).
    staff::set_organisation_phone(db, &cli, org.id, Some("010-12345678"), now).await?;
    // Targets as a county's assessment plan might set them (made up for the demo: the national
    // standard sets none), so the figures' charts show their lines.
    for (figure, percent) in [
        ("completion", 90.0),
        ("on_time", 85.0),
        ("contact_success", 80.0),
        ("lost_to_follow_up", 5.0),
        ("hypertension_standard_management", 65.0),
        ("hypertension_control", 60.0),
        ("diabetes_standard_management", 65.0),
        ("diabetes_control", 55.0),
        ("satisfaction", 85.0),
    ] {
        let input = careloop_service::admin::targets::TargetInput {
            percent,
            source: "演示用考核目标（示例，非国家规定）".into(),
        };
        careloop_service::admin::targets::set(db, &cli, org.id, figure, &input, now).await?;
    }
    for (code, name) in DEPARTMENTS {
        staff::create_department(db, &cli, code, name, Some(org_code), now).await?;
    }
    for (username, display, role, dept) in STAFF {
        let input = NewUserInput {
            username: username.into(),
            password: DEMO_PASSWORD.into(),
            display_name: Some(display.into()),
            role: role.into(),
            department: dept.map(str::to_string),
        };
        staff::create_user(db, &cli, &input, now).await?;
    }
    Ok(())
}

/// Enrol `n` synthetic patients with their records, diagnoses and check-ups.
pub async fn load_patients(db: &Db, n: usize, seed: u64, now: OffsetDateTime) -> anyhow::Result<()> {
    let cli = system_actor();
    let mut generator = Generator::new(seed, careloop_domain::clock::local_today(now), 5);
    let mut left = n;
    let mut lived = Vec::new();
    while left > 0 {
        let size = left.min(500);
        left -= size;
        let batch: Vec<_> = (0..size).map(|_| generator.patient()).collect();
        let inputs: Vec<_> = batch.iter().map(|p| p.input.clone()).collect();
        let enrolled = patients::enrol_patients(db, &cli, &inputs, now).await?;
        let mut checkups = Vec::new();
        let mut entries: Vec<(Uuid, ObservationInput)> = Vec::new();
        for (i, (p, e)) in batch.into_iter().zip(&enrolled).enumerate() {
            records::save_health_record(db, &cli, e.id, p.record, now).await?;
            // Chronic patients joined their national-standard protocol when diagnosed, 10 to
            // 14 months ago (so a year of calls lies behind them and worklists show calls due
            // today, soon and overdue); the diagnoses recorded next find them enrolled already.
            let anchor = careloop_domain::clock::local_today(now) - time::Duration::days(300 + (i % 120) as i64);
            let enrolled_at = time::OffsetDateTime::new_in_offset(
                anchor,
                time::Time::from_hms(10, 0, 0)?,
                careloop_domain::clock::CHINA,
            );
            for (has, protocol) in [(p.hypertension, "htn-basic-ph"), (p.diabetes, "t2dm-basic-ph")] {
                if has {
                    let plan =
                        followup::enrol_in_protocol(db, &cli, e.id, protocol, Some(&anchor.to_string()), enrolled_at)
                            .await?;
                    lived.push(history::Lived {
                        patient: e.id,
                        plan: plan.id,
                        index: i + (n - left - size),
                        diabetes: protocol == "t2dm-basic-ph",
                    });
                }
            }
            for d in &p.diagnoses {
                records::add_diagnosis(db, &cli, e.id, d, now).await?;
            }
            // One in twenty was discharged after surgery in the last five weeks, recorded by the
            // ward that morning: recording the discharge starts post-discharge follow-up, whose
            // questionnaire links and reminders the demo's replies loader sends day by day.
            if i % 20 == 7 {
                let day = careloop_domain::clock::local_today(now) - time::Duration::days((i % 35) as i64);
                let morning = time::OffsetDateTime::new_in_offset(
                    day,
                    time::Time::from_hms(9, 0, 0)?,
                    careloop_domain::clock::CHINA,
                );
                let discharge = events::DischargeInput {
                    discharged_on: Some(day.to_string()),
                    ward: Some("普外科".into()),
                    ..Default::default()
                };
                events::record_discharge(db, &cli, e.id, &discharge, morning.min(now)).await?;
            }
            if p.input.department.as_deref() == Some("checkup") {
                checkups.push((e.id, p.hypertension || p.diabetes, i));
            }
            entries.extend(p.observations.into_iter().map(|o| (e.id, o)));
        }
        for chunk in entries.chunks(observations::MAX_BATCH) {
            observations::record_observations(db, &cli, chunk, now).await?;
        }
        assess_checkups(db, &checkups, now).await?;
        checkups.clear();
    }
    history::live(db, &lived, now).await?;
    db.optimize().await?;
    Ok(())
}

/// The check-up centre's doctor (主检医生) stratifies each check-up patient (风险分层), which
/// starts their post-check-up follow-up by tier: chronic findings are high risk; the rest a
/// mix of medium and low.
async fn assess_checkups(db: &Db, patients: &[(Uuid, bool, usize)], now: OffsetDateTime) -> anyhow::Result<()> {
    let mut tx = db.begin_read().await?;
    let doctor = careloop_store::users::find_by_username(&mut tx, "dr.sun").await?;
    tx.commit().await?;
    let Some(doctor) = doctor else {
        return Ok(());
    };
    let actor = careloop_domain::access::Actor {
        user_id: doctor.id,
        username: doctor.username,
        role: careloop_domain::staff::Role::Doctor,
        department_id: doctor.department_id,
        ip: None,
    };
    for (id, chronic, i) in patients {
        let (tier, reason) = match (chronic, i % 3) {
            (true, _) => ("high", "体检：血压或血糖明显升高，需专科复诊"),
            (false, 0) => ("medium", "体检：超重，血脂偏高"),
            _ => ("low", "体检结果未见明显异常"),
        };
        let input = risk_tiers::AssessmentInput {
            tier: tier.into(),
            reason: reason.into(),
        };
        risk_tiers::assess(db, &actor, *id, &input, now).await?;
    }
    Ok(())
}
