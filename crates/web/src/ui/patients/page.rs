//! The staff patient page (患者详情): every section from one use case.

use super::*;

/// One row of the observation table.
struct ObsRow {
    o: ObservationView,
    date: String,
}

#[derive(Template)]
#[template(path = "patient.html")]
struct PatientPage {
    c: Chrome,
    p: PatientDetail,
    record: HealthRecord,
    diagnoses: Vec<DiagnosisView>,
    tiers: RiskTierHistory,
    responses: Vec<ResponseSummary>,
    /// PHQ-9 and GAD-7 totals over time as an inline SVG (numbers and fixed labels only).
    score_chart: Option<String>,
    /// (id, title) of every questionnaire, for making a link.
    questionnaire_list: Vec<(String, String)>,
    /// A link just made, shown once.
    new_link: Option<String>,
    /// What a form just did, shown once (出院登记: the protocols it started).
    notice: Option<String>,
    /// The patient's recent links, open ones with a 收回 button.
    links: Vec<LinkSummary>,
    /// Family proxies (家属代理), withdrawn ones included.
    proxies: Vec<ProxyView>,
    /// Indicators with two or more values: the trend and its chart (numbers and catalogue words).
    trends: Vec<(IndicatorTrend, String)>,
    /// Matched advice articles: the article, why, and its body as HTML (Markdown with raw HTML
    /// escaped, `ui/markdown.rs`).
    advice: Vec<(Matched, String)>,
    /// Tags with their source (manual / rule).
    tags: Vec<careloop_service::followup::events::TagView>,
    /// What the tiering rules make of the patient now, with reasons and model bounds.
    computed: careloop_domain::tiering::ComputedTier,
    /// Imported reports (检查报告) with their values.
    lab_reports: Vec<careloop_service::patients::lab_reports::LabReportView>,
    relations: [Relation; 5],
    /// Doctors and health managers see the assessment form.
    may_assess: bool,
    tier_options: [RiskTier; 3],
    observations: Vec<ObsRow>,
    catalogue: &'static [Indicator],
    errors: FormErrors,
    today: String,
    /// Open and acknowledged alerts, most urgent first, then the closed ones.
    alerts: Vec<careloop_service::followup::alerts::BoardAlert>,
    /// Running and paused follow-up plans with their next task.
    plans: Vec<careloop_service::patients::page::PlanSummary>,
    /// The last follow-up records.
    recent_records: Vec<careloop_service::patients::page::RecentRecord>,
    /// The last messages sent.
    recent_messages: Vec<careloop_service::patients::page::RecentMessage>,
    /// What the patient sent back: (when, the words, an opt-out).
    replies: Vec<(time::OffsetDateTime, String, bool)>,
    /// Consent to SMS withdrawn: when and how.
    consents: careloop_service::patients::consents::Consents,
}

impl PatientPage {
    fn local(&self, at: &OffsetDateTime) -> String {
        crate::ui::followup::local(at)
    }

    /// Consent to SMS withdrawn: when and how.
    fn sms_withdrawn(&self) -> Option<&careloop_service::patients::consents::ConsentChangeView> {
        self.consents
            .channels
            .iter()
            .find(|c| c.channel == "sms" && c.state == "withdrawn")
            .and_then(|c| c.since.as_ref())
    }

    fn has_closed_alerts(&self) -> bool {
        self.alerts.iter().any(|a| a.alert.status == "closed")
    }
}

impl PatientPage {
    /// A free-text field, or "not recorded" when empty.
    fn text<'a>(&'a self, v: &'a Option<String>) -> &'a str {
        v.as_deref().filter(|s| !s.is_empty()).unwrap_or(self.c.t.not_recorded)
    }

    /// A questionnaire's title by its id (the id when the library no longer has it).
    fn questionnaire_title<'a>(&'a self, id: &'a str) -> &'a str {
        self.questionnaire_list
            .iter()
            .find(|(qid, _)| qid == id)
            .map_or(id, |(_, title)| title.as_str())
    }

