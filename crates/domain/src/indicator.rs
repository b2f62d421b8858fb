//! The indicator catalogue (指标目录): every measured quantity CareLoop understands, with its
//! Chinese and English names, LOINC code, canonical unit, accepted units and their conversions,
//! adult reference range and the physiologically possible range used to reject typing errors.
//!
//! Sources of the reference ranges:
//! - BP: 中国高血压防治指南 (2018 revision): hypertension ≥140 and/or ≥90 mmHg.
//! - BMI and waist: WS/T 428-2013 成人体重判定 (BMI 18.5–<24.0; central obesity waist ≥90 cm men,
//!   ≥85 cm women).
//! - Glucose: WHO 1999 criteria as adopted by 中国2型糖尿病防治指南 (2020): FPG normal <6.1,
//!   2 h OGTT normal <7.8 mmol/L.
//! - Lipids: 中国成人血脂异常防治指南 (2016): TC <5.2, TG <1.7, LDL-C <3.4, HDL-C ≥1.0 mmol/L.
//! - Uric acid, creatinine: WS/T 404.5-2015; ALT, AST: WS/T 404.1-2012 (Chinese adult reference
//!   intervals, sex-specific; quoted from background knowledge, unverified against the text).
//! - HbA1c 4.0–6.0 %, PSA ≤4.0, AFP ≤7.0, CEA ≤5.0 ng/mL: common Chinese laboratory reference
//!   intervals (method-dependent; a hospital may override them later).
//! - Potassium 3.5–5.3 and sodium 137–147 mmol/L: WS/T 404.3-2012; haemoglobin 130–175 g/L men,
//!   115–150 g/L women, platelets 125–350 ×10⁹/L: WS/T 405-2012 (Chinese adult reference
//!   intervals; quoted from background knowledge, unverified against the text). These four are
//!   in the catalogue for their critical values ([`crate::critical`]).
//!
//! Conversion factors: glucose 1 mmol/L = 18.016 mg/dL (molar mass 180.16); cholesterol
//! 1 mmol/L = 38.67 mg/dL; triglycerides 1 mmol/L = 88.57 mg/dL; uric acid 1 mg/dL =
//! 59.48 µmol/L; creatinine 1 mg/dL = 88.42 µmol/L; HbA1c % = 0.09148 × mmol/mol + 2.152
//! (IFCC–NGSP master equation); 1 kPa = 7.50062 mmHg; 1 斤 = 0.5 kg; haemoglobin 1 g/dL =
//! 10 g/L; platelets 1 ×10³/µL = 1 ×10⁹/L; potassium and sodium 1 mEq/L = 1 mmol/L.

use crate::FieldError;
use crate::patient::Sex;
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// One end of a range; `Inclusive(x)` means x itself is within the range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Limit {
    Inclusive(f64),
    Exclusive(f64),
}

impl Limit {
    pub fn value(self) -> f64 {
        match self {
            Limit::Inclusive(v) | Limit::Exclusive(v) => v,
        }
    }
}

/// An interval of normal values in the canonical unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Range {
    pub low: Option<Limit>,
    pub high: Option<Limit>,
}

const fn range(low: Option<Limit>, high: Option<Limit>) -> Range {
    Range { low, high }
}

impl Range {
    pub fn flag(&self, v: f64) -> Flag {
        match self.low {
            Some(Limit::Inclusive(l)) if v < l => return Flag::Low,
            Some(Limit::Exclusive(l)) if v <= l => return Flag::Low,
            _ => {}
        }
        match self.high {
            Some(Limit::Inclusive(h)) if v > h => Flag::High,
            Some(Limit::Exclusive(h)) if v >= h => Flag::High,
            _ => Flag::Normal,
        }
    }

    /// The range as a short label, e.g. `3.9–<6.1`, `<5.2`, `≥1.0`.
    pub fn label(&self) -> String {
        let lo = self.low.map(|l| match l {
            Limit::Inclusive(v) => format!("{v}"),
            Limit::Exclusive(v) => format!(">{v}"),
        });
        let hi = self.high.map(|h| match h {
            Limit::Inclusive(v) => format!("{v}"),
            Limit::Exclusive(v) => format!("<{v}"),
        });
        match (lo, hi) {
            (Some(l), Some(h)) => format!("{l}–{h}"),
            (Some(l), None) => match self.low {
                Some(Limit::Inclusive(v)) => format!("≥{v}"),
                _ => l,
            },
            (None, Some(h)) => match self.high {
                Some(Limit::Inclusive(v)) => format!("≤{v}"),
                _ => h,
            },
            (None, None) => String::new(),
        }
    }

