//! Configuration, loaded once and layered with figment: safe defaults, then `careloop.toml`,
//! then `CARELOOP_*` environment variables. A value that does not parse as its setting's type
//! (`CARELOOP_SECURE_COOKIES=ture`) stops the start with a message naming it; an unknown key in
//! the file is an error, an unknown `CARELOOP_*` variable is reported.

use anyhow::{Context, anyhow, bail};
use figment::Figment;
use figment::providers::Serialized;
use figment::value::{Dict, Value};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;

/// The prefix of the environment variables that set a setting: `CARELOOP_` + the key upper-cased.
pub const ENV_PREFIX: &str = "CARELOOP_";

/// Every setting's key, and whether its value is typed (a number or a boolean) rather than text.
/// Text settings take the variable as it is, so `CARELOOP_LOG=1` stays the string "1".
const KEYS: [(&str, bool); 10] = [
    ("database_url", false),
    ("addr", false),
    ("max_connections", true),
    ("secure_cookies", true),
    ("log", false),
    ("scheduler_interval_secs", true),
    ("scheduler_lease_secs", true),
    ("public_url", false),
    ("trusted_proxies", false),
    ("metrics_token", false),
];

/// Variables that start with the prefix but belong to the test suite, not to a setting.
const NOT_SETTINGS: [&str; 2] = ["CARELOOP_TEST_PG_URL", "CARELOOP_CHROMEDRIVER"];

/// Settings as loaded, with the `CARELOOP_*` variables that name no setting (probably misspelt).
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub unknown_env: Vec<String>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://path?mode=rwc` (default, under `./careloop-data/`) or `postgres://...`.
    pub database_url: String,
    /// Listen address; loopback by default so nothing is exposed by accident.
    pub addr: String,
    /// Largest number of pooled database connections.
    pub max_connections: u32,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// tracing filter, e.g. `info` or `careloop=debug`.
    pub log: String,
    /// Seconds between scheduler passes inside `serve`; 0 switches the scheduler off (use
    /// `careloop tick` from cron instead, or on other nodes).
    pub scheduler_interval_secs: u64,
    /// Seconds a scheduler process reserves a claimed message; if it dies, another process
    /// sends the message (with the same idempotency key) after this.
    pub scheduler_lease_secs: u64,
    /// The address patients' links point to (what their phones can reach).
    pub public_url: String,
    /// Reverse proxies in front of CareLoop, comma-separated addresses: only from these is
    /// `X-Forwarded-For` believed for the client's address (limits and the audit trail).
    pub trusted_proxies: String,
    /// A token for `/metrics` (`Authorization: Bearer <token>`); empty: loopback clients only.
    pub metrics_token: String,
    /// The providers that carry automated messages; none set: the sandbox carries them all.
    pub channels: Channels,
}

/// `[channels.*]`: one table per provider; a provider whose table is absent is off.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Channels {
    /// Aliyun SMS carries SMS (reminders and questionnaire links).
    pub aliyun_sms: Option<AliyunSmsSettings>,
}

/// `[channels.aliyun_sms]` (environment: `CARELOOP_CHANNELS__ALIYUN_SMS__<KEY>`, the templates
/// as `…__TEMPLATES__<TEMPLATE KEY>`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AliyunSmsSettings {
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// The approved signature (签名).
    pub sign_name: String,
    /// CareLoop's template key → the approved template code, for every template (README).
    pub templates: std::collections::BTreeMap<String, String>,
    /// The secret part of the receipt URL set in Aliyun's console
    /// (`<public_url>/callbacks/aliyun/sms-report/<secret>`): Aliyun signs no push, so only
    /// this path, and an IP allow-list at the proxy, protect it. Empty: receipts are off.
    pub callback_secret: String,
}

impl Default for AliyunSmsSettings {
    fn default() -> Self {
        AliyunSmsSettings {
            endpoint: careloop_service::outreach::aliyun_sms::ENDPOINT.into(),
            access_key_id: String::new(),
            access_key_secret: String::new(),
            sign_name: String::new(),
            templates: Default::default(),
            callback_secret: String::new(),
        }
    }
}

/// The secret never reaches a log line.
impl std::fmt::Debug for AliyunSmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliyunSmsSettings")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"***")
            .field("sign_name", &self.sign_name)
            .field("templates", &self.templates)
            .field(
                "callback_secret",
                &if self.callback_secret.is_empty() { "" } else { "***" },
            )
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite://careloop-data/careloop.db".into(),
            addr: "127.0.0.1:8080".into(),
            max_connections: 8,
            secure_cookies: false,
            log: "info".into(),
            scheduler_interval_secs: 60,
            scheduler_lease_secs: 120,
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: String::new(),
            metrics_token: String::new(),
            channels: Channels::default(),
        }
    }
}

