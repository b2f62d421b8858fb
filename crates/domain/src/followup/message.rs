//! The words an automated step sends: an SMS or WeChat reminder, a questionnaire link, or the
//! opening of a voice-robot call. Texts follow Chinese health-SMS practice: the sender's name
//! in 【】, a polite address by surname (王先生 / 李女士) rather than the full name, one clear
//! request, how long a link works, and the opt-out words (回T退订) that carriers require.

use super::protocol::Method;
use crate::patient::Sex;

/// Which provider family carries a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    Sms,
    Wechat,
    Voice,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Sms => "sms",
            ChannelKind::Wechat => "wechat",
            ChannelKind::Voice => "voice",
        }
    }

    /// The channel that carries an automated step; `None` for steps a person performs.
    pub fn for_method(m: Method) -> Option<ChannelKind> {
        match m {
            Method::Sms | Method::Questionnaire => Some(ChannelKind::Sms),
            Method::Wechat => Some(ChannelKind::Wechat),
            Method::VoiceRobot => Some(ChannelKind::Voice),
            Method::PhoneCall | Method::InPerson => None,
        }
    }
}

/// What a message is about.
#[derive(Debug, Clone)]
pub struct MessageContext<'a> {
    /// The organisation's name, shown as the sender.
    pub sender: &'a str,
    pub patient_name: &'a str,
    pub sex: Sex,
    /// The step's name, e.g. 出院30天复诊提醒.
    pub step_name: &'a str,
    pub method: Method,
    /// The patient's page, for questionnaires.
    pub link: Option<&'a str>,
    /// Days the link stays valid.
    pub link_days: u32,
    /// A family proxy receives the link on the patient's behalf: their relation (子女).
    pub proxy_relation: Option<&'a str>,
    /// For a reminder: when (the step's day), where (the patient's department) and whom to
    /// call (the organisation's number, if it has set one).
    pub visit: Visit<'a>,
}

/// What a reminder needs to say when, where and whom to call.
#[derive(Debug, Clone, Copy)]
pub struct Visit<'a> {
    /// The day the step is due (China time).
    pub on: time::Date,
    /// The department the patient is seen in (普外科).
    pub department: &'a str,
    /// The organisation's number for appointments and questions.
    pub phone: Option<&'a str>,
}

/// 王先生 / 李女士: the surname (first character; compound surnames are rare enough that the
/// first character still reads politely) and an honorific.
pub fn salutation(name: &str, sex: Sex) -> String {
    let surname: String = name.chars().next().map(String::from).unwrap_or_default();
    let title = match sex {
        Sex::Male => "先生",
        Sex::Female => "女士",
    };
    format!("{surname}{title}")
}

/// How many SMS a text is billed as. Chinese text goes as UCS-2: one message holds 70
/// characters, a longer text is split into parts of 67 (3GPP TS 23.040 concatenation header);
/// carriers bill per part. (A text of GSM 7-bit characters only, 160 / 153, does not occur in
/// CareLoop's Chinese messages and is counted the same way, which errs on the high side.)
pub fn sms_segments(text: &str) -> usize {
    let n = text.chars().count();
    if n <= 70 { 1 } else { n.div_ceil(67) }
}

/// Where a patient link stands: `answered`, `withdrawn`, `expired` or `open`.
pub fn link_state(
    answered: bool,
    withdrawn: bool,
    expires_at: time::OffsetDateTime,
    now: time::OffsetDateTime,
) -> &'static str {
    match (answered, withdrawn) {
        (true, _) => "answered",
        (false, true) => "withdrawn",
        (false, false) if expires_at <= now => "expired",
        (false, false) => "open",
    }
}

/// Where a queued message's link goes. The link's token is made only when the message is sent
/// and is never stored: the stored text keeps this slot, and the outbox shows it as it is.
pub const LINK_SLOT: &str = "[链接]";

/// The stored text with its link slot filled: what the phone receives.
pub fn with_link(body: &str, link: &str) -> String {
    body.replacen(LINK_SLOT, link, 1)
}

/// A message as a provider's approved template (短信模板) sends it: the key a hospital maps to
/// its template code at each provider, and the named parameters, in the order a positional
/// template (Tencent's `{1}`, `{2}` …) takes them. The sender is no parameter: the provider puts
/// the approved signature (签名) in 【】 before the text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateMessage {
    pub key: &'static str,
    pub params: Vec<(&'static str, String)>,
}

