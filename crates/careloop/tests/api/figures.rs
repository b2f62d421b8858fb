//! The follow-up figures (随访统计) over a small population whose every count is known.

use crate::helpers::{TestApp, now};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

fn days_ago(n: i64) -> String {
    (careloop_domain::clock::local_today(now()) - Duration::days(n)).to_string()
}

async fn patient(app: &TestApp, nurse: &str, seq: u32, hypertensive: bool) -> String {
    let id = app.enrol_simple(nurse, "赵六", seq).await;
    if hypertensive {
        let (status, d) = app
            .post(
                Some(nurse),
                &format!("/api/v1/patients/{id}/diagnoses"),
                &json!({"icd10_code": "I10", "name": "原发性高血压"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
    }
    id
}

async fn plan(app: &TestApp, nurse: &str, patient: &str, protocol: &str, anchor: String) -> Value {
    let (status, plan) = app
        .post(
            Some(nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": protocol, "anchor_date": anchor}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    plan
}

async fn sign(app: &TestApp, nurse: &str, plan: &Value, i: usize, body: Value) {
    let task = plan["tasks"][i]["id"].as_str().unwrap();
    let (status, out) = app
        .post(Some(nurse), &format!("/api/v1/tasks/{task}/records"), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
}

fn bp(sbp: u32, dbp: u32) -> Value {
    json!({"contact_result": "reached", "observations": [{"code": "sbp", "value": sbp}, {"code": "dbp", "value": dbp}]})
}

/// Four patients whose figures are known (see the comments); returns admin and nurse tokens.
async fn population(app: &TestApp) -> (String, String) {
    let (admin, nurse) = app.admin_and_nurse().await;
    // This centre enrols hypertensive patients by hand (a diagnosis does not enrol them).
    let (_, mut htn) = app.get(Some(&admin), "/api/v1/protocols/htn-basic-ph").await;
    htn["trigger"] = json!({"kind": "manual"});
    let (status, _) = app.post(Some(&admin), "/api/v1/protocols", &htn).await;
    assert_eq!(status, StatusCode::CREATED);
    // A: hypertensive, four controlled visits in the last year (规范管理, 控制).
    let a = patient(app, &nurse, 1, true).await;
    let pa = plan(app, &nurse, &a, "htn-basic-ph", days_ago(300)).await;
    for i in 0..4 {
        sign(app, &nurse, &pa, i, bp(128, 78)).await;
    }
    // B: hypertensive, one uncontrolled visit.
    let b = patient(app, &nurse, 2, true).await;
    let pb = plan(app, &nurse, &b, "htn-basic-ph", days_ago(0)).await;
    sign(app, &nurse, &pb, 0, bp(162, 101)).await;
    // C: hypertensive, never enrolled in follow-up.
    patient(app, &nurse, 3, true).await;
    // D: discharged 40 days ago, wrong number three times: lost to follow-up.
    let d = patient(app, &nurse, 4, false).await;
    let pd = plan(app, &nurse, &d, "post-discharge-surgery", days_ago(40)).await;
    for i in 0..3 {
        sign(app, &nurse, &pd, i, json!({"contact_result": "wrong_number"})).await;
    }
    (admin, nurse)
}

pub async fn the_figures_count_coverage_completion_contact_loss_management_and_control(app: TestApp) {
    let (admin, nurse) = population(&app).await;

    let path = format!("/api/v1/stats/follow-up?from={}&to={}", days_ago(365), days_ago(0));
    let (status, f) = app.get(Some(&nurse), &path).await;
    assert_eq!(status, StatusCode::OK, "{f}");
    let fig = |v: &Value| (v["numerator"].as_i64().unwrap(), v["denominator"].as_i64().unwrap());
    assert_eq!(fig(&f["coverage"]), (2, 3), "A and B of three hypertensives");
    // Deadlines in the year: A's 3-, 6- and 9-month calls (done late) and D's three (failed).
    assert_eq!(fig(&f["completion"]), (3, 6));
    assert_eq!(fig(&f["on_time"]), (0, 3));
    assert_eq!(f["completion"]["percent"], 50.0);
    assert_eq!(fig(&f["contact_success"]), (5, 8));
    assert_eq!(fig(&f["lost_to_follow_up"]), (1, 3));
    assert_eq!(f["hypertension"]["managed"], 2);
    assert_eq!(fig(&f["hypertension"]["standard_management"]), (1, 2));
    assert_eq!(fig(&f["hypertension"]["control"]), (1, 2));
    assert_eq!(f["diabetes"]["managed"], 0);
    assert_eq!(f["diabetes"]["control"]["percent"], Value::Null, "nothing to divide by");

    let res = app
        .http
        .get(app.url(&format!("{path}&format=csv")))
        .bearer_auth(&nurse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "BOM for Excel");
    assert!(
        csv.contains("高血压规范管理率,Hypertension standard management,1,2,50.0\r\n"),
        "{csv}"
    );

    app.department("endo").await;
    let (_, depts) = app.get(Some(&admin), "/api/v1/departments").await;
    let endo = depts.as_array().unwrap().iter().find(|d| d["code"] == "endo").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .get(Some(&nurse), &format!("/api/v1/stats/follow-up?department_id={endo}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another department's figures");
    let (_, empty) = app
        .get(Some(&admin), &format!("/api/v1/stats/follow-up?department_id={endo}"))
        .await;
    assert_eq!(fig(&empty["coverage"]), (0, 0));
    let (status, err) = app
        .get(Some(&admin), "/api/v1/stats/follow-up?from=2026-12-01&to=2026-01-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "to");
}
crate::register!(the_figures_count_coverage_completion_contact_loss_management_and_control);

fn fig(v: &Value) -> (i64, i64) {
    (v["numerator"].as_i64().unwrap(), v["denominator"].as_i64().unwrap())
}

pub async fn the_figures_break_down_by_protocol_staff_department_and_month(app: TestApp) {
    let (admin, nurse) = population(&app).await;
    let period = format!("from={}&to={}", days_ago(365), days_ago(0));
    let get = |by: &'static str| {
        let (app, nurse, period) = (&app, nurse.clone(), period.clone());
        async move {
            let (status, f) = app
                .get(Some(&nurse), &format!("/api/v1/stats/follow-up?{period}&by={by}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{f}");
            assert_eq!(f["breakdown"]["by"], by);
            f["breakdown"]["rows"].as_array().unwrap().clone()
        }
    };

    let rows = get("protocol").await;
    let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["htn-basic-ph", "post-discharge-surgery"]);
    // Hypertension: A's three calls done late, A's four and B's one visit reached, nobody lost.
    assert_eq!(fig(&rows[0]["completion"]), (3, 3));
    assert_eq!(fig(&rows[0]["on_time"]), (0, 3));
    assert_eq!(fig(&rows[0]["contact_success"]), (5, 5));
    assert_eq!(fig(&rows[0]["lost_to_follow_up"]), (0, 2));
    // After surgery: D's three calls failed on a wrong number, and D was lost.
    assert_eq!(fig(&rows[1]["completion"]), (0, 3));
    assert_eq!(fig(&rows[1]["contact_success"]), (0, 3));
    assert_eq!(fig(&rows[1]["lost_to_follow_up"]), (1, 1));

    let rows = get("staff").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["key"], "nurse.wang");
    assert_eq!(fig(&rows[0]["completion"]), (3, 6));
    assert_eq!(fig(&rows[0]["contact_success"]), (5, 8));
    assert_eq!(rows[0]["lost_to_follow_up"], Value::Null, "a plan is no one person's");

    let rows = get("department").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["key"].as_str(), rows[0]["label"].as_str()),
        (Some("cardio"), Some("cardio 科"))
    );
    assert_eq!(fig(&rows[0]["completion"]), (3, 6));
    assert_eq!(fig(&rows[0]["lost_to_follow_up"]), (1, 3));

    // Months add up to the whole period, in calendar order, ending with this month.
    let rows = get("month").await;
    let keys: Vec<&str> = rows.iter().map(|r| r["key"].as_str().unwrap()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(*keys.last().unwrap(), &days_ago(0)[..7]);
    let sum = |name: &str| {
        rows.iter().fold((0, 0), |(n, d), r| {
            let (a, b) = fig(&r[name]);
            (n + a, d + b)
        })
    };
    assert_eq!(sum("completion"), (3, 6));
    assert_eq!(sum("contact_success"), (5, 8));
    assert_eq!(
        rows.last().unwrap()["lost_to_follow_up"]["numerator"],
        1,
        "lost this month"
    );
    // Each month carries the standard's figures as of its end: this month's are the period's.
    let (_, whole) = app
        .get(Some(&nurse), &format!("/api/v1/stats/follow-up?{period}"))
        .await;
    let now = &rows.last().unwrap()["standard"];
    assert_eq!(
        fig(&now["hypertension_standard_management"]),
        fig(&whole["hypertension"]["standard_management"])
    );
    assert_eq!(
        fig(&now["hypertension_control"]),
        fig(&whole["hypertension"]["control"])
    );
    assert!(rows.iter().all(|r| r["standard"].is_object()), "{rows:?}");

    let res = app
        .http
        .get(app.url(&format!("/api/v1/stats/follow-up?{period}&by=protocol&format=csv")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    // Counts beside every percentage, in the CSV too.
    assert!(
        csv.contains("htn-basic-ph,100.0,3,3,0.0,0,3,100.0,5,5,0.0,0,2\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("post-discharge-surgery,0.0,0,3,,0,0,0.0,0,3,100.0,1,1\r\n"),
        "{csv}"
    );

    let (status, err) = app
        .get(Some(&nurse), &format!("/api/v1/stats/follow-up?{period}&by=ward"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "by");

    // The dashboard shows the same table.
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (status, html) = crate::ui::page(&client, &app, &format!("/stats?{period}&by=protocol")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"breakdown\""), "{html}");
    assert!(html.contains("100% (3/3)"), "{html}");
    assert!(
        html.contains(r#"<svg class="bar" viewBox="0 0 100 6""#),
        "bars beside the groups' figures"
    );
    // Every figure month by month, as small charts with the counts, whatever the table's split.
    let charts = crate::helpers::section(&html, "monthly-charts");
    for name in [
        "随访完成率",
        "随访及时率",
        "联系成功率",
        "失访率",
        "高血压规范管理率",
        "高血压控制率",
    ] {
        assert!(charts.contains(&format!(r#"aria-label="{name}""#)), "{name}: {charts}");
    }
    assert!(
        !charts.contains("糖尿病控制率"),
        "no diabetic patients: no chart, rather than a line at zero"
    );
    let month = rows
        .iter()
        .rfind(|r| r["completion"]["denominator"].as_i64() > Some(0))
        .expect("a month with calls due");
    let (n, d) = fig(&month["completion"]);
    let title = format!(
        "{}：{}%（{n}/{d}）",
        month["key"].as_str().unwrap(),
        month["completion"]["percent"].as_f64().unwrap()
    );
    assert!(charts.contains(&title), "{title}: {charts}");
}
crate::register!(the_figures_break_down_by_protocol_staff_department_and_month);

/// The organisation's targets (考核目标): none preset; an administrator sets them (in the API and
/// on screen, refused with the reason when out of range, unknown or without a source, what was
/// typed kept); the figures page draws each as a dashed line on its chart, the latest month in
/// red when it misses; parallel changes of one target all land, the last one standing; a target
/// removed is gone.
pub async fn an_admin_sets_targets_and_the_charts_draw_them(app: TestApp) {
    let (admin, nurse) = population(&app).await;
    let (_, orgs) = app.get(Some(&admin), "/api/v1/organisations").await;
    let org = orgs[0]["id"].as_str().unwrap().to_string();
    let path = |figure: &str| format!("/api/v1/organisations/{org}/targets/{figure}");
    let (status, list) = app
        .get(Some(&nurse), &format!("/api/v1/organisations/{org}/targets"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 9, "the eight follow-up figures and satisfaction");
    assert!(
        list.iter().all(|t| t["percent"].is_null()),
        "no target is preset: {list:?}"
    );
    assert_eq!(list[3]["figure"], "lost_to_follow_up");
    assert_eq!(list[3]["lower_is_better"], true);

    let plan = json!({"percent": 95, "source": "区卫健委2026年考核方案"});
    assert_eq!(
        app.put(Some(&nurse), &path("completion"), &plan).await.0,
        StatusCode::FORBIDDEN
    );
    for (figure, body, field) in [
        ("completion", json!({"percent": 120, "source": "x"}), "percent"),
        ("completion", json!({"percent": 90, "source": " "}), "source"),
        ("happiness", json!({"percent": 90, "source": "x"}), "figure"),
    ] {
        let (status, e) = app.put(Some(&admin), &path(figure), &body).await;
        assert_eq!(
            (status, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{e}"
        );
    }
    // Parallel changes of one target: each lands, one of them stands.
    let writes: Vec<_> = [91, 92, 93, 94, 95, 96]
        .into_iter()
        .map(|p| {
            let (http, url, admin) = (app.http.clone(), app.url(&path("completion")), admin.clone());
            tokio::spawn(async move {
                http.put(url)
                    .bearer_auth(admin)
                    .json(&json!({"percent": p, "source": "区卫健委2026年考核方案"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for w in writes {
        assert_eq!(w.await.unwrap(), StatusCode::OK);
    }
    let (_, list) = app
        .get(Some(&nurse), &format!("/api/v1/organisations/{org}/targets"))
        .await;
    let stood = list[0]["percent"].as_f64().unwrap();
    assert!(
        (91.0..=96.0).contains(&stood),
        "one of the parallel writes stands: {stood}"
    );
    let (status, t) = app.put(Some(&admin), &path("completion"), &plan).await;
    assert_eq!((status, t["percent"].as_f64()), (StatusCode::OK, Some(95.0)), "{t}");
    let (status, _) = app
        .put(
            Some(&admin),
            &path("lost_to_follow_up"),
            &json!({"percent": 50, "source": "本院质量计划"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // The charts draw them.
    let period = format!("from={}&to={}", days_ago(365), days_ago(0));
    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, &format!("/stats?{period}")).await;
    let charts = crate::helpers::section(&html, "monthly-charts");
    let chart = |name: &str| {
        let at = charts
            .find(&format!(r#"aria-label="{name}""#))
            .unwrap_or_else(|| panic!("{name}: {charts}"));
        charts[at..charts[at..].find("</svg>").unwrap() + at].to_string()
    };
    let completion = chart("随访完成率");
    assert!(
        completion.contains("目标 ≥ 95%") && completion.contains("stroke-dasharray"),
        "{completion}"
    );
    let lost = chart("失访率");
    assert!(lost.contains("目标 ≤ 50%"), "{lost}");
    assert!(!chart("联系成功率").contains("stroke-dasharray"), "no target, no line");
    assert!(!html.contains("/admin/targets"), "the link is the administrators'");

    // On screen: a number that is none is refused and kept.
    let nurse_ui = client;
    assert_eq!(
        crate::ui::page(&nurse_ui, &app, "/admin/targets").await.0,
        StatusCode::FORBIDDEN
    );
    let admin_ui = crate::ui::browser(&app, "admin").await;
    let (status, page) = crate::ui::page(&admin_ui, &app, "/admin/targets").await;
    assert_eq!(status, StatusCode::OK);
    assert!(crate::helpers::section(&page, "target-completion").contains("目标 ≥ 95%"));
    let res = admin_ui
        .post(app.url(&format!("/admin/targets/{org}")))
        .form(&[
            ("csrf", crate::ui::csrf_of(&page).as_str()),
            ("figure", "hypertension_control"),
            ("percent", "六十"),
            ("source", "县考核方案"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = res.text().await.unwrap();
    let row = crate::helpers::section(&refused, "target-hypertension_control");
    assert!(row.contains("请输入数字") && row.contains("value=\"六十\""), "{row}");
    let res = admin_ui
        .post(app.url(&format!("/admin/targets/{org}")))
        .form(&[
            ("csrf", crate::ui::csrf_of(&page).as_str()),
            ("figure", "hypertension_control"),
            ("percent", "60%"),
            ("source", "县考核方案"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app
        .get(Some(&nurse), &format!("/api/v1/organisations/{org}/targets"))
        .await;
    assert_eq!(list[5]["percent"], 60.0);
    assert_eq!(list[5]["source"], "县考核方案");

    assert_eq!(
        app.delete(Some(&admin), &path("completion")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(Some(&admin), &path("completion")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = app
        .get(Some(&nurse), &format!("/api/v1/organisations/{org}/targets"))
        .await;
    assert!(list[0]["percent"].is_null());
    let (_, audit) = app.get(Some(&admin), "/api/v1/audit-events?per_page=200").await;
    let changes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "organisation.figure_target")
        .count();
    assert_eq!(changes, 6 + 1 + 1 + 1 + 1, "every change audited, removals too");
}
crate::register!(an_admin_sets_targets_and_the_charts_draw_them);

/// A satisfaction questionnaire answered with the rated questions in the best option (满意),
/// with the counts: of 12 ratings in two responses 10 are 满意 — 83.3% (10/12), this month;
/// yes/no and comments are not ratings; another department's nurse sees none of it; the figures
/// page charts it beside the others.
pub async fn satisfaction_is_the_share_of_best_ratings_with_its_counts(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let p = app.enrol_simple(&nurse, "满意度患者", 61).await;
    let (_, q) = app
        .get(Some(&nurse), "/api/v1/questionnaires/satisfaction-outpatient")
        .await;
    let rated = [
        "registration",
        "waiting",
        "listened",
        "explained",
        "attitude",
        "environment",
    ];
    let option = |id: &str, n: usize| {
        let items = q["item"][0]["item"].as_array().unwrap();
        let item = items
            .iter()
            .find(|i| i["linkId"] == id)
            .unwrap_or_else(|| panic!("{id}: {q}"));
        item["answerOption"][n]["valueCoding"].clone()
    };
    for worse in [vec!["waiting", "attitude"], vec![]] {
        let items: Vec<Value> = rated
            .iter()
            .map(|id| json!({"linkId": id, "answer": [{"valueCoding": option(id, usize::from(worse.contains(id)))}]}))
            .collect();
        let response = json!({"resourceType": "QuestionnaireResponse", "status": "completed",
            "subject": {"reference": format!("Patient/{p}")},
            "item": [{"linkId": "g", "item": items},
                {"linkId": "red_envelope", "answer": [{"valueBoolean": false}]},
                {"linkId": "comments", "answer": [{"valueString": "候诊时间长"}]}]});
        let (status, out) = app
            .post(
                Some(&nurse),
                "/api/v1/questionnaires/satisfaction-outpatient/responses",
                &response,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
    }
    let (status, s) = app.get(Some(&nurse), "/api/v1/stats/satisfaction").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["responses"], 2);
    assert_eq!(fig(&s["overall"]), (10, 12));
    assert_eq!(s["overall"]["percent"], 83.3);
    let today = careloop_domain::clock::local_today(crate::helpers::now());
    let month = format!("{}-{:02}", today.year(), u8::from(today.month()));
    assert_eq!(s["by_month"].as_array().unwrap().len(), 1);
    assert_eq!(s["by_month"][0]["month"], month.as_str());

    app.department("endo").await;
    let other = app.user("nurse.li", "nurse", Some("endo")).await;
    let (_, theirs) = app.get(Some(&other), "/api/v1/stats/satisfaction").await;
    assert_eq!(theirs["responses"], 0, "another department's patients only: {theirs}");
    assert!(theirs["overall"]["percent"].is_null());
    let (status, _) = app
        .get(Some(&admin), "/api/v1/stats/satisfaction?from=2026-12-01&to=2026-01-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let client = crate::ui::browser(&app, "nurse.wang").await;
    let (_, html) = crate::ui::page(&client, &app, "/stats").await;
    let charts = crate::helpers::section(&html, "monthly-charts");
    assert!(
        charts.contains(r#"aria-label="满意度""#) && charts.contains("83.3%（10/12）"),
        "{charts}"
    );
}
crate::register!(satisfaction_is_the_share_of_best_ratings_with_its_counts);