    /// A stored tier (`high` ...) in words.
    fn tier_text<'a>(&self, stored: &'a str) -> &'a str {
        self.c.t.tier_label(stored)
    }

    /// A trend's one-line summary: its course in clinical words, the slope where one is called,
    /// abnormal values and worsening runs.
    fn trend_summary(&self, t: &IndicatorTrend) -> String {
        let zh = self.c.t.lang == crate::ui::i18n::Lang::Zh;
        let tr = &t.trend;
        let (abnormal, total, runs) = (tr.abnormal_count, tr.points.len(), tr.worsening_runs.len());
        if zh {
            let slope = tr
                .slope_per_year
                .map_or(String::new(), |s| format!("；每年 {s:+.2} {}", t.unit));
            format!(
                "{}{slope}；异常 {abnormal} 次 / 共 {total} 次；连续恶化 {runs} 段",
                tr.course.zh()
            )
        } else {
            let slope = tr
                .slope_per_year
                .map_or(String::new(), |s| format!("; {s:+.2} {}/year", t.unit));
            format!(
                "{}{slope}; {abnormal} of {total} abnormal; {runs} worsening run(s)",
                tr.course.en()
            )
        }
    }

    /// The China-time day of an instant.
    fn day(&self, t: &OffsetDateTime) -> time::Date {
        t.to_offset(CHINA).date()
    }

    fn tier_label(&self, t: &RiskTier) -> &'static str {
        crate::ui::worklist::tier_label(self.c.t, *t)
    }

    /// A coded lifestyle answer in words, or "not recorded".
    fn coded<'a>(&self, v: &'a Option<String>) -> &'a str {
        match v.as_deref() {
            Some(code) => self.c.t.record_label(code),
            None => self.c.t.not_recorded,
        }
    }
}

pub(super) async fn patient_page(s: &AppState, u: &UiUser, id: Uuid, errors: FormErrors) -> Response {
    patient_page_with(s, u, id, errors, None, None).await
}

pub(super) async fn patient_page_with(
    s: &AppState,
    u: &UiUser,
    id: Uuid,
    errors: FormErrors,
    new_link: Option<String>,
    notice: Option<String>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let a = &u.who.actor;
    match careloop_service::patients::page::patient_page(&s.db, a, id, now).await {
        Ok(page) => {
            let careloop_service::patients::page::PatientPage {
                patient: p,
                record,
                diagnoses,
                tiers,
                computed,
                advice,
                tags,
                observations: obs,
                trends,
                lab_reports,
                responses,
                questionnaires: list,
                links,
                proxies,
                alerts,
                plans,
                recent_records,
                recent_messages,
                replies,
                consents,
            } = page;
            let advice = advice
                .into_iter()
                .map(|m| {
                    let html = crate::ui::markdown::to_html(&m.article.body);
                    (m, html)
                })
                .collect();
            let trends = trends
                .into_iter()
                .filter_map(|t| crate::ui::chart::indicator_trend(&t).map(|svg| (t, svg)))
                .collect();
            let observations = obs
                .into_iter()
                .map(|o| ObsRow {
                    date: o.effective_at.to_offset(CHINA).date().to_string(),
                    o,
                })
                .collect();
            let status = if errors.any() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let page = PatientPage {
                c: u.chrome(),
                p,
                record,
                diagnoses,
                tiers,
                score_chart: score_chart(&responses),
                responses,
                questionnaire_list: list.into_iter().map(|q| (q.id, q.title)).collect(),
                new_link,
                notice,
                links,
                proxies,
                trends,
                advice,
                tags,
                computed,
                lab_reports,
                alerts,
                plans,
                recent_records,
                recent_messages,
                replies,
                consents,
                relations: Relation::ALL,
                may_assess: a.may_assess_risk(),
                tier_options: RiskTier::ALL,
                observations,
                catalogue: CATALOGUE,
                errors,
                today: careloop_domain::clock::local_today(now).to_string(),
            };
            let mut res = render(&page);
            *res.status_mut() = status;
            res
        }
        Err(e) => u.fail(e),
    }
}

pub async fn show(State(s): State<AppState>, u: UiUser, Path(id): Path<Uuid>) -> Response {
    patient_page(&s, &u, id, FormErrors::default()).await
}

/// PHQ-9 and GAD-7 totals of completed responses, oldest first.
fn score_chart(responses: &[ResponseSummary]) -> Option<String> {
    let series = |id: &str, label: &'static str, max: f64| {
        let mut points: Vec<_> = responses
            .iter()
            .filter(|r| r.questionnaire == id && r.status == "completed")
            .filter_map(|r| Some((r.updated_at.to_offset(CHINA).date(), r.score?)))
            .collect();
        points.reverse();
        crate::ui::chart::Series { label, max, points }
    };
    crate::ui::chart::scores_over_time(&[series("phq-9", "PHQ-9", 27.0), series("gad-7", "GAD-7", 21.0)])
}
