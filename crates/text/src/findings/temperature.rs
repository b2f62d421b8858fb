//! A body temperature written in the reply (烧到38.5度, 体温39.6℃) is a fever finding graded
//! by its value. Grades as taught in 《诊断学》(第9版, 人民卫生出版社, 2018) 发热 chapter
//! (axillary): 低热 37.3–38.0 °C, 中等度热 38.1–39.0 °C, 高热 39.1–41.0 °C, 超高热 above 41 °C.
//! Below 37.3 °C is no fever, so 体温37度 and 现在36.8度 are not findings.

use super::lexicon::LEXICON;
use super::{Hit, Severity};

/// The fever a clause's highest plausible body temperature shows, if any.
pub(super) fn fever(clause: &str) -> Option<Hit> {
    let class = LEXICON.classes.iter().position(|c| c.id == "fever")?;
    let context = ["体温", "烧", "热", "温度"].iter().any(|w| clause.contains(w));
    let (value, text) = numbers(clause)
        .into_iter()
        .filter(|(v, _, unit)| (35.0..=43.0).contains(v) && (*unit || context))
        .map(|(v, t, _)| (v, t))
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    let severity = grade(value)?;
    Some(Hit {
        class,
        term: text,
        severity: Some(severity),
        denied: None,
    })
}

/// Fever grade of an axillary temperature; `None` below 37.3 °C.
pub(super) fn grade(celsius: f64) -> Option<Severity> {
    if celsius < 37.3 {
        None
    } else if celsius <= 38.0 {
        Some(Severity::Mild)
    } else if celsius <= 39.0 {
        Some(Severity::Moderate)
    } else {
        Some(Severity::Severe)
    }
}

/// Decimal numbers in the text, each with its text and whether a temperature unit follows.
fn numbers(text: &str) -> Vec<(f64, String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let raw: String = chars[start..i].iter().collect();
        // Blood pressure (140/90) and ranges are not temperatures.
        let slash = chars.get(i) == Some(&'/') || (start > 0 && chars[start - 1] == '/');
        let unit = matches!(chars.get(i), Some('度' | '℃' | '°'));
        if let (Ok(v), false) = (raw.trim_end_matches('.').parse::<f64>(), slash) {
            let shown = if unit { format!("{raw}{}", chars[i]) } else { raw };
            out.push((v, shown, unit));
        }
    }
    out
}
