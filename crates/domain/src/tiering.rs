//! Computed risk tiers (风险分层): a patient's tier from their recent results, diagnoses and
//! the published risk models, with every reason listed and traceable to the value, diagnosis
//! or model result behind it. The highest tier any rule gives wins; no result at all gives no
//! tier (never "low" by default).
//!
//! Rules and their sources:
//! - high: established ASCVD (I20–I25, I63–I64; 中国心血管病风险评估和管理指南 2019 — assessed
//!   as high risk, not by China-PAR); grade 3 blood pressure (≥180 / ≥110, 中国高血压防治指南
//!   2018); glucose in the diabetic range without a diagnosis (FPG ≥7.0 mmol/L or HbA1c ≥6.5%,
//!   中国2型糖尿病防治指南 2020 — an important abnormal result to confirm); diabetes at age ≥40,
//!   LDL-C ≥4.9 or TC ≥7.2 mmol/L (中国成人血脂异常防治指南 2016, direct high-risk groups —
//!   [from background knowledge; CLINICAL.md does not list them]); China-PAR ≥10%.
//! - medium: China-PAR 5–<10%, or ≥10% possible with inputs not on record; hypertension
//!   (diagnosis, or grade 1–2); impaired fasting glucose or prediabetes (R73) or a CDRS score
//!   ≥25 (OGTT advised, Zhou 2013); dyslipidaemia (2016 "high" cut points, HDL-C <1.0);
//!   obesity (BMI ≥28) or central obesity (WS/T 428); diabetes under 40; any other result
//!   outside its reference range.
//! - low: results on record and none of the above.
//!
//! Only values from the last [`RECENT_YEARS`] years count: a tier describes the patient now.
//!
//! Inputs a model needs that are not on record (region, urban or rural residence, smoking,
//! family history) are not guessed: the model is evaluated for every possible value of those
//! inputs and the tier rests on the bounds — a lowest China-PAR risk of ≥10% is high whatever
//! the unknowns; a risk that reaches 10% only for some values is medium, with a reason that says
//! which inputs to record.

use crate::classify;
use crate::followup::protocol::TriggerEvent;
use crate::indicator::{Flag, lookup};
use crate::patient::Sex;
use crate::record::{HealthRecord, Location};
use crate::risk::input::{FamilyHistory, LabValue, LipidUnit, Region};
use crate::risk::{RiskInput, RiskResult, evaluate};
use crate::risk_tier::RiskTier;
use serde::Serialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Results older than this are history, not the patient's current state.
pub const RECENT_YEARS: i64 = 3;

/// One recent value of an indicator, in its canonical unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub value: f64,
    pub flag: Flag,
    pub at: OffsetDateTime,
}

/// What the rules read about one patient. Unknown is `None`, never a default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TierFacts {
    pub sex: Option<Sex>,
    pub age: Option<i32>,
    /// The latest value of each indicator (by catalogue code) from the recent window.
    pub latest: BTreeMap<String, Reading>,
    /// ICD-10 codes of the patient's diagnoses.
    pub diagnoses: Vec<String>,
    pub smoker: Option<bool>,
    pub bp_treated: Option<bool>,
    pub family_history_ascvd: Option<bool>,
    /// Diabetes in a first-degree relative (parent, sibling, child) — what the diabetes
    /// score counts.
    pub family_history_diabetes: Option<bool>,
    pub region: Option<Region>,
    pub urban: Option<bool>,
    /// Inputs taken from the organisation's location because the record leaves them out.
    pub from_organisation: Vec<&'static str>,
}

impl TierFacts {
    /// Read the risk-model inputs of a health record; where it leaves region or residence
    /// out, the organisation's location stands in (and is named as the source).
    pub fn with_record(mut self, r: &HealthRecord, org: &Location) -> TierFacts {
        let yes = |v: &Option<String>| v.as_deref().map(|c| c == "yes");
        self.smoker = r.smoking.as_deref().map(|s| s == "current");
        self.bp_treated = yes(&r.bp_treated);
        self.family_history_ascvd = yes(&r.family_history_ascvd);
        self.family_history_diabetes = r.family_history_diabetes.as_deref().map(|c| c == "first_degree");
        let region = |c: &str| if c == "north" { Region::North } else { Region::South };
        self.region = r.region.as_deref().map(region);
        if self.region.is_none() && org.region.is_some() {
            self.region = org.region.as_deref().map(region);
            self.from_organisation.push("region");
        }
        self.urban = r.residence.as_deref().map(|c| c == "urban");
        if self.urban.is_none() && org.residence.is_some() {
            self.urban = org.residence.as_deref().map(|c| c == "urban");
            self.from_organisation.push("urban");
        }
        self
    }
}

