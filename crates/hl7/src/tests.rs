use super::*;
use careloop_domain::import::Severity;
use time::macros::datetime;

const SAMPLE: &str = include_str!("../../../testdata/hl7v2-fhir-converter/ORU-R01-RMGEAD.hl7");
const LAB: &str = include_str!("../../../testdata/hl7v2-fhir-converter/LAB-ORU-1.hl7");
const ADT: &str = include_str!("../../../testdata/hl7v2-fhir-converter/ADT-A01-01.hl7");

/// The shared sample as sent (LF), and converted to the standard CR and to CRLF.
fn separators(text: &str) -> [String; 3] {
    let lf = text.replace("\r\n", "\n").replace('\r', "\n");
    [lf.clone(), lf.replace('\n', "\r"), lf.replace('\n', "\r\n")]
}

#[test]
fn the_glucose_sample_reads_the_same_with_lf_cr_and_crlf() {
    for text in separators(SAMPLE) {
        let b = read(&text, "");
        assert_eq!(b.received, 1, "one OBX");
        let p = &b.patients[0];
        assert_eq!(p.key, "PID/555-44-4444");
        assert_eq!(p.input.name.as_deref(), Some("EVE EVERYWOMAN"));
        assert_eq!(p.input.sex.as_deref(), Some("F"));
        assert_eq!(p.input.birth_date.as_deref(), Some("1962-03-20"));
        assert_eq!(p.input.phone, None);
        let o = &b.observations[0];
        // 1554-5 is fasting glucose (12 h), sent as SN ^182 mg/dl.
        assert_eq!(
            (o.code.as_str(), o.value, o.unit.as_deref()),
            ("1554-5", 182.0, Some("mg/dl"))
        );
        assert_eq!(o.effective_at, datetime!(2002-02-15 07:30 +6));
        assert_eq!(o.key, "OBR/1045813/1554-5/1");
        assert_eq!(b.reports[0].results, vec![o.key.clone()]);
        assert_eq!(
            (b.reports[0].code.as_deref(), b.reports[0].title.as_str()),
            (Some("15545"), "GLUCOSE")
        );
        assert!(b.issues.iter().any(|i| i.code == "phone_not_mobile"));
    }
}

#[test]
fn preliminary_results_are_left_out_and_unknown_codes_counted() {
    let b = read(LAB, "LAB-ORU-1.hl7");
    assert_eq!(b.received, 10, "ten OBX segments");
    assert!(b.observations.is_empty());
    assert_eq!(b.reports.len(), 2);
    assert_eq!(b.patients[0].key, "PID/1/10006579");
    let pending: Vec<&str> = b
        .issues
        .iter()
        .filter(|i| i.code == "status_not_result")
        .map(|i| i.location.as_str())
        .collect();
    assert!(pending.contains(&"LAB-ORU-1.hl7 message 1 OBX 1"));
    assert!(b.issues.iter().all(|i| i.severity == Severity::Warning));
    assert_eq!(
        b.unknown_codes["http://loinc.org|11125-2"].count, 1,
        "platelets, final, not in the catalogue"
    );
}

#[test]
fn other_message_types_are_skipped() {
    let b = read(ADT, "");
    assert_eq!(b.skipped["HL7 ADT^A01"], 1);
    assert!(b.patients.is_empty());
}

#[test]
fn a_file_of_two_messages_reads_both() {
    let two = format!("{}\r{}", SAMPLE.trim_end(), SAMPLE.replace("CNTRL-3456", "CNTRL-3457"));
    let b = read(&two, "");
    assert_eq!(b.received, 2);
    assert_eq!(b.observations.len(), 2);
    assert_eq!(b.issues.iter().filter(|i| i.code == "phone_not_mobile").count(), 2);
}

