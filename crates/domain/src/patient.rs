//! Patients (患者) as enrolled (开卡): identity, contact and responsible department. Raw input is
//! parsed into [`NewPatient`], which cross-checks the birth date and sex against the ID number.

use crate::FieldError;
use crate::id_number::IdNumber;
use crate::phone::PhoneNumber;
pub use crate::sex::Sex;
use crate::staff::DepartmentCode;
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;

/// Patient fields as they arrive from a form or the API: every field optional and unparsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientInput {
    pub name: Option<String>,
    #[schema(pattern = "^(male|female)$")]
    pub sex: Option<String>,
    #[schema(format = Date)]
    pub birth_date: Option<String>,
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$")]
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub department: Option<String>,
}

impl PatientInput {
    /// This input's fields laid over `base`: what a PATCH does to the stored patient.
    pub fn over(self, base: PatientInput) -> PatientInput {
        PatientInput {
            name: self.name.or(base.name),
            sex: self.sex.or(base.sex),
            birth_date: self.birth_date.or(base.birth_date),
            id_number: self.id_number.or(base.id_number),
            phone: self.phone.or(base.phone),
            address: self.address.or(base.address),
            emergency_contact_name: self.emergency_contact_name.or(base.emergency_contact_name),
            emergency_contact_phone: self.emergency_contact_phone.or(base.emergency_contact_phone),
            department: self.department.or(base.department),
        }
    }
}

/// A patient ready to be stored: every field valid and consistent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPatient {
    pub name: String,
    pub sex: Sex,
    pub birth_date: Date,
    pub id_number: Option<IdNumber>,
    /// A mainland mobile; absent only for patients a hospital system sent without one.
    pub phone: Option<PhoneNumber>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<PhoneNumber>,
    pub department: DepartmentCode,
}

/// Parse an ISO 8601 calendar date (`1990-03-07`) between 1900-01-01 and 2100-12-31
/// ([`crate::clock::EARLIEST`], [`crate::clock::LATEST`]).
pub fn parse_date(raw: &str, field: &str) -> Result<Date, FieldError> {
    let d = Date::parse(raw.trim(), format_description!("[year]-[month]-[day]")).map_err(|_| {
        FieldError::new(
            field,
            "date_invalid",
            format!("{field} must be a real date written YYYY-MM-DD"),
            "日期无效，应为 YYYY-MM-DD 格式",
        )
    })?;
    if !crate::clock::in_era(d) {
        return Err(FieldError::new(
            field,
            "date_out_of_range",
            format!("{field} must lie between 1900-01-01 and 2100-12-31"),
            "日期应在 1900-01-01 至 2100-12-31 之间",
        ));
    }
    Ok(d)
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Free text: trimmed, bounded, without control characters; empty means absent.
pub fn optional_text(v: &Option<String>, field: &str, max: usize) -> Result<Option<String>, FieldError> {
    let Some(s) = non_empty(v) else {
        return Ok(None);
    };
    if s.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("{field} must be at most {max} characters"),
            format!("不能超过{max}个字符"),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError::new(
            field,
            "control_characters",
            format!("{field} contains control characters"),
            "包含非法控制字符",
        ));
    }
    Ok(Some(s.to_string()))
}

/// A person's name: free text on one line, without the invisible characters that make two
/// names look alike or reorder what is shown around them (zero-width spaces and joiners,
/// right-to-left overrides and isolates, soft hyphens, byte-order marks), nor tabs or newlines.
pub fn person_name(v: &Option<String>, field: &str, max: usize) -> Result<Option<String>, FieldError> {
    let Some(s) = optional_text(v, field, max)? else {
        return Ok(None);
    };
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    };
    if s.chars().any(invisible) {
        return Err(FieldError::new(
            field,
            "invisible_characters",
            format!("{field} contains invisible or direction-changing characters, a tab or a line break"),
            "姓名中含有不可见字符、方向控制字符、制表符或换行",
        ));
    }
    Ok(Some(s))
}

impl NewPatient {
    /// Validate `input` as of `today`. The department falls back to `default_department`
    /// (the enrolling nurse's own) when the input names none.
    pub fn parse(
        input: &PatientInput,
        today: Date,
        default_department: Option<&DepartmentCode>,
    ) -> Result<Self, FieldError> {
        if non_empty(&input.phone).is_none() {
            return Err(FieldError::required("phone"));
        }
        Self::parse_imported(input, today, default_department)
    }

