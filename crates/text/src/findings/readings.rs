//! Values written in a reply (血压180/110, 高压一百八, 血压一百八十五，九十五, 血糖2.8, 血糖三点几,
//! 空腹18.6, a meter's HI) and whether each passes the national follow-up standard's emergency
//! limits — the same constants that check a value typed in, signed on a call or imported
//! (`careloop_domain::critical`): SBP ≥ 180 or DBP ≥ 110 mmHg, glucose ≥ 16.7 or ≤ 3.9 mmol/L.
//!
//! The low glucose limit is applied to every reply, where a structured value applies it to
//! patients with diabetes only: a patient who writes a glucose reading has measured it at home,
//! which is what people treated for diabetes do, and a missed hypoglycaemia costs more than a
//! call. A reading in a sentence that is a condition or a question (如果血压超过180就去急诊) is
//! not a report and is not read.

use careloop_domain::critical::{DBP_AT_LEAST, GLUCOSE_AT_LEAST, GLUCOSE_AT_MOST, SBP_AT_LEAST};
use serde::Serialize;

use super::numerals::{Number, numbers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    Systolic,
    Diastolic,
    Glucose,
}

impl Quantity {
    pub fn as_str(self) -> &'static str {
        match self {
            Quantity::Systolic => "systolic",
            Quantity::Diastolic => "diastolic",
            Quantity::Glucose => "glucose",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Quantity::Systolic => "收缩压",
            Quantity::Diastolic => "舒张压",
            Quantity::Glucose => "血糖",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Quantity::Systolic | Quantity::Diastolic => "mmHg",
            Quantity::Glucose => "mmol/L",
        }
    }

    /// What a value of this quantity may be, to tell a reading from another number.
    fn plausible(self, value: f64) -> bool {
        match self {
            Quantity::Systolic => (60.0..=300.0).contains(&value),
            Quantity::Diastolic => (30.0..=200.0).contains(&value),
            // Above 35 a number after 血糖 is mg/dL or not a glucose; mainland meters show mmol/L.
            Quantity::Glucose => (1.0..=35.0).contains(&value),
        }
    }
}

/// The emergency limit a reading passes: `≥` or `≤` and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Past {
    pub sign: &'static str,
    pub limit: f64,
}

/// One value read from the reply. `low..=high` is the range it means (血压200多 is 200–209).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    pub quantity: Quantity,
    pub low: f64,
    pub high: f64,
    /// The words that gave it, as written.
    pub text: String,
    pub critical: Option<Past>,
}

impl Reading {
    fn new(quantity: Quantity, low: f64, high: f64, text: String) -> Reading {
        let past = |sign, limit| Some(Past { sign, limit });
        let critical = match quantity {
            Quantity::Systolic if low >= SBP_AT_LEAST => past("≥", SBP_AT_LEAST),
            Quantity::Diastolic if low >= DBP_AT_LEAST => past("≥", DBP_AT_LEAST),
            Quantity::Glucose if low >= GLUCOSE_AT_LEAST => past("≥", GLUCOSE_AT_LEAST),
            Quantity::Glucose if high <= GLUCOSE_AT_MOST => past("≤", GLUCOSE_AT_MOST),
            _ => None,
        };
        Reading {
            quantity,
            low,
            high,
            text,
            critical,
        }
    }

    fn of(quantity: Quantity, n: &Number) -> Reading {
        Reading::new(quantity, n.low, n.high, n.text.clone())
    }
}

/// The words that name what the next number is. 血压 alone names a pair or the systolic value.
const NAMES: [(&str, Option<Quantity>); 12] = [
    ("收缩压", Some(Quantity::Systolic)),
    ("高压", Some(Quantity::Systolic)),
    ("上压", Some(Quantity::Systolic)),
    ("舒张压", Some(Quantity::Diastolic)),
    ("低压", Some(Quantity::Diastolic)),
    ("下压", Some(Quantity::Diastolic)),
    ("血压", None),
    ("血糖", Some(Quantity::Glucose)),
    ("空腹", Some(Quantity::Glucose)),
    ("餐后", Some(Quantity::Glucose)),
    ("饭后", Some(Quantity::Glucose)),
    ("随机", Some(Quantity::Glucose)),
];

/// How far (characters) a number may stand from the word that names it (血糖测出来20多).
const REACH: usize = 6;

/// Glucose meters show HI above and LO below their range, 33.3 and 1.1 mmol/L on the meters
/// sold in China (their manuals' measuring range).
const METER_HIGH: f64 = 33.3;
const METER_LOW: f64 = 1.1;

/// Words that make a sentence a condition, not a report. Questions are still read: 血压190/120，
/// 要去医院吗 reports a value.
const CONDITIONS: [&str; 5] = ["如果", "要是", "万一", "假如", "的话"];

/// The values a (normalised, lower-case) reply reports.
pub fn readings(text: &str) -> Vec<Reading> {
    let mut out = Vec::new();
    for sentence in text.split(['。', '！', '？', '!', '?', '；', ';', '\n']) {
        if !CONDITIONS.iter().any(|w| sentence.contains(w)) {
            out.extend(sentence_readings(sentence));
        }
    }
    out
}

