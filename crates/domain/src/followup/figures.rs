//! Follow-up figures (随访质量指标) as the national basic public health service reports them.
//!
//! Source: 国家基本公共卫生服务规范（第三版）, 2017, 高血压/2型糖尿病患者健康管理服务规范,
//! 考核指标: 规范管理率 = 按照规范要求进行管理的人数 / 年内已管理的人数; 控制率 = 年内最近一次
//! 随访血压（血糖）达标人数 / 年内已管理的人数. "按照规范要求" is read as at least four reached
//! follow-ups in the twelve months up to the period's end, the standard's minimum.

use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// A ratio kept as its two counts, so a report can show "37 / 40" beside "92.5%".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
}

impl Rate {
    pub fn new(numerator: i64, denominator: i64) -> Rate {
        Rate { numerator, denominator }
    }

    /// Percent with one decimal, or `None` when there is nothing to divide by.
    pub fn percent(&self) -> Option<f64> {
        (self.denominator > 0).then(|| (self.numerator as f64 * 1000.0 / self.denominator as f64).round() / 10.0)
    }
}

/// One reached or attempted chronic-disease follow-up, as the standard's figures need it.
#[derive(Debug, Clone)]
pub struct VisitFact {
    pub patient_id: Uuid,
    pub reached: bool,
    /// controlled / uncontrolled / ...; `None` when not classified.
    pub classification: Option<String>,
    /// Seconds since the epoch; only the order matters.
    pub signed_at: i64,
}

/// 规范管理率 and 控制率 for one condition, given every visit of its managed patients in the
/// twelve months up to the period's end and the number of managed patients.
pub fn standard_figures(managed_patients: i64, visits: &[VisitFact]) -> (Rate, Rate) {
    let mut reached: HashMap<Uuid, i64> = HashMap::new();
    let mut latest: HashMap<Uuid, (i64, bool)> = HashMap::new();
    for v in visits {
        if v.reached {
            *reached.entry(v.patient_id).or_default() += 1;
        }
        if let Some(c) = &v.classification {
            let e = latest.entry(v.patient_id).or_insert((i64::MIN, false));
            if v.signed_at >= e.0 {
                *e = (v.signed_at, c == "controlled");
            }
        }
    }
    let standard = reached.values().filter(|n| **n >= 4).count() as i64;
    let controlled = latest.values().filter(|(_, ok)| *ok).count() as i64;
    (
        Rate::new(standard, managed_patients),
        Rate::new(controlled, managed_patients),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(p: u128, reached: bool, class: Option<&str>, at: i64) -> VisitFact {
        VisitFact {
            patient_id: Uuid::from_u128(p),
            reached,
            classification: class.map(String::from),
            signed_at: at,
        }
    }

    #[test]
    fn rates_show_one_decimal_and_nothing_for_an_empty_denominator() {
        assert_eq!(Rate::new(37, 40).percent(), Some(92.5));
        assert_eq!(Rate::new(1, 3).percent(), Some(33.3));
        assert_eq!(Rate::new(0, 0).percent(), None);
    }

    #[test]
    fn four_reached_visits_make_standard_management_and_the_last_visit_decides_control() {
        let visits = [
            // Patient 1: four reached visits, last one controlled.
            visit(1, true, Some("uncontrolled"), 1),
            visit(1, true, Some("uncontrolled"), 2),
            visit(1, true, Some("controlled"), 3),
            visit(1, true, Some("controlled"), 4),
            // Patient 2: three reached and one unanswered; last classified visit uncontrolled.
            visit(2, true, Some("controlled"), 1),
            visit(2, true, Some("controlled"), 2),
            visit(2, false, None, 3),
            visit(2, true, Some("uncontrolled"), 4),
        ];
        // Three managed patients: the third was never reached.
        let (standard, control) = standard_figures(3, &visits);
        assert_eq!(standard, Rate::new(1, 3));
        assert_eq!(control, Rate::new(1, 3));
    }

    #[test]
    fn visits_need_not_arrive_in_order() {
        let visits = [
            visit(1, true, Some("controlled"), 9),
            visit(1, true, Some("uncontrolled"), 5),
        ];
        assert_eq!(standard_figures(1, &visits).1, Rate::new(1, 1));
    }
}