#[test]
fn zones_default_to_china_time() {
    assert_eq!(
        time_of::timestamp("20240305083000"),
        Some(datetime!(2024-03-05 08:30 +8))
    );
    assert_eq!(
        time_of::timestamp("201203141259-0215"),
        Some(datetime!(2012-03-14 12:59 -2:15))
    );
    assert_eq!(time_of::timestamp("garbage"), None);
}

#[test]
fn a_known_code_sent_as_a_picture_reference_is_not_a_value() {
    let b = read(
        include_str!("../../../testdata/hl7v2-fhir-converter/ORU-R01-01.hl7"),
        "",
    );
    assert!(b.observations.is_empty());
    let w = b
        .issues
        .iter()
        .find(|i| i.code == "value_not_numeric")
        .expect("heart rate as RP is reported");
    assert_eq!(
        (w.location.as_str(), w.severity),
        ("message 1 OBX 1", Severity::Warning)
    );
    assert_eq!(b.patients[0].key, "PID/IA PHIMS Stage/14");
}

/// A Chinese LIS message in GB18030: the name and the unit come out right whether MSH-18
/// declares the character set or not; bytes that decode as neither are refused.
#[test]
fn gb18030_messages_are_decoded_by_msh18_or_by_default() {
    let message = |charset: &str| {
        format!(
            "MSH|^~\\&|LIS|检验科|CARELOOP|随访中心|20261120083000+0800||ORU^R01|M1|P|2.5|||||CHN|{charset}\r\
             PID|||A1001^^^LIS||张^三||19600501|M\r\
             OBR|1||R1|GLU^空腹血糖|||20261120073000+0800\r\
             OBX|1|NM|1558-6^空腹血糖||7.2|mmol/L|3.9-6.1|H|||F\r"
        )
    };
    for charset in ["GB 18030-2000", ""] {
        let text = message(charset);
        let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
        assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
        let b = read_bytes(&bytes, "lis.hl7").expect("decoded");
        assert_eq!(b.patients[0].input.name.as_deref(), Some("张三"), "MSH-18 '{charset}'");
        assert_eq!(b.observations[0].value, 7.2);
    }
    // The same message in UTF-8 reads as is.
    let utf8 = read_bytes(message("UNICODE UTF-8").as_bytes(), "").unwrap();
    assert_eq!(utf8.patients[0].input.name.as_deref(), Some("张三"));
    // Not UTF-8 and declared as something else: refused with the declared set named.
    let text = message("ISO IR87");
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    let err = read_bytes(&bytes, "").unwrap_err();
    assert!(err.contains("ISO IR87"), "{err}");
    // Bytes that are not GB18030 either.
    let mut broken = message("GB 18030-2000").into_bytes();
    broken.extend([0x81, 0x20]);
    assert!(read_bytes(&broken, "").unwrap_err().contains("gb18030"));
}

/// PID-30 `Y` (with the PID-29 time): the patient is reported dead, not enrolled, and the
/// message's results are about an excluded patient.
#[test]
fn a_death_indicator_reports_the_patient_as_dead() {
    let text = "MSH|^~\\&|HIS|H|CARELOOP|C|20261120083000+0800||ORU^R01|D1|P|2.5\r\
        PID|||A1001^^^HIS||张^三||19400501|M|||||||||||||||||||||20261119223000+0800|Y\r\
        OBR|1||R1|GLU^空腹血糖|||20261118073000+0800\r\
        OBX|1|NM|1558-6^空腹血糖||7.2|mmol/L|3.9-6.1|H|||F\r";
    let b = read(text, "");
    assert!(b.patients.is_empty(), "not enrolled");
    assert_eq!(b.deaths.len(), 1);
    assert_eq!(b.deaths[0].key, "PID/HIS/A1001");
    assert_eq!(b.deaths[0].at, Some(datetime!(2026-11-19 22:30 +8)));
    assert!(b.excluded_patients.contains("PID/HIS/A1001"));
    assert!(b.issues.iter().any(|i| i.code == "patient_deceased"));
}
