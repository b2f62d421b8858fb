//! Staff (员工) and departments (科室): roles, usernames, the password policy and the login
//! lockout rule.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Doctor,
    Nurse,
    HealthManager,
    /// Psychological support (心理咨询师 / 心理治疗师): negative emotions in patients' replies
    /// are routed to this role.
    Psychologist,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Doctor,
        Role::Nurse,
        Role::HealthManager,
        Role::Psychologist,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Doctor => "doctor",
            Role::Nurse => "nurse",
            Role::HealthManager => "health_manager",
            Role::Psychologist => "psychologist",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw.trim()).ok_or_else(|| {
            FieldError::new(
                "role",
                "role_invalid",
                "role must be one of admin, doctor, nurse, health_manager, psychologist",
                "角色应为管理员、医生、护士、健康管理师或心理咨询师",
            )
        })
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Doctor => "医生",
            Role::Nurse => "护士",
            Role::HealthManager => "健康管理师",
            Role::Psychologist => "心理咨询师",
        }
    }
}

/// A department's short code, e.g. `cardio`; used in URLs, the API and the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DepartmentCode(String);

impl DepartmentCode {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let ok = (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(DepartmentCode(s.to_ascii_lowercase()))
        } else {
            Err(FieldError::new(
                "department",
                "department_code_invalid",
                "department code must be 1–32 letters, digits, '-' or '_'",
                "科室代码应为1–32位字母、数字、-或_",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn parse_department_name(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 50 || s.chars().any(char::is_control) {
        return Err(FieldError::new(
            "name",
            "department_name_invalid",
            "department name must be 1–50 characters",
            "科室名称应为1–50个字符",
        ));
    }
    Ok(s.to_string())
}

/// Login names: 3–32 lowercase letters, digits, `.`, `_` or `-`.
pub fn parse_username(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let ok = (3..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(s.to_string())
    } else {
        Err(FieldError::new(
            "username",
            "username_invalid",
            "username must be 3–32 lowercase letters, digits, '.', '_' or '-'",
            "用户名应为3–32位小写字母、数字、.、_或-",
        ))
    }
}

/// The password policy (等保 2.0 level 3 asks for complexity and length): at least 10
/// characters, at least one letter and one digit, not containing the username.
pub fn check_password_policy(password: &str, username: &str) -> Result<(), FieldError> {
    let long_enough = password.chars().count() >= 10;
    let has_letter = password.chars().any(|c| c.is_alphabetic());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    let has_name = !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase());
    if long_enough && has_letter && has_digit && !has_name && password.chars().count() <= 128 {
        Ok(())
    } else {
        Err(FieldError::new(
            "password",
            "password_policy",
            "password must be 10–128 characters with letters and digits, and must not contain the username",
            "密码应为10–128位，同时包含字母和数字，且不能包含用户名",
        ))
    }
}

/// Failed logins allowed before the account locks.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT: Duration = Duration::minutes(15);

/// The account's state after one more failed login at `now`: the new failure count and, once
/// the limit is reached, the instant the lock lifts.
pub fn after_failed_login(failed_before: i32, now: OffsetDateTime) -> (i32, Option<OffsetDateTime>) {
    let failed = failed_before + 1;
    if failed >= MAX_FAILED_LOGINS {
        (0, Some(now + LOCKOUT))
    } else {
        (failed, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_fifth_failure_locks_for_fifteen_minutes() {
        let now = datetime!(2026-11-22 08:00 UTC);
        let mut failed = 0;
        for _ in 0..4 {
            let (f, lock) = after_failed_login(failed, now);
            assert!(lock.is_none());
            failed = f;
        }
        assert_eq!(
            after_failed_login(failed, now),
            (0, Some(datetime!(2026-11-22 08:15 UTC)))
        );
    }

    #[test]
    fn the_password_policy_wants_length_letters_digits_and_no_username() {
        assert!(check_password_policy("changeme2026", "nurse1").is_ok());
        assert!(check_password_policy("short1", "x").is_err());
        assert!(check_password_policy("onlyletterslong", "x").is_err());
        assert!(check_password_policy("12345678901", "x").is_err());
        assert!(check_password_policy("wangfang123456", "wangfang").is_err());
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("superuser").is_err());
    }

    #[test]
    fn usernames_and_department_codes_are_restricted() {
        assert!(parse_username("li.na_2").is_ok());
        assert!(parse_username("Li Na").is_err());
        assert_eq!(DepartmentCode::parse("Cardio").unwrap().as_str(), "cardio");
        assert!(DepartmentCode::parse("心内科").is_err());
    }
}
