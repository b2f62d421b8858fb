//! Follow-up protocols (随访方案) as versioned data: what triggers enrolment, which steps follow
//! from the anchor date, how each step reaches the patient and who is responsible. Protocols
//! are JSON documents; a change is a new version, and running plans keep the version they
//! started with. Built-in protocols live in `crates/domain/protocols/` and cite their source.

use super::classification::Condition;
use super::rules::{self, OutcomeRule};
use super::schedule::{Offset, occurrences};
use crate::FieldError;
use crate::risk_tier::RiskTier;
use crate::staff::Role;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// Stable identifier, e.g. `htn-basic-ph`.
    pub id: String,
    /// Starts at 1 and grows with every published change.
    pub version: u32,
    pub name_zh: String,
    pub name_en: String,
    /// The standard, guideline or hospital rule the protocol implements.
    pub source: String,
    /// What the protocol does and on what authority, for the Chinese pages (the `source` is the
    /// maintainers' note). Absent in protocols published before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_zh: Option<String>,
    /// The chronic condition whose visits are classified by the national standard, if any.
    pub condition: Option<Condition>,
    pub trigger: Trigger,
    pub anchor: Anchor,
    pub steps: Vec<Step>,
    pub retry: RetryPolicy,
    pub stop: StopConditions,
    /// Outcome rules evaluated on every signed visit, after the national-standard
    /// classification (see `rules`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<OutcomeRule>,
}

/// What enrols a patient in the protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    Manual,
    /// A diagnosis whose ICD-10 code starts with one of the prefixes.
    Diagnosis {
        icd10_prefixes: Vec<String>,
    },
    Tag {
        tag: String,
    },
    Discharge,
    /// An observation of the indicator outside its reference range.
    AbnormalIndicator {
        code: String,
    },
    /// A clinician assessed the patient's risk tier (after a check-up).
    RiskTierAssessed,
}

/// Something that happened to a patient that may enrol them in a protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerEvent {
    /// A diagnosis was recorded, with its ICD-10 code.
    Diagnosis { icd10: String },
    /// A tag was set on the patient.
    Tag { tag: String },
    /// The patient was discharged on this day.
    Discharge { on: time::Date },
    /// A value of this indicator was recorded outside its reference range.
    AbnormalIndicator { code: String },
    /// The patient's risk tier was assessed.
    RiskTierAssessed { tier: RiskTier },
}

impl TriggerEvent {
    /// How the plan records what started it, e.g. `diagnosis I10.x00`.
    pub fn describe(&self) -> String {
        match self {
            TriggerEvent::Diagnosis { icd10 } => format!("diagnosis {icd10}"),
            TriggerEvent::Tag { tag } => format!("tag {tag}"),
            TriggerEvent::Discharge { on } => format!("discharge {on}"),
            TriggerEvent::AbnormalIndicator { code } => format!("abnormal {code}"),
            TriggerEvent::RiskTierAssessed { tier } => format!("risk_tier {}", tier.as_str()),
        }
    }
}

impl Trigger {
    /// Whether the event enrols a patient in a protocol with this trigger. ICD-10 prefixes
    /// match regardless of case and of the dot (`I10` matches `I10.x00` and `i109`).
    pub fn fires_on(&self, event: &TriggerEvent) -> bool {
        let norm = |c: &str| c.trim().replace('.', "").to_ascii_uppercase();
        match (self, event) {
            (Trigger::Diagnosis { icd10_prefixes }, TriggerEvent::Diagnosis { icd10 }) => {
                let code = norm(icd10);
                icd10_prefixes
                    .iter()
                    .any(|p| !p.trim().is_empty() && code.starts_with(&norm(p)))
            }
            (Trigger::Tag { tag }, TriggerEvent::Tag { tag: set }) => tag.trim() == set.trim(),
            (Trigger::Discharge, TriggerEvent::Discharge { .. }) => true,
            (Trigger::RiskTierAssessed, TriggerEvent::RiskTierAssessed { .. }) => true,
            (Trigger::AbnormalIndicator { code }, TriggerEvent::AbnormalIndicator { code: seen }) => code == seen,
            _ => false,
        }
    }
}

/// The date the steps count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    Enrolment,
    Discharge,
}

/// How a step reaches the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    PhoneCall,
    VoiceRobot,
    Sms,
    Wechat,
    Questionnaire,
    InPerson,
}

