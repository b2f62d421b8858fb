//! Health advice (饮食 / 运动 / 心理健康建议, 健康调养): a library of short Markdown articles,
//! each saying which patients it is for — tags, diagnoses, abnormal indicators, risk tier,
//! questionnaire bands, smoking. Matching returns every article that applies with the reasons
//! it was chosen, so staff and patients see why ("标签：高血压", "指标异常：低密度脂蛋白胆固醇").
//!
//! Articles are documents (`---` front matter + Markdown); staff edit them and every edit is a
//! new version. Built-ins live in `crates/domain/advice`.

use crate::FieldError;
use crate::indicator::lookup;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Diet,
    Exercise,
    Mental,
    General,
}

impl Category {
    pub fn label_zh(self) -> &'static str {
        match self {
            Category::Diet => "饮食建议",
            Category::Exercise => "运动建议",
            Category::Mental => "心理健康",
            Category::General => "健康调养",
        }
    }

    fn parse(raw: &str) -> Option<Category> {
        match raw.trim() {
            "diet" => Some(Category::Diet),
            "exercise" => Some(Category::Exercise),
            "mental" => Some(Category::Mental),
            "general" => Some(Category::General),
            _ => None,
        }
    }
}

/// Who an article is for; it applies when any criterion holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Criteria {
    #[serde(default)]
    pub tags: Vec<String>,
    /// ICD-10 prefixes (`I10`, `E11`).
    #[serde(default)]
    pub diagnoses: Vec<String>,
    /// Indicator codes whose latest value is outside its reference range.
    #[serde(default)]
    pub indicators: Vec<String>,
    /// `high`, `medium`, `low`.
    #[serde(default)]
    pub tiers: Vec<String>,
    /// `questionnaire:band`, e.g. `phq-9:moderate`.
    #[serde(default)]
    pub questionnaires: Vec<String>,
    /// `smoker`.
    #[serde(default)]
    pub risk: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Article {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub criteria: Criteria,
    /// Where the advice comes from (guideline, standard).
    pub source: String,
    /// Markdown (raw HTML in it is shown as text, never as markup).
    pub body: String,
}

/// What matching reads of a patient.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdviceFacts {
    pub tags: Vec<String>,
    pub tier: Option<String>,
    pub diagnoses: Vec<String>,
    /// Indicator codes whose latest recent value is abnormal.
    pub abnormal: Vec<String>,
    /// (questionnaire id, band) of the latest responses.
    pub bands: Vec<(String, String)>,
    pub smoker: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Matched {
    pub article: Article,
    /// Why it was chosen, one reason per criterion that holds (Chinese).
    pub why: Vec<String>,
}

fn bad(field: &str, message: &str, zh: &str) -> FieldError {
    FieldError::new(field, "article_invalid", message, zh)
}

