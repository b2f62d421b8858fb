//! Real-browser checks: headless Chromium driven over WebDriver (chromedriver), clicking
//! through the pages a nurse uses. Skipped, with a note, when chromedriver is not installed.

use crate::helpers::{PASSWORD, TestApp, id_number};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const CHROMEDRIVER_ENV: &str = "CARELOOP_CHROMEDRIVER";

/// The chromedriver binary to use, if any.
pub fn chromedriver() -> Option<String> {
    let path = std::env::var(CHROMEDRIVER_ENV).unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    std::path::Path::new(&path).exists().then_some(path)
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The narrowest window headless Chromium lays a page out in.
const MIN_WINDOW: u32 = 500;

/// A WebDriver session on its own chromedriver process.
struct Browser {
    driver: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

impl Browser {
    async fn start(width: u32) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver().unwrap())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::new();
        let root = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{root}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let binary = std::env::var("CARELOOP_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--window-size={},900", width.max(MIN_WINDOW)));
        let mut options = json!({"binary": binary, "args": args});
        if width < MIN_WINDOW {
            // A headless window is never narrower than 500 px: a phone is emulated instead, or a
            // "360-px" page would really be laid out 500 px wide.
            options["mobileEmulation"] = json!({"deviceMetrics": {"width": width, "height": 800, "pixelRatio": 1}});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}});
        let res: Value = http
            .post(format!("{root}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_string();
        Browser {
            driver,
            base: format!("{root}/session/{id}"),
            http,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let req = self.http.request(method, format!("{}{path}", self.base));
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let text = req.send().await.unwrap().text().await.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("webdriver {path}: {text}"));
        assert!(v["value"]["error"].is_null(), "webdriver {path}: {v}");
        v["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn find(&self, css: &str) -> String {
        self.find_by("css selector", css).await
    }

    async fn find_by(&self, using: &str, value: &str) -> String {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": using, "value": value})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("find {value}: {v}"))
            .to_string()
    }

    /// Click the element an XPath names (to pick a worklist row by the patient's name).
    async fn click_xpath(&self, xpath: &str) {
        let el = self.find_by("xpath", xpath).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{el}/click"), Some(json!({})))
            .await;
    }

    /// Log in through the login form and wait for a staff page.
    async fn log_in(&self, app: &TestApp, username: &str) {
        self.go(&app.url("/login")).await;
        self.type_into("input[name=username]", username).await;
        self.type_into("input[name=password]", PASSWORD).await;
        self.click("button[type=submit]").await;
        self.source_with(&["退出登录"]).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{el}/clear"), Some(json!({})))
            .await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{el}/click"), Some(json!({})))
            .await;
    }

    async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The page source once it contains every one of `needles` (form submissions navigate
    /// asynchronously), or the last source seen after five seconds.
    async fn source_with(&self, needles: &[&str]) -> String {
        let mut page = String::new();
        for _ in 0..150 {
            page = self.source().await;
            if needles.iter().all(|n| page.contains(n)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        page
    }

    /// The page source once `needle` is gone from it (a form that removes what it acted on), or
    /// the last source seen after five seconds.
    async fn source_without(&self, needle: &str) -> String {
        let mut page = String::new();
        for _ in 0..50 {
            page = self.source().await;
            if !page.contains(needle) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        page
    }

    async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn script(&self, js: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    async fn close(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

pub async fn a_nurse_enrols_a_patient_and_records_values_in_chromium(app: TestApp) {
    app.admin_and_nurse().await;
    let b = Browser::start(1280).await;
    b.go(&app.url("/patients")).await;
    assert!(
        b.url().await.ends_with("/login"),
        "unauthenticated users land on the login page"
    );
    b.type_into("input[name=username]", "nurse.wang").await;
    b.type_into("input[name=password]", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.source_with(&["今日工作"]).await;
    assert!(
        b.url().await.ends_with("/worklist"),
        "logged in, home is today's work: {}",
        b.url().await
    );

    b.go(&app.url("/patients/new")).await;
    b.type_into("input[name=name]", "张三丰").await;
    b.type_into("input[name=id_number]", "110105194912310021").await;
    b.type_into("input[name=phone]", "13812345678").await;
    b.click("form.card button[type=submit]").await;
    let page = b.source_with(&["身份证号码校验位错误"]).await;
    assert!(
        page.contains("身份证号码校验位错误"),
        "the browser shows the field error"
    );
    assert!(page.contains("value=\"张三丰\""), "what was typed is kept");
    b.type_into("input[name=id_number]", "11010519491231002X").await;
    b.click("form.card button[type=submit]").await;
    let page = b.source_with(&["1949-12-31"]).await;
    assert!(
        page.contains("1949-12-31"),
        "enrolled; birth date derived from the ID number"
    );
    assert!(b.url().await.contains("/patients/"), "on the patient page");

    b.type_into("#observations input[name=value]", "180").await;
    b.click("#observations button[type=submit]").await;
    let page = b.source_with(&["class=\"abnormal\"", "偏高"]).await;
    assert!(
        page.contains("class=\"abnormal\"") && page.contains("偏高"),
        "the new value is shown as abnormal with a word"
    );
    b.close().await;
}
crate::register!(browser: a_nurse_enrols_a_patient_and_records_values_in_chromium);

/// Every staff page fits a 360-px phone (no sideways scrolling), for a nurse and for an
/// administrator: lists with long addresses, the patient's page with its forms, the call sheet,
/// the alert centre, figures, protocols, questionnaires and the admin pages.
pub async fn every_staff_page_fits_a_phone_screen(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let mut patient = String::new();
    for i in 0..3 {
        patient = app.enrol(&nurse, json!({"name": format!("欧阳娜娜{i}"), "id_number": id_number("1950-01-01", false, i), "phone": "13812345678",
            "address": "上海市浦东新区世纪大道一百号某某小区十二号楼三单元", "emergency_contact_name": "欧阳大山", "emergency_contact_phone": "13912345678"})).await;
    }
    let (_, plan) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/plans"),
            &json!({"protocol": "htn-basic-ph"}),
        )
        .await;
    let task = plan["tasks"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/observations"),
            &json!({"code": "sbp", "value": 212}),
        )
        .await;
    assert_eq!(
        status,
        reqwest::StatusCode::CREATED,
        "a critical value, so the alert centre has a card"
    );
    // Replies of each kind, so the reply inbox has its cards and a thread its messages.
    crate::providers::replies_waiting(&app, &nurse).await;
    let (_, inbox) = app.get(Some(&nurse), "/api/v1/inbox").await;
    let replier = inbox[0]["patient_id"].as_str().unwrap().to_string();
    let nurse_pages = [
        "/worklist".to_string(),
        "/alerts".into(),
        "/patients".into(),
        "/patients/new".into(),
        format!("/patients/{patient}"),
        format!("/patients/{patient}/edit"),
        format!("/patients/{patient}/record"),
        format!("/tasks/{task}"),
        "/outbox".into(),
        "/stats".into(),
        "/protocols".into(),
        "/protocols/htn-basic-ph".into(),
        "/questionnaires".into(),
        "/imports".into(),
        "/inbox".into(),
        format!("/patients/{replier}/messages"),
    ];
    let admin_pages = [
        "/admin/users",
        "/admin/departments",
        "/admin/audit",
        "/admin/critical-limits",
        "/tag-rules",
        "/admin/targets",
        "/alerts",
        "/worklist",
    ];
    for (user, pages) in [
        ("nurse.wang", nurse_pages.to_vec()),
        ("admin", admin_pages.iter().map(|p| p.to_string()).collect()),
    ] {
        let b = Browser::start(360).await;
        b.log_in(&app, user).await;
        let width = b.script("return document.documentElement.clientWidth").await;
        assert_eq!(width.as_i64(), Some(360), "a real 360-px layout");
        for path in &pages {
            b.go(&app.url(path)).await;
            b.source_with(&["退出登录"]).await;
            let overflow = b
                .script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
                .await;
            assert!(
                overflow.as_i64().unwrap() <= 0,
                "{path} as {user} scrolls sideways at 360 px by {overflow} px"
            );
        }
        b.close().await;
    }
}
crate::register!(browser: every_staff_page_fits_a_phone_screen);

/// A nurse's morning in a real browser: the worklist's 应访 tab lists today's calls; she opens a
/// patient's call sheet from it, records a reached call with the form fields, marks the next one
/// unanswered, and the worklist moves them to 已访 and out of 应访.
pub async fn a_nurse_works_through_the_worklist_in_chromium(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let today = careloop_domain::clock::local_today(crate::helpers::now());
    // Enrolled three months and two days ago: the first quarterly call is due now.
    let d = today - time::Duration::days(2);
    let (year, month) = match d.month() as u8 {
        m @ 4..=12 => (d.year(), m - 3),
        m => (d.year() - 1, m + 9),
    };
    let anchor = time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), d.day().min(28)).unwrap();
    for (seq, name) in (41..).zip(["王建国", "李秀英"]) {
        let patient = app
            .enrol(
                &nurse,
                json!({"name": name, "id_number": id_number("1950-02-01", seq % 2 == 1, seq), "phone": "13800138000"}),
            )
            .await;
        let (status, plan) = app
            .post(
                Some(&nurse),
                &format!("/api/v1/patients/{patient}/plans"),
                &json!({"protocol": "htn-basic-ph", "anchor_date": anchor.to_string()}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{plan}");
        assert_eq!(plan["tasks"][0]["state"], "due", "{plan}");
    }
    let b = Browser::start(1280).await;
    b.log_in(&app, "nurse.wang").await;
    let page = b.source_with(&["王建国", "李秀英"]).await;
    assert!(page.contains("应访 <span class=\"count\">2</span>"), "{page}");

    b.click_xpath("//tr[td/a[text()='王建国']]//a[contains(@class,'button')]")
        .await;
    let page = b.source_with(&["您好，请问是王先生吗？"]).await;
    assert!(page.contains("name=\"obs_sbp\""), "the call sheet with its form");
    assert!(!page.contains(" checked>"), "no contact result is chosen for the nurse");
    b.click("input[name=contact_result][value='reached']").await;
    b.type_into("input[name=obs_sbp]", "132").await;
    b.type_into("input[name=obs_dbp]", "82").await;
    b.click("input[name=ans_medication_adherence][value='规律']").await;
    b.click("form.stack button[type=submit]").await;
    let page = b.source_with(&["本次随访结果"]).await;
    assert!(page.contains("控制满意"), "132/82 is controlled");
    let result = crate::helpers::section(&page, "call-result");
    assert!(
        result.contains("<dd>接通</dd>") && result.contains("无预警") && result.contains("下次随访"),
        "the sheet says what the call set off: {result}"
    );

    // 下一位: straight to the next call of the worklist, no detour.
    b.click("#next-call").await;
    let page = b.source_with(&["李秀英", "name=\"contact_result\""]).await;
    assert!(
        page.contains("您好，请问是李女士吗？") || page.contains("李秀英"),
        "the next patient's sheet"
    );
    b.click("input[name=contact_result][value='no_answer']").await;
    b.click("form.stack button[type=submit]").await;
    // The signed record's row, not the choice offered on the form (which names it too).
    let page = b.source_with(&["<td>无人接听</td>"]).await;
    let result = crate::helpers::section(&page, "call-result");
    assert!(result.contains("未接通，将再次拨打"), "a retry and when: {result}");
    assert!(
        result.contains("没有待打的电话了"),
        "the last call of the day: {result}"
    );

    b.go(&app.url("/worklist")).await;
    let page = b.source_with(&["应访 <span class=\"count\">0</span>"]).await;
    assert!(page.contains("应访 <span class=\"count\">0</span>"), "{page}");
    b.go(&app.url("/worklist?tab=done")).await;
    let page = b.source_with(&["王建国"]).await;
    assert!(
        page.contains("王建国") && !page.contains("李秀英"),
        "only the reached call is done"
    );
    b.close().await;
}
crate::register!(browser: a_nurse_works_through_the_worklist_in_chromium);

/// The questionnaire loop end to end in Chromium on a 360-px phone: the nurse makes a PHQ-9
/// link on the patient's page; the patient opens it, answers every question, submits and sees
/// the result; the staff side then shows the response and the alert.
pub async fn a_patient_fills_phq9_on_a_phone_in_chromium(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let patient = app
        .enrol(
            &nurse,
            json!({"name": "刘桂英", "id_number": id_number("1948-07-07", false, 71), "phone": "13800138001"}),
        )
        .await;
    let b = Browser::start(360).await;
    b.log_in(&app, "nurse.wang").await;
    b.source_with(&["今日工作"]).await;
    b.go(&app.url(&format!("/patients/{patient}"))).await;
    b.source_with(&["生成问卷链接"]).await;
    b.click("select[name=questionnaire] option[value='phq-9']").await;
    b.click("#questionnaires button[type=submit]").await;
    b.source_with(&["patient-link"]).await;
    let url = b
        .script("return document.getElementById('patient-link').textContent")
        .await;
    let token = url.as_str().unwrap().rsplit("/m/").next().unwrap().to_string();

    b.go(&app.url(&format!("/m/{token}"))).await;
    let page = b.source_with(&["刘女士您好"]).await;
    assert!(page.contains("患者健康问卷"), "the questionnaire opens");
    for (q, option) in [(1, 1), (2, 1), (3, 2), (4, 1), (5, 0), (6, 1), (7, 0), (8, 0), (9, 0)] {
        b.click(&format!("input[name=q{q}][value=o{option}]")).await;
    }
    let overflow = b
        .script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "no sideways scrolling at 360 px: {overflow}"
    );
    let font = b
        .script("return parseFloat(getComputedStyle(document.querySelector('legend')).fontSize)")
        .await;
    assert!(font.as_f64().unwrap() >= 18.0, "question text at least 18 px: {font}");
    b.click("button[type=submit]").await;
    let page = b.source_with(&["提交成功"]).await;
    assert!(
        page.contains("轻度抑郁") && page.contains("6 分"),
        "1+1+2+1+0+1+0+0+0 = 6: mild"
    );

    b.go(&app.url(&format!("/patients/{patient}"))).await;
    let page = b.source_with(&["患者本人"]).await;
    assert!(
        page.contains("phq-9") && page.contains("轻度"),
        "the response on the patient page"
    );
    assert!(
        page.contains("<svg class=\"chart\"") && page.contains(": 6</title>"),
        "the score on the chart"
    );
    b.close().await;

    let (_, alerts) = app.get(Some(&admin), "/api/v1/alerts?status=open").await;
    assert_eq!(alerts, json!([]), "mild, item 9 at 0: no alert");
}
crate::register!(browser: a_patient_fills_phq9_on_a_phone_in_chromium);

/// The health report opened in Chromium and printed to PDF through WebDriver: A4, more than one
/// page (advice starts on a new page), the Chinese text laid out by the browser.
/// The text of a PDF as `pdftotext` reads it (layout kept), or `None` without poppler.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("careloop-pdf-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).ok()?;
    let file = dir.join("report.pdf");
    std::fs::write(&file, pdf).ok()?;
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-layout"])
        .arg(&file)
        .arg("-")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = out.ok()?;
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub async fn the_health_report_prints_to_a4_in_chromium(app: TestApp) {
    use base64::Engine;
    let (_, nurse) = app.admin_and_nurse().await;
    let patient = crate::report::reported_patient(&app, &nurse).await;
    let b = Browser::start(1280).await;
    b.log_in(&app, "nurse.wang").await;
    b.source_with(&["今日工作"]).await;
    b.go(&app.url(&format!("/patients/{patient}"))).await;
    b.click("form[action$='/report'] button[type=submit]").await;
    let page = b.source_with(&["健康阶段总结"]).await;
    assert!(
        page.contains("健康阶段总结") && page.contains("收缩压测量"),
        "the report opened from the patient page"
    );
    // Laid out in the browser: the summary box has width and height.
    let size = b
        .script("const r = document.querySelector('.summary').getBoundingClientRect(); return [r.width, r.height];")
        .await;
    assert!(
        size[0].as_f64().unwrap() > 300.0 && size[1].as_f64().unwrap() > 20.0,
        "{size}"
    );
    let pdf = b
        .cmd(
            reqwest::Method::POST,
            "/print",
            Some(json!({"page": {"width": 21.0, "height": 29.7}, "background": true})),
        )
        .await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pdf.as_str().unwrap())
        .unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 2, "summary pages and the advice page: {pages}");
    b.close().await;
    // The words as printed, read back from the PDF (poppler's pdftotext; CI installs it).
    let Some(printed) = pdf_text(&bytes) else {
        eprintln!("note: pdftotext is not installed; the printed words were not read back");
        return;
    };
    let flat: String = printed.split_whitespace().collect();
    for words in [
        "健康阶段总结",
        "马国庆",
        "139****2222",
        "收缩压测量3次，从158mmHg",
        "部分超出参考范围，总体呈下降趋势",
        "数据不足，暂不判断趋势",
        "控制血压的饮食",
    ] {
        assert!(flat.contains(words), "the printed report says {words}: {printed}");
    }
    for never in ["13911112222", "平稳", "/年", "NaN", "None"] {
        assert!(
            !flat.contains(never),
            "the printed report never says {never}: {printed}"
        );
    }
    // Dated in China time: the print date is today's Beijing date.
    let today = careloop_domain::clock::local_today(crate::helpers::now());
    let china = format!("{}年{}月{}日", today.year(), u8::from(today.month()), today.day());
    let iso = today.to_string();
    assert!(
        flat.contains(&china) || flat.contains(&iso),
        "today ({iso}) in China time: {printed}"
    );
}
crate::register!(browser: the_health_report_prints_to_a4_in_chromium);

/// The self-harm alert on screen (patient safety): a patient answers PHQ-9 item 9 with 1 on a
/// 360-px phone; the doctor's worklist shows the alert first, the badge counts it, the alert
/// centre names the item, and the doctor closes it with an outcome. The nurse sees it among
/// colleagues' alerts, not on her desk.
pub async fn a_doctor_sees_and_closes_a_self_harm_alert_in_chromium(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    app.user("dr.li", "doctor", Some("cardio")).await;
    let patient = app
        .enrol(
            &nurse,
            json!({"name": "王秀兰", "id_number": id_number("1950-02-03", false, 72), "phone": "13800138002"}),
        )
        .await;
    let (_, link) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/questionnaire-links"),
            &json!({"questionnaire": "phq-9"}),
        )
        .await;
    let token = link["url"].as_str().unwrap().rsplit("/m/").next().unwrap().to_string();

    let phone = Browser::start(360).await;
    phone.go(&app.url(&format!("/m/{token}"))).await;
    phone.source_with(&["患者健康问卷"]).await;
    for (q, option) in [(1, 1), (2, 1), (3, 1), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0), (9, 1)] {
        phone.click(&format!("input[name=q{q}][value=o{option}]")).await;
    }
    let width = phone.script("return document.documentElement.clientWidth").await;
    assert_eq!(width.as_i64(), Some(360), "the phone really is 360 px wide");
    phone.click("button[type=submit]").await;
    phone.source_with(&["提交成功"]).await;
    phone.close().await;

    let b = Browser::start(1280).await;
    b.log_in(&app, "dr.li").await;
    let page = b.source_with(&["今日工作", "desk-alerts"]).await;
    assert!(
        page.contains("PHQ-9 第9题") && page.contains("王秀兰") && page.contains("严重"),
        "the doctor's landing page shows the alert first"
    );
    assert!(
        page.contains(r#"<span class="badge" title="待我处理的预警">1</span>"#),
        "the badge counts it"
    );

    b.go(&app.url("/alerts")).await;
    let page = b.source_with(&["预警中心", "交给我的"]).await;
    assert!(
        page.contains("轻生或自伤念头") && page.contains("剩余"),
        "the item named, time left shown"
    );
    b.type_into("textarea[name=outcome]", "已电话联系，家属陪同明日心理门诊")
        .await;
    b.click("form.close-alert button[type=submit]").await;
    let page = b.source_without("轻生或自伤念头").await;
    assert!(page.contains("没有预警"), "closed: no longer open");
    assert!(!page.contains(r#"class="badge""#), "and no longer counted");
    b.go(&app.url("/alerts?status=closed")).await;
    let page = b.source_with(&["已电话联系"]).await;
    assert!(page.contains("已电话联系，家属陪同明日心理门诊"), "the outcome is kept");
    b.close().await;

    let (_, closed) = app.get(Some(&admin), "/api/v1/alerts?status=closed").await;
    assert_eq!(closed[0]["outcome"], "已电话联系，家属陪同明日心理门诊", "{closed}");
    assert_eq!(closed[0]["patient_id"], patient.as_str(), "{closed}");
}
crate::register!(browser: a_doctor_sees_and_closes_a_self_harm_alert_in_chromium);

/// An administrator sets the hospital's own potassium limit on the critical-value table page in
/// Chromium: a high limit inside the normal range is refused with the reason and what was typed
/// kept; 6.0 with the hospital's policy named is saved and marked as the hospital's; a nurse's
/// potassium of 6.0 then raises the doctor's alert citing that policy; 恢复默认 brings the
/// seeded row back.
pub async fn an_admin_sets_a_critical_limit_in_chromium(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let b = Browser::start(1280).await;
    b.log_in(&app, "admin").await;
    b.go(&app.url("/admin/critical-limits")).await;
    let page = b.source_with(&["危急值表", "国家规范紧急阈值"]).await;
    assert!(
        page.contains("≥ 180 mmHg") && page.contains("血钾"),
        "national and laboratory rows"
    );

    b.type_into("#limit-k input[name=at_least]", "5.0").await;
    b.type_into("#limit-k input[name=source]", "本院危急值管理制度（2025版）")
        .await;
    b.click("#limit-k button.primary").await;
    b.source_with(&["高限须高于正常范围"]).await;
    let kept = b
        .script("return document.querySelector('#limit-k input[name=at_least]').value")
        .await;
    assert_eq!(kept.as_str(), Some("5.0"), "what was typed is kept");

    b.type_into("#limit-k input[name=at_least]", "6.0").await;
    b.type_into("#limit-k input[name=source]", "本院危急值管理制度（2025版）")
        .await;
    b.click("#limit-k button.primary").await;
    let page = b.source_with(&["恢复默认"]).await;
    let k = crate::helpers::section(&page, "limit-k");
    assert!(k.contains("本机构设定") && k.contains("value=\"6\""), "{k}");

    let patient = app.enrol_simple(&nurse, "血钾偏高", 41).await;
    let (status, _) = app
        .post(
            Some(&nurse),
            &format!("/api/v1/patients/{patient}/observations"),
            &json!({"code": "k", "value": 6.0}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let (_, alerts) = app.get(Some(&admin), "/api/v1/alerts").await;
    assert!(
        alerts[0]["reason"]
            .as_str()
            .unwrap()
            .contains("本院危急值管理制度（2025版）"),
        "{alerts}"
    );

    b.click("#limit-k form[action$=reset] button").await;
    let page = b.source_without("恢复默认").await;
    let k = crate::helpers::section(&page, "limit-k");
    assert!(!k.contains("本机构设定") && k.contains("value=\"6.2\""), "{k}");
    b.close().await;
}
crate::register!(browser: an_admin_sets_a_critical_limit_in_chromium);

/// A nurse imports a laboratory's HL7 v2 file from a 360-px phone: she chooses the format,
/// names the sender, picks the file, and reads the report on a page that fits the screen; the
/// import is listed among earlier imports.
pub async fn a_nurse_imports_an_hl7_file_in_chromium(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let file = crate::imports::testdata("hl7v2-fhir-converter/LAB-ORU-1.hl7");
    let b = Browser::start(360).await;
    b.log_in(&app, "nurse.wang").await;
    b.go(&app.url("/imports")).await;
    b.source_with(&["导入检查结果"]).await;
    b.click("select[name=format] option[value=hl7v2]").await;
    b.type_into("input[name=source]", "lis").await;
    let input = b.find("input[type=file]").await;
    b.cmd(
        reqwest::Method::POST,
        &format!("/element/{input}/value"),
        Some(json!({"text": file.canonicalize().unwrap().to_string_lossy()})),
    )
    .await;
    b.click("#upload button.primary").await;
    let page = b.source_with(&["导入报告", "已导入"]).await;
    assert!(page.contains("HL7 v2"), "{page}");
    let wider = b
        .script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(wider.as_i64(), Some(0), "the report fits a 360-px screen");
    let (_, listed) = app.get(Some(&nurse), "/api/v1/import/batches").await;
    assert_eq!(
        (listed[0]["format"].as_str(), listed[0]["source"].as_str()),
        (Some("hl7v2"), Some("lis"))
    );
    assert!(
        b.url()
            .await
            .ends_with(&format!("/imports/{}", listed[0]["id"].as_str().unwrap()))
    );
    b.close().await;
}
crate::register!(browser: a_nurse_imports_an_hl7_file_in_chromium);

/// A nurse works the reply inbox in Chromium: the top bar counts the two replies that need
/// reading (not the plain thanks); the urgent blood pressure comes first with its values and
/// limits; 查看预警 opens the patient's page at the doctor's alert; 标为已处理 takes the reply off
/// the waiting list and the count, and it is listed under 已处理 with when.
pub async fn a_nurse_works_the_reply_inbox_in_chromium(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    crate::providers::replies_waiting(&app, &nurse).await;
    let b = Browser::start(1280).await;
    b.log_in(&app, "nurse.wang").await;
    let page = b.source_with(&["今日工作", "inbox-link"]).await;
    assert!(
        page.contains(r#"患者回复 <span class="badge" title="需要查看的患者回复">2</span>"#),
        "the urgent reply and the one to read are counted, the thanks is not"
    );
    b.click("#inbox-link").await;
    let page = b.source_with(&["患者回复收件箱", "血压190/120"]).await;
    let first = b
        .script("return document.querySelector('#replies article').innerText")
        .await;
    let first = first.as_str().unwrap_or_default();
    assert!(
        first.contains("紧急")
            && first.contains("血压190/120，头晕")
            && first.contains("收缩压 190 mmHg（危急值 ≥180 mmHg）"),
        "{first}"
    );
    assert!(page.find("血压190/120").unwrap() < page.find("吐了一口血").unwrap());
    b.click("#replies article a[href*='#alert-']").await;
    let patient = b
        .source_with(&["危急值 ≥180 mmHg", "短信回复自由文本提示紧急情况"])
        .await;
    assert!(patient.contains("钱淑芬"), "the patient's own page");
    b.go(&app.url("/inbox")).await;
    b.source_with(&["血压190/120"]).await;
    b.click("#replies article form button[type=submit]").await;
    let page = b.source_without("血压190/120").await;
    assert!(page.contains("吐了一口血"), "the others still wait");
    assert!(
        page.contains(r#"<span class="badge" title="需要查看的患者回复">1</span>"#),
        "one left to read"
    );
    b.go(&app.url("/inbox?handled=1")).await;
    let page = b.source_with(&["血压190/120"]).await;
    assert!(
        page.contains("处理于") && !page.contains("吐了一口血"),
        "listed as handled"
    );
    b.close().await;
}
crate::register!(browser: a_nurse_works_the_reply_inbox_in_chromium);