    pub fn bounds(&self) -> (Option<f64>, Option<f64>) {
        (self.low.map(Limit::value), self.high.map(Limit::value))
    }
}

/// Whether a value lies below, within or above its reference range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    Low,
    Normal,
    High,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Low => "low",
            Flag::Normal => "normal",
            Flag::High => "high",
        }
    }

    pub fn parse(s: &str) -> Flag {
        match s {
            "low" => Flag::Low,
            "high" => Flag::High,
            _ => Flag::Normal,
        }
    }

    pub fn is_abnormal(self) -> bool {
        self != Flag::Normal
    }
}

/// The reference range, which for some indicators differs by sex.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reference {
    None,
    All(Range),
    BySex { male: Range, female: Range },
}

impl Reference {
    pub fn for_sex(&self, sex: Sex) -> Option<Range> {
        match *self {
            Reference::None => None,
            Reference::All(r) => Some(r),
            Reference::BySex { male, female } => Some(if sex == Sex::Male { male } else { female }),
        }
    }
}

/// How to turn a value in an accepted unit into the canonical unit: `v * factor + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    pub unit: &'static str,
    pub factor: f64,
    pub offset: f64,
}

const fn conv(unit: &'static str, factor: f64) -> Conversion {
    Conversion {
        unit,
        factor,
        offset: 0.0,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// CareLoop's short code, used in the API (`sbp`, `fpg`, ...).
    pub code: &'static str,
    /// The LOINC code for the canonical unit, where one exists.
    pub loinc: Option<&'static str>,
    /// Further LOINC codes that mean the same quantity in another unit or method.
    pub loinc_aliases: &'static [&'static str],
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub unit: &'static str,
    /// Other spellings of the canonical unit, accepted as-is.
    pub unit_aliases: &'static [&'static str],
    pub conversions: &'static [Conversion],
    pub reference: Reference,
    /// Values outside this range (canonical unit) cannot be a real human measurement.
    pub plausible: (f64, f64),
    /// Decimal places kept in the canonical unit.
    pub decimals: u8,
}

use Limit::{Exclusive as Ex, Inclusive as In};

const MG_DL_GLUCOSE: f64 = 1.0 / 18.016;
const MG_DL_CHOLESTEROL: f64 = 1.0 / 38.67;
const MG_DL_TG: f64 = 1.0 / 88.57;

