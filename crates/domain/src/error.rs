//! The one validation error of the domain: which field is wrong, a stable code, and a message in
//! English and Chinese so both the API and the Chinese UI can say precisely what to fix.

use std::fmt;

/// A rejected input value. `code` is stable and machine-readable; messages are for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
    pub message_zh: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
            message_zh: message_zh.into(),
        }
    }

    /// The same error reported against another field name, e.g. `observations[3].value`.
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }

    pub fn required(field: &str) -> Self {
        Self::new(field, "required", format!("{field} is required"), "此项为必填项")
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}
