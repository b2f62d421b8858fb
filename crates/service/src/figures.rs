//! The follow-up figures administrators report (随访统计): coverage, completion, timeliness,
//! contact success, lost to follow-up, and the national standard's 规范管理率 and 控制率 for
//! hypertension and type 2 diabetes. Definitions are in `domain::followup::figures` and the
//! README; counts come from `store::stats`.

use crate::audit::{event, record};
use crate::patients::{iso_date, local_today};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::{Actor, PatientScope};
use careloop_domain::followup::figures::{Rate, VisitFact, standard_figures};
use careloop_domain::followup::schedule::CHINA;
use careloop_domain::patient::parse_date;
use careloop_store::stats::{self, Pair};
use careloop_store::{Db, Tx};
use serde::Serialize;
use time::{Date, Duration, Month, OffsetDateTime, Time};
use uuid::Uuid;

/// A figure: its counts and percent (absent when the denominator is zero).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figure {
    pub numerator: i64,
    pub denominator: i64,
    pub percent: Option<f64>,
}

impl From<Rate> for Figure {
    fn from(r: Rate) -> Self {
        Figure {
            numerator: r.numerator,
            denominator: r.denominator,
            percent: r.percent(),
        }
    }
}

impl From<Pair> for Figure {
    fn from(p: Pair) -> Self {
        Rate::new(p.num, p.den).into()
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConditionFigures {
    /// Patients with a plan of the condition's protocol (年内已管理人数).
    pub managed: i64,
    /// At least four reached follow-ups in the twelve months to the period's end (规范管理率).
    pub standard_management: Figure,
    /// Last classified visit in that time was 控制满意 (控制率).
    pub control: Figure,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUpFigures {
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    /// Inclusive.
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    pub department_id: Option<Uuid>,
    /// Patients with a hypertension or diabetes diagnosis who have a follow-up plan (随访覆盖率).
    pub coverage: Figure,
    /// Tasks whose deadline fell in the period that were done (随访完成率).
    pub completion: Figure,
    /// Of those done, done by the deadline (随访及时率).
    pub on_time: Figure,
    /// Contact attempts in the period that reached the patient (联系成功率).
    pub contact_success: Figure,
    /// Plans running in the period stopped as lost to follow-up in it (失访率).
    pub lost_to_follow_up: Figure,
    pub hypertension: ConditionFigures,
    pub diabetes: ConditionFigures,
}

/// What to count.
#[derive(Debug, Clone, Default)]
pub struct FigureQuery {
    /// First day (YYYY-MM-DD, China time); default 1 January of this year.
    pub from: Option<String>,
    /// Last day, inclusive; default today.
    pub to: Option<String>,
    /// Admins may pick a department; others always see their own.
    pub department_id: Option<Uuid>,
}

fn start_of(d: Date) -> OffsetDateTime {
    OffsetDateTime::new_in_offset(d, Time::MIDNIGHT, CHINA)
}

async fn condition(
    tx: &mut Tx,
    protocol: &str,
    to: OffsetDateTime,
    department: Option<Uuid>,
) -> Result<ConditionFigures> {
    let managed = stats::managed(tx, protocol, to, department).await?;
    let year_before = to - Duration::days(365);
    let facts: Vec<VisitFact> = stats::visits(tx, protocol, year_before, to, department)
        .await?
        .into_iter()
        .map(|v| VisitFact {
            patient_id: v.patient_id,
            reached: v.contact_result == "reached",
            classification: v.classification,
            signed_at: v.signed_at.unix_timestamp(),
        })
        .collect();
    let (standard, control) = standard_figures(managed, &facts);
    Ok(ConditionFigures {
        managed,
        standard_management: standard.into(),
        control: control.into(),
    })
}

/// The figures for a period and department.
pub async fn follow_up_figures(
    db: &Db,
    actor: &Actor,
    q: &FigureQuery,
    now: OffsetDateTime,
) -> Result<FollowUpFigures> {
    let today = local_today(now);
    let from = match q.from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse_date(s, "from")?,
        None => Date::from_calendar_date(today.year(), Month::January, 1).unwrap_or(today),
    };
    let to = match q.to.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse_date(s, "to")?,
        None => today,
    };
    if to < from {
        return Err(FieldError::new("to", "range_invalid", "to is before from", "结束日期早于开始日期").into());
    }
    let department = match actor.patient_scope() {
        PatientScope::All => q.department_id,
        PatientScope::Department(d) if q.department_id.is_none_or(|x| x == d) => Some(d),
        _ => return Err(ServiceError::Forbidden),
    };
    let (start, end) = (start_of(from), start_of(to) + Duration::days(1));
    let mut tx = db.begin().await?;
    let coverage = stats::coverage(&mut tx, &["I10", "I11", "I12", "I13", "I15", "E11"], end, department).await?;
    let tasks = stats::tasks_due(&mut tx, start, end, department).await?;
    let contacts = stats::contacts(&mut tx, start, end, department).await?;
    let lost = stats::lost(&mut tx, start, end, department).await?;
    let hypertension = condition(&mut tx, "htn-basic-ph", end, department).await?;
    let diabetes = condition(&mut tx, "t2dm-basic-ph", end, department).await?;
    record(
        &mut tx,
        event(
            actor,
            "stats.follow_up",
            None,
            Some(format!("from={from} to={to}")),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(FollowUpFigures {
        from,
        to,
        department_id: department,
        coverage: coverage.into(),
        completion: Rate::new(tasks.done, tasks.total).into(),
        on_time: Rate::new(tasks.on_time, tasks.done).into(),
        contact_success: contacts.into(),
        lost_to_follow_up: lost.into(),
        hypertension,
        diabetes,
    })
}

/// The figures' rows: Chinese name, English name, figure.
pub fn rows(f: &FollowUpFigures) -> Vec<(&'static str, &'static str, Figure)> {
    vec![
        ("随访覆盖率", "Coverage", f.coverage),
        ("随访完成率", "Completion", f.completion),
        ("随访及时率", "On time", f.on_time),
        ("联系成功率", "Contact success", f.contact_success),
        ("失访率", "Lost to follow-up", f.lost_to_follow_up),
        (
            "高血压规范管理率",
            "Hypertension standard management",
            f.hypertension.standard_management,
        ),
        ("高血压控制率", "Hypertension control", f.hypertension.control),
        (
            "糖尿病规范管理率",
            "Diabetes standard management",
            f.diabetes.standard_management,
        ),
        ("糖尿病控制率", "Diabetes control", f.diabetes.control),
    ]
}

/// CSV for Excel: UTF-8 with a byte-order mark (Excel in China otherwise reads GBK).
pub fn to_csv(f: &FollowUpFigures) -> String {
    let mut out = String::from("\u{feff}指标,Indicator,分子 Numerator,分母 Denominator,百分比 Percent\r\n");
    for (zh, en, fig) in rows(f) {
        let pct = fig.percent.map(|p| format!("{p:.1}")).unwrap_or_default();
        out.push_str(&format!("{zh},{en},{},{},{pct}\r\n", fig.numerator, fig.denominator));
    }
    out.push_str(&format!("统计期间 Period,{} – {},,,\r\n", f.from, f.to));
    out
}
