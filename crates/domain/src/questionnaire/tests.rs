//! Questionnaire import, response checking and scoring, against the HL7 SDC PHQ-9 example
//! (copied unchanged from ../shared/testdata; a test keeps the copy identical) and the
//! built-in PHQ-9 / GAD-7.

use super::enable::Answers;
use super::instrument::Instrument;
use super::response::{Status, check};
use super::*;
use serde_json::json;

const SDC_Q: &str = include_str!("../../testdata/hl7-sdc-questionnaires/questionnaire-sdc-profile-example-PHQ9.json");
const SDC_R: &str =
    include_str!("../../testdata/hl7-sdc-questionnaires/questionnaireresponse-sdc-profile-example-PHQ9.json");

fn parse(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn builtin_q(id: &str) -> Questionnaire {
    builtin().unwrap().into_iter().find(|(i, _)| *i == id).unwrap().1
}

#[test]
fn the_fixture_is_the_shared_test_data_unchanged() {
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/hl7-sdc-questionnaires/"
    );
    for (name, ours) in [
        ("questionnaire-sdc-profile-example-PHQ9.json", SDC_Q),
        ("questionnaireresponse-sdc-profile-example-PHQ9.json", SDC_R),
    ] {
        // Present on a development machine; a bare clone has only the copy.
        if let Ok(original) = std::fs::read_to_string(format!("{shared}{name}")) {
            assert_eq!(original, ours, "{name} differs from ../shared/testdata");
        }
    }
}

#[test]
fn the_sdc_phq9_example_imports_and_its_response_validates_and_scores() {
    let q = Questionnaire::from_value(parse(SDC_Q)).unwrap();
    assert_eq!(q.resource, parse(SDC_Q), "kept exactly as imported");
    assert_eq!(q.all_items().len(), 11);
    let q9 = q.find("H1/T1/Q9").unwrap();
    assert_eq!(q9.options.len(), 4, "options come from the contained ValueSet");
    assert_eq!(q9.options[3].score, Some(3.0));
    assert!(q.find("H1/TS").unwrap().calculated);
    assert_eq!(
        Instrument::of(&q),
        Some(Instrument::Phq9),
        "recognised by its total-score code"
    );

    let checked = check(&q, &parse(SDC_R)).unwrap();
    assert_eq!(checked.status, Status::Completed);
    // 0+0+0+1+2+1+3+2+1: the example's own total says 13, which its answers do not add up to.
    assert_eq!(checked.score, Some(10.0));
    assert_eq!(checked.warnings.len(), 1, "{:?}", checked.warnings);
    assert!(checked.warnings[0].contains("13") && checked.warnings[0].contains("10"));
    assert_eq!(Instrument::Phq9.band(10.0).unwrap().code, "moderate");
    assert!(
        Instrument::Phq9.urgent_reason(&q, &checked.answers).is_some(),
        "item 9 was answered 'Several days'"
    );
}

#[test]
fn phq9_and_gad7_bands_cover_every_total_exactly_once() {
    for (inst, max) in [(Instrument::Phq9, 27), (Instrument::Gad7, 21)] {
        for total in 0..=max {
            let hits = inst
                .bands()
                .iter()
                .filter(|b| (b.low..=b.high).contains(&(total as f64)))
                .count();
            assert_eq!(hits, 1, "{inst:?} total {total}");
        }
        assert!(inst.band(max as f64 + 1.0).is_none());
    }
    let edges = [
        (4.0, "none_minimal"),
        (5.0, "mild"),
        (9.0, "mild"),
        (10.0, "moderate"),
        (14.0, "moderate"),
        (15.0, "moderately_severe"),
        (19.0, "moderately_severe"),
        (20.0, "severe"),
        (27.0, "severe"),
    ];
    for (s, code) in edges {
        assert_eq!(Instrument::Phq9.band(s).unwrap().code, code, "PHQ-9 {s}");
    }
    for (s, code) in [
        (4.0, "minimal"),
        (5.0, "mild"),
        (10.0, "moderate"),
        (14.0, "moderate"),
        (15.0, "severe"),
        (21.0, "severe"),
    ] {
        assert_eq!(Instrument::Gad7.band(s).unwrap().code, code, "GAD-7 {s}");
    }
}