impl Method {
    /// The stored and serialised name, e.g. `phone_call`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::PhoneCall => "phone_call",
            Method::VoiceRobot => "voice_robot",
            Method::Sms => "sms",
            Method::Wechat => "wechat",
            Method::Questionnaire => "questionnaire",
            Method::InPerson => "in_person",
        }
    }

    /// Steps a machine performs; the others land on a person's worklist.
    pub fn is_automated(self) -> bool {
        matches!(
            self,
            Method::VoiceRobot | Method::Sms | Method::Wechat | Method::Questionnaire
        )
    }
}

/// Who is responsible for a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum AssigneeRule {
    ResponsibleNurse,
    ResponsibleDoctor,
    /// Spread over the staff of this role in the patient's department.
    RoundRobin {
        role: crate::staff::Role,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Short label shown on worklists, e.g. `D3` or `Q`.
    pub key: String,
    pub name_zh: String,
    pub method: Method,
    /// ISO 8601 duration from the anchor to the first due time.
    pub offset: String,
    /// ISO 8601 recurrence after the first due time, if the step repeats.
    pub every: Option<String>,
    /// How long after the due time the step may still be done before it is overdue.
    pub window: String,
    pub assignee: AssigneeRule,
    /// Form fields the person doing the step records.
    pub form: Vec<String>,
    /// The call script (话术) shown beside the form, in order (UX.md §6). `{称呼}` becomes the
    /// patient's polite address (王先生) and `{机构}` the organisation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<String>,
    /// For a questionnaire step: the questionnaire its link opens (e.g. `post-discharge-recovery`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questionnaire: Option<String>,
    /// The risk tiers this step is for (检后随访 by tier); empty means every patient.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<RiskTier>,
}

impl Step {
    /// Whether a patient of `tier` gets this step.
    pub fn applies_to(&self, tier: Option<RiskTier>) -> bool {
        self.tiers.is_empty() || tier.is_some_and(|t| self.tiers.contains(&t))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts per task before it fails for good.
    pub max_attempts: u32,
    /// ISO 8601 spacing between attempts (about one call a day per number).
    pub spacing: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopConditions {
    /// Consecutive failed contacts after which the patient counts as lost to follow-up (失访).
    pub lost_after_failed_contacts: u32,
}

/// Where a step's first due time falls, and how long its window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub step: usize,
    pub due_at: OffsetDateTime,
    pub deadline: OffsetDateTime,
}

impl Protocol {
    /// A step's name as staff read it: the protocol's own, or for the steps the engine adds,
    /// 两周内复查随访 (`F14`, after a visit not controlled) and 转诊后两周随访 (`REF`, after a
    /// referral); a key no step has reads as itself.
    pub fn step_name_zh(&self, key: &str) -> String {
        match key {
            "F14" => "两周内复查随访".into(),
            "REF" => "转诊后两周随访".into(),
            _ => self
                .steps
                .iter()
                .find(|s| s.key == key)
                .map_or_else(|| key.to_string(), |s| s.name_zh.clone()),
        }
    }

    /// The English name of a step the engine adds (`F14`, `REF`); `None` for the protocol's own
    /// steps, whose names are the protocol document's (Chinese) data.
    pub fn step_name_en(key: &str) -> Option<&'static str> {
        match key {
            "F14" => Some("Recheck within two weeks"),
            "REF" => Some("Follow-up two weeks after a referral"),
            _ => None,
        }
    }

    /// Parse a protocol document and check it as a whole.
    pub fn from_json(json: &str) -> Result<Protocol, FieldError> {
        let p: Protocol = serde_json::from_str(json).map_err(|e| {
            FieldError::new(
                "protocol",
                "protocol_invalid",
                format!("invalid protocol document: {e}"),
                format!("随访方案格式无效：{e}"),
            )
        })?;
        p.validate()?;
        Ok(p)
    }