/// The catalogue, in the order the UI shows it.
pub static CATALOGUE: &[Indicator] = &[
    Indicator {
        code: "sbp",
        loinc: Some("8480-6"),
        loinc_aliases: &[],
        name_zh: "收缩压",
        name_en: "Systolic blood pressure",
        unit: "mmHg",
        unit_aliases: &["mm[Hg]"],
        conversions: &[conv("kPa", 7.50062)],
        reference: Reference::All(range(Some(In(90.0)), Some(Ex(140.0)))),
        plausible: (40.0, 300.0),
        decimals: 0,
    },
    Indicator {
        code: "dbp",
        loinc: Some("8462-4"),
        loinc_aliases: &[],
        name_zh: "舒张压",
        name_en: "Diastolic blood pressure",
        unit: "mmHg",
        unit_aliases: &["mm[Hg]"],
        conversions: &[conv("kPa", 7.50062)],
        reference: Reference::All(range(Some(In(60.0)), Some(Ex(90.0)))),
        plausible: (20.0, 200.0),
        decimals: 0,
    },
    Indicator {
        code: "hr",
        loinc: Some("8867-4"),
        loinc_aliases: &[],
        name_zh: "心率",
        name_en: "Heart rate",
        unit: "/min",
        unit_aliases: &["bpm", "次/分", "beats/min", "{beats}/min"],
        conversions: &[],
        reference: Reference::All(range(Some(In(60.0)), Some(In(100.0)))),
        plausible: (20.0, 250.0),
        decimals: 0,
    },
    Indicator {
        code: "height",
        loinc: Some("8302-2"),
        loinc_aliases: &[],
        name_zh: "身高",
        name_en: "Body height",
        unit: "cm",
        unit_aliases: &[],
        conversions: &[conv("m", 100.0)],
        reference: Reference::None,
        plausible: (40.0, 250.0),
        decimals: 1,
    },
    Indicator {
        code: "weight",
        loinc: Some("29463-7"),
        loinc_aliases: &[],
        name_zh: "体重",
        name_en: "Body weight",
        unit: "kg",
        unit_aliases: &[],
        conversions: &[
            conv("g", 0.001),
            conv("斤", 0.5),
            conv("[lb_av]", 0.45359237),
            conv("lb", 0.45359237),
        ],
        reference: Reference::None,
        plausible: (2.0, 300.0),
        decimals: 1,
    },
    Indicator {
        code: "bmi",
        loinc: Some("39156-5"),
        loinc_aliases: &[],
        name_zh: "体重指数",
        name_en: "Body mass index",
        unit: "kg/m2",
        unit_aliases: &["kg/m²", "kg/m^2"],
        conversions: &[],
        reference: Reference::All(range(Some(In(18.5)), Some(Ex(24.0)))),
        plausible: (8.0, 80.0),
        decimals: 1,
    },
    Indicator {
        code: "waist",
        loinc: Some("8280-0"),
        loinc_aliases: &[],
        name_zh: "腰围",
        name_en: "Waist circumference",
        unit: "cm",
        unit_aliases: &[],
        conversions: &[conv("m", 100.0)],
        reference: Reference::BySex {
            male: range(None, Some(Ex(90.0))),
            female: range(None, Some(Ex(85.0))),
        },
        plausible: (30.0, 250.0),
        decimals: 1,
    },
    Indicator {
        code: "fpg",
        loinc: Some("14771-0"),
        loinc_aliases: &["1558-6", "1554-5"],
        name_zh: "空腹血糖",
        name_en: "Fasting plasma glucose",
        unit: "mmol/L",
        unit_aliases: &[],
        conversions: &[conv("mg/dL", MG_DL_GLUCOSE)],
        reference: Reference::All(range(Some(In(3.9)), Some(Ex(6.1)))),
        plausible: (0.5, 60.0),
        decimals: 2,
    },
    Indicator {
        code: "pg2h",
        loinc: Some("14995-5"),
        loinc_aliases: &["1518-0"],
        name_zh: "餐后2小时血糖",
        name_en: "2-hour plasma glucose",
        unit: "mmol/L",
        unit_aliases: &[],
        conversions: &[conv("mg/dL", MG_DL_GLUCOSE)],
        reference: Reference::All(range(None, Some(Ex(7.8)))),
        plausible: (0.5, 60.0),
        decimals: 2,
    },
    Indicator {
        code: "hba1c",
        loinc: Some("4548-4"),
        loinc_aliases: &["17856-6"],
        name_zh: "糖化血红蛋白",
        name_en: "Hemoglobin A1c",
        unit: "%",
        unit_aliases: &[],
        conversions: &[Conversion {
            unit: "mmol/mol",
            factor: 0.09148,
            offset: 2.152,
        }],
        reference: Reference::All(range(Some(In(4.0)), Some(In(6.0)))),
        plausible: (2.0, 25.0),
        decimals: 1,
    },
    Indicator {
        code: "tc",
        loinc: Some("14647-2"),
        loinc_aliases: &["2093-3"],
        name_zh: "总胆固醇",
        name_en: "Total cholesterol",
        unit: "mmol/L",
        unit_aliases: &[],
        conversions: &[conv("mg/dL", MG_DL_CHOLESTEROL)],
        reference: Reference::All(range(None, Some(Ex(5.2)))),
        plausible: (0.5, 30.0),
        decimals: 2,
    },
    Indicator {
        code: "tg",
        loinc: Some("14927-8"),
        loinc_aliases: &["2571-8"],
        name_zh: "甘油三酯",
        name_en: "Triglycerides",
        unit: "mmol/L",
        unit_aliases: &[],
        conversions: &[conv("mg/dL", MG_DL_TG)],
        reference: Reference::All(range(None, Some(Ex(1.7)))),
        plausible: (0.05, 60.0),
        decimals: 2,
    },
    Indicator {
        code: "ldl",
        loinc: Some("22748-8"),
        loinc_aliases: &["2089-1", "18262-6", "13457-7"],
        name_zh: "低密度脂蛋白胆固醇",
        name_en: "LDL cholesterol",
        unit: "mmol/L",
        unit_aliases: &[],
        conversions: &[conv("mg/dL", MG_DL_CHOLESTEROL)],
        reference: Reference::All(range(None, Some(Ex(3.4)))),
        plausible: (0.05, 20.0),
        decimals: 2,
    },
    Indicator {
        code: "hdl",
        loinc: Some("14646-4"),
        loinc_aliases: &["2085-9"],
        name_zh: "高密度脂蛋白胆固醇",
        name_en: "HDL cholesterol",
        unit: "mmol/L",
        unit_aliases: &[],
        conversions: &[conv("mg/dL", MG_DL_CHOLESTEROL)],
        reference: Reference::All(range(Some(In(1.0)), None)),
        plausible: (0.05, 6.0),
        decimals: 2,
    },
    Indicator {
        code: "ua",
        loinc: Some("14933-6"),
        loinc_aliases: &["3084-1"],
        name_zh: "尿酸",
        name_en: "Uric acid",
        unit: "umol/L",
        unit_aliases: &["µmol/L", "μmol/L"],
        conversions: &[conv("mg/dL", 59.48)],
        reference: Reference::BySex {
            male: range(Some(In(208.0)), Some(In(428.0))),
            female: range(Some(In(155.0)), Some(In(357.0))),
        },
        plausible: (10.0, 2000.0),
        decimals: 0,
    },
    Indicator {
        code: "cr",
        loinc: Some("14682-9"),
        loinc_aliases: &["2160-0"],
        name_zh: "肌酐",
        name_en: "Creatinine",
        unit: "umol/L",
        unit_aliases: &["µmol/L", "μmol/L"],
        conversions: &[conv("mg/dL", 88.42)],
        reference: Reference::BySex {
            male: range(Some(In(57.0)), Some(In(111.0))),
            female: range(Some(In(41.0)), Some(In(81.0))),
        },
        plausible: (5.0, 3000.0),
        decimals: 0,
    },
    Indicator {
        code: "alt",
        loinc: Some("1742-6"),
        loinc_aliases: &[],
        name_zh: "丙氨酸氨基转移酶",
        name_en: "Alanine aminotransferase",
        unit: "U/L",
        unit_aliases: &["IU/L"],
        conversions: &[],
        reference: Reference::BySex {
            male: range(Some(In(9.0)), Some(In(50.0))),
            female: range(Some(In(7.0)), Some(In(40.0))),
        },
        plausible: (0.0, 20000.0),
        decimals: 0,
    },
    Indicator {
        code: "ast",
        loinc: Some("1920-8"),
        loinc_aliases: &[],
        name_zh: "天门冬氨酸氨基转移酶",
        name_en: "Aspartate aminotransferase",
        unit: "U/L",
        unit_aliases: &["IU/L"],
        conversions: &[],
        reference: Reference::BySex {
            male: range(Some(In(15.0)), Some(In(40.0))),
            female: range(Some(In(13.0)), Some(In(35.0))),
        },
        plausible: (0.0, 20000.0),
        decimals: 0,
    },
    Indicator {
        code: "psa",
        loinc: Some("2857-1"),
        loinc_aliases: &[],
        name_zh: "前列腺特异性抗原",
        name_en: "Prostate specific antigen",
        unit: "ng/mL",
        unit_aliases: &["ug/L", "µg/L", "μg/L"],
        conversions: &[],
        reference: Reference::All(range(None, Some(In(4.0)))),
        plausible: (0.0, 20000.0),
        decimals: 2,
    },
    Indicator {
        code: "afp",
        loinc: Some("1834-1"),
        loinc_aliases: &[],
        name_zh: "甲胎蛋白",
        name_en: "Alpha-fetoprotein",
        unit: "ng/mL",
        unit_aliases: &["ug/L", "µg/L", "μg/L"],
        conversions: &[conv("IU/mL", 1.21)],
        reference: Reference::All(range(None, Some(In(7.0)))),
        plausible: (0.0, 1_000_000.0),
        decimals: 2,
    },
    Indicator {
        code: "cea",
        loinc: Some("2039-6"),
        loinc_aliases: &[],
        name_zh: "癌胚抗原",
        name_en: "Carcinoembryonic antigen",
        unit: "ng/mL",
        unit_aliases: &["ug/L", "µg/L", "μg/L"],
        conversions: &[],
        reference: Reference::All(range(None, Some(In(5.0)))),
        plausible: (0.0, 100_000.0),
        decimals: 2,
    },
    Indicator {
        code: "k",
        loinc: Some("2823-3"),
        loinc_aliases: &["6298-4"],
        name_zh: "血钾",
        name_en: "Potassium",
        unit: "mmol/L",
        unit_aliases: &["mEq/L"],
        conversions: &[],
        reference: Reference::All(range(Some(In(3.5)), Some(In(5.3)))),
        plausible: (1.0, 12.0),
        decimals: 2,
    },
    Indicator {
        code: "na",
        loinc: Some("2951-2"),
        loinc_aliases: &["2947-0"],
        name_zh: "血钠",
        name_en: "Sodium",
        unit: "mmol/L",
        unit_aliases: &["mEq/L"],
        conversions: &[],
        reference: Reference::All(range(Some(In(137.0)), Some(In(147.0)))),
        plausible: (90.0, 200.0),
        decimals: 1,
    },
    Indicator {
        code: "hb",
        loinc: Some("718-7"),
        loinc_aliases: &[],
        name_zh: "血红蛋白",
        name_en: "Haemoglobin",
        unit: "g/L",
        unit_aliases: &[],
        conversions: &[conv("g/dL", 10.0)],
        reference: Reference::BySex {
            male: range(Some(In(130.0)), Some(In(175.0))),
            female: range(Some(In(115.0)), Some(In(150.0))),
        },
        plausible: (10.0, 280.0),
        decimals: 0,
    },
    Indicator {
        code: "plt",
        loinc: Some("777-3"),
        loinc_aliases: &[],
        name_zh: "血小板计数",
        name_en: "Platelet count",
        unit: "10^9/L",
        unit_aliases: &["10*9/L", "×10^9/L", "x10^9/L", "10*3/uL", "10^3/uL", "K/uL"],
        conversions: &[],
        reference: Reference::All(range(Some(In(125.0)), Some(In(350.0)))),
        plausible: (0.0, 3000.0),
        decimals: 0,
    },
];

