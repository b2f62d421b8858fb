//! What a patient's reply needs from a nurse (回复分诊), from its free-text analysis: an urgent
//! reply (a danger sign, a value past its emergency limit) first, then one the rules could not
//! explain that holds red-flag words (needs a human read), then one with findings (symptoms,
//! emotions), then the rest (好的, 收到). The reply inbox lists them in this order.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    Urgent,
    Read,
    Findings,
    None,
}

impl Attention {
    pub const ALL: [Attention; 4] = [Attention::Urgent, Attention::Read, Attention::Findings, Attention::None];

    /// From the analysis: urgent, needs a human read, anything found.
    pub fn of(urgent: bool, needs_read: bool, found: bool) -> Attention {
        if urgent {
            Attention::Urgent
        } else if needs_read {
            Attention::Read
        } else if found {
            Attention::Findings
        } else {
            Attention::None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Attention::Urgent => "urgent",
            Attention::Read => "read",
            Attention::Findings => "findings",
            Attention::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Attention> {
        Attention::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Its place in the inbox: urgent first.
    pub fn rank(self) -> u8 {
        self as u8
    }
}

#[cfg(test)]
mod tests {
    use super::Attention;

    #[test]
    fn urgency_outranks_a_human_read_which_outranks_findings() {
        assert_eq!(Attention::of(true, false, true), Attention::Urgent);
        assert_eq!(Attention::of(false, true, true), Attention::Read);
        assert_eq!(Attention::of(false, false, true), Attention::Findings);
        assert_eq!(Attention::of(false, false, false), Attention::None);
        let mut all = [Attention::None, Attention::Findings, Attention::Urgent, Attention::Read];
        all.sort_by_key(|a| a.rank());
        assert_eq!(all, Attention::ALL);
        for a in Attention::ALL {
            assert_eq!(Attention::parse(a.as_str()), Some(a));
        }
    }
}
