//! HL7 v2 in: ORU^R01 result messages read into the domain's [`ImportBatch`] — the patient
//! from PID, one report per OBR, one value per numeric OBX (`NM`, or `SN` with a plain number).
//! Segments may end in CR (the standard), LF or CRLF; a file may hold several messages, each
//! starting with `MSH`. Other message types (ADT…) are counted as skipped.
//!
//! Keys: a patient is `PID/{assigning authority}/{id}` from PID-3; a report is
//! `OBR/{filler or placer order number}`; a value is its report's key with the OBX code and set
//! id. Only final (`F`) and corrected (`C`) results are stored; a corrected result replaces the
//! earlier value under the same key.

mod time_of;

use careloop_domain::import::{
    Death, ImportBatch, ImportedObservation, ImportedPatient, ImportedReport, Issue, PatientRef, mainland_mobile,
};
use careloop_domain::indicator::lookup;
use careloop_domain::patient::PatientInput;
use hl7_parser::Message;
use hl7_parser::message::{Field, Segment, Separators};
use time::OffsetDateTime;

const LOINC: &str = "http://loinc.org";

/// Read a file as received. UTF-8 is read as is; other bytes are decoded by the character set
/// MSH-18 declares (HL7 table 0211: `GB 18030-2000`, as Chinese LIS send, or `8859/1`), and
/// text that is not UTF-8 and declares nothing is taken as GB18030 (GBK is a subset), which is
/// what older Chinese systems write. Bytes that do not decode are refused, never guessed into
/// replacement characters.
pub fn read_bytes(bytes: &[u8], origin: &str) -> Result<ImportBatch, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(read(text, origin));
    }
    let declared = declared_charset(bytes);
    let encoding = match declared.as_deref() {
        None | Some("GB 18030-2000" | "GB18030" | "GBK" | "GB 2312") => encoding_rs::GB18030,
        Some("8859/1") => encoding_rs::WINDOWS_1252,
        Some(other) => {
            return Err(format!(
                "the text is not UTF-8 and MSH-18 declares {other}; send UTF-8, GB 18030-2000 or 8859/1"
            ));
        }
    };
    let (text, _, bad) = encoding.decode(bytes);
    if bad {
        return Err(format!(
            "the text is neither UTF-8 nor {} (MSH-18: {})",
            encoding.name(),
            declared.as_deref().unwrap_or("not set")
        ));
    }
    Ok(read(&text, origin))
}

/// MSH-18 of the first message, read from the bytes before decoding (the MSH segment's
/// fields up to there are ASCII). `None` when absent or empty.
fn declared_charset(bytes: &[u8]) -> Option<String> {
    let start = bytes.windows(4).position(|w| w == b"MSH|")?;
    let line = bytes[start..].split(|b| matches!(b, b'\r' | b'\n')).next()?;
    // MSH-1 is the separator itself, so MSH-n is the n-th piece counting "MSH" as the first.
    let field = line.split(|b| *b == b'|').nth(17)?;
    let value = std::str::from_utf8(field).ok()?.split('~').next()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// Split a file into messages (each starts at an `MSH` segment) and read each.
pub fn read(text: &str, origin: &str) -> ImportBatch {
    let text = text.trim_start_matches('\u{feff}');
    let mut batch = ImportBatch::default();
    let mut starts: Vec<usize> = text
        .match_indices("MSH|")
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || matches!(text.as_bytes()[i - 1], b'\r' | b'\n'))
        .collect();
    if starts.first() != Some(&0) && !text.trim().is_empty() {
        starts.insert(0, 0);
    }
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(text.len());
        let place = if origin.is_empty() {
            format!("message {}", n + 1)
        } else {
            format!("{origin} message {}", n + 1)
        };
        read_message(&mut batch, text[start..end].trim_end(), &place);
    }
    batch
}