fn sentence_readings(sentence: &str) -> Vec<Reading> {
    let chars: Vec<char> = sentence.chars().collect();
    let found = numbers(&chars);
    let mut used = vec![false; found.len()];
    let mut out = Vec::new();
    // 180/110: a pair wherever it stands.
    for i in 0..found.len().saturating_sub(1) {
        let (a, b) = (&found[i], &found[i + 1]);
        if !used[i] && b.start == a.end + 1 && chars.get(a.end) == Some(&'/') && pair(a, b) {
            out.push(Reading::of(Quantity::Systolic, a));
            out.push(Reading::of(Quantity::Diastolic, b));
            used[i] = true;
            used[i + 1] = true;
        }
    }
    // A number named by the word before it.
    let text: String = chars.iter().collect();
    let mut names: Vec<(usize, Option<Quantity>)> = Vec::new();
    for (name, quantity) in NAMES {
        for (byte, _) in text.match_indices(name) {
            names.push((text[..byte].chars().count() + name.chars().count(), quantity));
        }
    }
    names.sort_by_key(|(end, _)| *end);
    for (k, &(end, quantity)) in names.iter().enumerate() {
        let next_name = names.get(k + 1).map_or(usize::MAX, |(e, _)| *e);
        let Some(i) = found
            .iter()
            .position(|n| n.start >= end && n.start <= end + REACH && n.start < next_name)
        else {
            continue;
        };
        if used[i] {
            continue;
        }
        let n = &found[i];
        match quantity {
            Some(q) if q.plausible(n.low) => {
                out.push(Reading::of(q, n));
                used[i] = true;
            }
            Some(_) => {}
            None => {
                // 血压一百八十五，九十五 / 血压185 95: a pair; 血压200多: the systolic value.
                let second = found
                    .get(i + 1)
                    .filter(|b| !used[i + 1] && b.start <= n.end + 2 && pair(n, b));
                if let Some(b) = second {
                    out.push(Reading::of(Quantity::Systolic, n));
                    out.push(Reading::of(Quantity::Diastolic, b));
                    used[i + 1] = true;
                    used[i] = true;
                } else if n.low >= 100.0 && Quantity::Systolic.plausible(n.low) {
                    out.push(Reading::of(Quantity::Systolic, n));
                    used[i] = true;
                }
            }
        }
    }
    if text.contains("血糖") {
        for word in text.split(|c: char| !c.is_ascii_alphabetic()) {
            match word {
                "hi" => out.push(Reading::new(Quantity::Glucose, METER_HIGH, METER_HIGH, "HI".into())),
                "lo" => out.push(Reading::new(Quantity::Glucose, METER_LOW, METER_LOW, "LO".into())),
                _ => {}
            }
        }
    }
    out
}

/// Whether two numbers read as systolic over diastolic.
fn pair(a: &Number, b: &Number) -> bool {
    Quantity::Systolic.plausible(a.low) && Quantity::Diastolic.plausible(b.low) && a.low > b.low
}

#[cfg(test)]
mod tests {
    use super::{Quantity, readings};

    fn read(text: &str) -> Vec<(Quantity, f64, bool)> {
        readings(text)
            .into_iter()
            .map(|r| (r.quantity, r.low, r.critical.is_some()))
            .collect()
    }

    use Quantity::{Diastolic as D, Glucose as G, Systolic as S};

    #[test]
    fn blood_pressure_is_read_however_it_is_written() {
        assert_eq!(read("血压180/110，头晕"), [(S, 180.0, true), (D, 110.0, true)]);
        assert_eq!(read("量了一下160/100"), [(S, 160.0, false), (D, 100.0, false)]);
        assert_eq!(read("高压一百八"), [(S, 180.0, true)]);
        assert_eq!(read("高压一百五，低压一百一"), [(S, 150.0, false), (D, 110.0, true)]);
        assert_eq!(read("血压一百八十五，九十五"), [(S, 185.0, true), (D, 95.0, false)]);
        assert_eq!(read("血压200多"), [(S, 200.0, true)]);
        assert_eq!(read("血压一百四十几"), [(S, 140.0, false)]);
        assert_eq!(read("测了三次血压，都在140左右"), [(S, 140.0, false)]);
    }

    #[test]
    fn glucose_is_read_on_both_sides_of_its_limits() {
        assert_eq!(read("血糖2.8"), [(G, 2.8, true)]);
        assert_eq!(read("空腹血糖18.6"), [(G, 18.6, true)]);
        assert_eq!(read("血糖7.8，比上个月好"), [(G, 7.8, false)]);
        assert_eq!(read("血糖三点几，手抖"), [(G, 3.0, true)]);
        assert_eq!(read("血糖4点几"), [(G, 4.0, false)]);
        assert_eq!(read("血糖测出来20多"), [(G, 20.0, true)]);
        assert_eq!(read("血糖仪显示hi"), [(G, 33.3, true)]);
        // mg/dL or not a glucose at all: not read.
        assert_eq!(read("血糖126"), []);
    }

    #[test]
    fn numbers_that_are_not_readings_are_left_alone() {
        assert_eq!(read("医生说如果血压超过180就去急诊"), []);
        assert_eq!(read("体温38.5度"), []);
        assert_eq!(read("一天三四次，吃了12/6开的药"), []);
        assert_eq!(read("血压90"), []);
    }
}