fn list(v: &str) -> Vec<String> {
    v.split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Article {
    /// Read an article document: `---`, `key: value` lines, `---`, then the Markdown body.
    pub fn parse(doc: &str) -> Result<Article, FieldError> {
        let doc = doc.trim_start_matches('\u{feff}');
        let rest = doc.strip_prefix("---").ok_or_else(|| {
            bad(
                "document",
                "an article starts with a --- front matter block",
                "文章应以 --- 开头的属性块开始",
            )
        })?;
        let (head, body) = rest.split_once("\n---").ok_or_else(|| {
            bad(
                "document",
                "the front matter must end with a --- line",
                "属性块应以 --- 行结束",
            )
        })?;
        let mut a = Article {
            id: String::new(),
            title: String::new(),
            category: Category::General,
            criteria: Criteria::default(),
            source: String::new(),
            body: body.trim_start_matches(['-', '\r']).trim().to_string(),
        };
        let mut category = None;
        for line in head.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| bad("document", "front matter lines read key: value", "属性行应为 键: 值"))?;
            let v = v.trim();
            match k.trim() {
                "id" => a.id = v.into(),
                "title" => a.title = v.into(),
                "category" => {
                    category = Some(Category::parse(v).ok_or_else(|| {
                        bad(
                            "category",
                            "category: diet, exercise, mental or general",
                            "分类应为 diet、exercise、mental 或 general",
                        )
                    })?)
                }
                "source" => a.source = v.into(),
                "tags" => a.criteria.tags = list(v),
                "diagnoses" => a.criteria.diagnoses = list(v),
                "indicators" => a.criteria.indicators = list(v),
                "tiers" => a.criteria.tiers = list(v),
                "questionnaires" => a.criteria.questionnaires = list(v),
                "risk" => a.criteria.risk = list(v),
                other => return Err(bad(other, "unknown front matter key", "未知的属性")),
            }
        }
        a.category = category.ok_or_else(|| FieldError::required("category"))?;
        a.check()?;
        Ok(a)
    }

    /// An article staff may save: an id, a title, a source, a body, and someone it is for.
    pub fn check(&self) -> Result<(), FieldError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(bad(
                "id",
                "id: 1–64 lowercase letters, digits or '-'",
                "编号应为小写字母、数字或-",
            ));
        }
        if self.title.trim().is_empty() || self.title.chars().count() > 60 {
            return Err(bad("title", "title: 1–60 characters", "标题应为1–60个字"));
        }
        if self.source.trim().is_empty() {
            return Err(bad(
                "source",
                "say where the advice comes from",
                "请注明建议的来源（指南、标准）",
            ));
        }
        if self.body.trim().is_empty() || self.body.chars().count() > 10_000 {
            return Err(bad(
                "body",
                "body: 1–10000 characters of Markdown",
                "正文应为1–10000个字",
            ));
        }
        let c = &self.criteria;
        if let Some(code) = c.indicators.iter().find(|i| lookup(i).is_none()) {
            return Err(bad(
                "indicators",
                &format!("unknown indicator code '{code}'"),
                "未知的指标代码",
            ));
        }
        if let Some(t) = c
            .tiers
            .iter()
            .find(|t| !["high", "medium", "low"].contains(&t.as_str()))
        {
            return Err(bad(
                "tiers",
                &format!("unknown tier '{t}'"),
                "风险分层应为 high、medium、low",
            ));
        }
        if let Some(q) = c.questionnaires.iter().find(|q| !q.contains(':')) {
            return Err(bad(
                "questionnaires",
                &format!("'{q}' should read questionnaire:band"),
                "应写作 问卷:分级",
            ));
        }
        if let Some(r) = c.risk.iter().find(|r| r.as_str() != "smoker") {
            return Err(bad(
                "risk",
                &format!("unknown risk '{r}' (known: smoker)"),
                "未知的风险因素",
            ));
        }
        let empty = c.tags.is_empty()
            && c.diagnoses.is_empty()
            && c.indicators.is_empty()
            && c.tiers.is_empty()
            && c.questionnaires.is_empty()
            && c.risk.is_empty();
        if empty {
            return Err(bad(
                "criteria",
                "say whom the article is for (tags, diagnoses, indicators, tiers, questionnaires or risk)",
                "请设置适用人群（标签、诊断、指标、分层、问卷或风险因素）",
            ));
        }
        Ok(())
    }

    /// Why this article applies to a patient; empty when it does not.
    pub fn why(&self, f: &AdviceFacts) -> Vec<String> {
        let c = &self.criteria;
        let mut why = Vec::new();
        for t in c.tags.iter().filter(|t| f.tags.contains(t)) {
            why.push(format!("标签：{t}"));
        }
        for d in f
            .diagnoses
            .iter()
            .filter(|d| c.diagnoses.iter().any(|p| d.starts_with(p.as_str())))
        {
            why.push(format!("诊断：{d}"));
        }
        for code in c.indicators.iter().filter(|i| f.abnormal.contains(i)) {
            let name = lookup(code).map_or(code.as_str(), |i| i.name_zh);
            why.push(format!("指标异常：{name}"));
        }
        if let Some(t) = f.tier.as_ref().filter(|t| c.tiers.contains(t)) {
            let zh = crate::risk_tier::RiskTier::parse(t, "tier").map_or(t.as_str(), |r| r.label_zh());
            why.push(format!("风险分层：{zh}"));
        }
        for (q, b) in &f.bands {
            if c.questionnaires.contains(&format!("{q}:{b}")) {
                why.push(format!("问卷结果：{q} {b}"));
            }
        }
        if f.smoker && c.risk.iter().any(|r| r == "smoker") {
            why.push("吸烟".to_string());
        }
        why
    }
}

