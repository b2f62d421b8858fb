//! Questionnaires (问卷) as FHIR R4 `Questionnaire` resources. The document is kept exactly as
//! imported (export gives it back unchanged); this module reads the parts CareLoop acts on —
//! items and their types, `required` / `repeats` / `readOnly` / `maxLength`, `enableWhen` with
//! `enableBehavior`, answer options (inline or from a contained ValueSet) with their scores
//! (`ordinalValue` / `itemWeight` extensions), value ranges (`minValue` / `maxValue`), and
//! calculated items — so responses can be validated and scored.
//!
//! Reference: HL7 FHIR R4 Questionnaire (http://hl7.org/fhir/R4/questionnaire.html) and the SDC
//! implementation guide's extensions (http://hl7.org/fhir/uv/sdc/).

pub mod bands;
pub mod enable;
pub mod form;
pub mod instrument;
pub mod read;
pub mod response;
pub mod satisfaction;

use crate::FieldError;
use serde_json::Value;

const ORDINAL_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/ordinalValue";
const ITEM_WEIGHT: &str = "http://hl7.org/fhir/StructureDefinition/itemWeight";
const MIN_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX_VALUE: &str = "http://hl7.org/fhir/StructureDefinition/maxValue";
const CALCULATED: &str = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression";

/// The item types of FHIR R4 (`Questionnaire.item.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemType {
    Group,
    Display,
    Boolean,
    Decimal,
    Integer,
    Date,
    DateTime,
    Time,
    String,
    Text,
    Url,
    Choice,
    OpenChoice,
    Attachment,
    Reference,
    Quantity,
}

impl ItemType {
    fn parse(s: &str) -> Option<ItemType> {
        Some(match s {
            "group" => ItemType::Group,
            "display" => ItemType::Display,
            "boolean" => ItemType::Boolean,
            "decimal" => ItemType::Decimal,
            "integer" => ItemType::Integer,
            "date" => ItemType::Date,
            "dateTime" => ItemType::DateTime,
            "time" => ItemType::Time,
            "string" => ItemType::String,
            "text" => ItemType::Text,
            "url" => ItemType::Url,
            "choice" => ItemType::Choice,
            "open-choice" => ItemType::OpenChoice,
            "attachment" => ItemType::Attachment,
            "reference" => ItemType::Reference,
            "quantity" => ItemType::Quantity,
            _ => return None,
        })
    }

    /// Whether the item takes answers (groups and display text do not).
    pub fn answerable(self) -> bool {
        !matches!(self, ItemType::Group | ItemType::Display)
    }
}

/// One answer value as FHIR writes it (`valueCoding`, `valueString`, ...).
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerValue {
    Boolean(bool),
    Decimal(f64),
    Integer(i64),
    Date(String),
    DateTime(String),
    Time(String),
    String(String),
    Uri(String),
    Coding {
        system: Option<String>,
        code: String,
    },
    Quantity {
        value: f64,
        unit: Option<String>,
    },
    /// Attachments and references are accepted as given and not interpreted.
    Other(Value),
}

impl AnswerValue {
    /// Read the `value[x]` of an answer, answer option or enableWhen (`prefix` is `value` or
    /// `answer`). `None` when there is none.
    pub fn read(obj: &Value, prefix: &str) -> Option<AnswerValue> {
        let map = obj.as_object()?;
        let (key, v) = map.iter().find(|(k, _)| {
            k.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        })?;
        let kind = &key[prefix.len()..];
        Some(match kind {
            "Boolean" => AnswerValue::Boolean(v.as_bool()?),
            "Decimal" => AnswerValue::Decimal(v.as_f64()?),
            "Integer" => AnswerValue::Integer(v.as_i64()?),
            "Date" => AnswerValue::Date(v.as_str()?.to_string()),
            "DateTime" => AnswerValue::DateTime(v.as_str()?.to_string()),
            "Time" => AnswerValue::Time(v.as_str()?.to_string()),
            "String" => AnswerValue::String(v.as_str()?.to_string()),
            "Uri" => AnswerValue::Uri(v.as_str()?.to_string()),
            "Coding" => AnswerValue::Coding {
                system: v.get("system").and_then(Value::as_str).map(str::to_string),
                code: v.get("code").and_then(Value::as_str)?.to_string(),
            },
            "Quantity" => AnswerValue::Quantity {
                value: v.get("value").and_then(Value::as_f64)?,
                unit: v.get("unit").and_then(Value::as_str).map(str::to_string),
            },
            _ => AnswerValue::Other(v.clone()),
        })
    }