/// A completed response to a built-in with the given option codes, one per question.
fn response(codes: &[u8]) -> Value {
    let items: Vec<Value> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"linkId": format!("q{}", i + 1), "answer": [{"valueCoding": {"code": c.to_string()}}]}))
        .collect();
    json!({"resourceType": "QuestionnaireResponse", "status": "completed", "item": [{"linkId": "g", "item": items}]})
}

#[test]
fn scores_are_the_sum_of_the_chosen_options_for_many_answer_sets() {
    // Deterministic pseudo-random answer sets (a property test without a generator crate).
    let (phq, gad) = (builtin_q("phq-9"), builtin_q("gad-7"));
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..500 {
        let mut codes = Vec::new();
        for _ in 0..9 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            codes.push((x % 4) as u8);
        }
        let want: u32 = codes.iter().map(|c| u32::from(*c)).sum();
        let got = check(&phq, &response(&codes)).unwrap();
        assert_eq!(got.score, Some(f64::from(want)));
        assert_eq!(
            Instrument::Phq9.urgent_reason(&phq, &got.answers).is_some(),
            codes[8] > 0,
            "item 9 alone decides urgency: {codes:?}"
        );
        let g = check(&gad, &response(&codes[..7])).unwrap();
        assert_eq!(
            g.score,
            Some(f64::from(codes[..7].iter().map(|c| u32::from(*c)).sum::<u32>()))
        );
        assert!(Instrument::Gad7.urgent_reason(&gad, &g.answers).is_none());
    }
}

#[test]
fn a_partial_save_is_in_progress_and_a_completed_one_must_answer_every_required_item() {
    let phq = builtin_q("phq-9");
    let mut partial = response(&[1, 2, 0]);
    partial["status"] = json!("in-progress");
    let saved = check(&phq, &partial).unwrap();
    assert_eq!((saved.status, saved.score), (Status::InProgress, Some(3.0)));
    partial["status"] = json!("completed");
    let errors = check(&phq, &partial).unwrap_err();
    let missing: Vec<&str> = errors
        .iter()
        .filter(|e| e.code == "required")
        .map(|e| e.link_id.as_str())
        .collect();
    assert_eq!(missing, ["q4", "q5", "q6", "q7", "q8", "q9"]);
}

fn errors_of(q: &Questionnaire, items: Value) -> Vec<(String, &'static str)> {
    let r = json!({"resourceType": "QuestionnaireResponse", "status": "completed", "item": items});
    match check(q, &r) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_iter().map(|e| (e.link_id, e.code)).collect(),
    }
}