/// The built-in library.
pub fn builtins() -> Vec<Article> {
    const DOCS: [&str; 7] = [
        include_str!("../advice/hypertension-diet.md"),
        include_str!("../advice/diabetes-prevention-diet.md"),
        include_str!("../advice/weight-exercise.md"),
        include_str!("../advice/lipid-diet.md"),
        include_str!("../advice/mental-health.md"),
        include_str!("../advice/high-risk-follow-up.md"),
        include_str!("../advice/smoking.md"),
    ];
    DOCS.iter().filter_map(|d| Article::parse(d).ok()).collect()
}

/// Every article that applies, each with why, ordered by category then title.
pub fn matching(articles: &[Article], f: &AdviceFacts) -> Vec<Matched> {
    let mut out: Vec<Matched> = articles
        .iter()
        .filter_map(|a| {
            let why = a.why(f);
            (!why.is_empty()).then(|| Matched {
                article: a.clone(),
                why,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.article.category, &a.article.title).cmp(&(b.article.category, &b.article.title)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        assert_eq!(builtins().len(), 7, "a built-in failed to parse");
    }

    #[test]
    fn matching_says_why() {
        let f = AdviceFacts {
            tags: vec!["高血压".into()],
            diagnoses: vec!["I10.x00".into()],
            abnormal: vec!["ldl".into()],
            tier: Some("high".into()),
            bands: vec![("phq-9".into(), "moderate".into())],
            smoker: false,
        };
        let m = matching(&builtins(), &f);
        let ids: Vec<&str> = m.iter().map(|x| x.article.id.as_str()).collect();
        assert_eq!(ids.len(), 4, "{ids:?}");
        for id in [
            "hypertension-diet",
            "lipid-diet",
            "mental-health",
            "high-risk-follow-up",
        ] {
            assert!(ids.contains(&id), "{id}: {ids:?}");
        }
        let htn = m.iter().find(|x| x.article.id == "hypertension-diet").unwrap();
        assert_eq!(htn.why, ["标签：高血压", "诊断：I10.x00"]);
        let lipid = m.iter().find(|x| x.article.id == "lipid-diet").unwrap();
        assert_eq!(lipid.why, ["指标异常：低密度脂蛋白胆固醇"]);
        assert!(m.iter().any(|x| x.why == ["风险分层：高危"]));
        assert!(
            matching(&builtins(), &AdviceFacts::default()).is_empty(),
            "nothing on record, nothing advised"
        );
    }

    #[test]
    fn staff_articles_are_checked() {
        let doc = |head: &str| format!("---\n{head}\n---\n正文");
        let e = |head: &str| Article::parse(&doc(head)).unwrap_err().field;
        assert_eq!(e("id: x\ntitle: t\ncategory: food\nsource: s\ntags: a"), "category");
        assert_eq!(e("id: x\ntitle: t\ncategory: diet\nsource: s"), "criteria");
        assert_eq!(
            e("id: x\ntitle: t\ncategory: diet\nsource: s\nindicators: nope"),
            "indicators"
        );
        assert_eq!(e("id: X Y\ntitle: t\ncategory: diet\nsource: s\ntags: a"), "id");
        assert_eq!(e("id: x\ntitle: t\ncategory: diet\ntags: a"), "source");
        let ok = Article::parse(&doc(
            "id: x\ntitle: 标题\ncategory: exercise\nsource: 指南\ntags: 甲，乙",
        ))
        .unwrap();
        assert_eq!(ok.criteria.tags, ["甲", "乙"]);
        assert_eq!(ok.body, "正文");
    }
}
