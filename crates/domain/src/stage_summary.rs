//! Health stage summary (健康阶段总结): one plain-language paragraph about a chosen period, built
//! by templates from the record alone. Every sentence states a fact the caller passed in (a
//! count, a value with its date, a tier change with its date); a kind of fact that is absent
//! produces no sentence, so nothing is invented and nothing is implied by omission wording.

use time::Date;

/// One indicator over the period: its first and last value (with dates) and counts.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorStage {
    pub name_zh: String,
    pub unit: String,
    pub first: (f64, Date),
    pub last: (f64, Date),
    pub count: usize,
    pub abnormal_count: usize,
    /// Whether the last value is outside its reference range, and which way (`偏高` / `偏低`).
    pub last_flag: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageFacts {
    /// How the patient is addressed (王先生).
    pub address: String,
    pub from: Date,
    pub to: Date,
    /// Follow-up records signed in the period: (reached, not reached).
    pub visits: (usize, usize),
    pub indicators: Vec<IndicatorStage>,
    /// Tier assessments in the period, oldest first: (date, tier in Chinese).
    pub tier_changes: Vec<(Date, String)>,
    /// Questionnaires completed in the period: (date, title, band in Chinese).
    pub questionnaires: Vec<(Date, String, String)>,
    pub advice_titles: Vec<String>,
}

fn ymd(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The paragraph.
pub fn summarise(f: &StageFacts) -> String {
    let mut s = Vec::new();
    s.push(format!("{}至{}，", ymd(f.from), ymd(f.to)));
    let (reached, missed) = f.visits;
    let mut body = Vec::new();
    match (reached, missed) {
        (0, 0) => body.push(format!("{}在本期间没有随访记录", f.address)),
        (r, 0) => body.push(format!("{}共完成随访{r}次", f.address)),
        (r, m) => body.push(format!("{}共完成随访{r}次，另有{m}次未能联系上", f.address)),
    }
    for i in &f.indicators {
        let mut t = if i.count == 1 {
            format!(
                "{}测量1次，为{} {}（{}）",
                i.name_zh,
                num(i.last.0),
                i.unit,
                ymd(i.last.1)
            )
        } else {
            let change = i.last.0 - i.first.0;
            let dir = if change.abs() < 1e-9 {
                "持平".to_string()
            } else if change > 0.0 {
                format!("上升{} {}", num(change), i.unit)
            } else {
                format!("下降{} {}", num(-change), i.unit)
            };
            format!(
                "{}测量{}次，从{} {}（{}）到{} {}（{}），{dir}",
                i.name_zh,
                i.count,
                num(i.first.0),
                i.unit,
                ymd(i.first.1),
                num(i.last.0),
                i.unit,
                ymd(i.last.1)
            )
        };
        if let Some(flag) = i.last_flag {
            t.push_str(&format!("，最近一次{flag}"));
        }
        if i.abnormal_count > 0 && i.count > 1 {
            t.push_str(&format!("，{}次超出参考范围", i.abnormal_count));
        }
        body.push(t);
    }
    let mut text = s.concat() + &body.join("；") + "。";
    if !f.tier_changes.is_empty() {
        let changes: Vec<String> = f
            .tier_changes
            .iter()
            .map(|(d, t)| format!("{}评为{}", ymd(*d), t))
            .collect();
        text.push_str(&format!("风险分层：{}。", changes.join("，")));
    }
    if !f.questionnaires.is_empty() {
        let q: Vec<String> = f
            .questionnaires
            .iter()
            .map(|(d, title, band)| {
                if band.is_empty() {
                    format!("{}完成{title}", ymd(*d))
                } else {
                    format!("{}完成{title}，结果为{band}", ymd(*d))
                }
            })
            .collect();
        text.push_str(&format!("{}。", q.join("；")));
    }
    if !f.advice_titles.is_empty() {
        text.push_str(&format!("请参阅本报告的健康建议：{}。", f.advice_titles.join("、")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn facts() -> StageFacts {
        StageFacts {
            address: "王先生".into(),
            from: date!(2025 - 01 - 01),
            to: date!(2025 - 12 - 31),
            visits: (0, 0),
            indicators: Vec::new(),
            tier_changes: Vec::new(),
            questionnaires: Vec::new(),
            advice_titles: Vec::new(),
        }
    }

    #[test]
    fn an_empty_period_says_only_that() {
        assert_eq!(
            summarise(&facts()),
            "2025年1月1日至2025年12月31日，王先生在本期间没有随访记录。"
        );
    }

    #[test]
    fn every_sentence_comes_from_a_fact() {
        let mut f = facts();
        f.visits = (3, 1);
        f.indicators.push(IndicatorStage {
            name_zh: "收缩压".into(),
            unit: "mmHg".into(),
            first: (152.0, date!(2025 - 01 - 10)),
            last: (136.0, date!(2025 - 11 - 20)),
            count: 4,
            abnormal_count: 2,
            last_flag: None,
        });
        f.indicators.push(IndicatorStage {
            name_zh: "低密度脂蛋白胆固醇".into(),
            unit: "mmol/L".into(),
            first: (3.9, date!(2025 - 06 - 01)),
            last: (3.9, date!(2025 - 06 - 01)),
            count: 1,
            abnormal_count: 1,
            last_flag: Some("偏高"),
        });
        f.tier_changes = vec![(date!(2025 - 06 - 03), "高危".into())];
        f.questionnaires = vec![(date!(2025 - 07 - 01), "PHQ-9".into(), "轻度抑郁".into())];
        f.advice_titles = vec!["控制血压的饮食".into()];
        assert_eq!(
            summarise(&f),
            "2025年1月1日至2025年12月31日，王先生共完成随访3次，另有1次未能联系上；\
             收缩压测量4次，从152 mmHg（2025年1月10日）到136 mmHg（2025年11月20日），下降16 mmHg，2次超出参考范围；\
             低密度脂蛋白胆固醇测量1次，为3.9 mmol/L（2025年6月1日），最近一次偏高。\
             风险分层：2025年6月3日评为高危。2025年7月1日完成PHQ-9，结果为轻度抑郁。\
             请参阅本报告的健康建议：控制血压的饮食。"
        );
    }
}
