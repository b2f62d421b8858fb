//! The health report (健康报告) for a chosen period: profile, the stage summary paragraph,
//! indicators with their trends and flags, risk tier changes and the current computation,
//! diagnoses, follow-ups done and their outcomes, questionnaire results and advice. One read
//! transaction, audited as a report of the patient; identifiers masked for print.

use crate::Result;
use crate::kernel::access::accessible;
use crate::kernel::audit::{event, record};
use crate::patients::trends::{IndicatorTrend, build};
use crate::risk::assessments::RiskTierView;
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::advice::Matched;
use careloop_domain::clock::CHINA;
use careloop_domain::clock::local_today;
use careloop_domain::followup::message::salutation;
use careloop_domain::mask;
use careloop_domain::patient::{Sex, age_on};
use careloop_domain::risk_tier::RiskTier;
use careloop_domain::stage_summary::{IndicatorStage, StageFacts, summarise};
use careloop_domain::tiering::{ComputedTier, compute};
use careloop_store::{Db, diagnoses, observations, plans, questionnaires, records, risk_tiers};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// The longest period one report covers.
const MAX_DAYS: i64 = 366 * 10;

#[derive(Debug, Clone)]
pub struct Visit {
    pub date: Date,
    pub contact_result: String,
    pub classification: Option<String>,
    pub referral: bool,
}

#[derive(Debug, Clone)]
pub struct QuestionnaireLine {
    pub date: Date,
    pub questionnaire_id: String,
    pub version: i32,
    pub title: String,
    pub score: Option<f64>,
    pub band: Option<String>,
    pub band_zh: Option<String>,
}

/// The Chinese label of a band: the instrument's (PHQ-9, GAD-7) or one the questionnaire declares.
fn band_label(resource: &str, code: &str) -> Option<String> {
    use careloop_domain::questionnaire::{Questionnaire, bands, instrument::Instrument};
    let v: serde_json::Value = serde_json::from_str(resource).ok()?;
    let builtin = Questionnaire::from_value(v.clone())
        .ok()
        .and_then(|q| Instrument::of(&q))
        .and_then(|i| {
            i.bands()
                .iter()
                .find(|b| b.code == code)
                .map(|b| b.label_zh.to_string())
        });
    builtin.or_else(|| {
        bands::declared(&v)
            .ok()?
            .into_iter()
            .find(|b| b.code == code)
            .map(|b| b.label)
    })
}

#[derive(Debug, Clone)]
pub struct HealthReport {
    pub name: String,
    pub sex: Sex,
    pub age: i32,
    pub card_number: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub department_name: String,
    pub from: Date,
    pub to: Date,
    pub generated_on: Date,
    pub summary: String,
    /// Indicators with values in the period, their trend over the period.
    pub indicators: Vec<IndicatorTrend>,
    pub diagnoses: Vec<(String, String)>,
    /// Tier assessments in the period, oldest first.
    pub tiers: Vec<RiskTierView>,
    pub current_tier: Option<String>,
    pub computed: ComputedTier,
    pub visits: Vec<Visit>,
    pub questionnaires: Vec<QuestionnaireLine>,
    pub advice: Vec<Matched>,
}

fn in_period(at: OffsetDateTime, from: Date, to: Date) -> bool {
    let d = at.to_offset(CHINA).date();
    d >= from && d <= to
}

