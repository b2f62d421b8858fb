//! The follow-up figures administrators report (随访统计): coverage, completion, timeliness,
//! contact success, lost to follow-up, and the national standard's 规范管理率 and 控制率 for
//! hypertension and type 2 diabetes. Definitions are in `domain::followup::figures` and the
//! README; counts come from `store::stats`.

use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::{Actor, PatientScope};
use careloop_domain::clock::CHINA;
use careloop_domain::clock::iso_date;
use careloop_domain::clock::local_today;
use careloop_domain::followup::figures::{Rate, VisitFact, standard_figures};
use careloop_domain::patient::parse_date;
use careloop_store::stats::{self, Dimension, Pair};
use careloop_store::{Db, Tx};
use serde::Serialize;
use std::collections::BTreeMap;
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
    /// The operational figures per department, protocol, member of staff or month, when asked.
    pub breakdown: Option<Breakdown>,
}

/// The figures split by one dimension (`by`: department / protocol / staff / month).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Breakdown {
    pub by: String,
    pub rows: Vec<BreakdownRow>,
}

/// One group. Tasks count towards the assignee and the month of their deadline, contact
/// attempts towards the signer and the month they were made.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BreakdownRow {
    /// Department code, protocol id, username or `YYYY-MM`; null for unassigned work.
    pub key: Option<String>,
    /// Department or staff name (the key otherwise).
    pub label: Option<String>,
    pub completion: Figure,
    pub on_time: Figure,
    pub contact_success: Figure,
    /// Absent by staff: a plan is no one person's.
    pub lost_to_follow_up: Option<Figure>,
    /// By month only: the national standard's figures as of the month's end (each over the
    /// twelve months to it), so 规范管理率 and 控制率 can be followed month by month.
    pub standard: Option<StandardFigures>,
}

/// The standard's figures for hypertension and diabetes at one time.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct StandardFigures {
    pub hypertension_standard_management: Figure,
    pub hypertension_control: Figure,
    pub diabetes_standard_management: Figure,
    pub diabetes_control: Figure,
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
    /// Also break the figures down by `department`, `protocol`, `staff` or `month`.
    pub by: Option<String>,
}

fn dimension(by: Option<&str>) -> Result<Option<Dimension>> {
    Ok(match by.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some("department") => Some(Dimension::Department),
        Some("protocol") => Some(Dimension::Protocol),
        Some("staff") => Some(Dimension::Staff),
        Some("month") => Some(Dimension::Month),
        Some(_) => {
            return Err(FieldError::new(
                "by",
                "by_invalid",
                "by must be one of department, protocol, staff, month",
                "分组方式应为 科室/方案/人员/月份",
            )
            .into());
        }
    })
}

/// The months `[from, to]` touches, each as its own period clipped to the range.
fn months(from: Date, to: Date) -> Vec<(String, Date, Date)> {
    let mut out = Vec::new();
    let mut first = from;
    while first <= to {
        let next = Date::from_calendar_date(first.year(), first.month(), 1)
            .ok()
            .and_then(|d| d.checked_add(Duration::days(i64::from(first.month().length(first.year())))))
            .unwrap_or(to.next_day().unwrap_or(to));
        let last = next.previous_day().unwrap_or(next).min(to);
        out.push((
            format!("{:04}-{:02}", first.year(), u8::from(first.month())),
            first,
            last,
        ));
        first = next;
    }
    out
}

fn blank(key: &Option<String>, label: &Option<String>, dim: Dimension) -> BreakdownRow {
    BreakdownRow {
        key: key.clone(),
        label: label.clone(),
        completion: Rate::default().into(),
        on_time: Rate::default().into(),
        contact_success: Rate::default().into(),
        lost_to_follow_up: (dim != Dimension::Staff).then(|| Rate::default().into()),
        standard: None,
    }
}

