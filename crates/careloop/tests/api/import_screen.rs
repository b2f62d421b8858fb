//! Imports on screen (导入检查结果): a nurse uploads a file through the page's form as a
//! browser sends it (multipart), reads the report — counts by kind, unknown codes, each problem
//! at its place in Chinese — and finds it again among earlier imports; a refused form keeps
//! what was chosen and says what is wrong.

use crate::helpers::TestApp;
use crate::imports::{bundle, glucose};
use crate::ui::{browser, csrf_of, page};
use reqwest::StatusCode;
use serde_json::json;

const BOUNDARY: &str = "----careloop-test-boundary";

/// A form as a browser encodes it for `enctype="multipart/form-data"`: the text fields, then
/// the file (when there is one) under `file`.
pub(crate) fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

async fn upload(client: &reqwest::Client, app: &TestApp, body: Vec<u8>) -> reqwest::Response {
    client
        .post(app.url("/imports"))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A bundle with one patient, a good glucose, a value in the wrong unit, a code CareLoop does
/// not know (with markup in its name) and a resource type it does not take.
pub(crate) fn mixed_bundle() -> Vec<u8> {
    bundle(vec![
        json!({"resourceType": "Patient", "id": "p1", "name": [{"family": "赵", "given": ["玉兰"]}],
            "gender": "female", "birthDate": "1952-04-18"}),
        glucose("o1", "p1", 6.4, "mmol/L"),
        glucose("o2", "p1", 5.0, "mmHg"),
        json!({"resourceType": "Observation", "id": "o3", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "99999-9", "display": "<b>尿酸</b>"}]},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2025-03-05",
            "valueQuantity": {"value": 400, "unit": "umol/L"}}),
        json!({"resourceType": "Claim", "id": "c1"}),
    ])
}

pub async fn a_nurse_imports_a_file_on_screen_and_reads_its_report(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let client = browser(&app, "nurse.wang").await;
    let (status, form) = page(&client, &app, "/imports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("enctype=\"multipart/form-data\"") && form.contains("导入记录"),
        "{form}"
    );
    let csrf = csrf_of(&form);

    // Refused as a whole: no file; a CSV without a profile; a sender name with a space; no token.
    let fields = |format: &'static str, source: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("format", format.to_string()),
            ("source", source.to_string()),
        ]
    };
    let borrowed = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let encode = |f: Vec<(&'static str, String)>, file: Option<(&str, &[u8])>| {
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        multipart(&refs, file)
    };
    let res = upload(&client, &app, encode(fields("fhir", "lis"), None)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("请选择要导入的文件"));
    let res = upload(
        &client,
        &app,
        encode(fields("csv", "tijian"), Some(("a.csv", b"x,y\n1,2\n"))),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("CSV 和 Excel 文件需选择导入模板"), "{html}");
    assert!(
        html.contains("<option value=\"csv\" selected>") && html.contains("value=\"tijian\""),
        "the refused form keeps what was chosen"
    );
    let res = upload(
        &client,
        &app,
        encode(fields("fhir", "the lis"), Some(("b.json", &mixed_bundle()))),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("来源系统名称应为"));
    let no_token = borrowed(&fields("fhir", "lis")[1..]);
    let res = upload(&client, &app, encode(no_token, Some(("b.json", &mixed_bundle())))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    assert_eq!(list["total"], 0, "nothing refused was stored");

    // All or nothing with a rejected item: the report says nothing was stored.
    let mut strict = fields("fhir", "lis");
    strict.push(("all_or_nothing", "1".into()));
    let res = upload(&client, &app, encode(strict, Some(("b.json", &mixed_bundle())))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("未导入任何数据"), "{html}");
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    assert_eq!(list["total"], 0, "all or nothing stored nothing");

    // Nothing readable: refused with the report, whatever the rule.
    let res = upload(
        &client,
        &app,
        encode(fields("fhir", "lis"), Some(("c.json", b"{not json"))),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("未导入任何数据") && html.contains("id=\"issues\""),
        "{html}"
    );

    // Imported: the report has its own address.
    let res = upload(
        &client,
        &app,
        encode(fields("fhir", "lis"), Some(("b.json", &mixed_bundle()))),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/imports/"), "{to}");
    let (status, report) = page(&client, &app, &to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        report.contains("已导入") && report.contains("nurse.wang"),
        "who imported it: {report}"
    );
    let counts = crate::helpers::section(&report, "counts");
    let row = |kind: &str| {
        let start = counts
            .find(&format!("<td>{kind}</td>"))
            .unwrap_or_else(|| panic!("{kind}: {counts}"));
        let end = counts[start..].find("</tr>").unwrap() + start;
        counts[start..end]
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.split('<').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(row("患者"), ["1", "0", "0", "0"], "{counts}");
    assert_eq!(row("检验检查值")[..2], ["1".to_string(), "0".to_string()]);
    assert!(
        row("检验检查值")[3].is_empty(),
        "rejected values are shown in bold: {counts}"
    );
    assert!(counts.contains("<strong class=\"error\">1</strong>"), "{counts}");
    let issues = crate::helpers::section(&report, "issues");
    assert!(
        issues.contains("<code>entry[2].unit</code>") && issues.contains("错误（未导入）"),
        "the wrong unit at its place: {issues}"
    );
    let unknown = crate::helpers::section(&report, "unknown-codes");
    assert!(unknown.contains("99999-9"), "{unknown}");
    assert!(
        !unknown.contains("<b>尿酸</b>"),
        "the sender's text is escaped: {unknown}"
    );
    assert!(crate::helpers::section(&report, "skipped").contains("<code>Claim</code>"));
    assert!(!report.contains("玉兰"), "a report never repeats the patient's details");

    // Among earlier imports, on screen and in the API.
    let (status, list_page) = page(&client, &app, "/imports").await;
    assert_eq!(status, StatusCode::OK, "{list_page}");
    let batches = crate::helpers::section(&list_page, "batches");
    assert!(
        batches.contains(&format!("href=\"{to}\"")) && batches.contains("nurse.wang"),
        "{batches}"
    );
    let (status, listed) = app.get(Some(&nurse), "/api/v1/import/batches").await;
    assert_eq!(status, StatusCode::OK);
    // The batch all or nothing refused is not recorded; the unreadable file is, with its error.
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    let id = to.trim_start_matches("/imports/");
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["created_by"], "nurse.wang");
    let (status, stored) = app.get(Some(&nurse), &format!("/api/v1/import/batches/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["observations"]["created"], 1);
    assert_eq!(stored["unknown_codes"][0]["code"], "99999-9");
    let (status, _) = app
        .get(
            Some(&nurse),
            &format!("/api/v1/import/batches/{}", uuid::Uuid::now_v7()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = page(&client, &app, &format!("/imports/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
crate::register!(a_nurse_imports_a_file_on_screen_and_reads_its_report);