/// The indicator with this short code or LOINC code.
pub fn lookup(code: &str) -> Option<&'static Indicator> {
    let code = code.trim();
    CATALOGUE
        .iter()
        .find(|i| i.code.eq_ignore_ascii_case(code) || i.loinc == Some(code) || i.loinc_aliases.contains(&code))
}

/// Units compare without case, spaces or the micro-sign variants.
fn same_unit(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c == 'µ' || c == 'μ' { 'u' } else { c })
            .collect::<String>()
            .to_lowercase()
    };
    norm(a) == norm(b)
}

impl Indicator {
    /// `value` in `unit` converted to the canonical unit, or `None` if the unit does not fit.
    pub fn to_canonical(&self, value: f64, unit: &str) -> Option<f64> {
        if same_unit(unit, self.unit) || self.unit_aliases.iter().any(|a| same_unit(unit, a)) {
            return Some(value);
        }
        self.conversions
            .iter()
            .find(|c| same_unit(unit, c.unit))
            .map(|c| value * c.factor + c.offset)
    }

    pub fn accepted_units(&self) -> Vec<&'static str> {
        std::iter::once(self.unit)
            .chain(self.conversions.iter().map(|c| c.unit))
            .collect()
    }

    fn round(&self, v: f64) -> f64 {
        let p = 10f64.powi(i32::from(self.decimals));
        (v * p).round() / p
    }
}

