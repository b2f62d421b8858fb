//! UI strings in Chinese (default) and English. Each string is declared once, with both
//! languages on the same line, by [`strings!`], which generates the [`Tr`] struct and its two
//! instances: a template that names a missing string fails to compile, and a string cannot be
//! translated in one language and forgotten in the other.
//!
//! Stored codes (a task state, a contact result, a tier) are shown through one label table per
//! kind of code, declared by [`labels!`]: two kinds may use the same code (`no_answer` is both a
//! task state and a contact result) without one hiding the other, a code repeated inside one kind
//! is a compile error, and a code no table knows is shown as itself, never as an empty string.

/// The UI language, chosen with the `careloop_lang` cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_cookie(v: Option<&str>) -> Lang {
        if v == Some("en") { Lang::En } else { Lang::Zh }
    }

    pub fn tr(self) -> &'static Tr {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

/// Declares every UI string once: `name: "中文", "English";`.
macro_rules! strings {
    ($($field:ident: $zh:literal, $en:literal;)*) => {
        /// The UI strings of one language.
        pub struct Tr {
            /// Which language these are, for the few texts built from parts.
            pub lang: Lang,
            $(pub $field: &'static str,)*
        }

        pub static ZH: Tr = Tr { lang: Lang::Zh, $($field: $zh,)* };
        pub static EN: Tr = Tr { lang: Lang::En, $($field: $en,)* };

        /// Every string with both languages, for the tests.
        #[cfg(test)]
        pub(crate) const STRINGS: &[(&str, &str, &str)] = &[$((stringify!($field), $zh, $en)),*];
    };
}

/// Declares one label table per kind of stored code: `kind { "code" => "中文", "English"; }`
/// becomes `Tr::kind(code)`. A code repeated within a kind is an unreachable pattern, which the
/// lint policy turns into an error.
macro_rules! labels {
    ($($(#[$doc:meta])* $kind:ident { $($code:literal => $zh:literal, $en:literal;)* })*) => {
        impl Tr {
            $(
                $(#[$doc])*
                #[deny(unreachable_patterns)]
                pub fn $kind<'a>(&self, code: &'a str) -> &'a str {
                    let (zh, en) = match code {
                        $($code => ($zh, $en),)*
                        _ => return code,
                    };
                    if self.lang == Lang::Zh { zh } else { en }
                }
            )*
        }

        /// Every label table with its codes, for the tests that check each stored code has one.
        #[cfg(test)]
        pub(crate) const LABEL_TABLES: &[(&str, &[&str])] = &[$((stringify!($kind), &[$($code),*])),*];
    };
}

strings! {
    html_lang: "zh-CN", "en";
    other_lang_code: "en", "zh";
    other_lang_name: "English", "中文";
    app_name: "CareLoop 智能随访", "CareLoop";
    patients: "患者管理", "Patients";
    new_patient: "新建档案（开卡）", "Enrol patient";
    search: "查询", "Search";
    search_hint: "姓名、拼音首字母（如 zsf）、手机号、身份证号或卡号", "Name, pinyin initials (e.g. zsf), phone, ID or card number";
    name: "姓名", "Name";
    sex: "性别", "Sex";
    male: "男", "Male";
    female: "女", "Female";
    age: "年龄", "Age";
    birth_date: "出生日期", "Date of birth";
    birth_date_hint: "填写身份证号后可不填", "may be left empty when the ID number is given";
    id_number: "身份证号", "ID number";
    phone: "手机号", "Mobile";
    no_phone: "无手机号", "no mobile";
    advice: "健康建议", "Health advice";
    tags: "标签", "Tags";
    tag_by_rule: "由自动标签规则设置", "set by a tag rule";
    tag_by_staff: "由工作人员设置", "set by staff";
    tier_computed: "规则计算的风险分层及依据", "Tier computed by the rules, with reasons";
    tier_unknown_inputs: "健康档案未记录：", "not on record: ";
    tier_from_organisation: "取自机构所在地：", "from the organisation's location: ";
    tier_model_missing: "缺少检测结果：", "results missing: ";
    tier_source: "方式", "By";
    tier_by_staff: "医生评估", "clinician";
    tier_by_rules: "规则计算", "rules";
    health_report: "生成健康报告", "Health report";
    report_period: "报告期间（默认近一年）", "Period (default: last 12 months)";
    advice_why: "推荐理由：", "Why: ";
    advice_source: "来源：", "Source: ";
    address: "住址", "Address";
    emergency_contact: "紧急联系人", "Emergency contact";
    emergency_phone: "紧急联系人电话", "Emergency contact phone";
    department: "科室", "Department";
    card_number: "卡号", "Card no.";
    view: "查看", "View";
    edit: "编辑", "Edit";
    save: "保存", "Save";
    cancel: "取消", "Cancel";
    logout: "退出登录", "Log out";
    login: "登录", "Log in";
    username: "用户名", "Username";
    password: "密码", "Password";
    prev: "上一页", "Previous";
    next: "下一页", "Next";
    total: "共", "Total";
    page: "页", "page";
    no_results: "没有找到符合条件的患者", "No patients match";
    profile: "基本信息", "Profile";
    health_record: "健康档案", "Health record";
    diagnoses: "诊断", "Diagnoses";
    observations: "检测指标", "Indicators";
    add_observation: "录入指标", "Record values";
    indicator: "指标", "Indicator";
    value: "数值", "Value";
    unit: "单位", "Unit";
    unit_hint: "留空为标准单位", "empty = canonical unit";
    effective_at: "检测日期", "Date measured";
    reference_range: "参考范围", "Reference";
    result: "结果", "Result";
    flag_high: "偏高", "High";
    flag_low: "偏低", "Low";
    flag_normal: "正常", "Normal";
    source: "来源", "Source";
    icd10: "ICD-10 编码", "ICD-10 code";
    diagnosis_name: "诊断名称", "Diagnosis";
    diagnosed_on: "诊断日期", "Diagnosed on";
    add_diagnosis: "添加诊断", "Add diagnosis";
    past_history: "既往史", "Past history";
    family_history: "家族史", "Family history";
    allergies: "过敏史", "Allergies";
    medications: "当前用药", "Current medication";
    smoking: "吸烟", "Smoking";
    alcohol: "饮酒", "Alcohol";
    exercise: "运动", "Exercise";
    diet: "饮食", "Diet";
    sleep: "睡眠", "Sleep";
    not_recorded: "未填写", "not recorded";
    risk_inputs: "风险评估信息", "Risk assessment inputs";
    region: "居住地区", "Region";
    residence: "城乡", "Urban or rural";
    bp_treated: "正在服用降压药", "Taking blood-pressure medication";
    family_history_ascvd: "父母或兄弟姐妹有心脑血管病", "Parent or sibling with cardiovascular disease";
    family_history_diabetes: "糖尿病家族史", "Family history of diabetes";
    organisations: "机构", "Organisations";
    location: "所在地（患者档案的默认值）", "Location (default for patients' records)";
    location_hint:
        "机构所在地用于China-PAR风险评估：患者健康档案未填写居住地区或城乡时取此值。",
        "Used by China-PAR: where a patient's record leaves region or residence out, the organisation's applies.";
    edit_record: "编辑健康档案", "Edit health record";
    admin: "系统管理", "Administration";
    departments: "科室管理", "Departments";
    organisation: "所属机构", "Organisation";
    users: "用户管理", "Users";
    audit: "审计日志", "Audit trail";
    critical_limits: "危急值表", "Critical values";
    every: "每", "every ";
    back_to_patient: "返回患者全景", "Back to the patient";
    question: "题目", "Question";
    answer: "回答", "Answer";
    organisation_phone: "预约咨询电话（写入复诊提醒短信）", "Number patients call (named in reminders)";
    outreach_title: "消息与问卷", "Messages and questionnaire";
    send_today: "今天发送", "Send today";
    outreach_none_sent: "尚未发出（到期后由系统发送，免打扰时段顺延）", "Nothing sent yet (the system sends it when due, after quiet hours)";
    link_valid_until: "有效至", "valid until";
    resend_today: "今天重新发送", "Send again today";
    switch_to_phone: "患者未回复时，可直接电话随访：拨打上方号码，在下方登记结果。", "If the patient does not answer, call instead: dial the number above and record the result below.";
    recent_records: "最近随访", "Last follow-ups";
    recent_messages: "最近消息与问卷", "Last messages and questionnaires";
    signed_by_system: "系统记录", "recorded by the system";
    all_values: "全部检测记录", "All values";
    patient_id_placeholder: "患者编号", "Patient id";
    export_fhir: "导出（FHIR 格式）", "Export (FHIR)";
    rule_expression: "规则表达式（供方案维护人员）", "Rule expression (for protocol maintainers)";
    critical_limits_hint:
        "达到或超过界值的结果（录入、随访、导入或问卷回答）立即生成严重预警，由责任医生在1小时内处理。",
        "A result at or past a limit (typed in, at a visit, imported or answered) raises a severe alert for the responsible doctor to handle within the hour.";
    critical_national: "国家规范紧急阈值（不可更改）", "National emergency thresholds (fixed)";
    critical_national_source:
        "依据：国家基本公共卫生服务规范（第三版）高血压、2型糖尿病患者健康管理服务规范。",
        "Source: National Basic Public Health Service Standard (3rd edition), hypertension and type 2 diabetes specifications.";
    critical_sbp: "收缩压", "Systolic pressure";
    critical_dbp: "舒张压", "Diastolic pressure";
    critical_glucose: "空腹血糖", "Fasting glucose";
    critical_glucose_low_note: "（低限仅用于糖尿病患者）", "(the low limit for patients with diabetes only)";
    critical_lab: "检验危急值", "Laboratory critical values";
    critical_at_most: "低限（≤）", "At or below";
    critical_at_least: "高限（≥）", "At or above";
    critical_source: "依据", "Source";
    critical_source_placeholder: "如：本院危急值管理制度（2025版）", "e.g. the hospital's critical-value policy (2025)";
    critical_own: "本机构设定", "Set here";
    critical_seeded: "默认", "Default";
    critical_seeded_source:
        "常用检验危急值（依《医疗质量安全核心制度要点》危急值报告制度，本机构未另行设定）",
        "Commonly listed laboratory critical values (the organisation has not set its own)";
    critical_reset: "恢复默认", "Back to the default";
    critical_add: "添加检验项目", "Add a laboratory test";
    critical_indicator: "检验项目", "Test";
    code: "代码", "Code";
    role: "角色", "Role";
    status: "状态", "Status";
    active: "启用", "Active";
    inactive: "停用", "Inactive";
    failed_logins: "登录失败次数", "Failed logins";
    activate: "启用", "Activate";
    deactivate: "停用", "Deactivate";
    create: "新建", "Create";
    action: "操作", "Action";
    time: "时间", "Time";
    actor: "操作人", "By";
    ip: "来源地址", "Address";
    detail: "详情", "Detail";
    form_has_errors: "请修改标红的项目后重新提交", "Please correct the fields marked in red";
    forbidden: "您没有权限执行此操作", "You are not allowed to do this";
    not_found: "未找到该记录", "Not found";
    error_title: "出错了", "Something went wrong";
    back: "返回", "Back";
    new_password: "新密码", "New password";
    optional: "选填", "optional";
    display_name: "姓名", "Full name";
    choose: "请选择", "Choose";
    logged_in_as: "当前用户", "Signed in";
    demo_hint: "演示账号密码见启动输出", "Demo logins are printed at start-up";
    worklist: "今日工作", "Today's work";
    tab_due: "应访", "Due";
    tab_overdue: "超期/漏访", "Overdue / missed";
    tab_upcoming: "近7天", "Next 7 days";
    tab_done: "已访（近30天）", "Done (30 days)";
    risk_tier: "风险分层", "Risk tier";
    tier_reason: "分层依据", "Reason";
    tier_assess: "评定风险分层", "Assess risk tier";
    tier_history: "分层记录", "Assessments";
    tier_none: "未评定", "Not assessed";
    questionnaires: "问卷", "Questionnaires";
    response_rates: "问卷回收率", "Questionnaire response rates";
    by_channel: "按渠道", "By channel";
    by_hour: "按发送时段", "By hour sent";
    by_age_band: "按年龄段", "By age band";
    links_sent: "发出", "Sent";
    links_answered: "回收", "Answered";
    question_count: "题数", "Questions";
    preview: "预览（患者所见）", "Preview (as the patient sees it)";
    make_link: "生成问卷链接", "Make a questionnaire link";
    patient_link: "患者链接", "Patient link";
    link_valid: "7天内有效，仅限本人使用，提交后失效", "valid 7 days, this patient only, used up on submission";
    score: "得分", "Score";
    band: "分级", "Band";
    answered_by: "填写人", "Answered by";
    batch_enrol: "批量入组", "Enrol selected";
    batch_hint:
        "勾选患者后选择随访方案，一次入组（已在方案中的患者自动跳过）",
        "Tick patients, choose a protocol and enrol them at once (patients already on it are skipped)";
    anchor_date: "起始日期", "Anchor date";
    select: "选择", "Select";
    enrolled_n: "已入组", "Enrolled";
    skipped_n: "已跳过", "Skipped";
    back_to_patients: "返回患者列表", "Back to patients";
    tier_assessed_on: "评定日期", "Assessed on";
    nothing_here: "暂无任务", "Nothing here";
    due_date: "应访日期", "Due";
    step: "随访节点", "Step";
    method: "方式", "Method";
    overdue_prefix: "超期", "overdue";
    days: "天", "days";
    attempts: "已拨打", "attempts";
    call_sheet: "随访登记", "Follow-up call";
    call_script: "随访话术", "Call script";
    recent_readings: "近期测量", "Recent readings";
    contact_result: "联系结果", "Contact result";
    record_note: "随访备注", "Note";
    sign_record: "提交随访记录", "Sign the record";
    task_records: "本任务的随访记录", "Records on this task";
    classification: "随访分类", "Classification";
    referral: "需转诊", "Referral";
    emergency_symptom: "有急症症状（需立即转诊）", "Emergency symptom (urgent referral)";
    start_call: "登记", "Record";
    figures: "随访统计", "Figures";
    period_from: "开始日期", "From";
    period_to: "结束日期", "To";
    show: "查看", "Show";
    download_csv: "导出 Excel（CSV）", "Export to Excel (CSV)";
    numerator: "分子", "Numerator";
    denominator: "分母", "Denominator";
    percent: "百分比", "Percent";
    managed_htn: "已管理高血压患者", "Managed hypertensive patients";
    managed_dm: "已管理糖尿病患者", "Managed diabetic patients";
    breakdown_by: "分组", "Break down";
    by_none: "不分组", "no breakdown";
    by_department: "按科室", "by department";
    by_protocol: "按随访方案", "by protocol";
    by_staff: "按人员", "by staff";
    by_month: "按月份", "by month";
    by_month_charts: "逐月变化", "Month by month";
    unassigned: "未分配", "unassigned";
    fig_completion: "完成率", "Completion";
    fig_on_time: "及时率", "On time";
    fig_contact: "联系成功率", "Contact success";
    fig_lost: "失访率", "Lost to follow-up";
    call_result_title: "本次随访结果", "What this call set off";
    plans_title: "随访计划", "Follow-up plans";
    plans_none: "未在任何随访方案中", "On no follow-up plan";
    plan_paused: "已暂停", "paused";
    plan_no_open_task: "暂无待办任务", "No open task";
    open_task: "打开", "Open";
    call_assessment: "随访评估", "Assessment";
    call_referral_needed: "需要转诊（两周内随访转诊结果）", "Referral needed (follow it up within two weeks)";
    call_alerts_raised: "已发出的预警", "Alerts raised";
    call_no_alerts: "无预警", "No alerts";
    call_next_task: "下次随访", "Next follow-up";
    call_retry_at: "未接通，将再次拨打", "Not reached; calling again";
    call_lost: "连续未能联系，已判定失访，随访方案已停止", "Not reached repeatedly: lost to follow-up, the plan has stopped";
    call_next_patient: "下一位", "Next patient";
    call_none_left: "没有待打的电话了", "No more calls due";
    alerts_centre: "预警中心", "Alerts";
    alerts_on_desk: "待我处理的预警", "open alerts on your desk";
    alerts_mine: "交给我的", "On my desk";
    alerts_others: "本科室其他预警", "Colleagues' alerts";
    alerts_none: "没有预警", "No alerts";
    alerts_severe_first: "待处理预警（严重的在前）", "Open alerts (severe first)";
    alerts_view_all: "进入预警中心", "Open the alert centre";
    alert_owner: "负责", "Owner";
    alert_raised: "发生", "Raised";
    alert_due: "处理时限", "Due";
    alert_reason: "预警原因", "Reason";
    alert_acknowledge: "确认接手", "Acknowledge";
    alert_close: "处理完毕并关闭", "Close";
    alert_outcome: "处理结果", "Outcome";
    alert_outcome_hint: "如：已电话联系患者，约明日门诊复诊", "e.g. called the patient; clinic visit tomorrow";
    alert_handled: "预警已更新", "The alert was updated";
    alert_count_unknown: "预警数暂不可用", "alert count unavailable";
    outbox: "消息发件箱", "Outbox";
    sandbox_note:
        "沙箱通道：以下是患者手机上收到的内容（未真正发出）。问卷链接在发送时生成、仅随短信发出，此处不保存，显示为[链接]。",
        "Sandbox channel: what the patient's phone receives; nothing leaves this server. A questionnaire link is made when the message is sent and goes only in the message: it is not kept here and shows as [链接].";
    sent_at: "发送时间", "Sent";
    recipient: "接收号码", "Recipient";
    message: "内容", "Message";
    emergency_contact_short: "紧急联系人", "Emergency contact";
    history: "任务记录", "History";
    protocols: "随访方案", "Protocols";
    version: "版本", "Version";
    trigger: "入组条件", "Trigger";
    steps: "随访步骤", "Steps";
    outcome_rules: "结局规则", "Outcome rules";
    export_json: "导出 JSON", "Export JSON";
    dry_run: "规则试运行", "Dry run";
    first_due: "首次时间（自锚定日）", "First due (from anchor)";
    repeats: "重复间隔", "Repeats";
    window: "时间窗", "Window";
    assignee: "负责人", "Assignee";
    retry_policy: "未接通重试", "Retries";
    lost_after: "连续失败判定失访次数", "Lost to follow-up after";
    alert: "预警", "Alert";
    follow_up_within: "限期复访", "Follow up within";
    dry_run_hint:
        "用已签名的随访记录试运行规则，查看每条规则会命中多少次、会产生哪些预警和转诊；不会保存任何内容。确认无误后再导入新版本。",
        "Replays the rules over signed follow-up records to show how often each would fire and what it would do. Nothing is saved; import the new version when satisfied.";
    protocol_document: "方案文档（JSON）", "Protocol document (JSON)";
    dry_run_result: "试运行结果", "Dry-run result";
    visits: "随访记录", "Visits";
    severe: "严重", "severe";
    matched: "命中", "Matched";
    rule_failed: "无法计算", "Could not evaluate";
    examples: "命中的随访记录", "Visits where rules fired";
    signed_at: "签名时间", "Signed at";
    none_yet: "暂无", "None";
    scope: "范围", "Scope";
    scope_mine: "我的任务", "My tasks";
    scope_department: "本科室全部", "Whole department";
    all: "全部", "All";
    sort_by: "排序", "Sort by";
    deadline: "截止日期", "Deadline";
    text_findings: "自由文本发现", "Found in free text";
    link_made: "链接生成日期", "Link made";
    expires: "有效期至", "Valid until";
    withdraw_reason: "收回原因", "Reason";
    withdraw_link: "收回", "Withdraw";
    proxies: "家属代理", "Family proxies";
    relation: "关系", "Relation";
    consent: "患者授权方式", "Patient's consent";
    consent_hint: "如：患者门诊当面口头同意，护士见证", "e.g. verbal consent in clinic, witnessed by a nurse";
    receives_links: "代收随访问卷", "Receives questionnaire links";
    revoke_consent: "撤销授权", "Withdraw consent";
    add_proxy: "添加家属", "Add family member";
    trends: "历年指标趋势", "Trends over the years";
    lab_reports: "检查报告", "Lab and check-up reports";
    deceased_on: "已故", "Deceased";
    report_death: "登记死亡", "Record death";
    record_discharge: "登记出院", "Record a discharge";
    discharged_on: "出院日期", "Discharged on";
    ward: "出院病区", "Ward";
    discharge_diagnosis: "出院主要诊断（ICD-10）", "Main discharge diagnosis (ICD-10)";
    discharge_summary: "出院小结摘要", "Discharge summary";
    discharge_hint:
        "登记后，由出院触发的随访方案（如术后出院随访）从出院日期起自动生成随访任务和问卷提醒。",
        "Protocols that start on a discharge (such as post-surgery follow-up) plan their calls and questionnaire reminders from the discharge date.";
    discharge_recorded: "已登记出院", "Discharge recorded";
    discharge_started: "已开始随访方案", "Follow-up started";
    discharge_no_protocol: "没有由出院触发的随访方案", "No protocol starts on a discharge";
    report_death_confirm: "确认登记死亡", "Confirm: record death";
    report_death_hint:
        "登记后该患者所有随访计划停止，不再发送任何消息，也不会再自动入组。",
        "All of this patient's follow-up plans stop, no message is sent and no automatic enrolment happens again.";
    died_on: "死亡日期", "Date of death";
    clear_death: "撤销死亡登记（误登记时）", "Undo recorded death (entered in error)";
    deceased_note: "随访计划已停止，不再发送任何消息", "follow-up plans are stopped and no message is sent";
    lab_report_values: "已入库数值", "values stored";
    abnormal_values: "异常", "abnormal";
    imports: "导入检查结果", "Import results";
    imports_nav: "导入", "Import";
    imports_hint:
        "上传医院信息系统、检验系统或体检系统导出的文件。同一来源重复导入不会重复入库；更正的结果会替换原值；达到危急值的结果立即生成预警。",
        "Upload a file exported by the hospital, laboratory or check-up system. Importing the same data again stores nothing twice; a corrected result replaces the earlier value; a value at a critical limit raises an alert at once.";
    import_format: "文件格式", "Format";
    import_profile: "导入模板（CSV、Excel）", "Import profile (CSV, Excel)";
    import_profile_none: "不使用模板", "No profile";
    import_source: "来源系统", "Sending system";
    import_source_placeholder: "如 lis、his、tijian", "e.g. lis, his, tijian";
    import_department: "新患者所属科室", "Department for new patients";
    import_department_mine: "本人所在科室", "My department";
    import_file: "文件", "File";
    import_all_or_nothing: "任一条目被拒时全部不导入", "Store nothing if any item is rejected";
    import_submit: "导入", "Import";
    import_history: "导入记录", "Earlier imports";
    import_received: "条目", "Items";
    import_created: "新增", "Created";
    import_updated: "更新", "Updated";
    import_unchanged: "未变", "Unchanged";
    import_rejected: "被拒", "Rejected";
    import_by_command_line: "命令行导入", "command line";
    import_report: "导入报告", "Import report";
    import_applied: "已导入", "Imported";
    import_not_applied: "未导入任何数据：有被拒条目（已选择任一条目被拒时全部不导入），或文件中没有可读取的条目。请按下方问题修改文件后重新导入。", "Nothing was stored: items were rejected (with “store nothing if any item is rejected”), or nothing in the file could be read. Correct the file as the problems below say and import it again.";
    import_errors: "错误", "Errors";
    import_warnings: "提示", "Warnings";
    import_deceased: "登记为已故", "Recorded as deceased";
    import_patients: "患者", "Patients";
    import_values: "检验检查值", "Values";
    import_diagnoses: "诊断", "Diagnoses";
    import_reports: "检查报告", "Reports";
    import_skipped: "未导入的条目", "Items left out";
    import_skipped_hint: "以下类型本系统不导入，按文件中的类型名称列出。", "CareLoop does not take these kinds of item; they are listed as the file names them.";
    import_skipped_deceased: "已故患者的条目", "items about a deceased patient";
    import_unknown_codes: "未识别的代码", "Unknown codes";
    import_unknown_codes_hint:
        "这些项目的代码本系统不认识，相应数值未入库。请在导入模板中对应到已知指标，或联系管理员。",
        "CareLoop does not know these codes, so their values were not stored. Map them to known indicators in the import profile, or ask an administrator.";
    import_code_system: "代码体系", "Code system";
    import_display: "名称", "Name";
    import_count: "次数", "Count";
    import_first_seen: "首次出现位置", "First seen at";
    import_issues: "问题", "Problems";
    import_location: "位置", "Location";
    import_severity: "级别", "Severity";
    import_error: "错误（未导入）", "error (not stored)";
    import_warning: "提示（已导入）", "warning (stored)";
    import_issues_more: "仅列出前1000条问题。", "Only the first 1000 problems are listed.";
    fill_on_behalf: "代患者填写问卷", "Fill in for the patient";
    fill_on_behalf_hint:
        "电话联系到患者后，逐题读给患者听，按患者的回答填写。提交后记录为医护代填，与患者本人填写一样计分和预警，本任务完成，已发给患者的问卷链接随即收回。",
        "Once you reach the patient by phone, read each question aloud and enter the answer given. It is stored as entered by staff, scored and alerting as the patient's own; this task is settled and the links sent to the patient are withdrawn.";
    fill_on_behalf_fix: "有题目需要修改，请看下面红色的提示。", "Some answers need attention: see the notes in red below.";
    fill_on_behalf_submit: "提交（医护代填）", "Submit (entered by staff)";
    if_applicable: "（如适用）", "(if applicable)";
    patient: "患者", "Patient";
    target_word: "目标", "target";
    targets: "考核目标", "Targets";
    targets_hint:
        "国家基本公共卫生服务规范规定各项指标的计算方法，未统一规定目标值；请按上级考核方案或本机构质量计划填写。设置后，随访统计的月度图表以虚线显示目标，未达标时本月数值显示为红色。",
        "The national standard defines how each figure is counted but sets no target: enter the targets of your assessment plan or quality plan. The monthly charts on the figures page draw each as a dashed line and show the latest month in red when it misses.";
    target_none: "未设目标", "no target";
    target_at_least: "目标（不低于，%）", "Target (at least, %)";
    target_at_most: "目标（不高于，%）", "Target (at most, %)";
    target_source_placeholder: "如：区卫健委2026年基本公共卫生服务考核方案", "e.g. the district's 2026 public health service assessment plan";
    target_remove: "取消目标", "Remove the target";
    set_targets: "设置考核目标", "Set targets";
    satisfaction_chart: "满意度", "Satisfaction";
    patient_replies: "患者回复", "Replies from the patient";
    opt_out: "退订", "opt-out";
    sms_withdrawn: "患者已退订短信：不再发送自动短信，请电话联系", "The patient opted out of SMS: no automated SMS is sent; call instead";
    tag_rules: "自动标签规则", "Tag rules";
    tag_rules_hint:
        "规则按患者的检查结果、诊断、问卷、风险分层和随访情况自动设置标签，条件不再满足时自动移除；人工设置的标签不受影响。标签可触发随访方案。新规则或修改后请先试运行，确认影响人数后再保存。",
        "Rules set tags from a patient's results, diagnoses, questionnaires, risk tier and follow-up, and take them off when the condition no longer holds; tags set by staff are never touched. A tag can start a protocol. Try a new or changed rule first and save it once the numbers look right.";
    tag_rule_tag: "标签", "Tag";
    tag_rule_description: "说明与依据", "Meaning and source";
    tag_rule_patients: "当前人数", "Patients now";
    tag_rule_condition: "条件（规则表达式）", "Condition (rule expression)";
    tag_rule_new: "新建规则", "New rule";
    tag_rule_edit: "修改规则", "Change the rule";
    tag_rule_id: "规则编号", "Rule id";
    tag_rule_id_placeholder: "小写字母、数字或-，如 high-ldl", "lowercase letters, digits or -, e.g. high-ldl";
    tag_rule_tag_placeholder: "如 血脂异常", "e.g. dyslipidaemia";
    tag_rule_description_placeholder: "如 低密度脂蛋白胆固醇 ≥4.1 mmol/L（中国血脂管理指南 2023）", "e.g. LDL-C ≥4.1 mmol/L (Chinese lipid guideline 2023)";
    tag_rule_try: "试运行（不保存）", "Try it (nothing saved)";
    tag_rule_save: "保存并应用到全部患者", "Save and apply to everyone";
    tag_rule_saved: "已保存并应用", "Saved and applied";
    tag_rule_gained: "新增", "gained by";
    tag_rule_lost: "移除", "removed from";
    people: "人", "patients";
    tag_rule_evaluated: "评估患者", "Patients evaluated";
    tag_rule_matching: "符合条件", "Matching";
    tag_rule_would_gain: "将新增标签", "Would gain the tag";
    tag_rule_would_lose: "将移除标签", "Would lose the tag";
    tag_rule_failed: "无法评估", "Could not be evaluated";
    tag_rule_first_error: "首个错误", "First error";
    tag_rule_nothing_stored: "试运行未保存任何内容，也未改变任何患者的标签。", "The dry run stored nothing and changed no patient's tags.";
    tag_rule_variables: "条件中可用的数据", "What a condition may read";
    tag_var_latest: "某指标最近3年内的最新值（标准单位），指标代码见下表；患者没有该值时比较结果为否", "an indicator's latest value of the last 3 years (canonical unit; codes below); a comparison with a value the patient lacks is false";
    tag_var_flags: "该最新值偏低、正常或偏高", "whether that value is low, normal or high";
    tag_var_diagnoses: "诊断的 ICD-10 编码", "the ICD-10 codes of the diagnoses";
    tag_var_answers: "最近一次计分问卷的总分与分级", "the total and band of the latest scored response";
    tag_var_risk: "风险分层：高危、中危、低危", "the risk tier: high, medium, low";
    tag_var_patient: "年龄、性别", "age and sex";
    tag_var_history: "超期未完成的随访数；距上次随访的天数（从未随访为 −1）", "overdue follow-ups; days since the last visit (−1 when never visited)";
    tag_var_tags: "工作人员设置的标签", "tags staff set";
    tag_rule_indicator_codes: "指标代码", "Indicator codes";
    consents_title: "联系同意", "Consent to be contacted";
    consent_channel: "渠道", "Channel";
    consent_state: "状态", "State";
    consent_since: "依据", "Since";
    consent_notice: "告知书版本", "Notice";
    consent_notice_hint: "（登记同意时必填：向患者告知的告知书版本）", "(required when consent is given: the notice the patient was told)";
    consent_unrecorded_hint: "入组时未单独登记，可正常发送", "not recorded since enrolment; messages go";
    consent_record: "登记患者同意或撤回", "Record consent given or withdrawn";
    consent_grant: "同意通过该渠道联系", "agrees to be contacted on this channel";
    consent_withdraw: "撤回同意（不再通过该渠道自动发送）", "withdraws (no more automated messages on this channel)";
    consent_save: "登记", "Record";
    reach_title: "触达效果", "How messages reach patients";
    reach_intro:
        "期间内发出的自动消息：服务商回执的送达情况（送达率＝已送达÷有回执的消息），患者回复（回复率＝回复÷发送）及首次回复用时的中位数（分钟）；发送时段按北京时间。",
        "Automated messages sent in the period: the provider's receipts (delivery rate = delivered ÷ messages with a receipt), the patients' replies (reply rate = replied ÷ sent) and the median minutes to the first reply; hours in China time.";
    reach_sent: "发送", "Sent";
    reach_delivered: "已送达", "Delivered";
    reach_undelivered: "未送达", "Not delivered";
    reach_delivery_rate: "送达率", "Delivery rate";
    reach_replied: "回复", "Replied";
    reach_reply_rate: "回复率", "Reply rate";
    reach_median: "回复用时中位数（分钟）", "Median minutes to reply";
    thread_title: "消息会话", "Messages";
    thread_intro: "发给患者的每条消息和患者的每条回复，按时间排列。", "Every message sent to the patient and every reply, in time order.";
    thread_none: "还没有发给该患者的消息，也没有回复", "No messages to or from this patient yet";
    thread_link: "全部消息与回复", "All messages and replies";
    thread_opened: "已打开链接", "link opened";
    thread_answered: "已填写", "answered";
    thread_patient: "患者", "Patient";
    thread_handled: "已处理", "handled";
    inbox_thread: "查看会话", "Conversation";
    inbox_nav: "患者回复", "Replies";
    inbox_title: "患者回复收件箱", "Reply inbox";
    inbox_intro:
        "患者发回的短信按紧急程度排列：紧急（危险信号或数值达到危急值）在前，其次是需人工阅读的（含规则未能解释的危险字词），再次是提到症状或情绪的，最后是一般回复；同组内等待最久的在前。读完并处理后请标为已处理。",
        "Messages patients sent back, most urgent first: urgent (a danger sign or a value past its emergency limit), then those that need a human read (red-flag words the rules could not explain), then those naming symptoms or feelings, then the rest; within each group the longest waiting first. Mark a reply handled once you have read it and acted.";
    inbox_waiting_tab: "待处理", "Waiting";
    inbox_handled_tab: "已处理", "Handled";
    inbox_none: "暂无待处理的回复", "No replies waiting";
    inbox_none_handled: "暂无已处理的回复", "No handled replies";
    inbox_count_title: "需要查看的患者回复", "replies that need reading";
    inbox_received: "收到", "Received";
    inbox_from: "来自", "From";
    inbox_found: "分析发现", "Found";
    inbox_unexplained: "规则未能解释的字词", "Words the rules could not explain";
    inbox_alert: "查看预警", "See the alert";
    inbox_mark_handled: "标为已处理", "Mark handled";
    inbox_handled_at: "处理于", "Handled";
    inbox_reply_to: "回复", "Reply to";
}

labels! {
    /// What an audit event records (its stored action code).
    audit_action_label {
        "advice.read" => "查看健康建议", "read advice";
        "advice.save" => "保存健康建议", "saved advice";
        "alert.acknowledge" => "确认预警", "acknowledged an alert";
        "alert.close" => "关闭预警", "closed an alert";
        "alert.list" => "查看预警", "listed alerts";
        "audit.read" => "查看审计日志", "read the audit trail";
        "auth.login" => "登录", "logged in";
        "auth.login_failed" => "登录失败", "failed login";
        "auth.logout" => "退出登录", "logged out";
        "department.create" => "新建科室", "created a department";
        "diagnosis.create" => "登记诊断", "recorded a diagnosis";
        "diagnosis.read" => "查看诊断", "read diagnoses";
        "discharge.create" => "登记出院", "recorded a discharge";
        "discharge.list" => "查看出院记录", "listed discharges";
        "followup_record.amend" => "更正随访记录", "amended a follow-up record";
        "followup_record.create" => "签署随访记录", "signed a follow-up record";
        "followup_record.list" => "查看随访记录", "listed follow-up records";
        "followup_record.read" => "查看随访记录详情", "read a follow-up record";
        "health_record.read" => "查看健康档案", "read a health record";
        "health_record.update" => "修改健康档案", "updated a health record";
        "import.batch" => "导入数据", "imported a file";
        "import.write" => "导入写入", "import wrote data";
        "lab_report.read" => "查看检查报告", "read lab reports";
        "observation.create" => "录入检测值", "recorded values";
        "observation.read" => "查看检测值", "read values";
        "organisation.create" => "新建机构", "created an organisation";
        "organisation.critical_limit" => "修改危急值表", "changed the critical-value table";
        "organisation.figure_target" => "设置考核目标", "set a figure's target";
        "organisation.location" => "设置机构所在地", "set an organisation's location";
        "organisation.phone" => "设置机构咨询电话", "set an organisation's number";
        "organisation.quiet_hours" => "设置机构免打扰时段", "set an organisation's quiet hours";
        "inbound.reply" => "收到患者回复", "received a patient's reply";
        "inbound.handle" => "处理患者回复", "handled a patient's reply";
        "inbox.list" => "查看患者回复", "listed patients' replies";
        "messages.read" => "查看消息会话", "read a patient's messages";
        "stats.reach" => "查看触达效果", "read how messages reach patients";
        "consent.withdraw" => "撤回联系同意", "withdrew consent to contact";
        "consent.grant" => "登记联系同意", "recorded consent to contact";
        "consent.read" => "查看联系同意", "read consent to contact";
        "outbox.receipts" => "接收短信状态报告", "received delivery receipts";
        "outbox.list" => "查看消息发件箱", "listed the outbox";
        "patient.create" => "新建档案", "enrolled a patient";
        "patient.death_cleared" => "撤销死亡登记", "cleared a recorded death";
        "patient.deceased" => "登记死亡", "recorded a death";
        "patient.page" => "查看患者全景", "opened a patient page";
        "patient.quiet_hours" => "设置患者免打扰时段", "set a patient's quiet hours";
        "patient.read" => "查看患者", "read a patient";
        "patient.search" => "查找患者", "searched patients";
        "patient.update" => "修改患者信息", "updated a patient";
        "patient_link.answer" => "患者提交问卷", "a patient answered a link";
        "patient_link.create" => "生成问卷链接", "created a patient link";
        "patient_link.list" => "查看问卷链接", "listed patient links";
        "patient_link.open" => "患者打开链接", "a patient opened a link";
        "patient_link.withdraw" => "撤回问卷链接", "withdrew a patient link";
        "plan.batch_create" => "批量入组", "enrolled a batch";
        "plan.create" => "加入随访计划", "started a plan";
        "plan.list" => "查看随访计划", "listed plans";
        "protocol.dry_run" => "试运行随访方案", "dry-ran a protocol";
        "protocol.import" => "发布随访方案", "published a protocol";
        "proxy.add" => "添加家属代理", "added a family proxy";
        "proxy.list" => "查看家属代理", "listed proxies";
        "proxy.revoke" => "撤销家属代理", "revoked a proxy";
        "questionnaire.import" => "导入问卷", "imported a questionnaire";
        "questionnaire_response.form" => "打开代填问卷", "opened a questionnaire to fill in";
        "questionnaire_response.list" => "查看问卷回答", "listed responses";
        "questionnaire_response.read" => "逐题查看问卷回答", "read a response item by item";
        "questionnaire_response.save" => "保存问卷回答", "saved a response";
        "report.read" => "查看健康报告", "read a health report";
        "risk_tier.assess" => "评定风险分层", "assessed a risk tier";
        "risk_tier.explain" => "查看分层依据", "read a tier's reasons";
        "risk_tier.read" => "查看风险分层", "read risk tiers";
        "stats.follow_up" => "查看随访统计", "read follow-up figures";
        "stats.response_rates" => "查看问卷回收率", "read response rates";
        "stats.satisfaction" => "查看满意度统计", "read satisfaction figures";
        "tag.add" => "添加标签", "added a tag";
        "tag.list" => "查看标签", "listed tags";
        "tag.remove" => "移除标签", "removed a tag";
        "tag.rules" => "按规则更新标签", "tags updated by rules";
        "tag_rule.dry_run" => "试运行标签规则", "dry-ran tag rules";
        "tag_rule.save" => "保存标签规则", "saved tag rules";
        "task.call_sheet" => "打开随访单", "opened a call sheet";
        "task.cancel" => "取消任务", "cancelled a task";
        "task.list" => "查看任务", "listed tasks";
        "task.read" => "查看任务详情", "read a task";
        "task.reassign" => "改派任务", "reassigned a task";
        "task.reschedule" => "改期任务", "rescheduled a task";
        "text.analyze" => "分析文本", "analysed text";
        "trend.read" => "查看指标趋势", "read trends";
        "user.create" => "新建用户", "created a user";
        "user.update" => "修改用户", "updated a user";
        "worklist.read" => "查看今日工作", "read the worklist";
    }
    /// Where a value came from (the import's own form is built in [`Tr::value_source`]).
    value_source_label {
        "manual" => "手工录入", "entered by hand";
        "checkup" => "体检", "check-up";
        "followup" => "随访记录", "follow-up call";
        "questionnaire" => "问卷", "questionnaire";
    }
    /// What a patient link opens.
    link_purpose_label {
        "questionnaire" => "问卷", "questionnaire";
        "message" => "健康消息", "message";
    }
    /// A risk model by its id.
    risk_model_label {
        "china-par" => "China-PAR 心血管病风险", "China-PAR cardiovascular risk";
        "cdrs" => "中国糖尿病风险评分", "Chinese Diabetes Risk Score";
    }
    /// Sex as stored (男 / 女).
    sex_label {
        "male" => "男", "male";
        "female" => "女", "female";
    }
    /// A value's flag against its reference range.
    flag_label {
        "high" => "偏高", "high";
        "low" => "偏低", "low";
        "normal" => "正常", "normal";
    }
    /// A risk tier (风险分层).
    tier_label {
        "high" => "高危", "High risk";
        "medium" => "中危", "Medium risk";
        "low" => "低危", "Low risk";
    }
    /// What moved a task (its history on the call sheet).
    task_event_label {
        "created" => "生成任务", "created";
        "window_opened" => "到期应访", "window opened";
        "opened_early" => "提前开始", "started early";
        "retried" => "重新拨打", "tried again";
        "retry_due" => "到重拨时间", "retry due";
        "completed" => "随访完成", "completed";
        "not_reached" => "未联系上", "not reached";
        "attempts_exhausted" => "多次未联系上", "attempts exhausted";
        "deadline_passed" => "超过时限", "deadline passed";
        "cancelled" => "已取消", "cancelled";
        "rescheduled" => "改期", "rescheduled";
        "reassigned" => "转交他人", "reassigned";
        "queued" => "消息排队待发", "message queued";
        "delivered" => "消息已送达", "message delivered";
        "send_failed" => "消息发送失败", "message failed";
        "no_mobile" => "无手机号，无法发送", "no mobile number";
        "link_withdrawn" => "问卷链接已收回", "link withdrawn";
        "undelivered" => "短信未送达", "message not delivered";
        "sms_opted_out" => "患者已退订短信，请电话联系", "patient opted out of SMS: call instead";
        "wechat_opted_out" => "患者已撤回微信联系同意，请电话联系", "patient withdrew consent to WeChat: call instead";
        "voice_opted_out" => "患者已撤回智能语音联系同意，请电话联系", "patient withdrew consent to voice calls: call instead";
    }
    /// An alert's state.
    alert_status_label {
        "open" => "待处理", "open";
        "acknowledged" => "处理中", "acknowledged";
        "closed" => "已关闭", "closed";
    }
    /// An alert's severity.
    severity_label {
        "severe" => "严重", "severe";
        "mild" => "一般", "mild";
    }
    /// A staff role.
    role_label {
        "admin" => "管理员", "administrator";
        "doctor" => "医生", "doctor";
        "nurse" => "护士", "nurse";
        "health_manager" => "健康管理师", "health manager";
        "psychologist" => "心理咨询师", "psychologist";
    }
    /// A coded answer in the health record and the organisation's location.
    record_label {
        "never" => "从不", "never";
        "former" => "已戒", "former";
        "current" => "目前有", "current";
        "occasional" => "偶尔", "occasional";
        "regular" => "经常", "regular";
        "heavy" => "大量", "heavy";
        "none" => "不锻炼", "none";
        "daily" => "每天", "daily";
        "north" => "北方（长江以北）", "north (of the Yangtze)";
        "south" => "南方（长江以南）", "south (of the Yangtze)";
        "urban" => "城市", "urban";
        "rural" => "农村", "rural";
        "yes" => "是", "yes";
        "no" => "否", "no";
        "first_degree" => "有，一级亲属（父母、兄弟姐妹、子女）", "yes, first-degree (parent, sibling, child)";
        "second_degree" => "仅二级亲属（祖父母、叔伯姑舅姨等）", "second-degree only (grandparent, aunt, uncle)";
    }
    /// How a protocol step reaches the patient.
    method_label {
        "phone_call" => "电话随访", "phone call";
        "voice_robot" => "智能语音", "voice robot";
        "sms" => "短信", "SMS";
        "wechat" => "微信", "WeChat";
        "questionnaire" => "问卷", "questionnaire";
        "in_person" => "门诊随访", "in person";
    }
    /// The channel a message or a questionnaire link went out by.
    channel_label {
        "sms" => "短信", "SMS";
        "wechat" => "微信", "WeChat";
        "voice" => "智能语音", "voice";
        "staff" => "医护人员发送", "sent by staff";
    }
    /// A message in the outbox.
    outbox_status_label {
        "queued" => "待发送", "queued";
        "sent" => "已发送", "sent";
        "failed" => "发送失败", "failed";
    }
    /// A follow-up task's state.
    task_state_label {
        "pending" => "待开始", "pending";
        "due" => "应访", "due";
        "in_progress" => "进行中", "in progress";
        "done" => "已访", "done";
        "no_answer" => "未接通", "no answer";
        "failed" => "失败", "failed";
        "overdue" => "超期", "overdue";
        "cancelled" => "已取消", "cancelled";
    }
    /// What came of trying to reach the patient (联系结果).
    contact_result_label {
        "reached" => "接通", "reached";
        "no_answer" => "无人接听", "no answer";
        "busy" => "占线", "busy";
        "powered_off" => "关机/停机", "phone off";
        "wrong_number" => "空号/号码错误", "wrong number";
        "not_patient" => "非本人", "not the patient";
        "refused" => "拒访", "refused";
        "deceased" => "死亡", "deceased";
    }
    /// The national classification of a follow-up visit.
    classification_label {
        "controlled" => "控制满意", "controlled";
        "uncontrolled" => "控制不满意", "uncontrolled";
        "adverse_reaction" => "药物不良反应", "adverse drug reaction";
        "complication" => "并发症", "complication";
        "emergency" => "紧急转诊", "emergency";
    }
    /// A question on the call sheet.
    call_question_label {
        "medication_adherence" => "服药依从性（规律/间断/不服药）", "medication adherence";
        "adverse_drug_reaction" => "药物不良反应", "adverse drug reaction";
        "new_complication" => "新发并发症", "new complication";
        "symptoms" => "症状", "symptoms";
        "wound" => "伤口情况", "wound";
        "pain" => "疼痛评分（0–10）", "pain (0–10)";
        "temperature" => "体温（℃）", "temperature (°C)";
    }
    /// Why a patient was left out of a batch enrolment.
    skip_reason_label {
        "already_enrolled" => "已在此方案中", "already on this protocol";
        "risk_tier_missing" => "未评定风险分层", "no risk tier assessed";
        "deceased" => "已故", "deceased";
    }
    /// A questionnaire score's band.
    band_label {
        "none_minimal" => "无或极轻微", "none–minimal";
        "minimal" => "无或极轻微", "minimal";
        "mild" => "轻度", "mild";
        "moderate" => "中度", "moderate";
        "moderately_severe" => "中重度", "moderately severe";
        "severe" => "重度", "severe";
    }
    /// Who answered a questionnaire.
    answered_by_label {
        "patient" => "患者本人", "the patient";
        "staff" => "医护录入", "staff";
        "proxy" => "家属代填", "family proxy";
    }
    /// How a consent change reached CareLoop.
    consent_how_label {
        "sms_reply" => "短信回复", "an SMS reply";
        "wechat_event" => "微信操作", "a WeChat event";
        "staff" => "医护登记", "recorded by staff";
        "patient_page" => "患者页面", "the patient's page";
    }
    /// Consent on a channel.
    consent_state_label {
        "granted" => "已同意", "granted";
        "withdrawn" => "已撤回", "withdrawn";
        "unrecorded" => "未登记", "not recorded";
    }
    /// How much attention a patient's reply needs (careloop_domain::reply::Attention).
    attention_label {
        "urgent" => "紧急", "urgent";
        "read" => "需人工阅读", "needs a human read";
        "findings" => "有发现", "findings";
        "none" => "一般回复", "plain reply";
    }
    /// A provider's delivery receipt on a message.
    delivery_label {
        "delivered" => "已送达", "delivered";
        "undelivered" => "未送达", "not delivered";
    }
    /// A questionnaire response's status.
    response_status_label {
        "in-progress" => "未完成", "in progress";
        "completed" => "已完成", "completed";
    }
    /// A patient link's state.
    link_state_label {
        "open" => "待填写", "open";
        "answered" => "已提交", "answered";
        "withdrawn" => "已收回", "withdrawn";
        "consent_revoked" => "已撤销授权", "consent withdrawn";
        "expired" => "已过期", "expired";
    }
}

impl Tr {
    /// A free-text finding as staff read it: 头晕（轻度） / dizziness (mild).
    /// Time before an alert escalates, or past it: "剩余 45分钟" / "已超时 2小时5分钟".
    pub fn alert_time_left(&self, minutes_left: &i64) -> String {
        let m = minutes_left.unsigned_abs();
        let (hour, minute, joiner) = match self.lang {
            Lang::Zh => ("小时", "分钟", ""),
            Lang::En => (" h", " min", " "),
        };
        let span = match (m / 60, m % 60) {
            (0, m) => format!("{m}{minute}"),
            (h, 0) => format!("{h}{hour}"),
            (h, m) => format!("{h}{hour}{joiner}{m}{minute}"),
        };
        match (self.lang, *minutes_left < 0) {
            (Lang::Zh, true) => format!("已超时 {span}"),
            (Lang::Zh, false) => format!("剩余 {span}"),
            (Lang::En, true) => format!("overdue by {span}"),
            (Lang::En, false) => format!("{span} left"),
        }
    }

    /// How often an alert passed up because nobody acted in time.
    pub fn escalated_times(&self, n: &i32) -> String {
        match self.lang {
            Lang::Zh => format!("已逐级上报 {n} 次"),
            Lang::En => format!("escalated {n}×"),
        }
    }

    pub fn finding_name(&self, f: &careloop_service::questionnaires::free_text::FindingView) -> String {
        let zh = self.lang == Lang::Zh;
        match (zh, f.severity.as_str()) {
            (true, "mild") => format!("{}（轻度）", f.zh),
            (true, "severe") => format!("{}（重度）", f.zh),
            (true, _) => f.zh.clone(),
            (false, "moderate") => f.en.clone(),
            (false, s) => format!("{} ({s})", f.en),
        }
    }

    /// The name of a risk-model input (as a computed tier lists those not on record).
    /// Where a value came from, in words: `import:lis` is 导入（lis）, the sending system's name
    /// as the import named it.
    pub fn value_source(&self, source: &str) -> String {
        if let Some(system) = source.strip_prefix("import:") {
            return match self.lang {
                Lang::Zh => format!("导入（{system}）"),
                Lang::En => format!("imported ({system})"),
            };
        }
        self.value_source_label(source).to_string()
    }

    pub fn risk_input(&self, input: &str) -> String {
        if self.lang == Lang::Zh {
            careloop_domain::tiering::input_zh(input).to_string()
        } else {
            input.replace('_', " ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use careloop_domain::followup::alert::{AlertKind, AlertStatus};
    use careloop_domain::followup::classification::VisitClass;
    use careloop_domain::followup::contact::ContactResult;
    use careloop_domain::followup::message::ChannelKind;
    use careloop_domain::followup::protocol::Method;
    use careloop_domain::followup::task::TaskState;
    use careloop_domain::indicator::Flag;
    use careloop_domain::patient::Sex;
    use careloop_domain::risk_tier::RiskTier;
    use careloop_domain::staff::Role;

    /// Every code of a domain enum has a label of its own in both languages: known to its
    /// table (not shown as the bare code), non-empty, and Chinese on the Chinese page.
    fn labelled(kind: &str, label: impl Fn(&Tr, &str) -> String, codes: &[&str]) {
        for code in codes {
            let (zh, en) = (label(&ZH, code), label(&EN, code));
            assert!(!zh.is_empty() && !en.is_empty(), "{kind} {code} renders blank");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{kind} {code} has no Chinese label: {zh}"
            );
            let table = LABEL_TABLES.iter().find(|(k, _)| *k == kind).map(|(_, c)| *c);
            assert!(
                table.is_some_and(|t| t.contains(code)),
                "{kind} has no label for {code}"
            );
        }
    }

    #[test]
    fn an_alerts_time_reads_in_hours_and_minutes_left_or_overdue() {
        assert_eq!(ZH.alert_time_left(&59), "剩余 59分钟");
        assert_eq!(ZH.alert_time_left(&60), "剩余 1小时");
        assert_eq!(ZH.alert_time_left(&-125), "已超时 2小时5分钟");
        assert_eq!(EN.alert_time_left(&-125), "overdue by 2 h 5 min");
        assert_eq!(EN.alert_time_left(&30), "30 min left");
    }

    #[test]
    fn every_domain_code_has_its_own_label_in_both_languages() {
        labelled(
            "task_state_label",
            |t, c| t.task_state_label(c).into(),
            &TaskState::ALL.map(TaskState::as_str),
        );
        labelled(
            "contact_result_label",
            |t, c| t.contact_result_label(c).into(),
            &ContactResult::ALL.map(ContactResult::as_str),
        );
        labelled(
            "role_label",
            |t, c| t.role_label(c).into(),
            &Role::ALL.map(Role::as_str),
        );
        labelled(
            "alert_status_label",
            |t, c| t.alert_status_label(c).into(),
            &[AlertStatus::Open, AlertStatus::Acknowledged, AlertStatus::Closed].map(AlertStatus::as_str),
        );
        labelled(
            "severity_label",
            |t, c| t.severity_label(c).into(),
            &[AlertKind::Severe, AlertKind::Mild].map(AlertKind::severity),
        );
        labelled(
            "tier_label",
            |t, c| t.tier_label(c).into(),
            &RiskTier::ALL.map(RiskTier::as_str),
        );
        labelled(
            "classification_label",
            |t, c| t.classification_label(c).into(),
            &VisitClass::ALL.map(VisitClass::as_str),
        );
        labelled(
            "sex_label",
            |t, c| t.sex_label(c).into(),
            &[Sex::Male.as_str(), Sex::Female.as_str()],
        );
        labelled(
            "flag_label",
            |t, c| t.flag_label(c).into(),
            &[Flag::Low, Flag::Normal, Flag::High].map(Flag::as_str),
        );
        let methods = [
            Method::PhoneCall,
            Method::VoiceRobot,
            Method::Sms,
            Method::Wechat,
            Method::Questionnaire,
            Method::InPerson,
        ];
        labelled(
            "method_label",
            |t, c| t.method_label(c).into(),
            &methods.map(Method::as_str),
        );
        let channels = [ChannelKind::Sms, ChannelKind::Wechat, ChannelKind::Voice];
        labelled(
            "channel_label",
            |t, c| t.channel_label(c).into(),
            &channels.map(ChannelKind::as_str),
        );
    }

    #[test]
    fn a_code_two_kinds_share_reads_as_each_kind_means_it() {
        assert_eq!(ZH.task_state_label("no_answer"), "未接通");
        assert_eq!(ZH.contact_result_label("no_answer"), "无人接听");
        assert_eq!(ZH.tier_label("high"), "高危");
        assert_eq!(ZH.flag_label("high"), "偏高");
        assert_eq!(ZH.tier_label("medium"), "中危");
    }

    #[test]
    fn an_unknown_code_shows_as_itself_never_blank() {
        assert_eq!(ZH.task_state_label("paused_by_fax"), "paused_by_fax");
        assert_eq!(EN.tier_label(""), "");
    }

    #[test]
    fn every_string_has_both_languages() {
        for (name, zh, en) in STRINGS {
            assert!(!en.is_empty(), "{name} has no English");
            assert!(!zh.is_empty(), "{name} has no Chinese");
        }
    }
}
