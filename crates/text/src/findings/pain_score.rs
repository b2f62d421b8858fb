//! A pain score written in the reply (疼痛评分3分, 疼痛大概7分) is a pain finding graded by
//! the numeric rating scale (NRS 0–10) as in 《癌症疼痛诊疗规范（2018年版）》(国家卫生健康委员会):
//! 1–3 轻度, 4–6 中度, 7–10 重度. A score of 0 is no pain. Scores in Chinese numerals (八分) count.

use super::lexicon::LEXICON;
use super::numerals::{digit, numbers};
use super::{Hit, Severity};

/// The pain a clause's score shows. `pain_named`: the reply names pain somewhere (疼得厉害，8分).
pub(super) fn pain(clause: &str, pain_named: bool) -> Option<Hit> {
    let class = LEXICON.classes.iter().position(|c| c.id == "pain")?;
    if !pain_named {
        return None;
    }
    let chars: Vec<char> = clause.chars().collect();
    // A lone Chinese digit is a score only here, before 分 (疼得八分).
    let lone = chars.iter().enumerate().filter_map(|(i, c)| {
        let single = !c.is_ascii_digit() && i.checked_sub(1).is_none_or(|p| digit(chars[p]).is_none());
        let d = digit(*c).filter(|_| single)?;
        Some((f64::from(d), i + 1, c.to_string()))
    });
    let candidates = numbers(&chars)
        .into_iter()
        .filter(|n| n.low == n.high)
        .map(|n| (n.low, n.end, n.text))
        .chain(lone);
    let (score, text) = candidates.into_iter().find_map(|(value, end, text)| {
        let whole = value.fract() == 0.0 && (0.0..=10.0).contains(&value);
        // 十分疼 is "very painful" and 8分钟 is minutes.
        let marked = chars.get(end) == Some(&'分') && chars.get(end + 1) != Some(&'钟') && text != "十";
        (whole && marked).then_some((value as u8, text))
    })?;
    let severity = grade(score)?;
    Some(Hit {
        class,
        term: format!("{text}分"),
        severity: Some(severity),
        denied: None,
    })
}

/// NRS grade; `None` for 0 and for numbers off the 0–10 scale.
pub(super) fn grade(score: u8) -> Option<Severity> {
    match score {
        1..=3 => Some(Severity::Mild),
        4..=6 => Some(Severity::Moderate),
        7..=10 => Some(Severity::Severe),
        _ => None,
    }
}