    /// What the value reads as to a person: a coding's display (or code), else the value.
    fn label(&self, coding: Option<&Value>) -> String {
        match self {
            AnswerValue::Coding { code, .. } => coding
                .and_then(|c| c.get("display"))
                .and_then(Value::as_str)
                .unwrap_or(code)
                .to_string(),
            AnswerValue::Boolean(b) => if *b { "是" } else { "否" }.into(),
            AnswerValue::Decimal(d) => d.to_string(),
            AnswerValue::Integer(i) => i.to_string(),
            AnswerValue::Quantity { value, unit } => format!("{value} {}", unit.as_deref().unwrap_or("")),
            AnswerValue::Date(s)
            | AnswerValue::DateTime(s)
            | AnswerValue::Time(s)
            | AnswerValue::String(s)
            | AnswerValue::Uri(s) => s.clone(),
            AnswerValue::Other(v) => v.to_string(),
        }
    }

    /// The answer as FHIR writes it: `{"valueCoding": {...}}` and so on.
    pub fn to_fhir(&self) -> Value {
        use serde_json::json;
        match self {
            AnswerValue::Boolean(b) => json!({"valueBoolean": b}),
            AnswerValue::Decimal(d) => json!({"valueDecimal": d}),
            AnswerValue::Integer(i) => json!({"valueInteger": i}),
            AnswerValue::Date(s) => json!({"valueDate": s}),
            AnswerValue::DateTime(s) => json!({"valueDateTime": s}),
            AnswerValue::Time(s) => json!({"valueTime": s}),
            AnswerValue::String(s) => json!({"valueString": s}),
            AnswerValue::Uri(s) => json!({"valueUri": s}),
            AnswerValue::Coding { system, code } => match system {
                Some(sys) => json!({"valueCoding": {"system": sys, "code": code}}),
                None => json!({"valueCoding": {"code": code}}),
            },
            AnswerValue::Quantity { value, unit } => match unit {
                Some(u) => json!({"valueQuantity": {"value": value, "unit": u}}),
                None => json!({"valueQuantity": {"value": value}}),
            },
            AnswerValue::Other(v) => json!({"valueAttachment": v}),
        }
    }

    /// The number a value stands for, where it is one.
    pub fn number(&self) -> Option<f64> {
        match self {
            AnswerValue::Decimal(d) => Some(*d),
            AnswerValue::Integer(i) => Some(*i as f64),
            AnswerValue::Quantity { value, .. } => Some(*value),
            _ => None,
        }
    }

    /// Whether `self` (an answer) is the option `option`: codings match on code and, when both
    /// name one, system; numbers match by value (integer 3 is decimal 3.0).
    pub fn same_as(&self, option: &AnswerValue) -> bool {
        match (self, option) {
            (AnswerValue::Coding { system: s1, code: c1 }, AnswerValue::Coding { system: s2, code: c2 }) => {
                c1 == c2 && (s1.is_none() || s2.is_none() || s1 == s2)
            }
            (a, b) => match (a.number(), b.number()) {
                (Some(x), Some(y)) => x == y,
                _ => a == b,
            },
        }
    }
}

/// An allowed answer, what it reads as, and the score it carries, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerOption {
    pub value: AnswerValue,
    pub label: String,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnableBehavior {
    All,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Exists,
    Equal,
    NotEqual,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
}