/// Each template's text, with `${name}` where a parameter goes (Aliyun's notation): what a
/// hospital submits to its provider for approval, and what the sandbox sends.
pub const TEMPLATES: [(&str, &str); 3] = [
    (
        "questionnaire_link",
        "${name}您好，请您花两分钟填写《${title}》：${link} （${days}天内有效）。如有不适请及时就医。回T退订",
    ),
    (
        "proxy_questionnaire_link",
        "您好，您作为${name}的${relation}，受其委托代为填写随访问卷《${title}》：${link} （${days}天内有效）。如${name}有不适请及时就医。回T退订",
    ),
    (
        "revisit_reminder",
        "${name}您好，${title}：请于${date}前后到${department}复诊，带好病历和正在服用的药物。${call}如有不适请及时就医。回T退订",
    ),
];

impl TemplateMessage {
    /// The template's text with its parameters in place.
    pub fn text(&self) -> String {
        let template = TEMPLATES.iter().find(|(k, _)| *k == self.key).map_or("", |(_, t)| *t);
        self.params.iter().fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("${{{name}}}"), value)
        })
    }
}

/// The template an SMS or WeChat step sends; `None` for a voice robot's opening words.
pub fn template(c: &MessageContext<'_>) -> Option<TemplateMessage> {
    let who = salutation(c.patient_name, c.sex);
    let (key, params) = match (c.method, c.link) {
        (Method::VoiceRobot, _) => return None,
        (_, Some(link)) if c.proxy_relation.is_some() => (
            "proxy_questionnaire_link",
            vec![
                ("name", who),
                ("relation", c.proxy_relation.unwrap_or_default().to_string()),
                ("title", c.step_name.to_string()),
                ("link", link.to_string()),
                ("days", c.link_days.to_string()),
            ],
        ),
        (_, Some(link)) => (
            "questionnaire_link",
            vec![
                ("name", who),
                ("title", c.step_name.to_string()),
                ("link", link.to_string()),
                ("days", c.link_days.to_string()),
            ],
        ),
        _ => {
            let v = c.visit;
            (
                "revisit_reminder",
                vec![
                    ("name", who),
                    ("title", c.step_name.to_string()),
                    ("date", format!("{}月{}日", u8::from(v.on.month()), v.on.day())),
                    ("department", v.department.to_string()),
                    (
                        "call",
                        v.phone.map_or(String::new(), |p| format!("预约或咨询请致电{p}。")),
                    ),
                ],
            )
        }
    };
    Some(TemplateMessage { key, params })
}

