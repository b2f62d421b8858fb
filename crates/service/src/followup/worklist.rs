//! Worklists (工作列表): a nurse's, doctor's or health manager's follow-up tasks by tab
//! (应访, 超期, 即将, 已访), filtered by protocol and scope (mine / my department / one
//! department for admins), sorted by due date or deadline, paginated, with counts per tab.

use crate::kernel::audit::{event, record};
use crate::{Page, Result, ServiceError, page_bounds};
use careloop_domain::access::{Actor, PatientScope};
use careloop_domain::clock::CHINA;
use careloop_domain::clock::local_today;
use careloop_domain::followup::protocol::Protocol;
use careloop_domain::risk_tier::RiskTier;
use careloop_store::Db;
use careloop_store::plans::{self, TaskFilter, TaskOrder};
use serde::Serialize;
use std::collections::HashMap;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// How far back 已访 and the failed tasks of 超期 reach.
pub const RECENT_DAYS: i64 = 30;

/// The tabs of a worklist (UX.md §3): 应访, 超期 (overdue, and failures of the last 30 days),
/// 即将 (next 7 days), 已访 (last 30 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorklistTab {
    Due,
    Overdue,
    Upcoming,
    Done,
}

impl WorklistTab {
    pub const ALL: [WorklistTab; 4] = [
        WorklistTab::Due,
        WorklistTab::Overdue,
        WorklistTab::Upcoming,
        WorklistTab::Done,
    ];