/// The Chinese name of a model input, for reasons staff read (the input's own name when it
/// has none here).
pub fn input_zh(input: &str) -> &str {
    match input {
        "region" => "居住地区（南/北方）",
        "urban" => "城乡",
        "smoker" => "吸烟",
        "bp_treated" => "是否服降压药",
        "family_history_ascvd" => "心血管病家族史",
        "family_history_diabetes" => "糖尿病家族史",
        "sex" => "性别",
        "age" => "年龄",
        "sbp" => "收缩压",
        "total_cholesterol" => "总胆固醇",
        "hdl_cholesterol" => "高密度脂蛋白胆固醇",
        "waist_cm" => "腰围",
        "bmi" => "BMI",
        "diabetes" => "糖尿病",
        other => other,
    }
}

/// Why a patient is in a tier: a rule, the tier it gives and what it read.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TierReason {
    pub code: String,
    #[schema(value_type = String)]
    pub tier: RiskTier,
    pub zh: String,
    pub en: String,
    pub source: String,
}

/// A model evaluated over the unknown inputs: the lowest and highest result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelBounds {
    pub model: &'static str,
    pub low: RiskResult,
    pub high: RiskResult,
    /// Inputs not on record, over whose values the bounds were taken.
    pub unknown: Vec<&'static str>,
    /// Inputs taken from the organisation's location.
    pub from_organisation: Vec<&'static str>,
}

