//! Column-mapping profiles (导入模板): how one check-up or laboratory system lays out its
//! export. Saved once by staff, named on every import. Two layouts exist in practice:
//! one row per person with a column per item (`values`, 体检系统), or one row per result with
//! item code, result and unit columns (`long`, LIS).

use careloop_domain::FieldError;
use careloop_domain::indicator::lookup;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short id used on import (`tijian-2024`).
    pub id: String,
    /// What staff call it (某体检系统导出).
    pub name: String,
    /// Worksheet to read in an .xlsx file (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub patient: PatientColumns,
    /// Column with the date (and time) the values were taken (体检日期).
    pub taken_at: String,
    /// One column per item (wide layout).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ValueColumn>,
    /// One row per result (long layout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long: Option<LongLayout>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientColumns {
    /// The sender's number for the person (体检号 / 病历号); with `id_number`, at least one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueColumn {
    pub column: String,
    /// Catalogue or LOINC code (`sbp`, `fpg`, `2093-3`).
    pub code: String,
    /// The unit the column is in; default the indicator's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongLayout {
    /// Column with the sender's item code (项目代码).
    pub code: String,
    /// Column with the result (结果).
    pub value: String,
    /// Column with the unit (单位); default the indicator's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The sender's item codes → catalogue or LOINC codes (`GLU` → `fpg`). Codes not here are
    /// looked up as they are, then reported as unknown.
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
}

fn invalid(field: &str, message: String, zh: &str) -> FieldError {
    FieldError::new(field, "profile_invalid", message, zh)
}

impl Profile {
    /// Read and check a profile: a known layout, known codes, units that fit, no column twice.
    pub fn parse(json: &str) -> Result<Profile, FieldError> {
        let de = &mut serde_json::Deserializer::from_str(json);
        let p: Profile = serde_path_to_error::deserialize(de)
            .map_err(|e| invalid(&e.path().to_string(), e.inner().to_string(), "导入模板结构错误"))?;
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<(), FieldError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if !id_ok {
            return Err(invalid(
                "id",
                "id: 1–64 letters, digits, '-' or '_'".into(),
                "模板编号应为1–64个字母、数字、-或_",
            ));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            return Err(invalid(
                "name",
                "name: 1–100 characters".into(),
                "模板名称应为1–100个字符",
            ));
        }
        if self.patient.key.is_none() && self.patient.id_number.is_none() {
            return Err(invalid(
                "patient",
                "patient needs a key column or an id_number column".into(),
                "需指定体检号列或身份证号列",
            ));
        }
        match (&self.values.is_empty(), &self.long) {
            (true, None) => {
                return Err(invalid(
                    "values",
                    "give values (one column per item) or long (one row per result)".into(),
                    "需指定数值列或长表格式",
                ));
            }
            (false, Some(_)) => {
                return Err(invalid(
                    "long",
                    "give either values or long, not both".into(),
                    "数值列与长表格式只能选其一",
                ));
            }
            _ => {}
        }
        for (i, v) in self.values.iter().enumerate() {
            let at = |f: &str| format!("values[{i}].{f}");
            let indicator = lookup(&v.code).ok_or_else(|| {
                invalid(
                    &at("code"),
                    format!("unknown indicator code '{}'", v.code),
                    "未知的指标代码",
                )
            })?;
            if let Some(u) = &v.unit
                && indicator.to_canonical(1.0, u).is_none()
            {
                return Err(invalid(
                    &at("unit"),
                    format!(
                        "unit '{u}' does not fit {}; use one of {}",
                        indicator.code,
                        indicator.accepted_units().join(", ")
                    ),
                    "单位不适用于该指标",
                ));
            }
        }
        if let Some(l) = &self.long {
            for (from, to) in &l.codes {
                if lookup(to).is_none() {
                    return Err(invalid(
                        &format!("long.codes.{from}"),
                        format!("unknown indicator code '{to}'"),
                        "未知的指标代码",
                    ));
                }
            }
        }
        let mut columns: Vec<&str> = self.columns();
        columns.sort_unstable();
        if let Some(w) = columns.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid(
                "values",
                format!("column '{}' is mapped twice", w[0]),
                "同一列被重复映射",
            ));
        }
        Ok(())
    }

    /// Every column the profile reads.
    pub fn columns(&self) -> Vec<&str> {
        let p = &self.patient;
        let mut out: Vec<&str> = [&p.key, &p.id_number, &p.name, &p.sex, &p.birth_date, &p.phone]
            .into_iter()
            .filter_map(|c| c.as_deref())
            .collect();
        out.push(&self.taken_at);
        out.extend(self.values.iter().map(|v| v.column.as_str()));
        if let Some(l) = &self.long {
            out.push(&l.code);
            out.push(&l.value);
            out.extend(l.unit.as_deref());
        }
        out
    }
}
