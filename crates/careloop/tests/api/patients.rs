use crate::helpers::{TestApp, id_number};
use reqwest::StatusCode;
use serde_json::json;

pub async fn enrolment_returns_id_and_card_number_and_derives_from_the_id_number(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let body = json!({"name": "张三丰", "id_number": "11010519491231002X", "phone": "+86 138-1234-5678",
        "address": "北京市东城区", "emergency_contact_name": "张无忌", "emergency_contact_phone": "13900000000"});
    let (status, res) = app.post(Some(&nurse), "/api/v1/patients", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    let card = res["card_number"].as_str().unwrap();
    assert!(careloop_domain::card::is_valid(card), "{card}");
    let id = res["id"].as_str().unwrap();
    let (status, p) = app.get(Some(&nurse), &format!("/api/v1/patients/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["birth_date"], "1949-12-31");
    assert_eq!(p["sex"], "female");
    assert_eq!(p["phone"], "13812345678");
    assert_eq!(p["department"], "cardio", "defaults to the nurse's department");
    assert_eq!(p["card_number"], card);
}
crate::register!(enrolment_returns_id_and_card_number_and_derives_from_the_id_number);

pub async fn a_wrong_id_check_digit_is_rejected(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let (status, res) = app
        .post(
            Some(&nurse),
            "/api/v1/patients",
            &json!({"name": "张三", "id_number": "110105194912310021", "phone": "13812345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["field"], "id_number");
    assert_eq!(res["error"]["code"], "id_number_checksum");
}
crate::register!(a_wrong_id_check_digit_is_rejected);

pub async fn a_birth_date_contradicting_the_id_number_is_rejected(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let body =
        json!({"name": "张三", "id_number": "11010519491231002X", "birth_date": "1950-01-01", "phone": "13812345678"});
    let (status, res) = app.post(Some(&nurse), "/api/v1/patients", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["field"], "birth_date");
    let body = json!({"name": "张三", "sex": "male", "birth_date": "2023-02-29", "phone": "13812345678"});
    let (status, res) = app.post(Some(&nurse), "/api/v1/patients", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["code"], "date_invalid");
    let body = json!({"name": "张三", "sex": "male", "birth_date": "1950-01-01", "phone": "12345"});
    let (_, res) = app.post(Some(&nurse), "/api/v1/patients", &body).await;
    assert_eq!(res["error"]["field"], "phone");
}
crate::register!(a_birth_date_contradicting_the_id_number_is_rejected);

pub async fn a_duplicate_id_number_is_a_conflict_and_writes_nothing(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    app.enrol(
        &nurse,
        json!({"name": "张三丰", "id_number": "11010519491231002X", "phone": "13812345678"}),
    )
    .await;
    let (status, res) = app
        .post(
            Some(&nurse),
            "/api/v1/patients",
            &json!({"name": "张君宝", "id_number": "11010519491231002X", "phone": "13812345679"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{res}");
    assert_eq!(res["error"]["field"], "id_number");
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    assert_eq!(list["total"], 1);
}
crate::register!(a_duplicate_id_number_is_a_conflict_and_writes_nothing);

pub async fn a_batch_with_one_bad_patient_enrols_nobody(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let batch = json!([
        {"name": "甲", "id_number": id_number("1970-01-01", true, 1), "phone": "13800000001"},
        {"name": "乙", "id_number": id_number("1970-01-02", false, 2), "phone": "1380000000"},
    ]);
    let (status, res) = app.post(Some(&nurse), "/api/v1/patients/batch", &batch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["field"], "[1].phone");
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    assert_eq!(list["total"], 0);
    let mut ok = batch.clone();
    ok[1]["phone"] = json!("13800000002");
    let (status, res) = app.post(Some(&nurse), "/api/v1/patients/batch", &ok).await;
    assert_eq!(status, StatusCode::CREATED, "{res}");
    assert_eq!(res.as_array().unwrap().len(), 2);
}
crate::register!(a_batch_with_one_bad_patient_enrols_nobody);

pub async fn search_matches_name_pinyin_phone_id_and_card(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = "11010519491231002X";
    let zsf = app
        .enrol(
            &nurse,
            json!({"name": "张三丰", "id_number": id, "phone": "13812345678"}),
        )
        .await;
    app.enrol(
        &nurse,
        json!({"name": "李四", "id_number": id_number("1980-02-02", true, 7), "phone": "13987654321"}),
    )
    .await;
    for i in 0..25 {
        app.enrol_simple(&nurse, &format!("王{i}"), 100 + i).await;
    }
    let (_, card) = app.get(Some(&nurse), &format!("/api/v1/patients/{zsf}")).await;
    let card = card["card_number"].as_str().unwrap().to_string();
    for q in [
        "zsf",
        "ZSF",
        "zhangsan",
        "张三",
        "张",
        "1381234",
        "13812345678",
        id,
        "110105194912",
        &card,
    ] {
        let (status, res) = app
            .get(Some(&nurse), &format!("/api/v1/patients?q={}", urlencode(q)))
            .await;
        assert_eq!(status, StatusCode::OK);
        let ids: Vec<&str> = res["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&zsf.as_str()), "query {q} should find 张三丰, got {res}");
        assert!(
            !ids.is_empty() && res["total"].as_i64().unwrap() <= 2,
            "query {q} too broad: {res}"
        );
    }
    let (_, none) = app.get(Some(&nurse), "/api/v1/patients?q=zzz").await;
    assert_eq!(none["total"], 0);
    let (_, page1) = app.get(Some(&nurse), "/api/v1/patients?q=w&per_page=10").await;
    assert_eq!(page1["total"], 25);
    assert_eq!(page1["items"].as_array().unwrap().len(), 10);
    let (_, page3) = app.get(Some(&nurse), "/api/v1/patients?q=w&per_page=10&page=3").await;
    assert_eq!(page3["items"].as_array().unwrap().len(), 5);
    assert_ne!(page1["items"][0]["id"], page3["items"][0]["id"]);
}
crate::register!(search_matches_name_pinyin_phone_id_and_card);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub async fn lists_mask_identifiers_and_the_detail_shows_them(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app
        .enrol(
            &nurse,
            json!({"name": "张三丰", "id_number": "11010519491231002X", "phone": "13812345678"}),
        )
        .await;
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    assert_eq!(list["items"][0]["id_number"], "110105********002X");
    assert_eq!(list["items"][0]["phone"], "138****5678");
    assert!(!list.to_string().contains("13812345678"));
    let (_, p) = app.get(Some(&nurse), &format!("/api/v1/patients/{id}")).await;
    assert_eq!(p["id_number"], "11010519491231002X");
}
crate::register!(lists_mask_identifiers_and_the_detail_shows_them);

pub async fn nurses_see_only_their_department(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    app.department("endo").await;
    let endo_nurse = app.user("nurse.zhang", "nurse", Some("endo")).await;
    let mine = app.enrol_simple(&nurse, "王一", 1).await;
    let theirs = app.enrol_simple(&endo_nurse, "赵二", 2).await;
    let (_, list) = app.get(Some(&nurse), "/api/v1/patients").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], mine.as_str());
    let (status, _) = app.get(Some(&nurse), &format!("/api/v1/patients/{theirs}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .get(Some(&nurse), &format!("/api/v1/patients/{theirs}/observations"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body = json!({"name": "钱三", "id_number": id_number("1970-03-03", true, 3), "phone": "13800000003", "department": "endo"});
    let (status, _) = app.post(Some(&nurse), "/api/v1/patients", &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "cannot enrol into another department");
    let (status, _) = app
        .patch(
            Some(&nurse),
            &format!("/api/v1/patients/{mine}"),
            &json!({"department": "endo"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "cannot move a patient out of reach");
    let (_, all) = app.get(Some(&admin), "/api/v1/patients").await;
    assert_eq!(all["total"], 2);
}
crate::register!(nurses_see_only_their_department);

pub async fn edits_are_validated_as_a_whole(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app
        .enrol(
            &nurse,
            json!({"name": "张三丰", "id_number": "11010519491231002X", "phone": "13812345678"}),
        )
        .await;
    let path = format!("/api/v1/patients/{id}");
    let (status, p) = app
        .patch(
            Some(&nurse),
            &path,
            &json!({"phone": "13900001111", "address": "新地址"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["phone"], "13900001111");
    assert_eq!(p["name"], "张三丰");
    let (status, res) = app.patch(Some(&nurse), &path, &json!({"sex": "male"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res["error"]["code"], "sex_mismatch");
    let (_, p) = app.get(Some(&nurse), &path).await;
    assert_eq!(p["sex"], "female", "a rejected edit changes nothing");
}
crate::register!(edits_are_validated_as_a_whole);

/// Staff record a death they learned of (登记死亡): the patient's plans stop and none can
/// start; a future date or a second report is refused; only an admin can undo a mistaken one,
/// after which staff may enrol the patient again by hand. The page carries both forms.
pub async fn staff_record_a_death_and_an_admin_can_undo_a_mistaken_one(app: TestApp) {
    let (admin, nurse) = app.admin_and_nurse().await;
    let id = app.enrol_simple(&nurse, "孙建国", 4).await;
    let today = careloop_domain::clock::local_today(crate::helpers::now());
    let plans = format!("/api/v1/patients/{id}/plans");
    let plan = json!({"protocol": "post-discharge-surgery", "anchor_date": today.to_string()});
    let (status, _) = app.post(Some(&nurse), &plans, &plan).await;
    assert_eq!(status, StatusCode::CREATED);
    let death = format!("/api/v1/patients/{id}/death");
    let tomorrow = (today + time::Duration::days(1)).to_string();
    let (status, err) = app.post(Some(&nurse), &death, &json!({"died_on": tomorrow})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "died_on");

    let client = crate::ui::browser(&app, "nurse.wang").await;
    let path = format!("/patients/{id}");
    let (_, html) = crate::ui::page(&client, &app, &path).await;
    assert!(
        html.contains(&format!("action=\"/patients/{id}/death\"")),
        "the form is offered"
    );
    let csrf = crate::ui::csrf_of(&html);
    let form = [("csrf", csrf), ("died_on", today.to_string())];
    let res = client
        .post(app.url(&format!("{path}/death")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, p) = app
        .get(Some(&nurse), &path.replace("/patients", "/api/v1/patients"))
        .await;
    assert!(p["deceased_at"].is_string(), "{p}");
    let (_, now_plans) = app.get(Some(&nurse), &plans).await;
    assert_eq!(now_plans[0]["status_reason"], "deceased", "{now_plans}");
    let (status, _) = app
        .post(Some(&nurse), &death, &json!({"died_on": today.to_string()}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "recorded once");
    let (status, _) = app.post(Some(&nurse), &plans, &plan).await;
    assert_eq!(status, StatusCode::CONFLICT, "no plan starts");
    let (_, html) = crate::ui::page(&client, &app, &path).await;
    assert!(html.contains("id=\"deceased\""), "shown");
    assert!(!html.contains("/death/clear"), "nurses cannot undo it");

    let (status, _) = app.delete(Some(&nurse), &death).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, p) = app.delete(Some(&admin), &death).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert!(p["deceased_at"].is_null(), "{p}");
    let (_, still) = app.get(Some(&nurse), &plans).await;
    assert_eq!(still[0]["status"], "stopped", "stopped plans stay stopped");
    let (status, _) = app.post(Some(&nurse), &plans, &plan).await;
    assert_eq!(status, StatusCode::CREATED, "staff may enrol again by hand");
    let (status, _) = app.delete(Some(&admin), &death).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing to undo");
}
crate::register!(staff_record_a_death_and_an_admin_can_undo_a_mistaken_one);

/// A removed tag leaves no copy of itself in the SQLite file: a tag may name a condition
/// (乳腺癌术后), and with `secure_delete` a deleted row's bytes are zeroed, where before a copy of
/// the file (a backup, a stolen disk) still held it in the page's free space. SQLite only:
/// PostgreSQL keeps old row versions until VACUUM by design.
pub async fn a_removed_tag_leaves_no_copy_in_the_sqlite_file(app: TestApp) {
    let (_, nurse) = app.admin_and_nurse().await;
    let id = app.enrol_simple(&nurse, "删标签", 81).await;
    let secret = "乳腺癌术后化疗随访观察";
    for tag in ["高血压", "糖尿病前期", secret, "吸烟", "独居老人", "家庭医生签约"] {
        let (status, res) = app
            .post(
                Some(&nurse),
                &format!("/api/v1/patients/{id}/tags"),
                &json!({"tag": tag}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
    }
    let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let (status, res) = app
        .delete(Some(&nurse), &format!("/api/v1/patients/{id}/tags/{encoded}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{res}");
    // Closing the last connection moves every committed page from the write-ahead log into
    // the file.
    app.db.close().await;
    let file = app.db_url.trim_start_matches("sqlite://");
    let bytes = std::fs::read(file).unwrap();
    let found = |hay: &[u8], s: &str| hay.windows(s.len()).any(|w| w == s.as_bytes());
    assert!(found(&bytes, "独居老人"), "the file read holds the tags kept");
    assert!(!found(&bytes, secret), "the removed tag is still in the file");
    let wal = std::fs::read(format!("{file}-wal")).unwrap_or_default();
    assert!(!found(&wal, secret), "the removed tag is still in the log");
}
crate::register!(sqlite: a_removed_tag_leaves_no_copy_in_the_sqlite_file);