/// `enableWhen`: the item is shown when the other item's answer meets the condition.
#[derive(Debug, Clone, PartialEq)]
pub struct EnableWhen {
    pub question: String,
    pub operator: Operator,
    pub answer: AnswerValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub link_id: String,
    pub text: String,
    pub kind: ItemType,
    /// Codes of the item (e.g. LOINC), as `system|code`.
    pub codes: Vec<String>,
    pub required: bool,
    pub repeats: bool,
    pub read_only: bool,
    pub max_length: Option<usize>,
    pub enable_when: Vec<EnableWhen>,
    pub enable_behavior: EnableBehavior,
    pub options: Vec<AnswerOption>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    /// A calculated item (SDC `calculatedExpression`): its value is computed, not answered.
    pub calculated: bool,
    pub items: Vec<Item>,
}

/// A questionnaire as CareLoop reads it; `resource` is the document exactly as imported.
#[derive(Debug, Clone, PartialEq)]
pub struct Questionnaire {
    pub resource: Value,
    pub url: Option<String>,
    pub version: Option<String>,
    pub title: String,
    /// Codes of the questionnaire itself, as `system|code`.
    pub codes: Vec<String>,
    pub items: Vec<Item>,
    /// Score bands the questionnaire declares for its total (`bands::BAND_EXTENSION`).
    pub bands: Vec<bands::DeclaredBand>,
}

fn invalid(field: impl Into<String>, message: impl Into<String>, zh: impl Into<String>) -> FieldError {
    FieldError::new(field, "questionnaire_invalid", message, zh)
}

