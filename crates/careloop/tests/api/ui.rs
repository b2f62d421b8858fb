use crate::helpers::{PASSWORD, TestApp, id_number};
use reqwest::StatusCode;

/// The value of the first hidden `csrf` field on a page.
pub(crate) fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("page has a csrf field") + 19;
    html[start..].split('"').next().unwrap().to_string()
}

/// A browser-like client with a cookie jar, logged in through the login form.
pub(crate) async fn browser(app: &TestApp, username: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("csrf", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "login should redirect");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("careloop_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    client
}

/// Whether `<tag>` appears HTML-escaped (askama writes `&#60;`; `&lt;` is fine too).
fn escaped(html: &str, tag: &str) -> bool {
    html.contains(&format!("&#60;{tag}&#62;")) || html.contains(&format!("&lt;{tag}&gt;"))
}

/// Submit a call sheet's form as the browser does.
async fn sign_sheet(app: &TestApp, client: &reqwest::Client, task: &str, form: &[(&str, String)]) -> reqwest::Response {
    client
        .post(app.url(&format!("/tasks/{task}/record")))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = client.get(app.url(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

pub async fn login_page_and_protected_pages_work(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app
        .enrol(
            &nurse,
            serde_json::json!({"name": "张三丰", "id_number": "11010519491231002X", "phone": "13812345678"}),
        )
        .await;
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = anonymous.get(app.url("/patients")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");
    let (status, login) = page(&anonymous, &app, "/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(login.contains("登录") && login.contains("lang=\"zh-CN\""));

    let client = browser(&app, "nurse.wang").await;
    let res = client.get(app.url("/patients")).send().await.unwrap();
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let list = res.text().await.unwrap();
    assert!(
        list.contains("张三丰") && list.contains("138****5678") && list.contains("110105********002X"),
        "{list}"
    );
    assert!(!list.contains("13812345678"), "lists never show the full phone");
    let (_, found) = page(&client, &app, "/patients?q=zsf").await;
    assert!(found.contains("张三丰"));
    let (_, none) = page(&client, &app, "/patients?q=lisi").await;
    assert!(none.contains("没有找到"));
    let (status, detail) = page(&client, &app, &format!("/patients/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(detail.contains("13812345678") && detail.contains("11010519491231002X"));
    assert!(detail.contains("href=\"tel:13812345678\""), "a tap to call the patient");

    let res = client
        .get(app.url(&format!("/lang/en?next=%2Fpatients%2F{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"].to_str().unwrap(), format!("/patients/{id}"));
    let (_, english) = page(&client, &app, &format!("/patients/{id}")).await;
    assert!(english.contains("Health record") && english.contains("lang=\"en\""));
    let res = client
        .get(app.url("/lang/zh?next=https://evil.example/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/patients", "no open redirect");

    let (status, _) = page(&client, &app, "/admin/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "nurses cannot read the audit trail");
    let admin = browser(&app, "admin").await;
    let (status, audit) = page(&admin, &app, "/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        audit.contains("查看患者全景") && audit.contains("nurse.wang"),
        "the action in words: {audit}"
    );

    let csrf = csrf_of(&detail);
    let res = client
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = client.get(app.url("/patients")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/login", "logged out");
}
crate::register!(login_page_and_protected_pages_work);

pub async fn forms_without_the_csrf_token_are_refused(app: TestApp) {
    app.admin_and_nurse().await;
    let client = browser(&app, "nurse.wang").await;
    let form = [
        ("name", "王五"),
        ("sex", "male"),
        ("birth_date", "1960-01-01"),
        ("phone", "13800000000"),
    ];
    let res = client.post(app.url("/patients")).form(&form).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing csrf field is rejected by the form parser"
    );
    let mut with_bad = form.to_vec();
    with_bad.push(("csrf", "forged"));
    let res = client.post(app.url("/patients")).form(&with_bad).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let anonymous = reqwest::Client::new();
    let res = anonymous
        .post(app.url("/login"))
        .form(&[("username", "nurse.wang"), ("password", PASSWORD), ("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "login needs its double-submit token"
    );
    let (_, list) = page(&client, &app, "/patients").await;
    assert!(!list.contains("王五"), "nothing was created");
}
crate::register!(forms_without_the_csrf_token_are_refused);

pub async fn enrol_form_shows_field_errors_and_creates_patients(app: TestApp) {
    app.admin_and_nurse().await;
    let client = browser(&app, "nurse.wang").await;
    let (_, form) = page(&client, &app, "/patients/new").await;
    let csrf = csrf_of(&form);
    let bad = [
        ("csrf", csrf.as_str()),
        ("name", "<script>alert(1)</script>"),
        ("id_number", "110105194912310021"),
        ("phone", "13812345678"),
    ];
    let res = client.post(app.url("/patients")).form(&bad).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("身份证号码校验位错误"),
        "the field's own message is shown"
    );
    assert!(
        escaped(&html, "script") && !html.contains("<script>alert"),
        "input is echoed escaped"
    );
    let good_id = id_number("1958-07-07", true, 9);
    let good = [
        ("csrf", csrf.as_str()),
        ("name", "<b>李四</b>"),
        ("id_number", good_id.as_str()),
        ("phone", "13812345678"),
    ];
    let res = client.post(app.url("/patients")).form(&good).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let obs = [
        ("csrf", csrf.as_str()),
        ("code", "sbp"),
        ("value", "165"),
        ("unit", ""),
        ("effective_at", "2026-01-05"),
    ];
    let res = client
        .post(app.url(&format!("{location}/observations")))
        .form(&obs)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let bad_obs = [
        ("csrf", csrf.as_str()),
        ("code", "sbp"),
        ("value", "165"),
        ("unit", "mmol/L"),
        ("effective_at", ""),
    ];
    let res = client
        .post(app.url(&format!("{location}/observations")))
        .form(&bad_obs)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("单位不适用于收缩压"));
    let (_, detail) = page(&client, &app, &location).await;
    assert!(escaped(&detail, "b") && !detail.contains("<b>李四"));
    assert!(
        detail.contains("class=\"abnormal\"") && detail.contains("偏高"),
        "abnormal values are highlighted with a word"
    );
    let rec = [
        ("csrf", csrf.as_str()),
        ("smoking", "current"),
        ("allergies", "青霉素"),
        ("past_history", ""),
        ("family_history", ""),
        ("medications", ""),
        ("alcohol", ""),
        ("exercise", ""),
        ("diet", ""),
        ("sleep", ""),
    ];
    let res = client
        .post(app.url(&format!("{location}/record")))
        .form(&rec)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, detail) = page(&client, &app, &location).await;
    assert!(detail.contains("青霉素") && detail.contains("目前有"));
}
crate::register!(enrol_form_shows_field_errors_and_creates_patients);

pub async fn the_worklist_shows_overdue_calls_with_red_day_tags(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app
        .enrol(
            &nurse,
            serde_json::json!({"name": "张三丰", "id_number": "11010519491231002X", "phone": "13812345678"}),
        )
        .await;
    let anchor = careloop_domain::clock::local_today(crate::helpers::now()) - time::Duration::days(20);
    let body = serde_json::json!({"protocol": "post-discharge-surgery", "anchor_date": anchor.to_string()});
    let (status, _) = app
        .post(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let client = browser(&app, "nurse.wang").await;
    let res = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/worklist", "home is today's work");
    let (status, due) = page(&client, &app, "/worklist").await;
    assert_eq!(status, StatusCode::OK);
    assert!(due.contains("暂无任务"), "nothing due today");
    let (_, overdue) = page(&client, &app, "/worklist?tab=overdue").await;
    // The number shows masked and calls with a tap.
    assert!(
        overdue.contains("张三丰") && overdue.contains(">138****5678</a>"),
        "{overdue}"
    );
    assert!(
        overdue.contains("<a class=\"tel\" href=\"tel:13812345678\">"),
        "a tap to call"
    );
    assert_eq!(
        overdue.matches("13812345678").count(),
        2,
        "in the two links only (D3, D7)"
    );
    assert!(
        overdue.contains("超期 15 天") && overdue.contains("超期 10 天"),
        "D3 and D7 with days overdue as words"
    );
    assert!(overdue.contains("tag high"), "and in red");
    assert!(
        overdue.contains("<td>出院3天电话随访<br>") && !overdue.contains("<td class=\"mono\">D3</td>"),
        "the step by its name, not its key"
    );
    assert!(
        overdue.contains("超期/漏访 <span class=\"count\">2</span>"),
        "the tab shows its count"
    );

    // Two months after another discharge: an overdue call stays in 超期 until someone acts,
    // but once it has failed it is history, and 已访 reaches back 30 days only.
    let count = |html: &str, tab: &str| {
        let label = format!("{tab} <span class=\"count\">");
        let start = html.find(&label).unwrap() + label.len();
        html[start..].split('<').next().unwrap().parse::<usize>().unwrap()
    };
    let other = app.enrol_simple(&nurse, "李四", 7).await;
    let anchor = careloop_domain::clock::local_today(crate::helpers::now()) - time::Duration::days(60);
    let body = serde_json::json!({"protocol": "post-discharge-surgery", "anchor_date": anchor.to_string()});
    let (_, plan) = app
        .post(Some(&nurse), &format!("/api/v1/patients/{other}/plans"), &body)
        .await;
    let (_, before) = page(&client, &app, "/worklist?tab=overdue").await;
    let before = count(&before, "超期/漏访");
    assert!(before >= 4, "D3 and D7 of both patients are overdue: {before}");
    let sign = |i: usize, result: &'static str| {
        let (app, nurse, task) = (
            &app,
            nurse.clone(),
            plan["tasks"][i]["id"].as_str().unwrap().to_string(),
        );
        async move {
            let (status, out) = app
                .post(
                    Some(&nurse),
                    &format!("/api/v1/tasks/{task}/records"),
                    &serde_json::json!({"contact_result": result}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{out}");
        }
    };
    sign(0, "wrong_number").await;
    sign(1, "reached").await;
    let (_, after) = page(&client, &app, "/worklist?tab=overdue").await;
    assert_eq!(
        count(&after, "超期/漏访"),
        before - 2,
        "the failed D3 and the done D7 left 超期"
    );
    assert_eq!(count(&after, "已访（近30天）"), 0, "D7 was due 53 days ago");
}
crate::register!(the_worklist_shows_overdue_calls_with_red_day_tags);

pub async fn a_nurse_signs_a_call_from_the_call_sheet_with_its_script(app: TestApp) {
    let (_, nurse_token) = app.admin_and_nurse().await;
    let patient = app
        .enrol(
            &nurse_token,
            serde_json::json!({"name": "王建国", "id_number": id_number("1950-02-01", true, 9), "phone": "13800138000"}),
        )
        .await;
    let (_, plan) = app
        .post(
            Some(&nurse_token),
            &format!("/api/v1/patients/{patient}/plans"),
            &serde_json::json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    let task = plan["tasks"][0]["id"].as_str().unwrap().to_string();
    let client = browser(&app, "nurse.wang").await;
    let (_, html) = page(&client, &app, &format!("/patients/{patient}")).await;
    let plans = crate::helpers::section(&html, "plans");
    assert!(
        plans.contains("高血压患者健康管理（基本公共卫生）")
            && plans.contains("季度随访")
            && plans.contains(&format!("href=\"/tasks/{task}\"")),
        "the patient's page shows the plan and its next call: {plans}"
    );
    let (status, html) = page(&client, &app, &format!("/tasks/{task}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("href=\"tel:13800138000\""),
        "the full number, a tap to dial"
    );
    assert!(!html.contains(" checked>"), "no contact result chosen for the nurse");
    assert!(
        html.contains("您好，请问是王先生吗？"),
        "the script addresses the patient"
    );
    assert!(html.contains("name=\"obs_sbp\"") && html.contains("name=\"adverse_drug_reaction\""));
    assert!(
        html.contains("type=\"radio\" name=\"ans_medication_adherence\" value=\"间断\""),
        "adherence is one of the national record's three answers"
    );

    let form = [
        ("csrf", csrf_of(&html)),
        ("contact_result", "reached".to_string()),
        ("obs_sbp", "abc".to_string()),
    ];
    let res = sign_sheet(&app, &client, &task, &form).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "shown again with the message"
    );
    let again = res.text().await.unwrap();
    assert!(again.contains("收缩压应为数字"));
    assert!(
        again.contains("name=\"obs_sbp\" inputmode=\"decimal\" autocomplete=\"off\" value=\"abc\""),
        "what was typed is kept"
    );

    // A value typed on an unanswered call is refused with the API's words, not dropped, and
    // the sheet keeps the result, the value and the note.
    let form = [
        ("csrf", csrf_of(&html)),
        ("contact_result", "no_answer".to_string()),
        ("obs_sbp", "150".to_string()),
        ("note", "响铃无人接".to_string()),
    ];
    let res = sign_sheet(&app, &client, &task, &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(again.contains("未联系到患者时不能登记检测值"), "refused, not dropped");
    assert!(
        again.contains("value=\"no_answer\" required checked")
            && again.contains("value=\"150\"")
            && again.contains(">响铃无人接</textarea>"),
        "nothing typed is lost"
    );
    let (_, tasks) = app.get(Some(&nurse_token), &format!("/api/v1/tasks/{task}")).await;
    assert_eq!(
        (tasks["attempts"].as_i64(), tasks["state"].as_str()),
        (Some(0), Some("pending")),
        "nothing was recorded: {tasks}"
    );

    let form = [
        ("csrf", csrf_of(&html)),
        ("contact_result", "reached".to_string()),
        ("obs_sbp", "158".to_string()),
        ("obs_dbp", "96".to_string()),
        ("ans_medication_adherence", "间断".to_string()),
        ("note", "<b>漏服</b>两次".to_string()),
    ];
    let res = sign_sheet(&app, &client, &task, &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&client, &app, &format!("/tasks/{task}")).await;
    assert!(html.contains("控制不满意"), "the classification of 158/96 at 76");
    let result = crate::helpers::section(&html, "call-result");
    assert!(
        result.contains("本次随访评估：控制不满意") && result.contains("负责：护士") && result.contains("下次随访"),
        "the alert it raised, whose it is, and the next follow-up within two weeks: {result}"
    );
    assert!(escaped(&html, "b"), "the note is escaped");
    assert!(
        html.contains("生成任务 → ") && html.contains("随访完成 → ") && !html.contains("(created)"),
        "the task's history in Chinese, no event codes"
    );
    assert!(!html.contains("name=\"contact_result\""), "a done task has no form");

    let (status, html) = page(&client, &app, "/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("高血压控制率"));
    let res = client.get(app.url("/stats.csv")).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let (status, html) = page(&client, &app, "/outbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("沙箱通道"));
}
crate::register!(a_nurse_signs_a_call_from_the_call_sheet_with_its_script);

pub async fn protocols_are_viewable_exportable_and_dry_run_from_the_ui(app: TestApp) {
    let (_, _nurse) = app.admin_and_nurse().await;
    let nurse = browser(&app, "nurse.wang").await;
    let (status, list) = page(&nurse, &app, "/protocols").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("高血压患者健康管理") || list.contains("htn-basic-ph"),
        "{list}"
    );
    assert!(list.contains("post-discharge-surgery"));
    let (status, detail) = page(&nurse, &app, "/protocols/post-discharge-surgery").await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "出院3天电话随访",
        "<td>3天</td>",
        "结局规则",
        "伤口异常",
        "double(answers.temperature) &#62;= 38.5",
    ] {
        assert!(detail.contains(expected), "missing {expected}: {detail}");
    }
    assert!(!detail.contains("/dry-run"), "only admins see the dry run");
    let (status, _) = page(&nurse, &app, "/protocols/post-discharge-surgery/dry-run").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = nurse
        .get(app.url("/protocols/htn-basic-ph/export"))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("htn-basic-ph-v1.json")
    );
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc["id"], "htn-basic-ph");
    let (status, _) = page(&nurse, &app, "/protocols/no-such-protocol").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let admin = browser(&app, "admin").await;
    let (_, form) = page(&admin, &app, "/protocols/post-discharge-surgery/dry-run").await;
    assert!(
        form.contains("&#34;fever&#34;") || form.contains("&quot;fever&quot;"),
        "the document is in the form"
    );
    let mut candidate: serde_json::Value = admin
        .get(app.url("/protocols/post-discharge-surgery/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    candidate["rules"][0]["when"] = serde_json::json!("visit.sbp >=");
    let res = admin
        .post(app.url("/protocols/post-discharge-surgery/dry-run"))
        .form(&[
            ("csrf", csrf_of(&form).as_str()),
            ("document", &candidate.to_string()),
            ("from", ""),
            ("to", ""),
        ])
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains("rules[0].when"), "the broken rule is named: {html}");
    candidate["rules"][0]["when"] = serde_json::json!("true");
    let res = admin
        .post(app.url("/protocols/post-discharge-surgery/dry-run"))
        .form(&[("csrf", csrf_of(&form).as_str()), ("document", &candidate.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("试运行结果"), "{html}");
}
crate::register!(protocols_are_viewable_exportable_and_dry_run_from_the_ui);

pub async fn the_worklist_filters_by_protocol_and_scope_and_sorts_by_name(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    app.user("nurse.zhao", "nurse", Some("cardio")).await;
    let anchor = careloop_domain::clock::local_today(crate::helpers::now()) - time::Duration::days(20);
    // Enough patients that both nurses hold overdue calls on both protocols.
    for (seq, (name, protocol)) in (1..).zip([
        ("王大", "post-discharge-surgery"),
        ("李二", "post-discharge-surgery"),
        ("赵三", "post-discharge-surgery"),
        ("周四", "post-discharge-surgery"),
        ("吴五", "htn-basic-ph"),
        ("郑六", "htn-basic-ph"),
    ]) {
        let patient = app.enrol_simple(&nurse, name, seq).await;
        let anchor = if protocol == "htn-basic-ph" {
            anchor - time::Duration::days(90)
        } else {
            anchor
        };
        let body = serde_json::json!({"protocol": protocol, "anchor_date": anchor.to_string()});
        let (status, _) = app
            .post(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"), &body)
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let count = |html: &str| {
        let start = html.find("超期/漏访 <span class=\"count\">").unwrap() + "超期/漏访 <span class=\"count\">".len();
        html[start..].split('<').next().unwrap().parse::<usize>().unwrap()
    };
    let client = browser(&app, "nurse.wang").await;
    let (_, mine) = page(&client, &app, "/worklist?tab=overdue").await;
    let (_, department) = page(&client, &app, "/worklist?tab=overdue&scope=department").await;
    assert_eq!(
        count(&department),
        4 * 2 + 2,
        "D3 and D7 of four discharges, one quarterly call each for two"
    );
    assert!(
        department.contains("季度随访<br><small class=\"muted\">高血压患者健康管理（基本公共卫生）</small>"),
        "each call names its protocol"
    );
    let zhao = browser(&app, "nurse.zhao").await;
    let (_, theirs) = page(&zhao, &app, "/worklist?tab=overdue").await;
    assert_eq!(
        count(&mine) + count(&theirs),
        count(&department),
        "every task has one of the two nurses"
    );
    let (_, htn) = page(
        &client,
        &app,
        "/worklist?tab=overdue&scope=department&protocol=htn-basic-ph",
    )
    .await;
    assert_eq!(count(&htn), 2);
    assert!(htn.contains("吴五") && htn.contains("郑六") && !htn.contains("王大"));
    assert!(
        htn.contains("value=\"htn-basic-ph\" selected"),
        "the filter stays chosen"
    );
    assert!(
        htn.contains("tab=due&amp;scope=department&amp;sort=due&amp;protocol=htn-basic-ph"),
        "tabs keep the filter"
    );
    let (_, by_name) = page(&client, &app, "/worklist?tab=overdue&scope=department&sort=patient").await;
    // Pinyin order: li, wang, wu, zhao, zheng, zhou.
    let order: Vec<usize> = ["李二", "王大", "吴五", "赵三", "郑六", "周四"]
        .iter()
        .map(|n| by_name.find(n).unwrap_or_else(|| panic!("{n} missing")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}
crate::register!(the_worklist_filters_by_protocol_and_scope_and_sorts_by_name);

/// A doctor sets a risk tier on the patient page (with CSRF, the reason escaped, errors shown
/// on the page); nurses see the tier but not the form; the worklist filters by tier and shows
/// it as a tag.
pub async fn a_doctor_assesses_a_risk_tier_and_the_worklist_filters_by_it(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    app.user("dr.li", "doctor", Some("cardio")).await;
    let anchor = careloop_domain::clock::local_today(crate::helpers::now()) - time::Duration::days(110);
    let mut ids = Vec::new();
    for (seq, name) in (1..).zip(["吴五", "郑六"]) {
        let patient = app.enrol_simple(&nurse, name, seq).await;
        let body = serde_json::json!({"protocol": "htn-basic-ph", "anchor_date": anchor.to_string()});
        let (status, _) = app
            .post(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"), &body)
            .await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(patient);
    }
    let doctor = browser(&app, "dr.li").await;
    let path = format!("/patients/{}", ids[0]);
    let (_, html) = page(&doctor, &app, &path).await;
    assert!(html.contains("未评定"), "no tier yet");
    let action = format!("action=\"/patients/{}/risk-tier\"", ids[0]);
    assert!(html.contains(&action), "doctors get the form");
    let csrf = csrf_of(&html);
    let post = |form: Vec<(&'static str, String)>| {
        let doctor = doctor.clone();
        let url = app.url(&format!("{path}/risk-tier"));
        async move { doctor.post(url).form(&form).send().await.unwrap() }
    };
    let res = post(vec![
        ("csrf", csrf.clone()),
        ("tier", "high".into()),
        ("reason", " ".into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请填写分层依据"));
    let res = post(vec![
        ("csrf", "forged".into()),
        ("tier", "high".into()),
        ("reason", "x".into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let reason = "血压 182/112 mmHg <b>";
    let res = post(vec![("csrf", csrf), ("tier", "high".into()), ("reason", reason.into())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&doctor, &app, &path).await;
    assert!(html.contains("tag tier-high\">高危"), "current tier shown");
    assert!(escaped(&html, "b") && !html.contains("<b>"), "the reason is escaped");

    let nurse_ui = browser(&app, "nurse.wang").await;
    let (_, html) = page(&nurse_ui, &app, &path).await;
    assert!(
        html.contains("高危") && !html.contains(&action),
        "nurses see the tier, not the form"
    );
    let (_, high) = page(&nurse_ui, &app, "/worklist?tab=overdue&scope=department&risk_tier=high").await;
    assert!(high.contains("吴五") && !high.contains("郑六"), "{high}");
    assert!(high.contains("value=\"high\" selected"), "the filter stays chosen");
    assert!(high.contains("&amp;risk_tier=high"), "tabs keep the filter");
    let (_, all) = page(&nurse_ui, &app, "/worklist?tab=overdue&scope=department").await;
    assert!(all.contains("吴五") && all.contains("郑六"));
    assert!(all.contains("tag tier-high"), "the tier shows as a tag on the worklist");
    let (_, low) = page(&nurse_ui, &app, "/worklist?tab=overdue&scope=department&risk_tier=low").await;
    assert!(!low.contains("吴五") && !low.contains("郑六"));
}
crate::register!(a_doctor_assesses_a_risk_tier_and_the_worklist_filters_by_it);

/// 批量入组 from the patient list: ticked patients go on the chosen protocol in one go; one
/// already on it is skipped and shown with the reason; the form needs its CSRF token.
pub async fn patients_ticked_on_the_list_are_enrolled_in_a_batch(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let mut ids = Vec::new();
    for (seq, name) in (31..).zip(["钱一", "孙二", "李三"]) {
        ids.push(app.enrol_simple(&nurse, name, seq).await);
    }
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{}/plans", ids[1]),
            &serde_json::json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let client = browser(&app, "nurse.wang").await;
    let (_, list) = page(&client, &app, "/patients").await;
    assert!(list.contains("action=\"/patients/batch-enrol\"") && list.contains("name=\"patient_ids\""));
    let csrf = csrf_of(&list);
    let form = |csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("protocol", "htn-basic-ph".to_string()),
            ("anchor_date", "".to_string()),
            ("patient_ids", ids[0].clone()),
            ("patient_ids", ids[1].clone()),
        ]
    };
    let res = client
        .post(app.url("/patients/batch-enrol"))
        .form(&form("forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = client
        .post(app.url("/patients/batch-enrol"))
        .form(&form(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("已入组 <span class=\"count\">1</span>"), "{html}");
    assert!(html.contains("已跳过 <span class=\"count\">1</span>") && html.contains("已在此方案中"));
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{}/plans", ids[0]))
        .await;
    assert_eq!(plans[0]["protocol"], "htn-basic-ph");
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{}/plans", ids[2]))
        .await;
    assert_eq!(plans, serde_json::json!([]), "not ticked, not enrolled");
    let res = client
        .post(app.url("/patients/batch-enrol"))
        .form(&[("csrf", csrf.as_str()), ("protocol", "htn-basic-ph")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "nothing ticked");
    assert!(res.text().await.unwrap().contains("请至少勾选一名患者"));
}
crate::register!(patients_ticked_on_the_list_are_enrolled_in_a_batch);

/// The questionnaire library lists every questionnaire with its scoring, previews one exactly as
/// the patient sees it, and downloads its FHIR JSON.
pub async fn the_questionnaire_library_previews_as_the_patient_sees_it(app: TestApp) {
    app.admin_and_nurse().await;
    let client = browser(&app, "nurse.wang").await;
    let (status, html) = page(&client, &app, "/questionnaires").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("患者健康问卷（PHQ-9）") && html.contains(">PHQ-9<") && html.contains("出院康复问卷"));
    let (status, preview) = page(&client, &app, "/questionnaires/phq-9/preview").await;
    assert_eq!(status, StatusCode::OK);
    assert!(preview.contains("王先生您好") && preview.contains("做事时提不起劲或没有兴趣"));
    let res = client
        .get(app.url("/questionnaires/phq-9/export"))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("phq-9-v1.json")
    );
    let doc: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(doc["resourceType"], "Questionnaire");
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = anonymous
        .get(app.url("/questionnaires/phq-9/preview"))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::OK, "staff only");
}
crate::register!(the_questionnaire_library_previews_as_the_patient_sees_it);

/// An unanswered call reads 无人接听 as the contact result and 未接通 as the task's state: the
/// two kinds of code share `no_answer` and each keeps its own word.
pub async fn the_call_sheet_names_an_unanswered_call_in_its_own_words(app: TestApp) {
    let (_, nurse_token) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse_token, "李未接", 31).await;
    let (_, plan) = app
        .post(
            Some(&nurse_token),
            &format!("/api/v1/patients/{patient}/plans"),
            &serde_json::json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    let task = plan["tasks"][0]["id"].as_str().unwrap().to_string();
    let client = browser(&app, "nurse.wang").await;
    let (_, html) = page(&client, &app, &format!("/tasks/{task}")).await;
    assert!(
        html.contains("value=\"no_answer\" required> 无人接听"),
        "the choice offered: {html}"
    );
    let form = [("csrf", csrf_of(&html)), ("contact_result", "no_answer".to_string())];
    let res = sign_sheet(&app, &client, &task, &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&client, &app, &format!("/tasks/{task}")).await;
    assert!(html.contains("<td>无人接听</td>"), "the signed record: {html}");
    assert!(html.contains("<dd>未接通"), "the task's state: {html}");
}
crate::register!(the_call_sheet_names_an_unanswered_call_in_its_own_words);

/// One view of the staff patient page is one use case: one audit row (`patient.page`) naming
/// how much of each section was shown, not one row per section.
pub async fn a_patient_page_view_writes_one_audit_row(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "单次审计", 12).await;
    let values = serde_json::json!([{"code": "sbp", "value": 150}, {"code": "dbp", "value": 95}]);
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/observations"),
            &values,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    async fn audit(app: &TestApp, admin: &str, patient: &str) -> Vec<serde_json::Value> {
        let path = format!("/api/v1/audit-events?patient_id={patient}&per_page=200");
        let (_, page) = app.get(Some(admin), &path).await;
        page["items"].as_array().unwrap().clone()
    }
    let before = audit(&app, &admin, &patient).await;
    let client = browser(&app, "nurse.wang").await;
    let (status, html) = page(&client, &app, &format!("/patients/{patient}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("单次审计") && html.contains("150"),
        "the page shows the patient and the value"
    );
    let after = audit(&app, &admin, &patient).await;
    // The admin's own reading of the trail is audited too; count the nurse's rows.
    let new: Vec<&serde_json::Value> = after
        .iter()
        .filter(|e| !before.contains(e) && e["actor_username"] == "nurse.wang")
        .collect();
    assert_eq!(new.len(), 1, "one audit row per view: {new:?}");
    assert_eq!(new[0]["action"], "patient.page");
    let detail = new[0]["detail"].as_str().unwrap();
    assert!(detail.contains("observations=2"), "{detail}");
}
crate::register!(a_patient_page_view_writes_one_audit_row);

/// A ward nurse records a discharge on the patient's page: the page says which follow-up it
/// started (外科出院后随访) and the plan exists; a discharge date in the future is refused at its
/// field with the form open, and nothing is started.
pub async fn a_ward_nurse_records_a_discharge_and_sees_the_follow_up_it_starts(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "出院登记", 7).await;
    let client = browser(&app, "nurse.wang").await;
    let (_, html) = page(&client, &app, &format!("/patients/{patient}")).await;
    assert!(html.contains("id=\"record-discharge\"") && html.contains("登记出院"));
    let csrf = csrf_of(&html);
    let post = |form: Vec<(&'static str, String)>| {
        client
            .post(app.url(&format!("/patients/{patient}/discharges")))
            .form(&form)
            .send()
    };
    let res = post(vec![("csrf", csrf.clone()), ("discharged_on", "2099-01-01".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("出院日期不能晚于今天") && html.contains("id=\"record-discharge\" open"),
        "refused at its field"
    );
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    assert_eq!(plans, serde_json::json!([]), "nothing started");

    let yesterday = (careloop_domain::clock::local_today(crate::helpers::now()) - time::Duration::days(1)).to_string();
    let res = post(vec![
        ("csrf", csrf.clone()),
        ("discharged_on", yesterday.clone()),
        ("ward", "普外科".into()),
        ("diagnosis_code", "K35.8".into()),
        ("summary", "腹腔镜阑尾切除术后".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("已登记出院（{yesterday}）。已开始随访方案：外科出院后随访")),
        "the page says what the discharge started"
    );
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    assert_eq!(plans[0]["protocol"], "post-discharge-surgery", "{plans}");
    let (_, discharges) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/discharges"))
        .await;
    assert_eq!(discharges[0]["ward"], "普外科", "{discharges}");
}
crate::register!(a_ward_nurse_records_a_discharge_and_sees_the_follow_up_it_starts);

/// The discharge call sheet asks its questions in the form the protocol's rules read: the wound
/// as findings to tick (红肿、渗液), pain on a 0–10 scale, temperature as a number. An
/// impossible temperature is refused with the reason and every tick kept; signed, the rules
/// fire on what was ticked — the wound's referral and the fever's alert — and the record keeps
/// the findings as one answer. The API refuses a pain of 12 the same way.
pub async fn the_discharge_call_sheet_asks_structured_questions_the_rules_read(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "结构化随访", 8).await;
    let yesterday = (careloop_domain::clock::local_today(crate::helpers::now()) - time::Duration::days(3)).to_string();
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/discharges"),
            &serde_json::json!({"discharged_on": yesterday, "ward": "普外科"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    let call = plans[0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["method"] == "phone_call")
        .expect("the day-3 call")["id"]
        .as_str()
        .unwrap()
        .to_string();

    let client = browser(&app, "nurse.wang").await;
    let (_, sheet) = page(&client, &app, &format!("/tasks/{call}")).await;
    for field in [
        r#"type="checkbox" name="ans_wound" value="红肿""#,
        r#"type="checkbox" name="ans_wound" value="无异常""#,
        r#"type="radio" name="ans_pain" value="10""#,
        r#"name="ans_temperature" type="number""#,
    ] {
        assert!(sheet.contains(field), "{field}: {sheet}");
    }
    let csrf = csrf_of(&sheet);
    let sign = |temperature: &'static str| {
        let form = vec![
            ("csrf", csrf.clone()),
            ("contact_result", "reached".to_string()),
            ("ans_wound", "红肿".into()),
            ("ans_wound", "渗液".into()),
            ("ans_pain", "8".into()),
            ("ans_temperature", temperature.into()),
        ];
        client
            .post(app.url(&format!("/tasks/{call}/record")))
            .form(&form)
            .send()
    };
    let res = sign("389").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("请填写 34–43 ℃ 之间的数字"), "{html}");
    assert!(
        html.contains(r#"value="红肿" checked"#) && html.contains(r#"value="渗液" checked"#),
        "the ticks are kept"
    );
    assert!(html.contains(r#"value="8" checked"#), "the scale is kept");

    let res = sign("39.2").await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, alerts) = app.get(Some(&admin), "/api/v1/alerts").await;
    let reasons: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["patient_id"] == patient.as_str())
        .map(|a| a["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("伤口红肿")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("体温≥38.5")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("疼痛评分≥7")), "{reasons:?}");
    let (_, records) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/follow-up-records"))
        .await;
    assert_eq!(records[0]["answers"]["wound"], "红肿、渗液", "{records}");

    let (_, plans) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{patient}/plans"))
        .await;
    let open = plans[0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["state"] != "done" && t["state"] != "cancelled" && t["method"] == "phone_call")
        .map(|t| t["id"].as_str().unwrap().to_string())
        .expect("the call the rules asked for within three days");
    let (status, err) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/tasks/{open}/records"),
            &serde_json::json!({"contact_result": "reached", "answers": {"pain": 12}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "answers.pain", "{err}");
}
crate::register!(the_discharge_call_sheet_asks_structured_questions_the_rules_read);

/// The patient page answers "what is going on with this patient" from the top: alerts, plans
/// with their next call, the tier with its reasons, the last follow-ups (who, when, result,
/// the values signed, the note) — then identity details, trends as small charts side by side,
/// and every value in a closed list.
pub async fn the_patient_page_puts_what_is_going_on_first(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "全景患者", 9).await;
    let (_, plan) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &serde_json::json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    let task = plan["tasks"][0]["id"].as_str().unwrap();
    let sign = serde_json::json!({"contact_result": "reached", "note": "按时服药，血压平稳",
        "observations": [{"code": "sbp", "value": 146}, {"code": "dbp", "value": 92}]});
    let (status, r) = app
        .post(Some(&nurse), &format!("/api/v1/tasks/{task}/records"), &sign)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    for (i, v) in [150, 152, 149].iter().enumerate() {
        let at = format!("2026-0{}-01T08:00:00+08:00", i + 1);
        app.post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/observations"),
            &serde_json::json!({"code": "sbp", "value": v, "effective_at": at}),
        )
        .await;
    }

    let client = browser(&app, "nurse.wang").await;
    let (_, html) = page(&client, &app, &format!("/patients/{patient}")).await;
    let at = |id: &str| html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}"));
    let order = [
        "plans",
        "risk-tier",
        "recent-records",
        "profile",
        "trends",
        "observations",
    ];
    assert!(
        order.windows(2).all(|w| at(w[0]) < at(w[1])),
        "sections in order {order:?}"
    );
    let recent = crate::helpers::section(&html, "recent-records");
    assert!(
        recent.contains("nurse.wang") && recent.contains("接通") && recent.contains("控制不满意"),
        "who and the result: {recent}"
    );
    assert!(
        recent.contains("收缩压 146 mmHg") && recent.contains("按时服药，血压平稳"),
        "the values and note: {recent}"
    );
    assert!(
        crate::helpers::section(&html, "trends").contains("class=\"small-multiples trends\""),
        "trends side by side"
    );
    assert!(
        html.contains("<details id=\"all-values\">"),
        "every value in a closed list"
    );
}
crate::register!(the_patient_page_puts_what_is_going_on_first);

/// A questionnaire response opens item by item from the patient page: each question with the
/// words the patient chose and their score, PHQ-9 item 9 above 0 marked; another department
/// cannot open it; the read is audited.
pub async fn a_response_opens_item_by_item_with_item_nine_marked(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&nurse, "逐题查看", 10).await;
    let items: Vec<serde_json::Value> = [1, 1, 0, 0, 0, 0, 0, 0, 1]
        .iter()
        .enumerate()
        .map(|(i, c)| serde_json::json!({"linkId": format!("q{}", i + 1), "answer": [{"valueCoding": {"code": c.to_string()}}]}))
        .collect();
    let response = serde_json::json!({"resourceType": "QuestionnaireResponse", "status": "completed",
        "subject": {"reference": format!("Patient/{patient}")}, "item": [{"linkId": "g", "item": items}]});
    let (status, out) = app
        .post(Some(&nurse), "/api/v1/questionnaires/phq-9/responses", &response)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let id = out["id"].as_str().unwrap();

    let client = browser(&app, "nurse.wang").await;
    let (_, html) = page(&client, &app, &format!("/patients/{patient}")).await;
    let path = format!("/patients/{patient}/responses/{id}");
    assert!(
        html.contains(&format!("href=\"{path}\"")),
        "linked from the patient page"
    );
    assert!(html.contains("患者健康问卷"), "the title, not the id");
    let (status, detail) = page(&client, &app, &path).await;
    assert_eq!(status, StatusCode::OK);
    let items = crate::helpers::section(&detail, "items");
    assert_eq!(items.matches("<tr").count(), 10, "a header and nine answered questions");
    assert_eq!(
        items.matches("class=\"abnormal urgent\"").count(),
        1,
        "item 9 marked: {items}"
    );
    assert!(!items.contains(">0</td><td>1<"), "answers in words, not codes");
    assert!(detail.contains("<dd>3</dd>"), "the total: {detail}");

    app.department("endo").await;
    app.user("nurse.li", "nurse", Some("endo")).await;
    let other = browser(&app, "nurse.li").await;
    assert_eq!(page(&other, &app, &path).await.0, StatusCode::FORBIDDEN);
    let audit = app.audited(&admin, &patient).await;
    assert!(audit.iter().any(|a| a == "questionnaire_response.read"), "{audit:?}");
}
crate::register!(a_response_opens_item_by_item_with_item_nine_marked);
