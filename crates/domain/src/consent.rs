//! Consent to be contacted by a channel (PIPL 个人信息保护法: a person may withdraw consent as
//! easily as it was given). Each change is a record — granted or withdrawn, on which channel,
//! when, how (an SMS reply, a WeChat event, staff on the phone, the patient's page) and, when
//! staff recorded it, by whom — and the latest record of a channel stands. A patient who has
//! withdrawn consent for SMS receives no automated SMS until they grant it again.

use crate::FieldError;

/// How a consent change reached CareLoop.
pub const HOW: [&str; 4] = ["sms_reply", "wechat_event", "staff", "patient_page"];

/// The channels consent is given per.
pub const CHANNELS: [&str; 3] = ["sms", "wechat", "voice"];

/// Longest notice version kept (告知书 2026-01 版).
pub const NOTICE_VERSION_MAX: usize = 64;

/// A consent change staff record (the patient said so on the phone or at the desk), checked: a
/// known channel, and when consent is granted, the version of the notice the patient was told
/// (PIPL art. 14 and 17: consent is given informed; which notice says what they were told).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffChange {
    pub channel: &'static str,
    pub granted: bool,
    pub notice_version: Option<String>,
}

pub fn staff_change(channel: &str, granted: bool, notice_version: Option<&str>) -> Result<StaffChange, FieldError> {
    let channel = CHANNELS.into_iter().find(|c| *c == channel).ok_or_else(|| {
        FieldError::new(
            "channel",
            "channel_unknown",
            "channel must be sms, wechat or voice",
            "联系渠道应为短信、微信或智能语音",
        )
    })?;
    let notice = notice_version.map(str::trim).filter(|v| !v.is_empty());
    if notice.is_some_and(|v| v.chars().count() > NOTICE_VERSION_MAX) {
        return Err(FieldError::new(
            "notice_version",
            "too_long",
            format!("notice_version is at most {NOTICE_VERSION_MAX} characters"),
            format!("告知书版本最多{NOTICE_VERSION_MAX}个字"),
        ));
    }
    if granted && notice.is_none() {
        return Err(FieldError::new(
            "notice_version",
            "notice_required",
            "consent is recorded with the version of the notice the patient was told",
            "登记同意时须注明向患者告知的告知书版本",
        ));
    }
    Ok(StaffChange {
        channel,
        granted,
        notice_version: notice.map(str::to_string),
    })
}

/// Whether an SMS reply asks to stop messages: the opt-out words carriers and providers honour
/// (T, TD, N, 退订, 取消, STOP — the words "回T退订" promises), alone, in any case, with
/// surrounding spaces or punctuation. A sentence that merely contains them is a reply to read.
pub fn is_opt_out(reply: &str) -> bool {
    let word: String = reply
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation() || "。，！？、 ".contains(c))
        .to_uppercase();
    [
        "T",
        "TD",
        "N",
        "退订",
        "取消",
        "STOP",
        "UNSUBSCRIBE",
        "退订短信",
        "取消订阅",
    ]
    .contains(&word.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_record_consent_on_a_known_channel_with_the_notice_told() {
        let c = staff_change("sms", true, Some(" 随访服务告知书 2026版 ")).unwrap();
        assert_eq!(
            (c.channel, c.notice_version.as_deref()),
            ("sms", Some("随访服务告知书 2026版"))
        );
        assert_eq!(
            staff_change("fax", true, Some("v1")).unwrap_err().code,
            "channel_unknown"
        );
        assert_eq!(
            staff_change("sms", true, Some("  ")).unwrap_err().code,
            "notice_required"
        );
        assert_eq!(
            staff_change("voice", true, Some(&"长".repeat(65))).unwrap_err().code,
            "too_long"
        );
        let w = staff_change("wechat", false, None).unwrap();
        assert!(!w.granted && w.notice_version.is_none());
    }

    #[test]
    fn only_an_opt_out_word_on_its_own_opts_out() {
        for reply in ["T", "t", " TD ", "td。", "退订", "取消！", "STOP", "Stop."] {
            assert!(is_opt_out(reply), "{reply}");
        }
        for reply in [
            "血压160/100，头晕",
            "取消明天的复诊可以吗",
            "tomorrow",
            "1",
            "好的",
            "",
            "TDD",
        ] {
            assert!(!is_opt_out(reply), "{reply}");
        }
    }
}