/// The database password, if any, never reaches a log line.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact(&self.database_url))
            .field("addr", &self.addr)
            .field("max_connections", &self.max_connections)
            .field("secure_cookies", &self.secure_cookies)
            .field("log", &self.log)
            .field("scheduler_interval_secs", &self.scheduler_interval_secs)
            .field("scheduler_lease_secs", &self.scheduler_lease_secs)
            .field("public_url", &self.public_url)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_token", &if self.metrics_token.is_empty() { "" } else { "***" })
            .field("channels", &self.channels)
            .finish()
    }
}

impl AliyunSmsSettings {
    /// Credentials and signature present, and an approved template code for every template
    /// CareLoop sends (README, SMS templates) and no other.
    fn validate(&self) -> anyhow::Result<()> {
        for (key, value) in [
            ("access_key_id", &self.access_key_id),
            ("access_key_secret", &self.access_key_secret),
            ("sign_name", &self.sign_name),
        ] {
            if value.trim().is_empty() {
                bail!("channels.aliyun_sms.{key} is required");
            }
        }
        if !(self.endpoint.starts_with("https://") || self.endpoint.starts_with("http://")) {
            bail!("channels.aliyun_sms.endpoint must start with https://");
        }
        let secret = &self.callback_secret;
        if !secret.is_empty() && (secret.len() < 32 || !secret.chars().all(|c| c.is_ascii_alphanumeric())) {
            bail!(
                "channels.aliyun_sms.callback_secret: at least 32 letters and digits (it is all that guards the receipt URL)"
            );
        }
        let keys: Vec<&str> = careloop_domain::followup::message::TEMPLATES
            .iter()
            .map(|(k, _)| *k)
            .collect();
        if let Some(missing) = keys.iter().find(|k| !self.templates.contains_key(**k)) {
            bail!("channels.aliyun_sms.templates.{missing}: the approved template code is required");
        }
        if let Some(unknown) = self.templates.keys().find(|k| !keys.contains(&k.as_str())) {
            bail!(
                "channels.aliyun_sms.templates.{unknown}: no such template (known: {})",
                keys.join(", ")
            );
        }
        Ok(())
    }
}

/// The path under `channels` an environment variable sets (`channels__aliyun_sms__endpoint` →
/// channels.aliyun_sms.endpoint; `…__templates__<key>` → a template's code), or `None`.
fn channel_path(key: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = key.split("__").collect();
    let known = match parts.as_slice() {
        ["channels", "aliyun_sms", field] => [
            "endpoint",
            "access_key_id",
            "access_key_secret",
            "sign_name",
            "callback_secret",
        ]
        .contains(field),
        ["channels", "aliyun_sms", "templates", template] => !template.is_empty(),
        _ => false,
    };
    known.then(|| parts.iter().map(|p| p.to_string()).collect())
}