    /// Check what serde cannot: identifiers, durations and the relations between fields.
    pub fn validate(&self) -> Result<(), FieldError> {
        let id_ok = (3..=64).contains(&self.id.len())
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(FieldError::new(
                "id",
                "protocol_id_invalid",
                "id must be 3–64 lowercase letters, digits or '-'",
                "方案编号无效",
            ));
        }
        if self.version == 0 {
            return Err(FieldError::new(
                "version",
                "version_invalid",
                "version starts at 1",
                "版本号应从1开始",
            ));
        }
        if self.steps.is_empty() {
            return Err(FieldError::new(
                "steps",
                "steps_empty",
                "a protocol needs at least one step",
                "随访方案至少需要一个步骤",
            ));
        }
        if let Trigger::Diagnosis { icd10_prefixes } = &self.trigger
            && icd10_prefixes.is_empty()
        {
            return Err(FieldError::new(
                "trigger.icd10_prefixes",
                "required",
                "list at least one ICD-10 prefix",
                "请至少填写一个ICD-10编码前缀",
            ));
        }
        for (i, s) in self.steps.iter().enumerate() {
            if s.key.trim().is_empty() || self.steps[..i].iter().any(|o| o.key == s.key) {
                return Err(FieldError::new(
                    format!("steps[{i}].key"),
                    "step_key_invalid",
                    "step keys must be present and unique",
                    "步骤编号不能为空且不能重复",
                ));
            }
            if let AssigneeRule::RoundRobin {
                role: Role::Admin | Role::Psychologist,
            } = s.assignee
            {
                return Err(FieldError::new(
                    format!("steps[{i}].assignee"),
                    "assignee_invalid",
                    "round-robin goes to nurses, doctors or health managers",
                    "轮流分配只能分给护士、医生或健康管理师",
                ));
            }
            Offset::parse(&s.offset, &format!("steps[{i}].offset"))?;
            Offset::parse(&s.window, &format!("steps[{i}].window"))?;
            if let Some(every) = &s.every {
                let e = Offset::parse(every, &format!("steps[{i}].every"))?;
                if e.is_zero() {
                    return Err(FieldError::new(
                        format!("steps[{i}].every"),
                        "duration_invalid",
                        "a recurrence must be longer than zero",
                        "重复间隔必须大于零",
                    ));
                }
            }
        }
        if self.is_tiered()
            && let Some(t) = RiskTier::ALL
                .into_iter()
                .find(|t| !self.steps.iter().any(|s| s.applies_to(Some(*t))))
        {
            return Err(FieldError::new(
                "steps",
                "tier_uncovered",
                format!("steps differ by risk tier but none is for '{}'", t.as_str()),
                format!("方案按风险分层，但没有适用于{}的步骤", t.label_zh()),
            ));
        }
        if self.retry.max_attempts == 0 {
            return Err(FieldError::new(
                "retry.max_attempts",
                "retry_invalid",
                "at least one attempt",
                "至少尝试一次",
            ));
        }
        Offset::parse(&self.retry.spacing, "retry.spacing")?;
        rules::compile(&self.rules)?;
        Ok(())
    }

    /// Whether the steps differ by risk tier, so enrolment needs the patient's tier.
    pub fn is_tiered(&self) -> bool {
        self.steps.iter().any(|s| !s.tiers.is_empty())
    }

    /// Every due time of every step that applies to a patient of `tier`, from `anchor` up to
    /// `until`, in time order.
    pub fn schedule(
        &self,
        anchor: OffsetDateTime,
        until: OffsetDateTime,
        tier: Option<RiskTier>,
    ) -> Result<Vec<Due>, FieldError> {
        let mut out = Vec::new();
        for (i, s) in self.steps.iter().enumerate().filter(|(_, s)| s.applies_to(tier)) {
            let offset = Offset::parse(&s.offset, "offset")?;
            let window = Offset::parse(&s.window, "window")?;
            let every = s.every.as_deref().map(|e| Offset::parse(e, "every")).transpose()?;
            for due_at in occurrences(anchor, &offset, every.as_ref(), until, 1000) {
                let deadline = window.after(due_at, 1).unwrap_or(due_at);
                out.push(Due {
                    step: i,
                    due_at,
                    deadline,
                });
            }
        }
        out.sort_by_key(|d| (d.due_at, d.step));
        Ok(out)
    }
}

/// The protocols CareLoop ships with.
pub fn builtin() -> Result<Vec<Protocol>, FieldError> {
    [
        include_str!("../../protocols/htn-basic-ph.json"),
        include_str!("../../protocols/t2dm-basic-ph.json"),
        include_str!("../../protocols/post-discharge-surgery.json"),
        include_str!("../../protocols/post-checkup.json"),
    ]
    .into_iter()
    .map(Protocol::from_json)
    .collect()
}