/// The text a patient receives: the sender in 【】 and the template's text, or a voice robot's
/// opening words.
pub fn render(c: &MessageContext<'_>) -> String {
    match template(c) {
        Some(t) => format!("【{}】{}", c.sender, t.text()),
        None => format!(
            "您好，请问是{}吗？这里是{}随访中心，想占用您两分钟，了解一下您最近的身体情况（{}）。",
            salutation(c.patient_name, c.sex),
            c.sender,
            c.step_name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(method: Method, link: Option<&'static str>) -> MessageContext<'static> {
        MessageContext {
            sender: "城东社区卫生服务中心",
            patient_name: "王建国",
            sex: Sex::Male,
            step_name: "出院7天康复问卷",
            method,
            link,
            link_days: 7,
            proxy_relation: None,
            visit: Visit {
                on: time::macros::date!(2026 - 12 - 06),
                department: "普外科",
                phone: Some("0571-87000000"),
            },
        }
    }

    /// Every parameter a message passes has its place in its template's text, and every place
    /// is filled: what the provider is sent is what the sandbox shows.
    #[test]
    fn each_template_names_exactly_the_parameters_its_messages_pass() {
        let mut proxy = ctx(Method::Questionnaire, Some(LINK_SLOT));
        proxy.proxy_relation = Some("子女");
        for c in [
            ctx(Method::Questionnaire, Some(LINK_SLOT)),
            proxy,
            ctx(Method::Sms, None),
        ] {
            let t = template(&c).unwrap();
            let (_, text) = TEMPLATES.iter().find(|(k, _)| *k == t.key).unwrap();
            let places = text.matches("${").count();
            let distinct: std::collections::BTreeSet<&str> =
                text.split("${").skip(1).map(|p| p.split('}').next().unwrap()).collect();
            let names: std::collections::BTreeSet<&str> = t.params.iter().map(|(n, _)| *n).collect();
            assert_eq!(distinct, names, "{}", t.key);
            assert!(places >= names.len());
            assert!(!t.text().contains("${"), "{}", t.text());
            assert_eq!(render(&c), format!("【城东社区卫生服务中心】{}", t.text()));
        }
        assert!(template(&ctx(Method::VoiceRobot, None)).is_none());
    }

    #[test]
    fn a_questionnaire_sms_with_a_link_token_of_22_letters_takes_two_segments() {
        assert_eq!(sms_segments(&"字".repeat(70)), 1);
        assert_eq!(sms_segments(&"字".repeat(71)), 2);
        assert_eq!(sms_segments(&"字".repeat(134)), 2);
        assert_eq!(sms_segments(&"字".repeat(135)), 3);
        let short = render(&ctx(
            Method::Questionnaire,
            Some("https://followup.example.cn/m/aaaaaaaaaaaaaaaaaaaaaa"),
        ));
        let long = render(&ctx(
            Method::Questionnaire,
            Some("https://followup.example.cn/m/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        ));
        assert_eq!((sms_segments(&short), sms_segments(&long)), (2, 3), "{short}");
    }

    #[test]
    fn a_reminder_says_when_where_and_whom_to_call() {
        let mut c = ctx(Method::Sms, None);
        c.step_name = "出院30天复诊提醒";
        assert_eq!(
            render(&c),
            "【城东社区卫生服务中心】王先生您好，出院30天复诊提醒：请于12月6日前后到普外科复诊，带好病历和正在服用的药物。预约或咨询请致电0571-87000000。如有不适请及时就医。回T退订"
        );
        c.visit.phone = None;
        assert!(!render(&c).contains("致电"), "no number set: no call sentence");
    }

    #[test]
    fn patients_are_addressed_by_surname_and_honorific_never_full_name() {
        assert_eq!(salutation("王建国", Sex::Male), "王先生");
        assert_eq!(salutation("李秀英", Sex::Female), "李女士");
        let text = render(&ctx(Method::Sms, None));
        assert!(text.contains("王先生") && !text.contains("王建国"), "{text}");
    }

    #[test]
    fn a_questionnaire_sms_carries_the_link_its_validity_and_the_opt_out() {
        let text = render(&ctx(Method::Questionnaire, Some("https://h.example/m/abc")));
        assert_eq!(
            text,
            "【城东社区卫生服务中心】王先生您好，请您花两分钟填写《出院7天康复问卷》：https://h.example/m/abc （7天内有效）。如有不适请及时就医。回T退订"
        );
    }

    #[test]
    fn a_link_sent_to_a_family_proxy_says_on_whose_behalf() {
        let mut c = ctx(Method::Questionnaire, Some("https://h.example/m/abc"));
        c.proxy_relation = Some("子女");
        assert_eq!(
            render(&c),
            "【城东社区卫生服务中心】您好，您作为王先生的子女，受其委托代为填写随访问卷《出院7天康复问卷》：https://h.example/m/abc （7天内有效）。如王先生有不适请及时就医。回T退订"
        );
    }

    #[test]
    fn each_automated_method_has_a_channel_and_manual_steps_have_none() {
        assert_eq!(ChannelKind::for_method(Method::Questionnaire), Some(ChannelKind::Sms));
        assert_eq!(ChannelKind::for_method(Method::Wechat), Some(ChannelKind::Wechat));
        assert_eq!(ChannelKind::for_method(Method::VoiceRobot), Some(ChannelKind::Voice));
        assert_eq!(ChannelKind::for_method(Method::PhoneCall), None);
        assert_eq!(ChannelKind::for_method(Method::InPerson), None);
        for m in [Method::Sms, Method::Wechat, Method::VoiceRobot, Method::Questionnaire] {
            assert_eq!(ChannelKind::for_method(m).is_some(), m.is_automated());
        }
    }

    #[test]
    fn the_voice_robot_opens_by_checking_who_answered() {
        let text = render(&ctx(Method::VoiceRobot, None));
        assert!(text.starts_with("您好，请问是王先生吗？"), "{text}");
    }
}