/// An observation as submitted: an indicator code, a value with its unit and when it was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationInput {
    pub code: String,
    pub value: f64,
    pub unit: Option<String>,
    pub effective_at: OffsetDateTime,
    pub source: Option<String>,
}

/// A validated observation in the indicator's canonical unit with its flag.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidObservation {
    pub indicator: &'static Indicator,
    pub value: f64,
    pub effective_at: OffsetDateTime,
    pub source: String,
    pub flag: Flag,
}

/// Measurements may be stamped by devices whose clocks run a little ahead.
const CLOCK_SKEW: Duration = Duration::minutes(10);

impl ValidObservation {
    /// Validate one observation for a patient of `sex`, as of `now`.
    pub fn parse(input: &ObservationInput, sex: Sex, now: OffsetDateTime) -> Result<Self, FieldError> {
        let indicator = lookup(&input.code).ok_or_else(|| {
            FieldError::new(
                "code",
                "indicator_unknown",
                format!(
                    "unknown indicator code '{}'",
                    input.code.chars().take(40).collect::<String>()
                ),
                "未知的指标代码",
            )
        })?;
        if !input.value.is_finite() {
            return Err(FieldError::new(
                "value",
                "value_invalid",
                "value must be a number",
                "数值无效",
            ));
        }
        let unit = input
            .unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or(indicator.unit);
        let canonical = indicator.to_canonical(input.value, unit).ok_or_else(|| {
            FieldError::new(
                "unit",
                "unit_mismatch",
                format!(
                    "unit '{}' does not fit {}; use one of {}",
                    unit.chars().take(20).collect::<String>(),
                    indicator.code,
                    indicator.accepted_units().join(", ")
                ),
                format!(
                    "单位不适用于{}，可用单位：{}",
                    indicator.name_zh,
                    indicator.accepted_units().join("、")
                ),
            )
        })?;
        let (lo, hi) = indicator.plausible;
        if !(lo..=hi).contains(&canonical) {
            return Err(FieldError::new(
                "value",
                "value_implausible",
                format!(
                    "{} {} is outside the physiological range {lo}–{hi} {}",
                    indicator.code, input.value, indicator.unit
                ),
                format!(
                    "{}数值超出生理可能范围（{lo}–{hi} {}）",
                    indicator.name_zh, indicator.unit
                ),
            ));
        }
        if input.effective_at > now + CLOCK_SKEW {
            return Err(FieldError::new(
                "effective_at",
                "effective_at_in_future",
                "effective_at is in the future",
                "检测时间不能晚于当前时间",
            ));
        }
        if input.effective_at.to_offset(crate::clock::CHINA).date() < crate::clock::EARLIEST {
            return Err(FieldError::new(
                "effective_at",
                "date_out_of_range",
                "effective_at must not be before 1900-01-01",
                "检测时间不能早于 1900-01-01",
            ));
        }
        let value = indicator.round(canonical);
        let flag = indicator.reference.for_sex(sex).map_or(Flag::Normal, |r| r.flag(value));
        let source = input
            .source
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("manual");
        Ok(ValidObservation {
            indicator,
            value,
            effective_at: input.effective_at,
            source: source.chars().take(40).collect(),
            flag,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);

    fn obs(code: &str, value: f64, unit: Option<&str>) -> Result<ValidObservation, FieldError> {
        let input = ObservationInput {
            code: code.into(),
            value,
            unit: unit.map(Into::into),
            effective_at: datetime!(2026-11-20 08:00 UTC),
            source: None,
        };
        ValidObservation::parse(&input, Sex::Male, NOW)
    }

    #[test]
    fn the_catalogue_has_every_indicator_the_issue_names_with_unique_codes() {
        let required = [
            "sbp", "dbp", "hr", "height", "weight", "bmi", "waist", "fpg", "pg2h", "hba1c", "tc", "tg", "ldl", "hdl",
            "ua", "cr", "alt", "ast", "psa", "afp", "cea", "k", "na", "hb", "plt",
        ];
        for code in required {
            assert!(lookup(code).is_some(), "{code}");
        }
        let mut all: Vec<&str> = CATALOGUE
            .iter()
            .flat_map(|i| i.loinc.into_iter().chain(i.loinc_aliases.iter().copied()))
            .collect();
        all.extend(CATALOGUE.iter().map(|i| i.code));
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "codes must be unique");
    }

    #[test]
    fn loinc_codes_find_their_indicator() {
        assert_eq!(lookup("8480-6").unwrap().code, "sbp");
        assert_eq!(lookup("2093-3").unwrap().code, "tc");
    }

    #[test]
    fn glucose_126_mg_dl_is_the_7_0_mmol_l_diabetes_threshold() {
        let o = obs("fpg", 126.0, Some("mg/dL")).unwrap();
        assert_eq!(o.value, 6.99);
        assert_eq!(o.flag, Flag::High);
    }

    #[test]
    fn cholesterol_200_mg_dl_is_5_17_mmol_l() {
        assert_eq!(obs("tc", 200.0, Some("mg/dl")).unwrap().value, 5.17);
        assert_eq!(obs("tg", 150.0, Some("mg/dL")).unwrap().value, 1.69);
    }

    #[test]
    fn laboratory_units_convert_to_the_chinese_report_units() {
        assert_eq!(obs("718-7", 14.1, Some("g/dL")).unwrap().value, 141.0);
        assert_eq!(obs("777-3", 250.0, Some("10*3/uL")).unwrap().value, 250.0);
        assert_eq!(obs("2823-3", 4.1, Some("mEq/L")).unwrap().value, 4.1);
        assert_eq!(
            obs("hb", 120.0, Some("g/L")).unwrap().flag,
            Flag::Low,
            "men from 130 g/L"
        );
    }

    #[test]
    fn hba1c_48_mmol_mol_is_6_5_percent() {
        assert_eq!(obs("hba1c", 48.0, Some("mmol/mol")).unwrap().value, 6.5);
    }

    #[test]
    fn bp_flags_follow_the_140_90_threshold() {
        assert_eq!(obs("sbp", 139.0, None).unwrap().flag, Flag::Normal);
        assert_eq!(obs("sbp", 140.0, None).unwrap().flag, Flag::High);
        assert_eq!(obs("dbp", 90.0, Some("mmHg")).unwrap().flag, Flag::High);
        assert_eq!(obs("sbp", 85.0, None).unwrap().flag, Flag::Low);
    }

    #[test]
    fn waist_reference_depends_on_sex() {
        let r = lookup("waist").unwrap().reference;
        assert_eq!(r.for_sex(Sex::Male).unwrap().flag(87.0), Flag::Normal);
        assert_eq!(r.for_sex(Sex::Female).unwrap().flag(87.0), Flag::High);
    }

    #[test]
    fn wrong_units_unknown_codes_and_impossible_values_are_rejected() {
        assert_eq!(obs("sbp", 120.0, Some("mmol/L")).unwrap_err().code, "unit_mismatch");
        assert_eq!(obs("xyz", 1.0, None).unwrap_err().code, "indicator_unknown");
        assert_eq!(obs("sbp", 1200.0, None).unwrap_err().code, "value_implausible");
        assert_eq!(obs("fpg", f64::NAN, None).unwrap_err().code, "value_invalid");
    }

    #[test]
    fn future_measurements_are_rejected() {
        let input = ObservationInput {
            code: "hr".into(),
            value: 70.0,
            unit: None,
            effective_at: datetime!(2026-11-23 08:00 UTC),
            source: None,
        };
        assert_eq!(
            ValidObservation::parse(&input, Sex::Female, NOW).unwrap_err().code,
            "effective_at_in_future"
        );
    }

    #[test]
    fn measurements_before_1900_are_rejected() {
        let input = |effective_at| ObservationInput {
            code: "hr".into(),
            value: 70.0,
            unit: None,
            effective_at,
            source: None,
        };
        let err = ValidObservation::parse(&input(datetime!(0001-01-01 08:00 UTC)), Sex::Female, NOW).unwrap_err();
        assert_eq!((err.field.as_str(), err.code), ("effective_at", "date_out_of_range"));
        assert!(ValidObservation::parse(&input(datetime!(1900-01-01 08:00 +8)), Sex::Female, NOW).is_ok());
    }

    #[test]
    fn range_labels_read_naturally() {
        assert_eq!(
            lookup("fpg").unwrap().reference.for_sex(Sex::Male).unwrap().label(),
            "3.9–<6.1"
        );
        assert_eq!(
            lookup("hdl").unwrap().reference.for_sex(Sex::Male).unwrap().label(),
            "≥1"
        );
        assert_eq!(
            lookup("psa").unwrap().reference.for_sex(Sex::Male).unwrap().label(),
            "≤4"
        );
    }
}