    /// As [`NewPatient::parse`], but a patient sent by a hospital system may come without a
    /// mobile number (staff enrolling by hand must give one).
    pub fn parse_imported(
        input: &PatientInput,
        today: Date,
        default_department: Option<&DepartmentCode>,
    ) -> Result<Self, FieldError> {
        let name = person_name(&input.name, "name", 50)?.ok_or_else(|| FieldError::required("name"))?;
        let id_number = non_empty(&input.id_number).map(IdNumber::parse).transpose()?;
        let sex = match (non_empty(&input.sex), &id_number) {
            (Some(s), id) => {
                let sex = Sex::parse(s)?;
                if let Some(id) = id
                    && id.sex() != sex
                {
                    return Err(FieldError::new(
                        "sex",
                        "sex_mismatch",
                        "sex does not match the ID number",
                        "性别与身份证号码不符",
                    ));
                }
                sex
            }
            (None, Some(id)) => id.sex(),
            (None, None) => return Err(FieldError::required("sex")),
        };
        let birth_date = match (non_empty(&input.birth_date), &id_number) {
            (Some(s), id) => {
                let d = parse_date(s, "birth_date")?;
                if let Some(id) = id
                    && id.birth_date() != Some(d)
                {
                    return Err(FieldError::new(
                        "birth_date",
                        "birth_date_mismatch",
                        "birth date does not match the ID number",
                        "出生日期与身份证号码不符",
                    ));
                }
                d
            }
            (None, Some(id)) => id.birth_date().ok_or_else(|| FieldError::required("birth_date"))?,
            (None, None) => return Err(FieldError::required("birth_date")),
        };
        if birth_date > today || birth_date.year() < 1900 {
            return Err(FieldError::new(
                "birth_date",
                "birth_date_out_of_range",
                "birth date must be between 1900-01-01 and today",
                "出生日期应在1900年至今天之间",
            ));
        }
        let phone = non_empty(&input.phone).map(PhoneNumber::parse).transpose()?;
        let emergency_contact_phone = non_empty(&input.emergency_contact_phone)
            .map(|p| PhoneNumber::parse_field(p, "emergency_contact_phone"))
            .transpose()?;
        let department = match non_empty(&input.department) {
            Some(code) => DepartmentCode::parse(code)?,
            None => default_department
                .cloned()
                .ok_or_else(|| FieldError::required("department"))?,
        };
        Ok(NewPatient {
            name,
            sex,
            birth_date,
            id_number,
            phone,
            address: optional_text(&input.address, "address", 200)?,
            emergency_contact_name: person_name(&input.emergency_contact_name, "emergency_contact_name", 50)?,
            emergency_contact_phone,
            department,
        })
    }
}

/// Age in whole years on `on`.
pub fn age_on(birth_date: Date, on: Date) -> i32 {
    let mut age = on.year() - birth_date.year();
    if (on.month() as u8, on.day()) < (birth_date.month() as u8, birth_date.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn names_refuse_invisible_and_direction_changing_characters() {
        for bad in [
            "张\u{202E}三",
            "张\u{200B}三",
            "张\n三",
            "张\t三",
            "\u{FEFF}张三",
            "张\u{2066}三\u{2069}",
            "张\u{00AD}三",
        ] {
            let err = person_name(&Some(bad.into()), "name", 50).unwrap_err();
            assert_eq!(err.code, "invisible_characters", "{bad:?}");
        }
        assert_eq!(
            person_name(&Some(" 欧阳 娜娜 ".into()), "name", 50),
            Ok(Some("欧阳 娜娜".into()))
        );
        assert_eq!(
            person_name(&Some("Zoë O'Brien-Li".into()), "name", 50),
            Ok(Some("Zoë O'Brien-Li".into()))
        );
        assert_eq!(
            person_name(&Some("古丽·买买提".into()), "name", 50),
            Ok(Some("古丽·买买提".into()))
        );
    }

    #[test]
    fn dates_outside_1900_to_2100_are_refused_naming_the_field() {
        for raw in ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"] {
            let err = parse_date(raw, "to").unwrap_err();
            assert_eq!((err.field.as_str(), err.code), ("to", "date_out_of_range"), "{raw}");
        }
        assert_eq!(parse_date("1900-01-01", "to"), Ok(date!(1900 - 01 - 01)));
        assert_eq!(parse_date("2100-12-31", "to"), Ok(date!(2100 - 12 - 31)));
        assert_eq!(parse_date("2026-02-30", "to").unwrap_err().code, "date_invalid");
    }

    fn input() -> PatientInput {
        PatientInput {
            name: Some("张三丰".into()),
            id_number: Some("11010519491231002X".into()),
            phone: Some("13812345678".into()),
            department: Some("cardio".into()),
            ..Default::default()
        }
    }

    #[test]
    fn birth_date_and_sex_are_derived_from_the_id_number() {
        let p = NewPatient::parse(&input(), date!(2026 - 11 - 22), None).unwrap();
        assert_eq!(p.birth_date, date!(1949 - 12 - 31));
        assert_eq!(p.sex, Sex::Female);
    }

    #[test]
    fn a_birth_date_that_contradicts_the_id_number_is_rejected() {
        let mut i = input();
        i.birth_date = Some("1949-12-30".into());
        let e = NewPatient::parse(&i, date!(2026 - 11 - 22), None).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("birth_date", "birth_date_mismatch"));
    }

    #[test]
    fn a_sex_that_contradicts_the_id_number_is_rejected() {
        let mut i = input();
        i.sex = Some("male".into());
        assert_eq!(
            NewPatient::parse(&i, date!(2026 - 11 - 22), None).unwrap_err().code,
            "sex_mismatch"
        );
    }

    #[test]
    fn without_an_id_number_sex_and_birth_date_are_required() {
        let mut i = input();
        i.id_number = None;
        let e = NewPatient::parse(&i, date!(2026 - 11 - 22), None).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("sex", "required"));
    }

    #[test]
    fn impossible_and_future_dates_are_rejected() {
        let mut i = input();
        i.id_number = None;
        i.sex = Some("male".into());
        i.birth_date = Some("2023-02-29".into());
        assert_eq!(
            NewPatient::parse(&i, date!(2026 - 11 - 22), None).unwrap_err().code,
            "date_invalid"
        );
        i.birth_date = Some("2027-01-01".into());
        assert_eq!(
            NewPatient::parse(&i, date!(2026 - 11 - 22), None).unwrap_err().code,
            "birth_date_out_of_range"
        );
    }

    #[test]
    fn the_department_defaults_to_the_enrolling_nurses() {
        let mut i = input();
        i.department = None;
        let own = DepartmentCode::parse("endo").unwrap();
        let p = NewPatient::parse(&i, date!(2026 - 11 - 22), Some(&own)).unwrap();
        assert_eq!(p.department, own);
    }

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(date!(1960 - 06 - 15), date!(2025 - 06 - 14)), 64);
        assert_eq!(age_on(date!(1960 - 06 - 15), date!(2025 - 06 - 15)), 65);
    }
}
