//! Consent to be contacted by a channel (PIPL 个人信息保护法: a person may withdraw consent as
//! easily as it was given). Each change is a record — granted or withdrawn, on which channel,
//! when, how (an SMS reply, a WeChat event, staff on the phone, the patient's page) and, when
//! staff recorded it, by whom — and the latest record of a channel stands. A patient who has
//! withdrawn consent for SMS receives no automated SMS until they grant it again.

/// How a consent change reached CareLoop.
pub const HOW: [&str; 4] = ["sms_reply", "wechat_event", "staff", "patient_page"];

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