fn read_message(batch: &mut ImportBatch, text: &str, place: &str) {
    let message = match Message::parse_with_lenient_newlines(text, true) {
        Ok(m) => m,
        Err(e) => {
            batch.received += 1;
            batch.issues.push(Issue::error(
                place,
                "hl7_invalid",
                format!("not a readable HL7 v2 message: {e}"),
                "不是有效的 HL7 v2 消息",
            ));
            return;
        }
    };
    let seps = message.separators;
    let kind = message
        .segment("MSH")
        .and_then(|m| m.field(9))
        .map(|f| format!("{}^{}", comp(f, 1, &seps), comp(f, 2, &seps)))
        .unwrap_or_default();
    if kind == "^" || kind.is_empty() {
        batch.received += 1;
        batch.issues.push(Issue::error(
            format!("{place} MSH-9"),
            "message_type_missing",
            "MSH-9 must give the message type (ORU^R01)",
            "MSH-9 缺少消息类型",
        ));
        return;
    }
    if kind != "ORU^R01" {
        batch.received += 1;
        batch.skip(&format!("HL7 {kind}"));
        return;
    }
    let sent_at = message
        .segment("MSH")
        .and_then(|m| m.field(7))
        .and_then(|f| time_of::timestamp(&comp(f, 1, &seps)));
    let control = message
        .segment("MSH")
        .and_then(|m| m.field(10))
        .map(|f| comp(f, 1, &seps))
        .unwrap_or_default();
    let Some(pid) = message.segment("PID") else {
        batch.received += 1;
        batch.issues.push(Issue::error(
            place,
            "pid_missing",
            "the message has no PID segment",
            "消息缺少 PID 段",
        ));
        return;
    };
    let Some(patient) = patient(batch, pid, &seps, &format!("{place} PID")) else {
        return;
    };
    let mut report: Option<ImportedReport> = None;
    let mut obr_count = 0;
    let mut obx_count = 0;
    for seg in message.segments() {
        match seg.name {
            "OBR" => {
                obr_count += 1;
                batch.reports.extend(report.take());
                let order = [3, 2]
                    .iter()
                    .filter_map(|&i| seg.field(i))
                    .map(|f| comp(f, 1, &seps))
                    .find(|s| !s.is_empty())
                    .unwrap_or_else(|| format!("{control}-{obr_count}"));
                let service = seg.field(4);
                report = Some(ImportedReport {
                    key: format!("OBR/{order}"),
                    location: format!("{place} OBR {obr_count}"),
                    patient: patient.clone(),
                    code: service.map(|f| comp(f, 1, &seps)).filter(|c| !c.is_empty()),
                    title: service
                        .map(|f| comp(f, 2, &seps))
                        .filter(|t| !t.is_empty())
                        .or_else(|| service.map(|f| comp(f, 1, &seps)))
                        .unwrap_or_default(),
                    effective_at: seg.field(7).and_then(|f| time_of::timestamp(&comp(f, 1, &seps))),
                    results: Vec::new(),
                });
            }
            "OBX" => {
                obx_count += 1;
                batch.received += 1;
                let location = format!("{place} OBX {obx_count}");
                let parent = report
                    .as_ref()
                    .map_or_else(|| format!("MSH/{control}"), |r| r.key.clone());
                let when = report.as_ref().and_then(|r| r.effective_at).or(sent_at);
                if let Some(o) = observation(batch, seg, &seps, &location, &parent, &patient, when)
                    && let Some(r) = report.as_mut()
                {
                    r.results.push(o);
                }
            }
            _ => {}
        }
    }
    batch.reports.extend(report);
}

/// The text of component `n` (1-based) of a field's first repeat, escapes decoded.
fn comp(f: &Field, n: usize, seps: &Separators) -> String {
    f.component(n)
        .map(|c| c.display(seps).to_string())
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn patient(batch: &mut ImportBatch, pid: &Segment, seps: &Separators, location: &str) -> Option<PatientRef> {
    let field = |n: usize| pid.field(n);
    // PID-3 (patient identifier list), else PID-2 (external id) or PID-4 (alternate id).
    let ids: Vec<(String, String, String)> = [3, 2, 4]
        .iter()
        .filter_map(|&n| field(n))
        .flat_map(|f| {
            f.repeats().map(|r| {
                let c = |i: usize| r.component(i).map(|c| c.display(seps).to_string()).unwrap_or_default();
                (
                    c(1).trim().to_string(),
                    c(4).trim().to_string(),
                    c(5).trim().to_string(),
                )
            })
        })
        .filter(|(id, _, _)| !id.is_empty())
        .collect();
    let Some((id, authority, _)) = ids.first().cloned() else {
        batch.received += 1;
        batch.issues.push(Issue::error(
            location,
            "patient_id_missing",
            "PID-3 (or PID-2 / PID-4) must identify the patient",
            "PID-3 缺少患者标识",
        ));
        return None;
    };
    let authority = authority.split('&').next().unwrap_or_default().to_string();
    let key = if authority.is_empty() {
        format!("PID/{id}")
    } else {
        format!("PID/{authority}/{id}")
    };
    let id_number = ids
        .iter()
        .find(|(_, _, kind)| kind == "NNCHN")
        .map(|(id, _, _)| id.clone());
    // PID-30 death indicator `Y`, or a PID-29 death time: never enrolled, and an enrolled
    // patient is recorded as deceased (the service stops their follow-up).
    let death_time = field(29).map(|f| comp(f, 1, seps)).filter(|s| !s.is_empty());
    if field(30).is_some_and(|f| comp(f, 1, seps) == "Y") || death_time.is_some() {
        batch.deaths.push(Death {
            key: key.clone(),
            id_number,
            at: death_time.as_deref().and_then(time_of::timestamp),
        });
        batch.excluded_patients.insert(key.clone());
        batch.issues.push(Issue::warning(
            location,
            "patient_deceased",
            "PID-30: the patient has died: not enrolled, their results are not imported, and an enrolled patient's follow-up is stopped",
            "患者已故：不建档，其结果不导入；已建档者停止随访",
        ));
        return Some(PatientRef::Key(key));
    }
    let name = field(5).map(|f| {
        let (family, given) = (comp(f, 1, seps), comp(f, 2, seps));
        if family.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
            format!("{family}{given}")
        } else {
            format!("{given} {family}").trim().to_string()
        }
    });
    let phones: Vec<String> = [13, 14]
        .iter()
        .filter_map(|&n| field(n))
        .flat_map(|f| {
            f.repeats()
                .map(|r| r.component(1).map(|c| c.raw_value().to_string()).unwrap_or_default())
        })
        .filter(|p| !p.trim().is_empty())
        .collect();
    let phone = phones.iter().find_map(|p| mainland_mobile(p));
    if phone.is_none() && !phones.is_empty() {
        batch.issues.push(Issue::warning(
            location,
            "phone_not_mobile",
            "no mainland mobile number in PID-13/14; stored without one",
            "无大陆手机号，患者无手机号建档",
        ));
    }
    let birth_date = field(7)
        .and_then(|f| time_of::date(&comp(f, 1, seps)))
        .map(|d| d.to_string());
    let address = field(11).map(|f| {
        let parts: Vec<String> = [4, 3, 1, 2]
            .iter()
            .map(|&i| comp(f, i, seps))
            .filter(|s| !s.is_empty())
            .collect();
        parts.join(" ").chars().take(200).collect::<String>()
    });
    let sex = field(8).map(|f| comp(f, 1, seps)).filter(|s| !s.is_empty());
    batch.patients.push(ImportedPatient {
        key: key.clone(),
        location: location.into(),
        input: PatientInput {
            name,
            sex,
            birth_date,
            id_number,
            phone,
            address: address.filter(|a| !a.is_empty()),
            ..Default::default()
        },
    });
    Some(PatientRef::Key(key))
}