async fn breakdown(
    tx: &mut Tx,
    dim: Dimension,
    (from, to): (Date, Date),
    department: Option<Uuid>,
) -> Result<Vec<BreakdownRow>> {
    let (start, end) = (start_of(from), start_of(to) + Duration::days(1));
    let mut out: BTreeMap<Option<String>, BreakdownRow> = BTreeMap::new();
    for g in stats::tasks_due_by(tx, dim, start, end, department).await? {
        let r = out.entry(g.key.clone()).or_insert_with(|| blank(&g.key, &g.label, dim));
        r.completion = Rate::new(g.num, g.total).into();
        r.on_time = Rate::new(g.extra, g.num).into();
    }
    for g in stats::contacts_by(tx, dim, start, end, department).await? {
        let r = out.entry(g.key.clone()).or_insert_with(|| blank(&g.key, &g.label, dim));
        r.contact_success = Rate::new(g.num, g.total).into();
    }
    match dim {
        Dimension::Staff => {}
        Dimension::Month => {
            for (month, first, last) in months(from, to) {
                let end = start_of(last) + Duration::days(1);
                let lost = stats::lost(tx, start_of(first), end, department).await?;
                let hypertension = condition(tx, "htn-basic-ph", end, department).await?;
                let diabetes = condition(tx, "t2dm-basic-ph", end, department).await?;
                let key = Some(month);
                let managed = hypertension.managed + diabetes.managed;
                if lost.den > 0 || managed > 0 || out.contains_key(&key) {
                    let r = out.entry(key.clone()).or_insert_with(|| blank(&key, &key, dim));
                    r.lost_to_follow_up = Some(lost.into());
                    r.standard = Some(StandardFigures {
                        hypertension_standard_management: hypertension.standard_management,
                        hypertension_control: hypertension.control,
                        diabetes_standard_management: diabetes.standard_management,
                        diabetes_control: diabetes.control,
                    });
                }
            }
        }
        Dimension::Department | Dimension::Protocol => {
            for g in stats::lost_by(tx, dim, start, end, department).await? {
                let r = out.entry(g.key.clone()).or_insert_with(|| blank(&g.key, &g.label, dim));
                r.lost_to_follow_up = Some(Rate::new(g.num, g.total).into());
            }
        }
    }
    Ok(out.into_values().collect())
}

pub(crate) fn start_of(d: Date) -> OffsetDateTime {
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

/// The longest period a figure query covers: ten years (a monthly breakdown of 120 months).
const MAX_PERIOD_DAYS: i64 = 3653;

/// The period `[from, to]` (China dates) and the department a figure query covers: staff see
/// their own department, admins any or all.
pub(crate) fn resolve(actor: &Actor, q: &FigureQuery, now: OffsetDateTime) -> Result<(Date, Date, Option<Uuid>)> {
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
    if to - from > Duration::days(MAX_PERIOD_DAYS) {
        return Err(FieldError::new(
            "to",
            "range_too_long",
            "a period may cover at most ten years",
            "统计区间最长十年",
        )
        .into());
    }
    let department = match actor.patient_scope() {
        PatientScope::All => q.department_id,
        PatientScope::Department(d) if q.department_id.is_none_or(|x| x == d) => Some(d),
        _ => return Err(ServiceError::Forbidden),
    };
    Ok((from, to, department))
}

/// The figures for a period and department.
pub async fn follow_up_figures(
    db: &Db,
    actor: &Actor,
    q: &FigureQuery,
    now: OffsetDateTime,
) -> Result<FollowUpFigures> {
    let (from, to, department) = resolve(actor, q, now)?;
    let by = dimension(q.by.as_deref())?;
    let (start, end) = (start_of(from), start_of(to) + Duration::days(1));
    let mut tx = db.begin().await?;
    let coverage = stats::coverage(&mut tx, &["I10", "I11", "I12", "I13", "I15", "E11"], end, department).await?;
    let tasks = stats::tasks_due(&mut tx, start, end, department).await?;
    let contacts = stats::contacts(&mut tx, start, end, department).await?;
    let lost = stats::lost(&mut tx, start, end, department).await?;
    let hypertension = condition(&mut tx, "htn-basic-ph", end, department).await?;
    let diabetes = condition(&mut tx, "t2dm-basic-ph", end, department).await?;
    let breakdown = match by {
        Some(dim) => Some(Breakdown {
            by: q.by.clone().unwrap_or_default().trim().to_string(),
            rows: breakdown(&mut tx, dim, (from, to), department).await?,
        }),
        None => None,
    };
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
        breakdown,
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

/// CSV for Excel: UTF-8 with a byte-order mark (Excel in China otherwise reads GBK), CRLF line
/// ends, written by the csv crate (quoting), with every text cell kept from being read as a
/// formula ([`formula_safe`]).
/// The figures of a breakdown row, in column order: Chinese and English names. The last four
/// (the standard's) are the monthly breakdown's only.
pub const BREAKDOWN_FIGURES: [(&str, &str); 8] = [
    ("随访完成率", "Completion"),
    ("随访及时率", "On time"),
    ("联系成功率", "Contact success"),
    ("失访率", "Lost to follow-up"),
    ("高血压规范管理率", "Hypertension standard management"),
    ("高血压控制率", "Hypertension control"),
    ("糖尿病规范管理率", "Diabetes standard management"),
    ("糖尿病控制率", "Diabetes control"),
];

/// A breakdown row's figures in [`BREAKDOWN_FIGURES`] order (absent where the row has none).
pub fn breakdown_values(r: &BreakdownRow) -> [Option<Figure>; 8] {
    let s = r.standard;
    [
        Some(r.completion),
        Some(r.on_time),
        Some(r.contact_success),
        r.lost_to_follow_up,
        s.map(|s| s.hypertension_standard_management),
        s.map(|s| s.hypertension_control),
        s.map(|s| s.diabetes_standard_management),
        s.map(|s| s.diabetes_control),
    ]
}

pub fn to_csv(f: &FollowUpFigures) -> String {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let pct = |f: &Figure| f.percent.map(|p| format!("{p:.1}")).unwrap_or_default();
    let mut rows: Vec<Vec<String>> = vec![vec![
        "指标".into(),
        "Indicator".into(),
        "分子 Numerator".into(),
        "分母 Denominator".into(),
        "百分比 Percent".into(),
    ]];
    for (zh, en, fig) in self::rows(f) {
        rows.push(vec![
            zh.into(),
            en.into(),
            fig.numerator.to_string(),
            fig.denominator.to_string(),
            pct(&fig),
        ]);
    }
    rows.push(vec![
        "统计期间 Period".into(),
        format!("{} – {}", f.from, f.to),
        String::new(),
        String::new(),
        String::new(),
    ]);
    if let Some(b) = &f.breakdown {
        rows.push(vec![]);
        let columns = if b.rows.iter().any(|r| r.standard.is_some()) {
            8
        } else {
            4
        };
        let mut header = vec![format!("分组 Group ({})", b.by)];
        for (zh, en) in &BREAKDOWN_FIGURES[..columns] {
            header.extend([
                format!("{zh} {en} %"),
                "分子 Numerator".into(),
                "分母 Denominator".into(),
            ]);
        }
        rows.push(header);
        for r in &b.rows {
            let name = r.label.as_deref().or(r.key.as_deref()).unwrap_or("未分配 unassigned");
            let mut row = vec![formula_safe(name)];
            for fig in &breakdown_values(r)[..columns] {
                match fig {
                    Some(fig) => row.extend([pct(fig), fig.numerator.to_string(), fig.denominator.to_string()]),
                    None => row.extend([String::new(), String::new(), String::new()]),
                }
            }
            rows.push(row);
        }
    }
    for row in rows {
        // Writing to a Vec cannot fail; an empty record is the blank line between the tables.
        let _ = if row.is_empty() {
            w.write_record([""])
        } else {
            w.write_record(&row)
        };
    }
    let body = w.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&body))
}