    pub fn parse(s: Option<&str>) -> WorklistTab {
        WorklistTab::ALL
            .into_iter()
            .find(|t| Some(t.as_str()) == s)
            .unwrap_or(WorklistTab::Due)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorklistTab::Due => "due",
            WorklistTab::Overdue => "overdue",
            WorklistTab::Upcoming => "upcoming",
            WorklistTab::Done => "done",
        }
    }

    /// The tab's filter on top of the caller's scope (`base`).
    pub fn filter(self, base: &TaskFilter, now: OffsetDateTime) -> TaskFilter {
        let states: &[&str] = match self {
            // Unanswered calls come back when their retry is due; automated steps reach
            // people only when they go wrong (overdue or failed).
            WorklistTab::Due => &["due", "in_progress"],
            WorklistTab::Overdue => &["overdue", "failed"],
            WorklistTab::Upcoming => &["pending"],
            WorklistTab::Done => &["done"],
        };
        TaskFilter {
            states: states.iter().map(|s| s.to_string()).collect(),
            due_before: (self == WorklistTab::Upcoming).then(|| now + Duration::days(7)),
            // 已访 lists the last month's work, not years of history.
            due_after: (self == WorklistTab::Done).then(|| now - Duration::days(RECENT_DAYS)),
            failed_since: (self == WorklistTab::Overdue).then(|| now - Duration::days(RECENT_DAYS)),
            manual_only: self != WorklistTab::Overdue,
            active_plans_only: true,
            ..base.clone()
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct WorklistItem {
    pub task_id: Uuid,
    pub patient_id: Uuid,
    pub name: String,
    pub sex: String,
    pub age: i32,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    /// The full number, for the screen's click-to-call link only (the list shows it masked and
    /// the API never sends it).
    #[serde(skip)]
    pub dial: Option<String>,
    pub step: String,
    /// The step as staff read it (季度随访, 两周内复查随访), from the plan's protocol version.
    pub step_name: String,
    /// The English name of a step the engine adds (two-week recheck, after a referral).
    pub step_name_en: Option<String>,
    /// The plan's protocol, in Chinese and English (a patient on two plans has two 季度随访).
    pub protocol_name_zh: Option<String>,
    pub protocol_name_en: Option<String>,
    pub method: String,
    pub due_date: Date,
    pub state: String,
    pub attempts: i32,
    /// Whole days past the deadline (0 when not overdue).
    pub days_overdue: i64,
    /// The patient's current risk tier, shown as a tag.
    pub risk_tier: Option<RiskTier>,
}

#[derive(Debug, Clone)]
pub struct Worklist {
    pub tab: WorklistTab,
    pub items: Page<WorklistItem>,
    /// The number of tasks behind each tab, in `WorklistTab::ALL` order.
    pub counts: Vec<(WorklistTab, i64)>,
    pub applied: Applied,
}

/// Whose tasks a worklist shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The caller's own tasks (the default for clinical staff).
    #[default]
    Mine,
    /// Every task of the caller's department (cover for a colleague); for admins, of every
    /// department, or of `department_id` when given.
    Department,
}

impl Scope {
    pub fn parse(s: Option<&str>) -> Scope {
        if s == Some("department") {
            Scope::Department
        } else {
            Scope::Mine
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Mine => "mine",
            Scope::Department => "department",
        }
    }
}

/// What a worklist page asks for.
#[derive(Debug, Clone, Default)]
pub struct WorklistOptions {
    pub tab: Option<String>,
    pub page: Option<u64>,
    pub scope: Option<String>,
    /// Only tasks of this protocol, e.g. `htn-basic-ph`.
    pub protocol: Option<String>,
    /// Only patients of this risk tier (`high`, `medium`, `low`); anything else means all.
    pub risk_tier: Option<String>,
    /// Admins: one department.
    pub department_id: Option<Uuid>,
    /// `due` (default), `deadline` or `patient`.
    pub sort: Option<String>,
}

/// The filter and order a request resolves to, echoed back for the page's links.
#[derive(Debug, Clone)]
pub struct Applied {
    pub scope: Scope,
    pub protocol: Option<String>,
    pub risk_tier: Option<RiskTier>,
    pub department_id: Option<Uuid>,
    pub sort: &'static str,
}

/// A staff member's worklist, one tab at a time, with the counts of every tab under the same
/// filter.
pub async fn worklist(db: &Db, actor: &Actor, o: &WorklistOptions, now: OffsetDateTime) -> Result<Worklist> {
    let tab = WorklistTab::parse(o.tab.as_deref());
    let scope = Scope::parse(o.scope.as_deref());
    let protocol = o
        .protocol
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    let (order, sort) = match o.sort.as_deref() {
        Some("deadline") => (TaskOrder::Deadline, "deadline"),
        Some("patient") => (TaskOrder::Patient, "patient"),
        _ => (TaskOrder::Due, "due"),
    };
    let mut base = match actor.patient_scope() {
        // Admins hold no tasks of their own: they see everyone's.
        PatientScope::All => TaskFilter {
            department_id: o.department_id,
            ..TaskFilter::default()
        },
        PatientScope::Department(d) => TaskFilter {
            assignee_id: (scope == Scope::Mine).then_some(actor.user_id),
            department_id: Some(d),
            ..TaskFilter::default()
        },
        PatientScope::Nobody => return Err(ServiceError::Forbidden),
    };
    base.protocol_id = protocol.clone();
    let risk_tier = o
        .risk_tier
        .as_deref()
        .and_then(|t| RiskTier::parse(t, "risk_tier").ok());
    base.risk_tier = risk_tier.map(|t| t.as_str().to_string());
    let applied = Applied {
        scope,
        protocol,
        risk_tier,
        department_id: base.department_id,
        sort,
    };
    let page = o.page;
    let (page, per_page, offset) = page_bounds(page, Some(50))?;
    let today = local_today(now);
    let mut tx = db.begin().await?;
    let mut counts = Vec::with_capacity(4);
    for t in WorklistTab::ALL {
        counts.push((t, plans::count_tasks(&mut tx, &t.filter(&base, now)).await?));
    }
    let rows = plans::worklist(&mut tx, &tab.filter(&base, now), order, per_page, offset).await?;
    // The protocol versions of the page's plans (a handful), for the steps' names.
    let mut protocols: HashMap<(String, i32), Protocol> = HashMap::new();
    for r in &rows {
        let key = (r.protocol_id.clone(), r.protocol_version);
        if protocols.contains_key(&key) {
            continue;
        }
        if let Some(stored) = careloop_store::protocols::version(&mut tx, &key.0, key.1).await? {
            protocols.insert(key, crate::kernel::protocols::read_stored(stored.document.0)?);
        }
    }
    record(
        &mut tx,
        event(
            actor,
            "worklist.read",
            None,
            Some(format!("tab={} results={}", tab.as_str(), rows.len())),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    let total = counts.iter().find(|(t, _)| *t == tab).map_or(0, |(_, n)| *n);
    let items = rows
        .into_iter()
        .map(|r| {
            let protocol = protocols.get(&(r.protocol_id.clone(), r.protocol_version));
            WorklistItem {
                task_id: r.id,
                patient_id: r.patient_id,
                age: careloop_domain::patient::age_on(r.birth_date, today),
                phone: r.phone.as_deref().map(careloop_domain::mask::phone),
                dial: r.phone.clone(),
                name: r.name,
                sex: r.sex,
                step_name: protocol.map_or_else(|| r.step_key.clone(), |p| p.step_name_zh(&r.step_key)),
                step_name_en: Protocol::step_name_en(&r.step_key).map(str::to_string),
                protocol_name_zh: protocol.map(|p| p.name_zh.clone()),
                protocol_name_en: protocol.map(|p| p.name_en.clone()),
                step: r.step_key,
                method: r.method,
                due_date: r.due_at.to_offset(CHINA).date(),
                days_overdue: if r.state == "overdue" || r.state == "failed" {
                    (today - r.deadline.to_offset(CHINA).date()).whole_days().max(0)
                } else {
                    0
                },
                state: r.state,
                attempts: r.attempts,
                risk_tier: r
                    .risk_tier
                    .as_deref()
                    .and_then(|t| RiskTier::parse(t, "risk_tier").ok()),
            }
        })
        .collect();
    Ok(Worklist {
        applied,
        tab,
        items: Page {
            items,
            total,
            page,
            per_page,
        },
        counts,
    })
}