/// One OBX as a value; returns its key when it became one.
fn observation(
    batch: &mut ImportBatch,
    seg: &Segment,
    seps: &Separators,
    location: &str,
    parent: &str,
    patient: &PatientRef,
    fallback_time: Option<OffsetDateTime>,
) -> Option<String> {
    let text = |n: usize, c: usize| seg.field(n).map(|f| comp(f, c, seps)).unwrap_or_default();
    let (code, display, system) = (text(3, 1), text(3, 2), text(3, 3));
    let system = if system == "LN" { LOINC.to_string() } else { system };
    let status = text(11, 1);
    if !matches!(status.as_str(), "F" | "C") {
        batch.issues.push(Issue::warning(
            location,
            "status_not_result",
            format!("OBX-11 result status '{status}' is not final (F) or corrected (C); not imported"),
            "结果状态不是最终（F）或更正（C），不导入",
        ));
        return None;
    }
    if lookup(&code).is_none() {
        batch.unknown(&system, &code, &display, location);
        return None;
    }
    let value_type = text(2, 1);
    if !matches!(value_type.as_str(), "NM" | "SN") {
        batch.issues.push(Issue::warning(
            location,
            "value_not_numeric",
            format!("OBX-2 value type {value_type} is not a numeric result (NM or SN); not imported"),
            "结果不是数值型（NM/SN），不导入",
        ));
        return None;
    }
    let raw = match value_type.as_str() {
        "NM" => text(5, 1),
        // Structured numeric: comparator^number; only a plain number (no < or >) is a value.
        "SN" if text(5, 1).is_empty() || text(5, 1) == "=" => text(5, 2),
        _ => String::new(),
    };
    let Ok(value) = raw.trim().parse::<f64>() else {
        batch.issues.push(Issue::error(
            format!("{location} OBX-5"),
            "value_invalid",
            format!("OBX-5 must be a number for value type {value_type} of a known indicator"),
            "结果值应为数值",
        ));
        return None;
    };
    let Some(effective_at) = seg
        .field(14)
        .and_then(|f| time_of::timestamp(&comp(f, 1, seps)))
        .or(fallback_time)
    else {
        batch.issues.push(Issue::error(
            format!("{location} OBX-14"),
            "effective_missing",
            "no observation time in OBX-14, OBR-7 or MSH-7",
            "缺少检测时间",
        ));
        return None;
    };
    let unit = Some(text(6, 1)).filter(|u| !u.is_empty());
    let key = format!("{parent}/{code}/{}", text(1, 1));
    batch.observation(
        &system,
        &display,
        ImportedObservation {
            key: key.clone(),
            location: location.into(),
            patient: patient.clone(),
            code,
            value,
            unit,
            effective_at,
        },
    );
    Some(key)
}

#[cfg(test)]
mod tests;