#[cfg(test)]
mod step_name_tests {
    use super::Protocol;

    #[test]
    fn a_step_reads_by_its_name_and_the_engines_steps_by_theirs() {
        let p: Protocol =
            serde_json::from_str(include_str!("../../protocols/htn-basic-ph.json")).expect("the built-in protocol");
        assert_eq!(p.step_name_zh("Q"), "季度随访");
        assert_eq!(p.step_name_zh("F14"), "两周内复查随访");
        assert_eq!(p.step_name_zh("REF"), "转诊后两周随访");
        assert_eq!(p.step_name_zh("X9"), "X9", "an unknown key reads as itself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn find(id: &str) -> Protocol {
        builtin().unwrap().into_iter().find(|p| p.id == id).unwrap()
    }

    #[test]
    fn the_builtin_protocols_parse_validate_and_cite_a_source() {
        let all = builtin().unwrap();
        let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "htn-basic-ph",
                "t2dm-basic-ph",
                "post-discharge-surgery",
                "post-checkup"
            ]
        );
        assert!(all.iter().all(|p| !p.source.is_empty() && p.version >= 1));
    }

    #[test]
    fn chronic_protocols_follow_up_at_least_four_times_a_year() {
        for id in ["htn-basic-ph", "t2dm-basic-ph"] {
            let p = find(id);
            let year = p
                .schedule(
                    datetime!(2026-01-10 09:00 +08:00),
                    datetime!(2027-01-10 09:00 +08:00),
                    None,
                )
                .unwrap();
            assert!(year.len() >= 4, "{id}: {} visits", year.len());
            assert!(
                year.windows(2).all(|w| (w[1].due_at - w[0].due_at).whole_days() <= 92),
                "{id}: gaps over three months"
            );
        }
    }

    #[test]
    fn post_discharge_steps_fall_on_days_3_7_and_30_with_their_windows() {
        let p = find("post-discharge-surgery");
        let due = p
            .schedule(
                datetime!(2026-11-01 10:00 +08:00),
                datetime!(2027-01-01 00:00 +08:00),
                None,
            )
            .unwrap();
        let days: Vec<(String, String)> = due
            .iter()
            .map(|d| (d.due_at.date().to_string(), d.deadline.date().to_string()))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-11-04".to_string(), "2026-11-06".to_string()),
                ("2026-11-08".to_string(), "2026-11-11".to_string()),
                ("2026-12-01".to_string(), "2026-12-08".to_string()),
            ]
        );
        assert!(!p.steps[0].method.is_automated() && p.steps[2].method.is_automated());
    }

    #[test]
    fn invalid_documents_are_rejected_with_the_offending_field() {
        let good = include_str!("../../protocols/post-discharge-surgery.json");
        let cases = [
            (good.replace("\"P3D\"", "\"3 days\""), "steps[0].offset"),
            (good.replace("\"key\": \"D7\"", "\"key\": \"D3\""), "steps[1].key"),
            (good.replace("\"version\": 1", "\"version\": 0"), "version"),
            (
                good.replace("\"max_attempts\": 3", "\"max_attempts\": 0"),
                "retry.max_attempts",
            ),
            (good.replace("\"anchor\"", "\"anchr\""), "protocol"),
            (
                good.replacen(
                    "\"rule\": \"responsible_nurse\"",
                    "\"rule\": \"round_robin\", \"role\": \"admin\"",
                    1,
                ),
                "steps[0].assignee",
            ),
        ];
        for (json, field) in cases {
            assert_eq!(Protocol::from_json(&json).unwrap_err().field, field);
        }
    }

    #[test]
    fn triggers_fire_on_their_own_kind_of_event_only() {
        let htn = find("htn-basic-ph").trigger;
        let dx = |c: &str| TriggerEvent::Diagnosis { icd10: c.into() };
        assert!(htn.fires_on(&dx("I10")));
        assert!(htn.fires_on(&dx("I10.x00")));
        assert!(htn.fires_on(&dx("i11.9")));
        assert!(!htn.fires_on(&dx("I20.0")), "angina is not hypertension");
        assert!(!htn.fires_on(&dx("E11.9")));
        assert!(!htn.fires_on(&TriggerEvent::Tag { tag: "I10".into() }));
        let dm = find("t2dm-basic-ph").trigger;
        assert!(
            dm.fires_on(&dx("E11.900")) && !dm.fires_on(&dx("E10.9")),
            "type 1 is not on the T2DM protocol"
        );
        let discharge = find("post-discharge-surgery").trigger;
        assert!(discharge.fires_on(&TriggerEvent::Discharge {
            on: time::macros::date!(2026 - 11 - 01)
        }));
        assert!(!discharge.fires_on(&dx("I10")));
        let tag = Trigger::Tag { tag: "高危".into() };
        assert!(tag.fires_on(&TriggerEvent::Tag { tag: "高危".into() }));
        assert!(!tag.fires_on(&TriggerEvent::Tag {
            tag: "高危未复诊".into()
        }));
        let abnormal = Trigger::AbnormalIndicator { code: "fpg".into() };
        assert!(abnormal.fires_on(&TriggerEvent::AbnormalIndicator { code: "fpg".into() }));
        assert!(!abnormal.fires_on(&TriggerEvent::AbnormalIndicator { code: "sbp".into() }));
        assert!(!Trigger::Manual.fires_on(&dx("I10")));
    }

    #[test]
    fn post_checkup_plans_differ_by_risk_tier() {
        let p = find("post-checkup");
        assert!(p.is_tiered());
        let anchor = datetime!(2026-11-02 09:00 +08:00);
        let year = |tier| {
            p.schedule(anchor, anchor + time::Duration::days(366), Some(tier))
                .unwrap()
                .iter()
                .map(|d| (p.steps[d.step].key.clone(), d.due_at.date().to_string()))
                .collect::<Vec<_>>()
        };
        let s = |k: &str, d: &str| (k.to_string(), d.to_string());
        assert_eq!(
            year(RiskTier::High),
            [
                s("H1", "2026-11-03"),
                s("H30", "2026-12-02"),
                s("HQ", "2027-02-02"),
                s("HQ", "2027-05-02"),
                s("HQ", "2027-08-02"),
                s("HQ", "2027-11-02"),
            ]
        );
        assert_eq!(
            year(RiskTier::Medium),
            [
                s("M7", "2026-11-09"),
                s("M30", "2026-12-02"),
                s("M6", "2027-05-02"),
                s("M6", "2027-11-02")
            ]
        );
        assert_eq!(year(RiskTier::Low), [s("L7", "2026-11-09"), s("LY", "2027-10-02")]);
        // High-risk results are told by a doctor within three days of enrolment.
        let first = p
            .schedule(anchor, anchor + time::Duration::days(5), Some(RiskTier::High))
            .unwrap();
        assert_eq!((first[0].deadline - anchor).whole_days(), 3);
        assert!(matches!(
            p.steps[first[0].step].assignee,
            AssigneeRule::ResponsibleDoctor
        ));
        // Without a tier only untiered steps apply (there are none here).
        assert!(
            p.schedule(anchor, anchor + time::Duration::days(366), None)
                .unwrap()
                .is_empty()
        );
        assert!(
            p.trigger
                .fires_on(&TriggerEvent::RiskTierAssessed { tier: RiskTier::Low })
        );
    }

    #[test]
    fn a_tiered_protocol_must_have_steps_for_every_tier() {
        let good = include_str!("../../protocols/post-checkup.json");
        let no_low = good.replace("\"low\"", "\"medium\"");
        let e = Protocol::from_json(&no_low).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("steps", "tier_uncovered"));
        assert!(e.message.contains("'low'"), "{}", e.message);
        let bad_tier = good.replacen("\"high\"", "\"urgent\"", 1);
        assert_eq!(Protocol::from_json(&bad_tier).unwrap_err().field, "protocol");
    }

    #[test]
    fn method_names_are_their_serialised_names() {
        for m in [
            Method::PhoneCall,
            Method::VoiceRobot,
            Method::Sms,
            Method::Wechat,
            Method::Questionnaire,
            Method::InPerson,
        ] {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
    }

    #[test]
    fn protocols_round_trip_through_json() {
        for p in builtin().unwrap() {
            let again = Protocol::from_json(&serde_json::to_string(&p).unwrap()).unwrap();
            assert_eq!(again, p);
        }
    }
}
