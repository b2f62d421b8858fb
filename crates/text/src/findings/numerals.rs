//! Numbers as patients write them: Arabic (180, 3.2, 20多) and Chinese (一百八, 一百八十五,
//! 三点二, 三点几, 一百九十多). A number followed by 多 or 几, or with 几 after its point, is
//! approximate: it is read as a range, so a limit is passed only when the whole range passes it
//! (血压200多 is at least 200; 血糖三点几 is at most 3.9).
//!
//! A lone Chinese digit is not read (一直, 两三回, 四点又醒了 are words, not values): a Chinese
//! number needs 十 or 百, or a decimal digit after 点.

/// A number in the text, with where it stands (character positions) and the range it means.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub low: f64,
    pub high: f64,
    /// Characters `start..end` of the text.
    pub start: usize,
    pub end: usize,
    pub text: String,
}

pub(super) fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '零' | '〇' => Some(0),
        '一' => Some(1),
        '二' | '两' => Some(2),
        '三' => Some(3),
        '四' => Some(4),
        '五' => Some(5),
        '六' => Some(6),
        '七' => Some(7),
        '八' => Some(8),
        '九' => Some(9),
        _ => None,
    }
}

fn chinese(c: char) -> bool {
    !c.is_ascii_digit() && (digit(c).is_some() || c == '十' || c == '百')
}

/// Every number in `chars`, left to right.
pub fn numbers(chars: &[char]) -> Vec<Number> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let read = if chars[i].is_ascii_digit() {
            arabic(chars, i)
        } else if chinese(chars[i]) {
            chinese_number(chars, i)
        } else {
            None
        };
        match read {
            Some(n) => {
                i = n.end.max(i + 1);
                out.push(n);
            }
            None => i += 1,
        }
    }
    out
}

fn arabic(chars: &[char], start: usize) -> Option<Number> {
    let mut i = start;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    let mut text: String = chars[start..i].iter().collect();
    let mut fraction = false;
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        fraction = true;
        text.push('.');
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            text.push(chars[i]);
            i += 1;
        }
    }
    let low: f64 = text.parse().ok()?;
    Some(approximate(chars, start, i, low, fraction, text))
}

fn chinese_number(chars: &[char], start: usize) -> Option<Number> {
    let mut i = start;
    let mut total = 0u32;
    let mut pending: Option<u32> = None;
    // The place a trailing digit takes when its unit is left out (一百八 = 180).
    let mut implied = 1;
    let mut units = false;
    while let Some(&c) = chars.get(i) {
        match c {
            '百' => {
                total = total.saturating_add(pending.take().unwrap_or(1) * 100);
                implied = 10;
                units = true;
            }
            '十' => {
                total = total.saturating_add(pending.take().unwrap_or(1) * 10);
                implied = 1;
                units = true;
            }
            // 一百零五: the zero only says the tens are empty.
            '零' | '〇' if units => implied = 1,
            c if !c.is_ascii_digit() && digit(c).is_some() => {
                if pending.is_some() {
                    break; // 两三: two numbers, neither read
                }
                pending = digit(c);
            }
            _ => break,
        }
        i += 1;
    }
    let whole = total.saturating_add(pending.map_or(0, |d| d * implied));
    let mut low = f64::from(whole);
    let mut fraction = false;
    let mut text: String = chars[start..i].iter().collect();
    if chars.get(i) == Some(&'点') {
        match chars.get(i + 1) {
            Some('几') => {
                let n = Number {
                    low,
                    high: low + 0.9,
                    start,
                    end: i + 2,
                    text: format!("{text}点几"),
                };
                return Some(n);
            }
            Some(&d) if digit(d).is_some() && !d.is_ascii_digit() => {
                let mut j = i + 1;
                let mut scale = 0.1;
                text.push('点');
                while let Some(d) = chars.get(j).filter(|d| !d.is_ascii_digit()).and_then(|d| digit(*d)) {
                    low += f64::from(d) * scale;
                    scale /= 10.0;
                    text.push(chars[j]);
                    j += 1;
                }
                fraction = true;
                i = j;
            }
            _ => {}
        }
    }
    if !units && !fraction {
        return None;
    }
    Some(approximate(chars, start, i, low, fraction, text))
}

/// The range a number means given what follows it (多, 几).
fn approximate(chars: &[char], start: usize, end: usize, low: f64, fraction: bool, text: String) -> Number {
    let more = matches!(chars.get(end), Some('多' | '几')) && !fraction;
    let high = if more {
        // 20多 is 20–29, 一百九十多 190–199, 6多 6–6.9.
        if low >= 10.0 && low % 10.0 == 0.0 {
            low + 9.0
        } else {
            low + 0.9
        }
    } else {
        low
    };
    let (end, text) = if more {
        (end + 1, format!("{text}{}", chars[end]))
    } else {
        (end, text)
    };
    Number {
        low,
        high,
        start,
        end,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::numbers;

    fn read(text: &str) -> Vec<(f64, f64, String)> {
        let chars: Vec<char> = text.chars().collect();
        numbers(&chars).into_iter().map(|n| (n.low, n.high, n.text)).collect()
    }

    #[test]
    fn arabic_and_chinese_numbers_are_read_with_their_ranges() {
        assert_eq!(
            read("血压180/110"),
            [(180.0, 180.0, "180".into()), (110.0, 110.0, "110".into())]
        );
        assert_eq!(read("血糖3.2"), [(3.2, 3.2, "3.2".into())]);
        assert_eq!(read("高压一百八"), [(180.0, 180.0, "一百八".into())]);
        assert_eq!(
            read("一百八十五，九十五"),
            [(185.0, 185.0, "一百八十五".into()), (95.0, 95.0, "九十五".into())]
        );
        assert_eq!(read("两百"), [(200.0, 200.0, "两百".into())]);
        assert_eq!(read("一百零五"), [(105.0, 105.0, "一百零五".into())]);
        assert_eq!(read("十二"), [(12.0, 12.0, "十二".into())]);
        assert_eq!(read("血压200多"), [(200.0, 209.0, "200多".into())]);
        assert_eq!(read("一百九十多"), [(190.0, 199.0, "一百九十多".into())]);
        assert_eq!(read("三点几"), [(3.0, 3.9, "三点几".into())]);
        let (low, _, text) = &read("三点二")[0];
        assert!((low - 3.2).abs() < 1e-9, "{low}");
        assert_eq!(text, "三点二");
    }

    #[test]
    fn a_run_of_units_saturates_rather_than_overflowing() {
        let text = "九百".repeat(5_000_000);
        let n = &read(&text)[0];
        assert_eq!(n.0, f64::from(u32::MAX));
    }

    #[test]
    fn words_made_of_digits_are_not_numbers() {
        for text in [
            "一直吐",
            "两三回",
            "四点又醒了",
            "有一点疼",
            "一点多才睡着",
            "一个人住",
            "一碰就疼",
        ] {
            assert!(read(text).is_empty(), "{text}: {:?}", read(text));
        }
    }
}