#[test]
fn each_kind_of_bad_answer_is_reported_on_its_item() {
    let q = Questionnaire::from_value(json!({"resourceType": "Questionnaire", "item": [
        {"linkId": "name", "type": "string", "maxLength": 4},
        {"linkId": "temp", "type": "decimal", "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueDecimal": 34},
            {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDecimal": 43}]},
        {"linkId": "when", "type": "date"},
        {"linkId": "pain", "type": "choice", "answerOption": [{"valueString": "无"}, {"valueString": "有"}]},
        {"linkId": "where", "type": "open-choice", "answerOption": [{"valueString": "头"}], "enableWhen": [
            {"question": "pain", "operator": "=", "answerString": "有"}]},
        {"linkId": "note", "type": "display", "text": "谢谢"},
        {"linkId": "meds", "type": "string", "repeats": true},
        {"linkId": "smoke", "type": "boolean", "required": true}
    ]}))
    .unwrap();
    let ok = json!([
        {"linkId": "name", "answer": [{"valueString": "王五"}]},
        {"linkId": "temp", "answer": [{"valueDecimal": 37.2}]},
        {"linkId": "when", "answer": [{"valueDate": "2026-02-28"}]},
        {"linkId": "pain", "answer": [{"valueString": "有"}]},
        {"linkId": "where", "answer": [{"valueString": "膝盖"}]},
        {"linkId": "meds", "answer": [{"valueString": "二甲双胍"}, {"valueString": "阿司匹林"}]},
        {"linkId": "smoke", "answer": [{"valueBoolean": false}]}
    ]);
    assert_eq!(
        errors_of(&q, ok.clone()),
        [],
        "open-choice takes free text, repeats take many"
    );
    let with = |link: &str, answer: Value| {
        let mut items = ok.as_array().unwrap().clone();
        items.retain(|i| i["linkId"] != link);
        items.push(json!({"linkId": link, "answer": answer}));
        Value::Array(items)
    };
    let cases = [
        (with("name", json!([{"valueString": "王五六七八"}])), "name", "too_long"),
        (with("temp", json!([{"valueDecimal": 48}])), "temp", "out_of_range"),
        (with("temp", json!([{"valueString": "37"}])), "temp", "type_mismatch"),
        (
            with("when", json!([{"valueDate": "2026-02-30"}])),
            "when",
            "type_mismatch",
        ),
        (with("pain", json!([{"valueString": "剧痛"}])), "pain", "not_an_option"),
        (with("note", json!([{"valueString": "x"}])), "note", "not_answerable"),
        (
            with("name", json!([{"valueString": "a"}, {"valueString": "b"}])),
            "name",
            "repeats",
        ),
        (with("ghost", json!([{"valueString": "x"}])), "ghost", "unknown_item"),
        (with("name", json!([{}])), "name", "value_missing"),
    ];
    for (items, link, code) in cases {
        let mut want = vec![(link.to_string(), code)];
        if link == "pain" {
            // The refused answer does not count, so the follow-up question is hidden again.
            want.push(("where".to_string(), "answer_to_disabled"));
        }
        assert_eq!(errors_of(&q, items), want, "{link} {code}");
    }
    // Answering a question the skip logic hides, and leaving out a required one.
    let mut hidden = with("pain", json!([{"valueString": "无"}]));
    assert_eq!(
        errors_of(&q, hidden.clone()),
        [("where".to_string(), "answer_to_disabled")]
    );
    hidden
        .as_array_mut()
        .unwrap()
        .retain(|i| i["linkId"] != "where" && i["linkId"] != "smoke");
    assert_eq!(errors_of(&q, hidden), [("smoke".to_string(), "required")]);
}

#[test]
fn broken_questionnaires_are_refused_with_the_field() {
    let base = parse(SDC_Q);
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut v = base.clone();
    v["resourceType"] = json!("Patient");
    cases.push((v, "resourceType"));
    let mut v = base.clone();
    v["item"][0]["item"][1]["linkId"] = json!("H1/T1/Q1");
    cases.push((v, "item[0].item[1].linkId"));
    let mut v = base.clone();
    v["item"][0]["item"][0]["type"] = json!("multiple");
    cases.push((v, "item[0].item[0].type"));
    let mut v = base.clone();
    v["item"][0]["item"][0]["answerValueSet"] = json!("#missing");
    cases.push((v, "item[0].item[0].answerValueSet"));
    let mut v = base.clone();
    v["item"][0]["item"][1]["enableWhen"] = json!([{"question": "nope", "operator": "exists", "answerBoolean": true}]);
    cases.push((v, "item[0].item[1].enableWhen[0].question"));
    let mut v = base.clone();
    v["item"][0]["item"][1]["enableWhen"] = json!([{"question": "H1/T1/Q1", "operator": "~", "answerBoolean": true}]);
    cases.push((v, "item[0].item[1].enableWhen[0].operator"));
    let mut v = base;
    v["item"] = json!([]);
    cases.push((v, "item"));
    for (doc, field) in cases {
        assert_eq!(Questionnaire::from_value(doc).unwrap_err().field, field);
    }
}

#[test]
fn builtins_carry_their_loinc_codes_and_chinese_wording() {
    let phq = builtin_q("phq-9");
    assert_eq!(Instrument::of(&phq), Some(Instrument::Phq9));
    assert!(
        phq.find("q9")
            .unwrap()
            .codes
            .contains(&"http://loinc.org|44260-8".to_string())
    );
    assert!(phq.find("q9").unwrap().text.contains("伤害自己"));
    let gad = builtin_q("gad-7");
    assert_eq!(Instrument::of(&gad), Some(Instrument::Gad7));
    assert_eq!(gad.all_items().iter().filter(|i| i.kind == ItemType::Choice).count(), 7);
    let _unused: Answers = Answers::new();
}
