use super::*;
use careloop_domain::import::Severity;
use time::macros::datetime;

const PROFILE: &str = include_str!("../testdata/tijian-profile.json");
const CSV: &[u8] = include_bytes!("../testdata/tijian.csv");
const XLSX: &[u8] = include_bytes!("../testdata/tijian.xlsx");

fn profile() -> Profile {
    Profile::parse(PROFILE).unwrap()
}

fn check(b: &ImportBatch) {
    assert_eq!(b.patients.len(), 4);
    assert_eq!(b.patients[1].input.birth_date.as_deref(), Some("1961-08-15"));
    assert_eq!(b.patients[1].input.phone.as_deref(), Some("13900001111"));
    assert_eq!(b.patients[0].key, "row/TJ0001");
    // 5 + 5 + 3 (one of them 阴性) + 5 values; the last row names no patient.
    assert_eq!(b.received, 19);
    assert_eq!(b.observations.len(), 17);
    let sbp = &b.observations[0];
    assert_eq!(
        (sbp.code.as_str(), sbp.value, sbp.unit.as_deref()),
        ("sbp", 152.0, None)
    );
    let tc = b.observations.iter().find(|o| o.code == "tc").unwrap();
    assert_eq!((tc.value, tc.unit.as_deref()), (232.0, Some("mg/dL")));
    let third = b
        .observations
        .iter()
        .find(|o| o.key.starts_with("row/TJ0003/"))
        .unwrap();
    assert_eq!(third.effective_at, datetime!(2024-03-07 09:30 +8));
    let issues: Vec<(&str, &str, Severity)> = b
        .issues
        .iter()
        .map(|i| (i.location.as_str(), i.code.as_str(), i.severity))
        .collect();
    assert!(
        issues.contains(&("row 4 column 空腹血糖", "value_invalid", Severity::Error)),
        "{issues:?}"
    );
    assert!(
        issues.contains(&("row 4 column 手机号", "phone_not_mobile", Severity::Warning)),
        "{issues:?}"
    );
    assert!(
        issues.contains(&("row 6 column 体检号", "patient_id_missing", Severity::Error)),
        "{issues:?}"
    );
}

#[test]
fn a_wide_csv_export_maps_through_its_profile() {
    let b = read_csv(CSV, &profile(), "");
    check(&b);
    assert_eq!(b.observations[0].effective_at, datetime!(2024-03-05 0:00 +8));
}

#[test]
fn the_same_export_in_gb18030_reads_the_same() {
    let text = std::str::from_utf8(CSV).unwrap();
    let (gbk, _, _) = encoding_rs::GB18030.encode(text);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
    check(&read_csv(&gbk, &profile(), ""));
}

#[test]
fn the_same_export_as_xlsx_reads_the_same_with_a_real_excel_date() {
    let b = read_xlsx(XLSX, &profile(), "tijian.xlsx");
    assert_eq!(b.patients.len(), 4);
    assert_eq!(b.observations.len(), 17);
    assert_eq!(
        b.observations[0].effective_at,
        datetime!(2024-03-05 08:15 +8),
        "a date-time cell"
    );
    assert!(
        b.issues
            .iter()
            .any(|i| i.location == "tijian.xlsx row 4 column 空腹血糖")
    );
}

#[test]
fn a_long_lis_export_maps_item_codes() {
    let p = Profile::parse(
        r#"{"id": "lis", "name": "检验系统", "patient": {"key": "病历号"}, "taken_at": "报告时间",
            "long": {"code": "项目", "value": "结果", "unit": "单位", "codes": {"GLU": "fpg", "CHOL": "tc"}}}"#,
    )
    .unwrap();
    let csv = "病历号,项目,结果,单位,报告时间\nM1,GLU,126,mg/dL,2025-01-02 08:00\nM1,CHOL,5.2,mmol/L,2025-01-02 08:00\nM1,WBC,6.1,10^9/L,2025-01-02 08:00\n";
    let b = read_csv(csv.as_bytes(), &p, "");
    assert_eq!(b.observations.len(), 2);
    assert_eq!(
        (b.observations[0].code.as_str(), b.observations[0].unit.as_deref()),
        ("fpg", Some("mg/dL"))
    );
    assert_eq!(b.unknown_codes["item code|WBC"].count, 1);
}