fn codes_of(v: &Value) -> Vec<String> {
    v.get("code")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    let code = c.get("code")?.as_str()?;
                    let system = c.get("system").and_then(Value::as_str).unwrap_or("");
                    Some(format!("{system}|{code}"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn extension<'a>(v: &'a Value, url: &str) -> Option<&'a Value> {
    v.get("extension")?
        .as_array()?
        .iter()
        .find(|e| e.get("url").and_then(Value::as_str) == Some(url))
}

/// The score an option or ValueSet concept carries.
fn score_of(v: &Value) -> Option<f64> {
    [ORDINAL_VALUE, ITEM_WEIGHT]
        .iter()
        .find_map(|u| extension(v, u).and_then(|e| e.get("valueDecimal").or(e.get("valueInteger"))?.as_f64()))
}

fn bound(v: &Value, url: &str) -> Option<f64> {
    extension(v, url)
        .and_then(|e| AnswerValue::read(e, "value"))
        .and_then(|a| a.number())
}

impl Questionnaire {
    /// Read a FHIR R4 Questionnaire, checking what CareLoop relies on: the resource type, at
    /// least one item, unique link ids, known item types, resolvable answer value sets and
    /// well-formed enableWhen conditions that name existing items.
    pub fn from_value(resource: Value) -> Result<Questionnaire, FieldError> {
        if resource.get("resourceType").and_then(Value::as_str) != Some("Questionnaire") {
            return Err(invalid(
                "resourceType",
                "resourceType must be Questionnaire",
                "资源类型应为 Questionnaire",
            ));
        }
        let valuesets = contained_valuesets(&resource);
        let raw_items = resource
            .get("item")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if raw_items.is_empty() {
            return Err(invalid(
                "item",
                "a questionnaire needs at least one item",
                "问卷至少需要一个条目",
            ));
        }
        let mut seen = Vec::new();
        let items = read_items(&raw_items, "item", &valuesets, &mut seen)?;
        let q = Questionnaire {
            url: resource.get("url").and_then(Value::as_str).map(str::to_string),
            version: resource.get("version").and_then(Value::as_str).map(str::to_string),
            title: resource
                .get("title")
                .or(resource.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            codes: codes_of(&resource),
            items,
            bands: bands::declared(&resource)?,
            resource,
        };
        for (path, item) in q.all_items_with_paths() {
            for (j, ew) in item.enable_when.iter().enumerate() {
                if q.find(&ew.question).is_none() {
                    return Err(invalid(
                        format!("{path}.enableWhen[{j}].question"),
                        format!("enableWhen names an unknown item '{}'", ew.question),
                        "显示条件引用了不存在的条目",
                    ));
                }
            }
        }
        Ok(q)
    }

    /// Every item, depth first, in document order.
    pub fn all_items(&self) -> Vec<&Item> {
        fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
            for i in items {
                out.push(i);
                walk(&i.items, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.items, &mut out);
        out
    }

    fn all_items_with_paths(&self) -> Vec<(String, &Item)> {
        fn walk<'a>(items: &'a [Item], prefix: &str, out: &mut Vec<(String, &'a Item)>) {
            for (i, it) in items.iter().enumerate() {
                let path = format!("{prefix}[{i}]");
                out.push((path.clone(), it));
                walk(&it.items, &format!("{path}.item"), out);
            }
        }
        let mut out = Vec::new();
        walk(&self.items, "item", &mut out);
        out
    }

    pub fn find(&self, link_id: &str) -> Option<&Item> {
        self.all_items().into_iter().find(|i| i.link_id == link_id)
    }

    /// Whether the questionnaire or one of its items carries `system|code`.
    pub fn has_code(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c == code) || self.all_items().iter().any(|i| i.codes.iter().any(|c| c == code))
    }
}

/// Contained ValueSets by `#id`, each as its concepts with their scores.
fn contained_valuesets(resource: &Value) -> Vec<(String, Vec<AnswerOption>)> {
    let mut out = Vec::new();
    for c in resource
        .get("contained")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if c.get("resourceType").and_then(Value::as_str) != Some("ValueSet") {
            continue;
        }
        let Some(id) = c.get("id").and_then(Value::as_str) else {
            continue;
        };
        let mut options = Vec::new();
        let includes = c.pointer("/compose/include").and_then(Value::as_array);
        for inc in includes.into_iter().flatten() {
            let system = inc.get("system").and_then(Value::as_str).map(str::to_string);
            for concept in inc.get("concept").and_then(Value::as_array).into_iter().flatten() {
                if let Some(code) = concept.get("code").and_then(Value::as_str) {
                    options.push(AnswerOption {
                        value: AnswerValue::Coding {
                            system: system.clone(),
                            code: code.to_string(),
                        },
                        label: concept
                            .get("display")
                            .and_then(Value::as_str)
                            .unwrap_or(code)
                            .to_string(),
                        score: score_of(concept),
                    });
                }
            }
        }
        out.push((format!("#{id}"), options));
    }
    out
}

fn read_items(
    raw: &[Value],
    path: &str,
    valuesets: &[(String, Vec<AnswerOption>)],
    seen: &mut Vec<String>,
) -> Result<Vec<Item>, FieldError> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, v) in raw.iter().enumerate() {
        let here = format!("{path}[{i}]");
        let link_id = v.get("linkId").and_then(Value::as_str).unwrap_or("").to_string();
        if link_id.is_empty() || seen.contains(&link_id) {
            return Err(invalid(
                format!("{here}.linkId"),
                "every item needs a linkId, unique in the questionnaire",
                "每个条目都需要唯一的 linkId",
            ));
        }
        seen.push(link_id.clone());
        let type_name = v.get("type").and_then(Value::as_str).unwrap_or("");
        let kind = ItemType::parse(type_name).ok_or_else(|| {
            invalid(
                format!("{here}.type"),
                format!("unknown item type '{}'", type_name.chars().take(30).collect::<String>()),
                "条目类型无效",
            )
        })?;
        let mut options: Vec<AnswerOption> = v
            .get("answerOption")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|o| {
                let value = AnswerValue::read(o, "value")?;
                Some(AnswerOption {
                    label: value.label(o.get("valueCoding")),
                    value,
                    score: score_of(o).or_else(|| o.get("valueCoding").and_then(score_of)),
                })
            })
            .collect();
        if let Some(vs) = v.get("answerValueSet").and_then(Value::as_str) {
            match valuesets.iter().find(|(id, _)| id == vs) {
                Some((_, concepts)) => options.extend(concepts.iter().cloned()),
                // An external value set cannot be checked offline: only contained ones.
                None if vs.starts_with('#') => {
                    return Err(invalid(
                        format!("{here}.answerValueSet"),
                        format!("no contained ValueSet '{vs}'"),
                        "引用的答案值集不存在",
                    ));
                }
                None => {}
            }
        }
        let enable_when = v
            .get("enableWhen")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(j, e)| read_enable_when(e, &format!("{here}.enableWhen[{j}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let enable_behavior = match v.get("enableBehavior").and_then(Value::as_str) {
            Some("any") => EnableBehavior::Any,
            Some("all") | None => EnableBehavior::All,
            Some(_) => {
                return Err(invalid(
                    format!("{here}.enableBehavior"),
                    "enableBehavior is all or any",
                    "enableBehavior 应为 all 或 any",
                ));
            }
        };
        let children = v.get("item").and_then(Value::as_array).cloned().unwrap_or_default();
        out.push(Item {
            text: v.get("text").and_then(Value::as_str).unwrap_or("").to_string(),
            kind,
            codes: codes_of(v),
            required: v.get("required").and_then(Value::as_bool).unwrap_or(false),
            repeats: v.get("repeats").and_then(Value::as_bool).unwrap_or(false),
            read_only: v.get("readOnly").and_then(Value::as_bool).unwrap_or(false),
            max_length: v.get("maxLength").and_then(Value::as_u64).map(|n| n as usize),
            enable_when,
            enable_behavior,
            min_value: bound(v, MIN_VALUE),
            max_value: bound(v, MAX_VALUE),
            calculated: extension(v, CALCULATED).is_some(),
            items: read_items(&children, &format!("{here}.item"), valuesets, seen)?,
            options: std::mem::take(&mut options),
            link_id,
        });
    }
    Ok(out)
}

