//! Spreadsheets in: CSV and Excel (.xlsx) exports of check-up and laboratory systems, read
//! through a saved [`Profile`] into the domain's [`ImportBatch`]. Row numbers are the
//! spreadsheet's own (the header is row 1), so a location reads `row 7 column 空腹血糖`.
//!
//! A value's key is `row/{patient}/{code}/{taken at}`: natural, so a re-export of the same
//! results in another order or file is still recognised.

mod cells;
pub mod profile;
#[doc(hidden)]
pub mod testing;

pub use cells::Budget;

use careloop_domain::import::{ImportBatch, ImportedObservation, ImportedPatient, Issue, PatientRef, mainland_mobile};
use careloop_domain::indicator::lookup;
use careloop_domain::patient::PatientInput;
pub use profile::Profile;
use std::collections::{HashMap, HashSet};

/// A sheet as text cells: the header and the data rows with their row numbers.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Read a CSV export: UTF-8 (with or without BOM), else GB18030 as older Chinese systems
/// write; comma, or tab when the header has tabs and no commas.
pub fn read_csv(bytes: &[u8], profile: &Profile, origin: &str) -> ImportBatch {
    match cells::csv_table(bytes) {
        Ok(t) => map(&t, profile, origin),
        Err(e) => unreadable(origin, &e),
    }
}

/// Read an .xlsx workbook: the profile's sheet, else the first.
pub fn read_xlsx(bytes: &[u8], profile: &Profile, origin: &str) -> ImportBatch {
    match cells::xlsx_table(bytes, profile.sheet.as_deref()) {
        Ok(t) => map(&t, profile, origin),
        Err(e) => unreadable(origin, &e),
    }
}

fn unreadable(origin: &str, why: &str) -> ImportBatch {
    ImportBatch {
        received: 1,
        issues: vec![Issue::error(
            if origin.is_empty() { "file" } else { origin },
            "sheet_invalid",
            format!("not a readable spreadsheet: {why}"),
            "无法读取表格文件",
        )],
        ..ImportBatch::default()
    }
}

fn at(origin: &str, row: usize, column: &str) -> String {
    let place = if column.is_empty() {
        format!("row {row}")
    } else {
        format!("row {row} column {column}")
    };
    if origin.is_empty() {
        place
    } else {
        format!("{origin} {place}")
    }
}

/// Map a table through a profile.
pub fn map(table: &Table, profile: &Profile, origin: &str) -> ImportBatch {
    let mut batch = ImportBatch::default();
    let index: HashMap<&str, usize> = table.header.iter().enumerate().map(|(i, h)| (h.trim(), i)).collect();
    let missing: Vec<&str> = profile
        .columns()
        .into_iter()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        batch.received = table.rows.len();
        batch.issues.push(Issue::error(
            at(origin, 1, ""),
            "column_missing",
            format!("the header lacks the profile's column(s): {}", missing.join(", ")),
            format!("表头缺少模板中的列：{}", missing.join("、")),
        ));
        return batch;
    }
    let cell = |row: &[String], column: &str| -> String {
        index
            .get(column)
            .and_then(|&i| row.get(i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let opt =
        |row: &[String], column: &Option<String>| column.as_deref().map(|c| cell(row, c)).filter(|v| !v.is_empty());
    let mut seen_patients: HashSet<String> = HashSet::new();
    for (n, row) in &table.rows {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let p = &profile.patient;
        let key = opt(row, &p.key);
        let id_number = opt(row, &p.id_number);
        let patient = match (&key, &id_number) {
            (Some(k), _) => PatientRef::Key(format!("row/{k}")),
            (None, Some(id)) => PatientRef::IdNumber(id.clone()),
            (None, None) => {
                batch.received += 1;
                batch.issues.push(Issue::error(
                    at(
                        origin,
                        *n,
                        p.key.as_deref().or(p.id_number.as_deref()).unwrap_or_default(),
                    ),
                    "patient_id_missing",
                    "the row names no patient",
                    "该行缺少体检号或身份证号",
                ));
                continue;
            }
        };
        let patient_key = match &patient {
            PatientRef::Key(k) => k.clone(),
            PatientRef::IdNumber(id) => format!("id/{id}"),
        };
        if let PatientRef::Key(k) = &patient
            && seen_patients.insert(k.clone())
        {
            let phone_raw = opt(row, &p.phone);
            let phone = phone_raw.as_deref().and_then(mainland_mobile);
            if phone.is_none() && phone_raw.is_some() {
                batch.issues.push(Issue::warning(
                    at(origin, *n, p.phone.as_deref().unwrap_or_default()),
                    "phone_not_mobile",
                    "not a mainland mobile number; the patient is stored without one",
                    "不是大陆手机号，患者无手机号建档",
                ));
            }
            batch.patients.push(ImportedPatient {
                key: k.clone(),
                location: at(origin, *n, ""),
                input: PatientInput {
                    name: opt(row, &p.name),
                    sex: opt(row, &p.sex),
                    birth_date: opt(row, &p.birth_date).map(|d| cells::date(&d).map_or(d, |d| d.to_string())),
                    id_number: id_number.clone(),
                    phone,
                    ..Default::default()
                },
            });
        }
        let taken_raw = cell(row, &profile.taken_at);
        let Some(taken_at) = cells::date_time(&taken_raw) else {
            batch.received += 1;
            batch.issues.push(Issue::error(
                at(origin, *n, &profile.taken_at),
                "taken_at_invalid",
                "the date taken must read like 2024-03-05, 2024/3/5, 2024年3月5日 or 20240305 (a time may follow)",
                "检查日期无法识别",
            ));
            continue;
        };
        let mut value = |code: &str, raw: &str, unit: Option<String>, column: &str, system: &str| {
            if raw.is_empty() {
                return;
            }
            batch.received += 1;
            let location = at(origin, *n, column);
            let Some(indicator) = lookup(code) else {
                batch.unknown(system, code, column, &location);
                return;
            };
            let Ok(v) = raw.replace(',', "").parse::<f64>() else {
                batch.issues.push(Issue::error(
                    location,
                    "value_invalid",
                    "the result must be a number (results such as '<0.5' or '阴性' are not values)",
                    "结果应为数值",
                ));
                return;
            };
            batch.observations.push(ImportedObservation {
                key: format!("{patient_key}/{}/{}", indicator.code, taken_at.unix_timestamp()),
                location,
                patient: patient.clone(),
                code: code.to_string(),
                value: v,
                unit,
                effective_at: taken_at,
            });
        };
        for v in &profile.values {
            value(&v.code, &cell(row, &v.column), v.unit.clone(), &v.column, "column");
        }
        if let Some(l) = &profile.long {
            let sent = cell(row, &l.code);
            let code = l.codes.get(&sent).cloned().unwrap_or_else(|| sent.clone());
            let unit = l.unit.as_deref().map(|u| cell(row, u)).filter(|u| !u.is_empty());
            value(&code, &cell(row, &l.value), unit, &l.value, "item code");
        }
    }
    batch
}

#[cfg(test)]
mod tests;