/// Build the report of `patient_id` for `from`–`to` (dates in China time, both included).
pub async fn health_report(
    db: &Db,
    actor: &Actor,
    patient_id: Uuid,
    from: Date,
    to: Date,
    now: OffsetDateTime,
) -> Result<HealthReport> {
    if to < from || (to - from) > Duration::days(MAX_DAYS) {
        return Err(FieldError::new(
            "to",
            "period_invalid",
            "the period must end on or after its start and cover at most ten years",
            "报告期间无效：结束日期不能早于开始日期，且不超过十年",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let p = accessible(&mut tx, actor, patient_id).await?;
    let sex = if p.sex == "male" { Sex::Male } else { Sex::Female };
    let rows: Vec<_> = observations::list(&mut tx, patient_id, None, 5000)
        .await?
        .into_iter()
        .filter(|o| in_period(o.effective_at, from, to))
        .collect();
    let indicators = build(&rows, sex);
    let tiers_all = risk_tiers::of_patient(&mut tx, patient_id).await?;
    let mut tiers: Vec<RiskTierView> = tiers_all
        .iter()
        .filter(|t| in_period(t.assessed_at, from, to))
        .cloned()
        .map(Into::into)
        .collect();
    tiers.reverse();
    let facts = crate::risk::facts::facts_of(&mut tx, &p, now).await?;
    let computed = compute(&facts, now);
    let diagnoses = diagnoses::list(&mut tx, patient_id)
        .await?
        .into_iter()
        .map(|d| (d.icd10_code, d.name))
        .collect();
    let mut visits = Vec::new();
    for plan in plans::plans_of_patient(&mut tx, patient_id).await? {
        for r in records::of_plan(&mut tx, plan.id).await? {
            if in_period(r.signed_at, from, to) {
                visits.push(Visit {
                    date: r.signed_at.to_offset(CHINA).date(),
                    contact_result: r.contact_result,
                    classification: r.classification,
                    referral: r.referral,
                });
            }
        }
    }
    visits.sort_by_key(|v| v.date);
    let mut questionnaire_lines: Vec<QuestionnaireLine> = questionnaires::responses_of_patient(&mut tx, patient_id)
        .await?
        .into_iter()
        .filter(|r| r.status == "completed" && in_period(r.updated_at, from, to))
        .map(|r| QuestionnaireLine {
            date: r.updated_at.to_offset(CHINA).date(),
            title: r.questionnaire_id.clone(),
            questionnaire_id: r.questionnaire_id,
            version: r.questionnaire_version,
            score: r.score,
            band: r.band,
            band_zh: None,
        })
        .collect();
    questionnaire_lines.sort_by_key(|q| q.date);
    // The questionnaire's title and the band's Chinese label, from the version answered.
    for line in &mut questionnaire_lines {
        if let Some(row) = questionnaires::version(&mut tx, &line.questionnaire_id, line.version).await? {
            line.title = row.title.clone();
            line.band_zh = line.band.as_deref().and_then(|code| band_label(&row.resource, code));
        }
    }
    let advice = crate::advice::matched_with(&mut tx, &p, facts, now).await?;
    record(
        &mut tx,
        event(
            actor,
            "report.read",
            Some(patient_id),
            Some(format!("from={from} to={to}")),
            now,
        ),
    )
    .await?;
    tx.commit().await?;

    let stage = StageFacts {
        address: salutation(&p.name, sex),
        from,
        to,
        visits: (
            visits.iter().filter(|v| v.contact_result == "reached").count(),
            visits.iter().filter(|v| v.contact_result != "reached").count(),
        ),
        indicators: indicators
            .iter()
            .filter_map(|t| {
                let first = t.trend.points.first()?;
                let last = t.trend.points.last()?;
                let day = |at: OffsetDateTime| at.to_offset(CHINA).date();
                Some(IndicatorStage {
                    name_zh: t.name_zh.into(),
                    unit: t.unit.into(),
                    first: (first.value, day(first.at)),
                    last: (last.value, day(last.at)),
                    count: t.trend.points.len(),
                    abnormal_count: t.trend.abnormal_count,
                    last_flag: match last.flag {
                        "high" => Some("偏高"),
                        "low" => Some("偏低"),
                        _ => None,
                    },
                })
            })
            .collect(),
        tier_changes: tiers
            .iter()
            .filter_map(|t| {
                let tier = RiskTier::parse(&t.tier, "tier").ok()?;
                Some((t.assessed_at.to_offset(CHINA).date(), tier.label_zh().to_string()))
            })
            .collect(),
        questionnaires: questionnaire_lines
            .iter()
            .map(|q| (q.date, q.title.clone(), q.band_zh.clone().unwrap_or_default()))
            .collect(),
        advice_titles: advice.iter().map(|m| m.article.title.clone()).collect(),
    };
    let summary = summarise(&stage);
    Ok(HealthReport {
        age: age_on(p.birth_date, local_today(now)),
        name: p.name,
        sex,
        card_number: p.card_number,
        id_number: p.id_number.as_deref().map(mask::id_number),
        phone: p.phone.as_deref().map(mask::phone),
        department_name: p.department_name,
        from,
        to,
        generated_on: local_today(now),
        summary,
        indicators,
        diagnoses,
        tiers,
        current_tier: p.risk_tier,
        computed,
        visits,
        questionnaires: questionnaire_lines,
        advice,
    })
}

/// The default period: the last twelve months to today.
pub fn default_period(now: OffsetDateTime) -> (Date, Date) {
    let today = local_today(now);
    (today - Duration::days(365), today)
}
