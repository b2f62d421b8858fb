//! A pain score written in the reply (疼痛评分3分, 疼痛大概7分) is a pain finding graded by
//! the numeric rating scale (NRS 0–10) as in 《癌症疼痛诊疗规范（2018年版）》(国家卫生健康委员会):
//! 1–3 轻度, 4–6 中度, 7–10 重度. A score of 0 is no pain.

use super::lexicon::LEXICON;
use super::{Hit, Severity};

pub(super) fn pain(clause: &str) -> Option<Hit> {
    let class = LEXICON.classes.iter().position(|c| c.id == "pain")?;
    if !["疼", "痛", "评分"].iter().any(|w| clause.contains(w)) {
        return None;
    }
    let chars: Vec<char> = clause.chars().collect();
    let score = chars.iter().enumerate().find_map(|(i, c)| {
        let digits: String = chars[i..].iter().take_while(|d| d.is_ascii_digit()).collect();
        let starts = c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit());
        let marked = chars.get(i + digits.chars().count()) == Some(&'分');
        (starts && marked).then(|| digits.parse::<u8>().ok()).flatten()
    })?;
    let severity = grade(score)?;
    Some(Hit {
        class,
        term: format!("{score}分"),
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
