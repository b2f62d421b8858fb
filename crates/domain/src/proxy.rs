//! Family proxies (家属代理): a family member who, with the patient's recorded and revocable
//! consent, receives the patient's questionnaire links and may answer on their behalf. Many
//! elderly patients are helped by a son or daughter; the record must say who answered.

use crate::FieldError;
use crate::phone::PhoneNumber;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Spouse,
    Child,
    Parent,
    Sibling,
    Other,
}

impl Relation {
    pub const ALL: [Relation; 5] = [
        Relation::Spouse,
        Relation::Child,
        Relation::Parent,
        Relation::Sibling,
        Relation::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Spouse => "spouse",
            Relation::Child => "child",
            Relation::Parent => "parent",
            Relation::Sibling => "sibling",
            Relation::Other => "other",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Relation::Spouse => "配偶",
            Relation::Child => "子女",
            Relation::Parent => "父母",
            Relation::Sibling => "兄弟姐妹",
            Relation::Other => "其他亲属",
        }
    }

    pub fn parse(raw: &str) -> Result<Relation, FieldError> {
        Relation::ALL
            .into_iter()
            .find(|r| r.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "relation",
                    "relation_invalid",
                    "relation must be one of spouse, child, parent, sibling, other",
                    "关系应为配偶、子女、父母、兄弟姐妹或其他亲属",
                )
            })
    }
}

/// A proxy as submitted: who, how related, their phone, and how the patient consented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProxy {
    pub name: String,
    pub relation: Relation,
    pub phone: PhoneNumber,
    /// How the patient's consent was given and recorded, e.g. 患者本人门诊当面口头同意.
    pub consent: String,
}

impl NewProxy {
    pub fn parse(name: &str, relation: &str, phone: &str, consent: &str) -> Result<NewProxy, FieldError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 20 {
            return Err(FieldError::new(
                "name",
                "name_invalid",
                "the proxy's name is 1–20 characters",
                "家属姓名应为1–20个字",
            ));
        }
        crate::patient::person_name(&Some(name.to_string()), "name", 20)?;
        let consent = consent.trim();
        if consent.is_empty() {
            return Err(FieldError::new(
                "consent",
                "required",
                "record how the patient consented (e.g. in person, in writing)",
                "请记录患者同意的方式（如当面口头同意、书面签字）",
            ));
        }
        if consent.chars().count() > 200 {
            return Err(FieldError::new(
                "consent",
                "too_long",
                "at most 200 characters",
                "最多200字",
            ));
        }
        Ok(NewProxy {
            name: name.to_string(),
            relation: Relation::parse(relation)?,
            phone: PhoneNumber::parse_field(phone, "phone")?,
            consent: consent.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_needs_a_name_a_relation_a_valid_phone_and_the_patients_consent() {
        let ok = NewProxy::parse(" 王小明 ", "child", "13812345678", "患者门诊当面口头同意").unwrap();
        assert_eq!((ok.name.as_str(), ok.relation), ("王小明", Relation::Child));
        let cases = [
            (("", "child", "13812345678", "同意"), "name"),
            (("王小明", "friend", "13812345678", "同意"), "relation"),
            (("王小明", "child", "1381234567", "同意"), "phone"),
            (("王小明", "child", "13812345678", "  "), "consent"),
        ];
        for ((n, r, p, c), field) in cases {
            assert_eq!(NewProxy::parse(n, r, p, c).unwrap_err().field, field);
        }
        for r in Relation::ALL {
            assert_eq!(Relation::parse(r.as_str()).unwrap(), r);
        }
    }
}
