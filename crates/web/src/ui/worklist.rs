//! The worklist (今日工作): the first page a nurse sees — due calls, overdue ones with a red
//! "超期 N 天" tag, the next seven days, and what is done; filtered by protocol and scope
//! (mine / my department; admins pick a department), sorted, paginated.

use super::{Chrome, UiUser, percent_encode, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use careloop_domain::risk_tier::RiskTier;
use careloop_service::admin::staff::{DepartmentView, list_departments};
use careloop_service::followup::alerts::{self, BoardAlert};
use careloop_service::followup::worklist::{self, Worklist, WorklistOptions, WorklistTab};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct WorklistQuery {
    tab: Option<String>,
    page: Option<u64>,
    scope: Option<String>,
    protocol: Option<String>,
    risk_tier: Option<String>,
    department_id: Option<String>,
    sort: Option<String>,
}

/// How a risk tier reads on a page.
pub(crate) fn tier_label(t: &super::i18n::Tr, tier: RiskTier) -> &'static str {
    t.tier_label(tier.as_str())
}

#[derive(Template)]
#[template(path = "worklist.html")]
struct WorklistPage {
    c: Chrome,
    w: Worklist,
    /// The tiers, for the filter (a field: a literal array in `for` would be a temporary).
    tiers: [RiskTier; 3],
    /// (id, name) of every protocol, for the filter.
    protocols: Vec<(String, String)>,
    /// Admins only: departments to filter by.
    departments: Vec<DepartmentView>,
    /// The most urgent open alerts on the user's desk, severe first: the first thing on the
    /// page (a doctor's landing page shows the self-harm alert before any call).
    desk_alerts: Vec<BoardAlert>,
}

impl WorklistPage {
    fn tab_label(&self, tab: &WorklistTab) -> &'static str {
        let t = self.c.t;
        match tab {
            WorklistTab::Due => t.tab_due,
            WorklistTab::Overdue => t.tab_overdue,
            WorklistTab::Upcoming => t.tab_upcoming,
            WorklistTab::Done => t.tab_done,
        }
    }

    /// The filter part of a link, so tabs and pages keep it. Already HTML-safe: fixed words,
    /// a percent-encoded protocol id and a UUID, joined by `&amp;`.
    fn filter_query(&self) -> String {
        let a = &self.w.applied;
        let mut q = format!("scope={}&amp;sort={}", a.scope.as_str(), a.sort);
        if let Some(p) = &a.protocol {
            q.push_str(&format!("&amp;protocol={}", percent_encode(p)));
        }
        if let Some(t) = a.risk_tier {
            q.push_str(&format!("&amp;risk_tier={}", t.as_str()));
        }
        if let (true, Some(d)) = (self.c.is_admin, a.department_id) {
            q.push_str(&format!("&amp;department_id={d}"));
        }
        q
    }

    fn is_protocol(&self, id: &str) -> bool {
        self.w.applied.protocol.as_deref() == Some(id)
    }

    fn is_tier(&self, t: &RiskTier) -> bool {
        self.w.applied.risk_tier == Some(*t)
    }

    fn tier_label(&self, t: &RiskTier) -> &'static str {
        tier_label(self.c.t, *t)
    }

    fn is_department(&self, id: &Uuid) -> bool {
        self.w.applied.department_id == Some(*id)
    }

    fn is_scope(&self, s: &str) -> bool {
        self.w.applied.scope.as_str() == s
    }

    fn last_page(&self) -> u64 {
        let p = &self.w.items;
        (p.total.max(0) as u64).div_ceil(p.per_page.max(1)).max(1)
    }
}

pub async fn show(State(s): State<AppState>, u: UiUser, Query(q): Query<WorklistQuery>) -> Response {
    let options = WorklistOptions {
        tab: q.tab,
        page: q.page,
        scope: q.scope,
        protocol: q.protocol,
        risk_tier: q.risk_tier,
        // An empty select submits ""; anything but a UUID means "all departments".
        department_id: q.department_id.as_deref().and_then(|d| Uuid::parse_str(d).ok()),
        sort: q.sort,
    };
    let now = OffsetDateTime::now_utc();
    let w = match worklist::worklist(&s.db, &u.who.actor, &options, now).await {
        Ok(w) => w,
        Err(e) => return u.fail(e),
    };
    let protocols = match super::protocol_choices(&s.db, u.lang).await {
        Ok(p) => p,
        Err(e) => return u.fail(e),
    };
    let desk_alerts = if u.open_alerts.unwrap_or(1) > 0 {
        match alerts::board(&s.db, &u.who.actor, Some("open"), now).await {
            Ok(b) => b.into_iter().filter(|a| a.mine).take(DESK_ALERTS_SHOWN).collect(),
            Err(e) => return u.fail(e),
        }
    } else {
        Vec::new()
    };
    let departments = if u.who.actor.is_admin() {
        match list_departments(&s.db).await {
            Ok(d) => d,
            Err(e) => return u.fail(e),
        }
    } else {
        Vec::new()
    };
    render(&WorklistPage {
        c: u.chrome(),
        w,
        tiers: RiskTier::ALL,
        protocols,
        departments,
        desk_alerts,
    })
}

/// How many of the desk's alerts the worklist shows; the badge and the alert centre have all.
const DESK_ALERTS_SHOWN: usize = 5;