#[test]
fn a_header_without_the_profiles_columns_is_one_clear_error() {
    let b = read_csv("体检号,姓名\nTJ1,张三\n".as_bytes(), &profile(), "");
    assert_eq!(b.issues.len(), 1);
    assert_eq!(b.issues[0].code, "column_missing");
    assert!(b.issues[0].message.contains("收缩压"));
}

#[test]
fn profiles_are_checked_when_saved() {
    let bad = |json: &str| Profile::parse(json).unwrap_err().field;
    let base = r#""id": "x", "name": "n", "patient": {"key": "k"}, "taken_at": "d""#;
    assert_eq!(bad(&format!("{{{base}}}")), "values");
    assert_eq!(
        bad(&format!(r#"{{{base}, "values": [{{"column": "a", "code": "nope"}}]}}"#)),
        "values[0].code"
    );
    assert_eq!(
        bad(&format!(
            r#"{{{base}, "values": [{{"column": "a", "code": "sbp", "unit": "mmol/L"}}]}}"#
        )),
        "values[0].unit"
    );
    assert_eq!(
        bad(&format!(r#"{{{base}, "values": [{{"column": "k", "code": "sbp"}}]}}"#)),
        "values"
    );
    assert_eq!(
        bad(r#"{"id": "x", "name": "n", "patient": {}, "taken_at": "d", "values": []}"#),
        "patient"
    );
    assert_eq!(
        bad(r#"{"id": "x y", "name": "n", "patient": {"key": "k"}, "taken_at": "d"}"#),
        "id"
    );
    assert_eq!(
        bad(r#"{"id": "x", "name": "n", "patient": {"key": "k"}, "taken_at": "d", "extra": 1}"#),
        "extra"
    );
}

#[test]
fn chinese_date_forms_read() {
    use time::macros::date;
    for s in ["2024-03-05", "2024/3/5", "2024.03.05", "2024年3月5日", "20240305"] {
        assert_eq!(cells::date(s), Some(date!(2024 - 03 - 05)), "{s}");
    }
    assert_eq!(cells::date("2024-02-30"), None);
    assert_eq!(
        cells::date_time("2024-03-05 9:30"),
        Some(datetime!(2024-03-05 09:30 +8))
    );
}

#[test]
fn a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_unpacked() {
    let within = crate::cells::xlsx_table_within(XLSX, None, Budget::default());
    assert!(within.is_ok(), "{:?}", within.err());
    let tight = Budget {
        max_unpacked: 1024,
        ..Budget::default()
    };
    let Err(err) = crate::cells::xlsx_table_within(XLSX, None, tight) else {
        panic!("a 1 KB limit let the workbook through")
    };
    assert!(err.contains("unpacks to") && err.contains("more than"), "{err}");
}

/// A cell in the sheet's last row and column costs one cell: calamine's dense grid of the
/// same sheet would be 2^14 × 2^20 cells (hundreds of gigabytes; the allocation aborts the
/// server). Past the column budget it is refused; rows keep the sheet's own numbers.
#[test]
fn far_apart_cells_cost_what_they_hold() {
    use crate::testing::{text_cell, workbook};
    let rows = format!(
        r#"<row r="2">{}{}</row><row r="1048576">{}</row>"#,
        text_cell("B2", "体检号"),
        text_cell("D2", "姓名"),
        text_cell("B1048576", "TJ001")
    );
    let table = crate::cells::xlsx_table(&workbook(&rows), None).expect("read");
    assert_eq!(table.header, ["体检号", "", "姓名"], "columns from the first one used");
    assert_eq!(table.rows, [(1_048_576, vec!["TJ001".to_string()])]);

    let far = format!(
        r#"<row r="1">{}{}</row>"#,
        text_cell("A1", "体检号"),
        text_cell("XFD1048576", "x")
    );
    let started = std::time::Instant::now();
    let Err(err) = crate::cells::xlsx_table(&workbook(&far), None) else {
        panic!("a cell in column XFD was let through")
    };
    assert!(err.contains("more than 1024 columns"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

/// Reading stops once its time is spent, with a message that says what to do.
#[test]
fn a_workbook_past_its_time_is_refused() {
    let spent = Budget {
        time: std::time::Duration::ZERO,
        ..Budget::default()
    };
    let Err(err) = crate::cells::xlsx_table_within(XLSX, None, spent) else {
        panic!("no time, yet the workbook was read")
    };
    assert!(err.contains("took more than 0 s"), "{err}");
}