/// Set `value` at `path` in nested dictionaries.
fn insert_at(dict: &mut Dict, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            dict.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = dict.entry(first.clone()).or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert_at(inner, rest, value);
            }
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}://{user}:***{}", &url[..s], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Settings {
    /// Defaults, overlaid by `file` (or `careloop.toml` if it exists), overlaid by the
    /// environment; validated.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Loaded> {
        let path = file.unwrap_or(Path::new("careloop.toml"));
        let text = if path.exists() {
            Some(std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)
        } else if file.is_some() {
            bail!("configuration file {} does not exist", path.display());
        } else {
            None
        };
        let loaded = Settings::layered(text.as_deref().map(|t| (path, t)), std::env::vars())?;
        loaded.settings.validate()?;
        Ok(loaded)
    }

    /// Layer the defaults, a configuration file's text and environment variables.
    pub fn layered(
        file: Option<(&Path, &str)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Loaded> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some((path, text)) = file {
            let table: toml::Table =
                toml::from_str(text).with_context(|| format!("invalid configuration in {}", path.display()))?;
            let unknown: Vec<&String> = table
                .keys()
                .filter(|k| k.as_str() != "channels" && !KEYS.iter().any(|(key, _)| key == k))
                .collect();
            if let Some(k) = unknown.first() {
                bail!("invalid configuration in {}: unknown setting '{k}'", path.display());
            }
            figment = figment.merge(Serialized::defaults(table));
        }
        let (mut from_env, mut unknown_env) = (Dict::new(), Vec::new());
        for (name, raw) in env {
            let Some(key) = name.strip_prefix(ENV_PREFIX).map(str::to_ascii_lowercase) else {
                continue;
            };
            if let Some(path) = channel_path(&key) {
                insert_at(&mut from_env, &path, Value::from(raw));
                continue;
            }
            match KEYS.iter().find(|(k, _)| *k == key) {
                Some((_, true)) => {
                    from_env.insert(key, raw.parse::<Value>().unwrap_or_else(|_| Value::from(raw)));
                }
                Some((_, false)) => {
                    from_env.insert(key, Value::from(raw));
                }
                None if NOT_SETTINGS.contains(&name.as_str()) => {}
                None => unknown_env.push(name),
            }
        }
        let env_keys: Vec<String> = from_env.keys().filter(|k| k.as_str() != "channels").cloned().collect();
        figment = figment.merge(Serialized::defaults(from_env));
        let settings = figment.extract::<Settings>().map_err(|e| {
            let key = e.path.join(".");
            let source = if env_keys.contains(&key) {
                format!("{ENV_PREFIX}{}", key.to_ascii_uppercase())
            } else {
                key
            };
            anyhow!("setting {source}: {}", e.kind)
        })?;
        unknown_env.sort();
        Ok(Loaded { settings, unknown_env })
    }

    /// How automated steps are sent: SMS through Aliyun when `[channels.aliyun_sms]` is set,
    /// everything else (and SMS without a provider) through the sandbox.
    pub fn delivery(&self, db: &careloop_store::Db) -> anyhow::Result<careloop_service::outreach::delivery::Delivery> {
        use careloop_service::outreach::aliyun_sms::{AliyunSms, AliyunSmsConfig};
        use careloop_service::outreach::delivery::{ByChannel, Delivery};
        let mut d = Delivery::sandbox(db, &self.public_url);
        d.lease = time::Duration::seconds(i64::try_from(self.scheduler_lease_secs).unwrap_or(120).max(1));
        if let Some(a) = &self.channels.aliyun_sms {
            let sms = AliyunSms::new(AliyunSmsConfig {
                endpoint: a.endpoint.clone(),
                access_key_id: a.access_key_id.clone(),
                access_key_secret: a.access_key_secret.clone(),
                sign_name: a.sign_name.clone(),
                templates: a.templates.clone(),
            })
            .map_err(|e| anyhow!(e))?;
            d.channel = std::sync::Arc::new(ByChannel {
                sms: std::sync::Arc::new(sms),
                other: d.channel.clone(),
            });
        }
        Ok(d)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.addr
            .parse::<SocketAddr>()
            .with_context(|| format!("addr '{}' is not host:port", self.addr))?;
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres")) {
            bail!("database_url must start with sqlite:// or postgres://");
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            bail!("public_url must start with http:// or https://");
        }
        if self.max_connections == 0 {
            bail!("max_connections must be at least 1");
        }
        self.proxies()?;
        if let Some(a) = &self.channels.aliyun_sms {
            a.validate()?;
        }
        Ok(())
    }

    /// The trusted proxies' addresses.
    pub fn proxies(&self) -> anyhow::Result<Vec<std::net::IpAddr>> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse()
                    .with_context(|| format!("trusted_proxies: '{p}' is not an IP address"))
            })
            .collect()
    }

    /// Make sure the directory of a SQLite file exists.
    pub fn prepare_storage(&self) -> anyhow::Result<()> {
        if let Some(path) = self.database_url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn env_overrides_file_and_defaults() {
        let file = Some((
            Path::new("careloop.toml"),
            "addr = \"127.0.0.1:9000\"\nmax_connections = 3",
        ));
        let s = Settings::layered(file, env(&[])).unwrap().settings;
        assert_eq!((s.addr.as_str(), s.max_connections), ("127.0.0.1:9000", 3));
        assert!(s.database_url.starts_with("sqlite://"));
        let vars = env(&[
            ("CARELOOP_ADDR", "127.0.0.1:9100"),
            ("CARELOOP_SECURE_COOKIES", "true"),
            ("CARELOOP_LOG", "1"),
        ]);
        let s = Settings::layered(file, vars).unwrap().settings;
        assert_eq!((s.addr.as_str(), s.max_connections), ("127.0.0.1:9100", 3));
        assert!(s.secure_cookies);
        assert_eq!(s.log, "1", "a text setting keeps the variable as it is");
    }

    #[test]
    fn a_value_that_does_not_parse_stops_the_start_naming_its_variable() {
        let err = Settings::layered(None, env(&[("CARELOOP_SECURE_COOKIES", "ture")])).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("CARELOOP_SECURE_COOKIES") && msg.contains("ture"), "{msg}");
        let err = Settings::layered(None, env(&[("CARELOOP_MAX_CONNECTIONS", "eight")])).unwrap_err();
        assert!(format!("{err:#}").contains("CARELOOP_MAX_CONNECTIONS"));
        let file = Some((Path::new("c.toml"), "secure_cookies = \"yes\""));
        let err = Settings::layered(file, env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("secure_cookies"), "{err:#}");
    }

    #[test]
    fn unknown_careloop_variables_are_reported() {
        let vars = env(&[
            ("CARELOOP_SECURE_COOKIE", "true"),
            ("CARELOOP_TEST_PG_URL", "postgres://x"),
            ("PATH", "/usr/bin"),
        ]);
        let loaded = Settings::layered(None, vars).unwrap();
        assert_eq!(loaded.unknown_env, ["CARELOOP_SECURE_COOKIE"]);
        assert!(!loaded.settings.secure_cookies);
    }

    #[test]
    fn the_example_file_is_valid() {
        let s: Settings = toml::from_str(include_str!("../../../careloop.example.toml")).unwrap();
        s.validate().unwrap();
        assert_eq!(s.addr, Settings::default().addr);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Settings::layered(Some((Path::new("c.toml"), "adr = \"x\"")), env(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("adr"), "{err:#}");
    }

    /// Aliyun SMS from the file and the environment (`__` between levels), checked: every
    /// template mapped, credentials present; its secret never printed.
    #[test]
    fn aliyun_sms_is_configured_from_the_file_and_the_environment() {
        let file = Some((
            Path::new("careloop.toml"),
            "[channels.aliyun_sms]\naccess_key_id = \"LTAI5t\"\nsign_name = \"城东医院\"\n\
             [channels.aliyun_sms.templates]\nquestionnaire_link = \"SMS_1\"\nproxy_questionnaire_link = \"SMS_2\"\n",
        ));
        let vars = env(&[
            ("CARELOOP_CHANNELS__ALIYUN_SMS__ACCESS_KEY_SECRET", "s3cret-key"),
            ("CARELOOP_CHANNELS__ALIYUN_SMS__TEMPLATES__REVISIT_REMINDER", "SMS_3"),
            ("CARELOOP_CHANNELS__ALIYUN_SMS__COLOUR", "blue"),
        ]);
        let loaded = Settings::layered(file, vars).unwrap();
        assert_eq!(loaded.unknown_env, ["CARELOOP_CHANNELS__ALIYUN_SMS__COLOUR"]);
        let s = loaded.settings;
        s.validate().unwrap();
        let a = s.channels.aliyun_sms.as_ref().unwrap();
        assert_eq!(
            a.endpoint, "https://dysmsapi.aliyuncs.com/",
            "the public endpoint by default"
        );
        assert_eq!(
            (a.access_key_secret.as_str(), a.templates["revisit_reminder"].as_str()),
            ("s3cret-key", "SMS_3")
        );
        assert!(!format!("{s:?}").contains("s3cret-key"), "the secret is never printed");

        let missing = Settings::layered(file, env(&[("CARELOOP_CHANNELS__ALIYUN_SMS__ACCESS_KEY_SECRET", "k")]))
            .unwrap()
            .settings;
        let err = missing.validate().unwrap_err();
        assert!(format!("{err}").contains("templates.revisit_reminder"), "{err}");
        let no_secret = Settings::layered(
            file,
            env(&[("CARELOOP_CHANNELS__ALIYUN_SMS__TEMPLATES__REVISIT_REMINDER", "SMS_3")]),
        )
        .unwrap()
        .settings;
        assert!(format!("{}", no_secret.validate().unwrap_err()).contains("access_key_secret"));
        let typo = Settings::layered(
            Some((Path::new("c.toml"), "[channels.aliyun_sms]\nsecret = \"x\"\n")),
            env(&[]),
        );
        assert!(typo.is_err(), "an unknown key in the table is an error");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/careloop"),
            "postgres://app:***@db:5432/careloop"
        );
        let s = Settings {
            database_url: "postgres://app:s3cret@db/c".into(),
            ..Settings::default()
        };
        assert!(!format!("{s:?}").contains("s3cret"));
    }
}
