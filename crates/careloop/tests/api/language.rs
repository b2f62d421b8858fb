//! Chinese throughout (界面全中文): every staff page, as a nurse and as an administrator sees it,
//! is read as a person would — the text between the tags, without scripts, styles, hidden
//! fields and the code a protocol maintainer reads in `<code>` — and no ASCII word may appear
//! on it but the names the Chinese clinic uses too: units, codes with digits (ICD-10, LOINC,
//! PHQ-9), the product's name, the language switch, file formats and named models. The
//! English pages are walked the other way: no Chinese character outside the data.

use crate::helpers::{TestApp, id_number};
use crate::ui::{browser, page};
use reqwest::StatusCode;
use serde_json::json;

/// Words a Chinese page may carry (besides anything with a digit, and units): the product's
/// name, the language switch, file formats, models and tests Chinese clinicians name in Latin
/// letters, dose abbreviations typed into records — and this test's own data (login names, the
/// department named `cardio 科`, the default organisation's code).
const ALLOWED: &[&str] = &[
    "CareLoop",
    "English",
    "Excel",
    "CSV",
    "JSON",
    "NDJSON",
    "xlsx",
    "FHIR",
    "HL7",
    "China-PAR",
    "ASCVD",
    "BMI",
    "OGTT",
    "ICD-10",
    "WS/T",
    "Ctrl",
    "P",
    "A4",
    "SMS",
    "min",
    "mg",
    "qd",
    "bid",
    "X",
    // 回T退订: the opt-out instruction carriers require at the end of every SMS, quoted on the outbox.
    "T",
    "nurse.wang",
    "admin",
    "cli",
    "cardio",
    "default",
];

/// The visible text of a page: tags, scripts, styles, `<code>`, the title and what is being
/// edited in a text area out.
fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    let skip = ["<script", "<style", "<code", "<title", "<textarea"];
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        text.push(' ');
        let tag = &rest[start..];
        if let Some(open) = skip.iter().find(|o| tag.starts_with(**o)) {
            let close = format!("</{}>", &open[1..]);
            rest = tag.find(&close).map_or("", |e| &tag[e + close.len()..]);
        } else {
            rest = tag.find('>').map_or("", |e| &tag[e + 1..]);
        }
    }
    text.push_str(rest);
    text.replace("&#38;", "&").replace("&amp;", "&")
}

fn units() -> Vec<&'static str> {
    careloop_domain::indicator::CATALOGUE
        .iter()
        .flat_map(|i| {
            std::iter::once(i.unit)
                .chain(i.unit_aliases.iter().copied())
                .chain(i.conversions.iter().map(|c| c.unit))
        })
        .collect()
}

/// The ASCII words of a page's visible text that are not allowed on a Chinese page.
fn foreign_words(html: &str) -> Vec<String> {
    let units = units();
    let text = visible_text(html);
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "-_./*^%".contains(c)))
        .map(|w| w.trim_matches(|c: char| ".-/".contains(c)))
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .filter(|w| !ALLOWED.contains(w) && !units.iter().any(|u| u.eq_ignore_ascii_case(w)))
        .filter(|w| {
            !w.split('/')
                .all(|part| part.is_empty() || units.iter().any(|u| u.starts_with(part)) || ALLOWED.contains(&part))
        })
        .map(str::to_string)
        .collect()
}

