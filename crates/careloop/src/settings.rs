//! Configuration, loaded once: safe defaults, then `careloop.toml`, then `CARELOOP_*`
//! environment variables. Unknown keys in the file are reported, not silently ignored.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;

#[derive(Clone, Deserialize)]
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
            .finish()
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
    /// Defaults, overlaid by `file` (if it exists), overlaid by the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let path = file.unwrap_or(Path::new("careloop.toml"));
        let mut s = if path.exists() {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            toml::from_str::<Settings>(&text).with_context(|| format!("invalid configuration in {}", path.display()))?
        } else if file.is_some() {
            bail!("configuration file {} does not exist", path.display());
        } else {
            Settings::default()
        };
        s.apply_env(|k| std::env::var(k).ok())?;
        s.validate()?;
        Ok(s)
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = get("CARELOOP_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("CARELOOP_ADDR") {
            self.addr = v;
        }
        if let Some(v) = get("CARELOOP_MAX_CONNECTIONS") {
            self.max_connections = v.parse().context("CARELOOP_MAX_CONNECTIONS must be a number")?;
        }
        if let Some(v) = get("CARELOOP_SECURE_COOKIES") {
            self.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = get("CARELOOP_LOG") {
            self.log = v;
        }
        if let Some(v) = get("CARELOOP_SCHEDULER_INTERVAL_SECS") {
            self.scheduler_interval_secs = v.parse().context("CARELOOP_SCHEDULER_INTERVAL_SECS must be a number")?;
        }
        if let Some(v) = get("CARELOOP_SCHEDULER_LEASE_SECS") {
            self.scheduler_lease_secs = v.parse().context("CARELOOP_SCHEDULER_LEASE_SECS must be a number")?;
        }
        if let Some(v) = get("CARELOOP_PUBLIC_URL") {
            self.public_url = v;
        }
        Ok(())
    }

    /// How automated steps are sent. Only the sandbox channel exists yet; real SMS, WeChat
    /// and voice adapters plug in here.
    pub fn delivery(&self, db: &careloop_store::Db) -> careloop_service::delivery::Delivery {
        let mut d = careloop_service::delivery::Delivery::sandbox(db, &self.public_url);
        d.lease = time::Duration::seconds(i64::try_from(self.scheduler_lease_secs).unwrap_or(120).max(1));
        d
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
        Ok(())
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

    #[test]
    fn env_overrides_file_and_defaults() {
        let mut s: Settings = toml::from_str("addr = \"127.0.0.1:9000\"").unwrap();
        assert_eq!(s.addr, "127.0.0.1:9000");
        assert!(s.database_url.starts_with("sqlite://"));
        s.apply_env(|k| (k == "CARELOOP_ADDR").then(|| "127.0.0.1:9100".to_string()))
            .unwrap();
        assert_eq!(s.addr, "127.0.0.1:9100");
    }

    #[test]
    fn the_example_file_is_valid() {
        let s: Settings = toml::from_str(include_str!("../../../careloop.example.toml")).unwrap();
        s.validate().unwrap();
        assert_eq!(s.addr, Settings::default().addr);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<Settings>("adr = \"x\"").is_err());
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