impl ModelBounds {
    /// "6.2%", "1.3%–11.3%" or "29–35 分": the result, or its bounds when inputs are unknown.
    pub fn range(&self) -> String {
        match (self.low.value, self.high.value, self.low.score, self.high.score) {
            (Some(lo), Some(hi), _, _) if (hi - lo).abs() < 0.05 => format!("{lo:.1}%"),
            (Some(lo), Some(hi), _, _) => format!("{lo:.1}%–{hi:.1}%"),
            (_, _, Some(lo), Some(hi)) if lo == hi => format!("{lo} 分"),
            (_, _, Some(lo), Some(hi)) => format!("{lo}–{hi} 分"),
            _ => String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComputedTier {
    /// `None` when nothing is on record to judge by.
    pub tier: Option<RiskTier>,
    pub reasons: Vec<TierReason>,
    pub models: Vec<ModelBounds>,
    /// Models that could not be evaluated, with the results they need that are not on record
    /// (or why the model does not apply to this patient).
    pub unavailable: Vec<Unavailable>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unavailable {
    pub model: &'static str,
    pub missing: Vec<&'static str>,
    /// Why the model does not apply to this patient, in Chinese.
    pub refused: Option<String>,
}

impl ComputedTier {
    /// The reasons of the deciding tier, one per line, as stored with the assessment.
    pub fn summary(&self) -> String {
        self.reasons
            .iter()
            .filter(|r| Some(r.tier) == self.tier)
            .map(|r| r.zh.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }

    /// The trigger a changed tier fires (检后随访 enrolment).
    pub fn trigger(&self) -> Option<TriggerEvent> {
        self.tier.map(|tier| TriggerEvent::RiskTierAssessed { tier })
    }
}

fn reason(code: &str, tier: RiskTier, zh: String, en: String, source: &str) -> TierReason {
    TierReason {
        code: code.into(),
        tier,
        zh,
        en,
        source: source.into(),
    }
}

fn has_diagnosis(f: &TierFacts, prefixes: &[&str]) -> Option<String> {
    f.diagnoses
        .iter()
        .find(|d| prefixes.iter().any(|p| d.starts_with(p)))
        .cloned()
}

fn date_of(r: &Reading) -> String {
    r.at.date().to_string()
}

/// The tier the facts support, as of `now`.
pub fn compute(f: &TierFacts, now: OffsetDateTime) -> ComputedTier {
    let recent: BTreeMap<&str, Reading> = f
        .latest
        .iter()
        .filter(|(_, r)| r.at > now - time::Duration::days(365 * RECENT_YEARS))
        .map(|(c, r)| (c.as_str(), *r))
        .collect();
    let v = |code: &str| recent.get(code).map(|r| r.value);
    let mut out: Vec<TierReason> = Vec::new();
    use RiskTier::{High, Medium};

    if let Some(d) = has_diagnosis(f, &["I20", "I21", "I22", "I23", "I24", "I25", "I63", "I64"]) {
        out.push(reason(
            "ascvd",
            High,
            format!("已确诊动脉粥样硬化性心血管疾病（{d}）"),
            format!("established ASCVD ({d})"),
            "中国心血管病风险评估和管理指南 2019",
        ));
    }
    if let (Some(s), Some(d)) = (recent.get("sbp"), recent.get("dbp")) {
        let bp = classify::blood_pressure(s.value, d.value);
        let text = format!("{}/{} mmHg（{}）", s.value, d.value, date_of(s));
        match bp.code {
            "grade_3" => out.push(reason(
                "bp_grade_3",
                High,
                format!("血压 {text}，{}", bp.zh),
                format!("BP {text}: grade 3"),
                bp.source,
            )),
            "grade_1" | "grade_2" => out.push(reason(
                "bp_raised",
                Medium,
                format!("血压 {text}，{}", bp.zh),
                format!("BP {text}: {}", bp.code),
                bp.source,
            )),
            _ => {}
        }
    }
    let diabetes = has_diagnosis(f, &["E10", "E11", "E12", "E13", "E14"]);
    let glucose_src = "中国2型糖尿病防治指南 2020";
    match (&diabetes, f.age) {
        (Some(d), Some(age)) if age >= 40 => out.push(reason(
            "diabetes_40",
            High,
            format!("糖尿病（{d}），年龄 {age} 岁"),
            format!("diabetes ({d}) at age {age}"),
            "中国成人血脂异常防治指南 2016",
        )),
        (Some(d), _) => out.push(reason(
            "diabetes",
            Medium,
            format!("糖尿病（{d}）"),
            format!("diabetes ({d})"),
            glucose_src,
        )),
        (None, _) => {
            let fpg = recent.get("fpg").filter(|r| r.value >= 7.0);
            let a1c = recent.get("hba1c").filter(|r| r.value >= 6.5);
            if let Some((name, r, unit)) = fpg
                .map(|r| ("空腹血糖", r, "mmol/L"))
                .or(a1c.map(|r| ("糖化血红蛋白", r, "%")))
            {
                out.push(reason(
                    "glucose_diabetic_range",
                    High,
                    format!(
                        "{name} {} {unit}（{}），达糖尿病诊断水平，需复查确诊",
                        r.value,
                        date_of(r)
                    ),
                    format!("{name} {} {unit} in the diabetic range, to be confirmed", r.value),
                    glucose_src,
                ));
            } else if let Some(r) = recent.get("fpg").filter(|r| r.value >= 6.1) {
                out.push(reason(
                    "ifg",
                    Medium,
                    format!("空腹血糖 {} mmol/L（{}），空腹血糖受损", r.value, date_of(r)),
                    format!("impaired fasting glucose {} mmol/L", r.value),
                    glucose_src,
                ));
            } else if let Some(d) = has_diagnosis(f, &["R73"]) {
                out.push(reason(
                    "prediabetes",
                    Medium,
                    format!("糖尿病前期（{d}）"),
                    format!("prediabetes ({d})"),
                    glucose_src,
                ));
            }
        }
    }
    let lipid_src = "中国成人血脂异常防治指南 2016";
    if let Some(r) = recent.get("ldl").filter(|r| r.value >= 4.9) {
        out.push(reason(
            "ldl_very_high",
            High,
            format!("低密度脂蛋白胆固醇 {} mmol/L（{}），≥4.9", r.value, date_of(r)),
            format!("LDL-C {} mmol/L ≥ 4.9", r.value),
            lipid_src,
        ));
    } else if let Some(r) = recent.get("tc").filter(|r| r.value >= 7.2) {
        out.push(reason(
            "tc_very_high",
            High,
            format!("总胆固醇 {} mmol/L（{}），≥7.2", r.value, date_of(r)),
            format!("TC {} mmol/L ≥ 7.2", r.value),
            lipid_src,
        ));
    } else {
        let lipid = [
            ("ldl", 4.1, "低密度脂蛋白胆固醇", true),
            ("tc", 6.2, "总胆固醇", true),
            ("tg", 2.3, "甘油三酯", true),
            ("hdl", 1.0, "高密度脂蛋白胆固醇", false),
        ];
        let found: Vec<String> = lipid
            .iter()
            .filter_map(|(code, cut, name, above)| {
                let r = recent.get(code)?;
                let hit = if *above { r.value >= *cut } else { r.value < *cut };
                hit.then(|| format!("{name} {} mmol/L", r.value))
            })
            .collect();
        if !found.is_empty() {
            out.push(reason(
                "dyslipidaemia",
                Medium,
                format!("血脂异常：{}", found.join("、")),
                format!("dyslipidaemia: {}", found.join(", ")),
                lipid_src,
            ));
        }
    }
    if has_diagnosis(f, &["I10", "I11", "I12", "I13", "I15"]).is_some()
        && !out.iter().any(|r| r.code.starts_with("bp_"))
    {
        let d = has_diagnosis(f, &["I1"]).unwrap_or_default();
        out.push(reason(
            "hypertension",
            Medium,
            format!("高血压（{d}）"),
            format!("hypertension ({d})"),
            "中国高血压防治指南 2018",
        ));
    }
    let bmi_c = v("bmi").map(classify::bmi);
    let waist_c = v("waist").zip(f.sex).map(|(w, s)| classify::waist(w, s));
    let mut weight = Vec::new();
    if let (Some(c), Some(b)) = (bmi_c, v("bmi"))
        && c.code == "obese"
    {
        weight.push(format!("BMI {b}（{}）", c.zh));
    }
    if let (Some(c), Some(w)) = (waist_c, v("waist"))
        && c.code == "central_obesity"
    {
        weight.push(format!("腰围 {w} cm（{}）", c.zh));
    }
    if !weight.is_empty() {
        out.push(reason(
            "obesity",
            Medium,
            weight.join("、"),
            format!("obesity: {}", weight.join(", ")),
            "WS/T 428-2013",
        ));
    }

    let (models, unavailable) = model_bounds(f, &recent);
    for m in &models {
        model_reasons(m, &mut out);
    }

    // Any other recent result outside its reference range.
    let covered = [
        "sbp", "dbp", "fpg", "hba1c", "ldl", "tc", "tg", "hdl", "bmi", "waist", "height", "weight", "pg2h",
    ];
    let others: Vec<String> = recent
        .iter()
        .filter(|(code, r)| r.flag.is_abnormal() && !covered.contains(code))
        .map(|(code, r)| {
            let name = lookup(code).map_or(code.to_string(), |i| i.name_zh.to_string());
            let dir = if r.flag == Flag::High { "偏高" } else { "偏低" };
            format!("{name} {}{dir}", r.value)
        })
        .collect();
    if !others.is_empty() {
        out.push(reason(
            "abnormal_result",
            Medium,
            format!("异常结果：{}", others.join("、")),
            format!("abnormal results: {}", others.join(", ")),
            "参考范围 (indicator catalogue)",
        ));
    }

    let tier = if out.iter().any(|r| r.tier == High) {
        Some(High)
    } else if out.iter().any(|r| r.tier == Medium) {
        Some(Medium)
    } else if !recent.is_empty() {
        let n = recent.len();
        out.push(reason(
            "no_risk_found",
            RiskTier::Low,
            format!("近{RECENT_YEARS}年 {n} 项检测结果均在参考范围内，未发现风险因素"),
            format!("{n} recent results within range; no risk factor found"),
            "参考范围 (indicator catalogue)",
        ));
        Some(RiskTier::Low)
    } else {
        None
    };
    ComputedTier {
        tier,
        reasons: out,
        models,
        unavailable,
    }
}

/// China-PAR and CDRS over every value of the inputs not on record.
fn model_bounds(f: &TierFacts, recent: &BTreeMap<&str, Reading>) -> (Vec<ModelBounds>, Vec<Unavailable>) {
    let mmol = |code: &str| {
        recent.get(code).map(|r| LabValue {
            value: r.value,
            unit: LipidUnit::MmolPerL,
        })
    };
    let base = RiskInput {
        sex: f.sex,
        age: f.age.map(f64::from),
        sbp: recent.get("sbp").map(|r| r.value),
        bp_treated: f.bp_treated,
        total_cholesterol: mmol("tc"),
        hdl_cholesterol: mmol("hdl"),
        waist_cm: recent.get("waist").map(|r| r.value),
        bmi: recent.get("bmi").map(|r| r.value),
        smoker: f.smoker,
        diabetes: Some(
            f.diagnoses
                .iter()
                .any(|d| ["E10", "E11", "E12", "E13", "E14"].iter().any(|p| d.starts_with(p))),
        ),
        region: f.region,
        urban: f.urban,
        family_history_ascvd: f.family_history_ascvd,
        family_history_diabetes: f.family_history_diabetes.map(FamilyHistory::Any),
        ..RiskInput::default()
    };
    let mut out = Vec::new();
    let mut unavailable = Vec::new();
    // Screening and primary-prevention models do not apply to patients who already have the
    // disease: China-PAR was derived in people free of ASCVD, CDRS screens for undiagnosed
    // diabetes (an OGTT advice to a diagnosed diabetic would be wrong).
    let ascvd = has_diagnosis(f, &["I20", "I21", "I22", "I23", "I24", "I25", "I63", "I64"]);
    let diabetic = base.diabetes == Some(true);
    for model in ["china-par", "cdrs"] {
        let not_for = match model {
            "china-par" => ascvd
                .as_ref()
                .map(|d| format!("已确诊ASCVD（{d}），不用一级预防模型评估")),
            _ if diabetic => Some("已确诊糖尿病，不用糖尿病筛查评分".to_string()),
            _ => None,
        };
        if let Some(why) = not_for {
            unavailable.push(Unavailable {
                model: if model == "china-par" { "china-par" } else { "cdrs" },
                missing: Vec::new(),
                refused: Some(why),
            });
            continue;
        }
        // The binary inputs that may be unknown, and how to set each.
        type Set = fn(&mut RiskInput, bool);
        let unknowns: Vec<(&'static str, Set)> = match model {
            "china-par" => [
                (
                    "region",
                    base.region.is_none(),
                    (|i: &mut RiskInput, b: bool| i.region = Some(if b { Region::North } else { Region::South }))
                        as Set,
                ),
                ("urban", base.urban.is_none(), |i, b| i.urban = Some(b)),
                ("smoker", base.smoker.is_none(), |i, b| i.smoker = Some(b)),
                ("bp_treated", base.bp_treated.is_none(), |i, b| i.bp_treated = Some(b)),
                ("family_history_ascvd", base.family_history_ascvd.is_none(), |i, b| {
                    i.family_history_ascvd = Some(b)
                }),
            ]
            .into_iter()
            .filter(|(_, unknown, _)| *unknown)
            .map(|(n, _, s)| (n, s))
            .collect(),
            _ => [(
                "family_history_diabetes",
                base.family_history_diabetes.is_none(),
                (|i: &mut RiskInput, b: bool| i.family_history_diabetes = Some(FamilyHistory::Any(b))) as Set,
            )]
            .into_iter()
            .filter(|(_, unknown, _)| *unknown)
            .map(|(n, _, s)| (n, s))
            .collect(),
        };
        let mut results: Vec<RiskResult> = Vec::new();
        let mut missing: Vec<&'static str> = Vec::new();
        let mut refused = None;
        for mask in 0u32..(1 << unknowns.len()) {
            let mut input = base.clone();
            for (bit, (_, set)) in unknowns.iter().enumerate() {
                set(&mut input, mask & (1 << bit) != 0);
            }
            // A model refusing the patient (outside its population) gives no bounds.
            match evaluate(model, &input) {
                Ok(r) if r.missing.is_empty() => results.push(r),
                Ok(r) => missing = r.missing,
                Err(e) => refused = Some(e.message_zh),
            }
        }
        let key = |r: &RiskResult| r.value.or(r.score).unwrap_or(0.0);
        let low = results.iter().min_by(|a, b| key(a).total_cmp(&key(b))).cloned();
        let high = results.iter().max_by(|a, b| key(a).total_cmp(&key(b))).cloned();
        if let (Some(low), Some(high)) = (low, high) {
            out.push(ModelBounds {
                model: if model == "china-par" { "china-par" } else { "cdrs" },
                low,
                high,
                unknown: unknowns.iter().map(|(n, _)| *n).collect(),
                from_organisation: if model == "china-par" {
                    f.from_organisation.clone()
                } else {
                    Vec::new()
                },
            });
        } else {
            unavailable.push(Unavailable {
                model: if model == "china-par" { "china-par" } else { "cdrs" },
                missing,
                refused,
            });
        }
    }
    (out, unavailable)
}

fn model_reasons(m: &ModelBounds, out: &mut Vec<TierReason>) {
    let names = |inputs: &[&str]| inputs.iter().map(|i| input_zh(i)).collect::<Vec<_>>().join("、");
    let mut unknown = String::new();
    if !m.unknown.is_empty() {
        unknown.push_str(&format!("（未记录：{}）", names(&m.unknown)));
    }
    if !m.from_organisation.is_empty() {
        unknown.push_str(&format!("（{}取自机构所在地）", names(&m.from_organisation)));
    }
    // The source's own warnings (e.g. an age outside the derivation range) travel with the
    // figure, so no one reads an extrapolation as a derived risk.
    if !m.low.flags.is_empty() {
        unknown.push_str("（超出模型推导人群，结果为外推，仅供参考）");
    }
    let range = m.range();
    let before = out.len();
    match m.model {
        "china-par" => {
            let (lo, hi) = (m.low.value.unwrap_or(0.0), m.high.value.unwrap_or(0.0));
            let src = "China-PAR (Yang 2016); 中国心血管病风险评估和管理指南 2019";
            if lo >= 10.0 {
                out.push(reason(
                    "china_par_high",
                    RiskTier::High,
                    format!("China-PAR 10年ASCVD风险 {range}，高危{unknown}"),
                    format!("China-PAR 10-year risk {range}: high"),
                    src,
                ));
            } else if lo >= 5.0 {
                out.push(reason(
                    "china_par_intermediate",
                    RiskTier::Medium,
                    format!("China-PAR 10年ASCVD风险 {range}，中危{unknown}"),
                    format!("China-PAR 10-year risk {range}: intermediate"),
                    src,
                ));
            } else if hi >= 5.0 {
                out.push(reason(
                    "china_par_uncertain",
                    RiskTier::Medium,
                    format!("China-PAR 10年ASCVD风险 {range}，取决于未记录的信息{unknown}，请补充健康档案"),
                    format!(
                        "China-PAR 10-year risk {range} depending on inputs not on record ({})",
                        m.unknown.join(", ")
                    ),
                    src,
                ));
            }
        }
        _ => {
            let hi = m.high.score.unwrap_or(0.0);
            if hi >= 25.0 {
                out.push(reason(
                    "cdrs_high",
                    RiskTier::Medium,
                    format!("中国糖尿病风险评分 {range}（≥25 建议做OGTT）{unknown}"),
                    format!(
                        "Chinese Diabetes Risk Score {} (≥25: OGTT advised)",
                        range.replace(" 分", " points")
                    ),
                    "CDRS (Zhou 2013)",
                ));
            }
        }
    }
    if !m.low.flags.is_empty() {
        for r in &mut out[before..] {
            r.en.push_str(" (extrapolated: outside the derivation population)");
        }
    }
}

#[cfg(test)]
mod tests;