/// A patient with the page's every section filled: values (one critical), a diagnosis, a
/// plan, a signed call, a questionnaire answered, a proxy.
async fn busy_patient(app: &TestApp, nurse: &str) -> (String, String) {
    let p = app
        .enrol(
            nurse,
            json!({"name": "周桂英", "id_number": id_number("1948-03-09", false, 31), "phone": "13812340031",
                "emergency_contact_name": "周强", "emergency_contact_phone": "13912340031"}),
        )
        .await;
    let values = json!([
        {"code": "sbp", "value": 186, "effective_at": "2026-06-02T08:00:00+08:00"}, {"code": "dbp", "value": 96, "effective_at": "2026-06-02T08:00:00+08:00"},
        {"code": "sbp", "value": 150, "effective_at": "2026-09-02T08:00:00+08:00"}, {"code": "dbp", "value": 92, "effective_at": "2026-09-02T08:00:00+08:00"},
        {"code": "sbp", "value": 148, "effective_at": "2026-12-01T08:00:00+08:00"}, {"code": "dbp", "value": 90, "effective_at": "2026-12-01T08:00:00+08:00"},
        {"code": "fpg", "value": 7.4, "effective_at": "2026-12-01T08:00:00+08:00"}, {"code": "ldl", "value": 3.8, "effective_at": "2026-12-01T08:00:00+08:00"},
        {"code": "k", "value": 4.2, "effective_at": "2026-12-01T08:00:00+08:00"}
    ]);
    let (status, r) = app
        .post(Some(nurse), &format!("/api/v1/patients/{p}/observations"), &values)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    for (code, name) in [("I10", "原发性高血压"), ("E11.9", "2型糖尿病")] {
        let (status, _) = app
            .post(
                Some(nurse),
                &format!("/api/v1/patients/{p}/diagnoses"),
                &json!({"icd10_code": code, "name": name}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, plans) = app.get(Some(nurse), &format!("/api/v1/patients/{p}/plans")).await;
    let task = plans[0]["tasks"][0]["id"].as_str().unwrap().to_string();
    let sign = json!({"contact_result": "reached", "observations": [{"code": "sbp", "value": 146}, {"code": "dbp", "value": 88}], "note": "按时服药"});
    let (status, r) = app
        .post(Some(nurse), &format!("/api/v1/tasks/{task}/records"), &sign)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, _) = app
        .post(
            Some(nurse),
            &format!("/api/v1/patients/{p}/questionnaire-links"),
            &json!({"questionnaire": "phq-9"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    (p, task)
}

pub async fn every_staff_page_is_in_chinese_and_the_english_pages_in_english(app: TestApp) {
    // The walker reads what a person sees, and nothing else.
    let sample =
        r#"<p title="x">血压 140 mmHg</p><script>var a=1;</script><code>answers.x == 1</code><b>follow_up</b>"#;
    assert_eq!(foreign_words(sample), ["follow_up"]);
    let (_, nurse) = app.admin_and_nurse().await;
    let (p, task) = busy_patient(&app, &nurse).await;
    let theirs = crate::providers::replies_waiting(&app, &nurse).await;
    let (_, inbox) = app.get(Some(&nurse), "/api/v1/inbox").await;
    let replier = inbox[0]["patient_id"].as_str().unwrap().to_string();
    let (status, import) =
        crate::imports::import(&app, &nurse, "source=lis", crate::import_screen::mixed_bundle()).await;
    assert_eq!(status, StatusCode::OK, "{import}");
    let batch = import["batch_id"].as_str().unwrap();
    let nurse_pages = [
        "/worklist".to_string(),
        "/worklist?tab=done".into(),
        "/alerts".into(),
        "/alerts?status=closed".into(),
        "/patients".into(),
        "/patients/new".into(),
        format!("/patients/{p}"),
        format!("/patients/{p}/edit"),
        format!("/patients/{p}/record"),
        format!("/patients/{p}/report"),
        format!("/tasks/{task}"),
        "/outbox".into(),
        "/stats?by=month".into(),
        "/stats?by=staff".into(),
        "/protocols".into(),
        "/protocols/htn-basic-ph".into(),
        "/protocols/post-checkup".into(),
        "/protocols/post-discharge-surgery".into(),
        "/questionnaires".into(),
        "/questionnaires/phq-9/preview".into(),
        "/imports".into(),
        format!("/imports/{batch}"),
        "/inbox".into(),
        "/inbox?handled=1".into(),
        format!("/patients/{replier}/messages"),
    ];
    let admin_pages = [
        "/admin/users",
        "/admin/departments",
        "/admin/audit",
        "/admin/critical-limits",
        "/tag-rules",
        "/tag-rules?edit=raised-bp",
        "/admin/targets",
        "/protocols/htn-basic-ph/dry-run",
    ];
    let mut found = Vec::new();
    for (user, pages) in [
        ("nurse.wang", nurse_pages.to_vec()),
        ("admin", admin_pages.iter().map(|p| p.to_string()).collect()),
    ] {
        let client = browser(&app, user).await;
        for path in &pages {
            let (status, html) = page(&client, &app, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let words = foreign_words(&html);
            if !words.is_empty() {
                found.push(format!("{path} as {user}: {words:?}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "code or English words on Chinese pages:\n{}",
        found.join("\n")
    );

    // The other way: the English pages carry no Chinese of their own — data aside: the
    // patient's and contact's names, stored alert reasons, questionnaires' titles, 中文 (the switch back) and [链接],
    // the placeholder for a link in the patient's Chinese messages, quoted on the outbox page.
    let (_, alerts) = app.get(Some(&nurse), "/api/v1/alerts").await;
    let mut data: Vec<String> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reason"].as_str().unwrap().to_string())
        .collect();
    data.extend(["周桂英", "周强", "中文", "cardio 科", "[链接]"].map(String::from));
    // Questionnaires are the imported instruments' own Chinese documents, titles included.
    let (_, library) = app.get(Some(&nurse), "/api/v1/questionnaires").await;
    data.extend(
        library
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|q| q["title"].as_str().map(str::to_string)),
    );
    data.extend(theirs);
    // The messages the patients received, in Chinese, quoted on the outbox page.
    let (_, outbox) = app.get(Some(&nurse), "/api/v1/outbox").await;
    // Whole bodies first: they hold [链接], which is replaced on its own later.
    let bodies = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_string));
    data.splice(0..0, bodies);
    let client = browser(&app, "nurse.wang").await;
    let res = client.get(app.url("/lang/en?next=%2Fworklist")).send().await.unwrap();
    assert!(res.status().is_redirection());
    let thread = format!("/patients/{replier}/messages");
    for path in [
        "/worklist",
        thread.as_str(),
        "/alerts",
        "/stats",
        "/outbox",
        "/patients/new",
        "/questionnaires",
        "/imports",
        "/inbox",
    ] {
        let (status, html) = page(&client, &app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let text = data.iter().fold(visible_text(&html), |t, d| t.replace(d.as_str(), " "));
        let chinese: String = text.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).collect();
        assert!(chinese.is_empty(), "{path} in English carries Chinese: {chinese}");
    }
}
crate::register!(every_staff_page_is_in_chinese_and_the_english_pages_in_english);