/// A text cell a spreadsheet will not run: one starting with `=`, `+`, `-` or `@` gets a
/// leading apostrophe.
fn formula_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_period_is_cut_into_calendar_months_clipped_at_both_ends() {
        let m = months(date!(2024 - 01 - 20), date!(2024 - 03 - 05));
        assert_eq!(
            m,
            [
                ("2024-01".to_string(), date!(2024 - 01 - 20), date!(2024 - 01 - 31)),
                ("2024-02".to_string(), date!(2024 - 02 - 01), date!(2024 - 02 - 29)),
                ("2024-03".to_string(), date!(2024 - 03 - 01), date!(2024 - 03 - 05)),
            ]
        );
        assert_eq!(months(date!(2025 - 12 - 31), date!(2025 - 12 - 31)).len(), 1);
        assert_eq!(months(date!(2025 - 12 - 15), date!(2026 - 01 - 02))[1].0, "2026-01");
    }

    #[test]
    fn csv_cells_are_quoted_and_never_read_as_formulas() {
        let cell = |name: &str| {
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            w.write_record([formula_safe(name)]).unwrap();
            String::from_utf8(w.into_inner().unwrap())
                .unwrap()
                .trim_end()
                .to_string()
        };
        assert_eq!(cell("心内科"), "心内科");
        assert_eq!(cell("内科, 二病区"), "\"内科, 二病区\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1"), "'-1");
    }

    #[test]
    fn an_unknown_breakdown_is_refused_by_name() {
        assert_eq!(dimension(Some(" month ")).unwrap(), Some(Dimension::Month));
        assert_eq!(dimension(Some("")).unwrap(), None);
        assert!(dimension(Some("ward")).is_err());
    }
}