fn read_enable_when(e: &Value, path: &str) -> Result<EnableWhen, FieldError> {
    let question = e.get("question").and_then(Value::as_str).unwrap_or("").to_string();
    let operator = match e.get("operator").and_then(Value::as_str).unwrap_or("") {
        "exists" => Operator::Exists,
        "=" => Operator::Equal,
        "!=" => Operator::NotEqual,
        ">" => Operator::Greater,
        "<" => Operator::Less,
        ">=" => Operator::GreaterOrEqual,
        "<=" => Operator::LessOrEqual,
        _ => {
            return Err(invalid(
                format!("{path}.operator"),
                "operator is one of exists, =, !=, >, <, >=, <=",
                "显示条件的运算符无效",
            ));
        }
    };
    let answer = AnswerValue::read(e, "answer").ok_or_else(|| {
        invalid(
            format!("{path}.answer"),
            "enableWhen needs an answer[x]",
            "显示条件缺少答案值",
        )
    })?;
    if operator == Operator::Exists && !matches!(answer, AnswerValue::Boolean(_)) {
        return Err(invalid(
            format!("{path}.answerBoolean"),
            "'exists' takes answerBoolean",
            "exists 运算符需要布尔值",
        ));
    }
    Ok(EnableWhen {
        question,
        operator,
        answer,
    })
}

/// The questionnaires CareLoop ships with (ids `phq-9`, `gad-7`).
pub fn builtin() -> Result<Vec<(&'static str, Questionnaire)>, FieldError> {
    [
        ("phq-9", include_str!("../../questionnaires/phq-9.json")),
        ("gad-7", include_str!("../../questionnaires/gad-7.json")),
        (
            "post-discharge-recovery",
            include_str!("../../questionnaires/post-discharge-recovery.json"),
        ),
        ("htn-followup", include_str!("../../questionnaires/htn-followup.json")),
        ("t2dm-followup", include_str!("../../questionnaires/t2dm-followup.json")),
        (
            "satisfaction-inpatient",
            include_str!("../../questionnaires/satisfaction-inpatient.json"),
        ),
        (
            "satisfaction-outpatient",
            include_str!("../../questionnaires/satisfaction-outpatient.json"),
        ),
        ("intake", include_str!("../../questionnaires/intake.json")),
    ]
    .into_iter()
    .map(|(id, json)| {
        let v: Value =
            serde_json::from_str(json).map_err(|e| invalid("questionnaire", e.to_string(), "问卷格式无效"))?;
        Ok((id, Questionnaire::from_value(v)?))
    })
    .collect()
}

#[cfg(test)]
mod tests;
