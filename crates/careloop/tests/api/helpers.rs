//! `spawn_app` and the typed helpers every test uses.

use careloop::App;
use careloop::settings::Settings;
use careloop_service::admin::staff::{self, NewUserInput};
use careloop_service::kernel::access::system_actor;
use careloop_store::Db;
use libtest_mimic::Failed;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;
use time::OffsetDateTime;

pub const PG_ENV: &str = "CARELOOP_TEST_PG_URL";
pub const PASSWORD: &str = "Test2026password";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub type TestFn = fn(TestApp) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// One test function as `register!` records it.
pub struct Registered {
    /// `api::report`: the module the test is written in.
    pub module: &'static str,
    pub name: &'static str,
    pub run: TestFn,
    /// Drives Chromium: runs once, on SQLite.
    pub browser: bool,
    /// Runs once, on SQLite (what only SQLite has: its file).
    pub sqlite_only: bool,
    /// How long it may run before it fails as hung.
    pub bound: Duration,
}

inventory::collect!(Registered);

impl Registered {
    /// `report::the_report_names_each_tier_in_words`.
    pub fn full_name(&self) -> String {
        let module = self.module.split_once("::").map_or(self.module, |(_, m)| m);
        format!("{module}::{}", self.name)
    }
}

/// Every `pub async fn name(app: TestApp)` in the suite's files is registered: a test written
/// without `register!` would otherwise never run.
pub fn every_test_is_registered(registered: &[String]) -> Result<(), Failed> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api");
    let mut missing = Vec::new();
    // The suite's files, folders too (`fakes/aliyun_sms.rs` is module `fakes::aliyun_sms`).
    let mut files = Vec::new();
    let mut folders = vec![dir.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for path in files {
        let relative = path.strip_prefix(&dir).map_err(|e| e.to_string())?.with_extension("");
        let mut parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        let module = parts.join("::");
        let text = std::fs::read_to_string(&path)?;
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("pub async fn ") else {
                continue;
            };
            let Some((name, args)) = rest.split_once('(') else {
                continue;
            };
            if args.starts_with("app: TestApp)") && !registered.contains(&format!("{module}::{name}")) {
                missing.push(format!("{module}::{name}"));
            }
        }
    }
    if missing.is_empty() && registered.len() > 100 {
        Ok(())
    } else {
        Err(format!(
            "not registered (add register!(name) after each): {missing:?}; registered: {}",
            registered.len()
        )
        .into())
    }
}

/// A running application with a fresh database, plus an HTTP client.
pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    /// The database URL, for running the `careloop` binary against the same database.
    pub db_url: String,
    pub http: reqwest::Client,
}

pub(crate) enum Cleanup {
    Dir(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

/// How long a test may run before it fails as hung, unless its `register!` declares longer.
pub const DEFAULT_BOUND: Duration = Duration::from_secs(120);

/// How long stopping the server, closing the pool and dropping the database may take after the
/// test ends, each: a hung test may leave connections open that a graceful stop would wait for.
const TEARDOWN_BOUND: Duration = Duration::from_secs(15);

/// Run one test on one backend: fresh database, real server, teardown even when it fails. A test
/// still running after `bound` is stopped and fails naming itself and the backend, so a hang
/// never keeps the suite waiting.
pub fn run(backend: Backend, name: &str, test: TestFn, bound: Duration) -> Result<(), Failed> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(async move {
        let (url, cleanup) = fresh_database(backend).await?;
        let served = Served::start(&url).await?;
        let mut running = tokio::spawn(test(served.app()));
        let outcome = match tokio::time::timeout(bound, &mut running).await {
            Ok(joined) => joined.map_err(|e| Failed::from(panic_message(e))),
            Err(_) => {
                // Dropping the future drops what it holds (a browser, connections); a test stuck
                // in blocking code cannot be dropped and is left to the runtime's shutdown bound.
                running.abort();
                Err(Failed::from(format!(
                    "{name} on {backend:?} was still running after its bound of {} s and was stopped (a hang, or declare a longer bound in its register!)",
                    bound.as_secs()
                )))
            }
        };
        served.stop().await;
        let _ = tokio::time::timeout(TEARDOWN_BOUND, teardown(cleanup)).await;
        outcome
    });
    // Threads stuck in blocking code are abandoned rather than waited for.
    rt.shutdown_timeout(Duration::from_secs(5));
    result
}

/// The real application serving a database on a random loopback port.
pub struct Served {
    app: TestApp,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Served {
    /// Migrate the database at `url` and serve it. The scheduler is driven explicitly by the
    /// tests (`tick`), never by the wall clock.
    pub async fn start(url: &str) -> Result<Served, Failed> {
        let settings = Settings {
            database_url: url.to_string(),
            addr: "127.0.0.1:0".into(),
            max_connections: 4,
            scheduler_interval_secs: 0,
            // Aliyun SMS configured as a hospital would, so its receipt URL answers; the tests
            // send through their own deliveries (the scheduler is off), never to this endpoint.
            channels: careloop::settings::Channels {
                aliyun_sms: Some(careloop::settings::AliyunSmsSettings {
                    endpoint: "http://127.0.0.1:9/".into(),
                    callback_secret: crate::fakes::aliyun_sms::CALLBACK_SECRET.into(),
                    ..crate::fakes::aliyun_sms::settings("http://127.0.0.1:9/")
                }),
            },
            ..Settings::default()
        };
        settings.validate().map_err(|e| format!("{e:#}"))?;
        let app = App::build(settings).await.map_err(|e| format!("{e:#}"))?;
        let addr = app.local_addr().map_err(|e| e.to_string())?;
        let db = app.db.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(async move {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let app = TestApp {
            addr,
            db,
            db_url: url.to_string(),
            http,
        };
        Ok(Served { app, stop, server })
    }

    /// A handle for a test to talk to it.
    pub fn app(&self) -> TestApp {
        TestApp {
            addr: self.app.addr,
            db: self.app.db.clone(),
            db_url: self.app.db_url.clone(),
            http: self.app.http.clone(),
        }
    }

    /// Stop serving and close the pool, each within its bound (a hung test may leave
    /// connections open that a graceful stop would wait for).
    pub async fn stop(mut self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(TEARDOWN_BOUND, &mut self.server).await.is_err() {
            self.server.abort();
        }
        let _ = tokio::time::timeout(TEARDOWN_BOUND, self.app.db.close()).await;
    }
}

fn panic_message(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return format!("test task ended without finishing: {e}");
    }
    let panic = e.into_panic();
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "test panicked".into())
}

/// The bound itself: a test that sleeps, and one that blocks its thread, both fail within a few
/// seconds of a 2-second bound, naming themselves and the backend.
pub fn a_hung_test_fails_within_its_bound() -> Result<(), Failed> {
    fn sleeps(_: TestApp) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(Duration::from_secs(3600)))
    }
    fn blocks(_: TestApp) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async { std::thread::sleep(Duration::from_secs(3600)) })
    }
    for (name, test) in [("sleeps", sleeps as TestFn), ("blocks", blocks as TestFn)] {
        let started = std::time::Instant::now();
        let result = run(Backend::Sqlite, name, test, Duration::from_secs(2));
        let took = started.elapsed();
        let message = match result {
            Ok(()) => return Err(format!("the test that {name} passed").into()),
            Err(e) => format!("{e:?}"),
        };
        if !message.contains(&format!("{name} on Sqlite")) || !message.contains("bound of 2 s") {
            return Err(format!("the failure does not name the test and its bound: {message}").into());
        }
        if took > Duration::from_secs(40) {
            return Err(format!("the test that {name} failed only after {took:?}").into());
        }
    }
    Ok(())
}

pub(crate) async fn fresh_database(backend: Backend) -> Result<(String, Cleanup), Failed> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("careloop-test-{id}"));
            std::fs::create_dir_all(&dir)?;
            Ok((format!("sqlite://{}/careloop.db", dir.display()), Cleanup::Dir(dir)))
        }
        Backend::Postgres => {
            let admin_url = std::env::var(PG_ENV).map_err(|_| format!("{PG_ENV} is not set"))?;
            let name = format!("careloop_test_{id}");
            careloop_synth::scratch::admin_sql(&admin_url, &format!("CREATE DATABASE {name}"))
                .await
                .map_err(|e| format!("{e:#}"))?;
            Ok((
                careloop_synth::scratch::with_database(&admin_url, &name),
                Cleanup::PgDatabase { admin_url, name },
            ))
        }
    }
}

pub(crate) async fn teardown(cleanup: Cleanup) {
    match cleanup {
        Cleanup::Dir(dir) => {
            let _ = std::fs::remove_dir_all(dir);
        }
        Cleanup::PgDatabase { admin_url, name } => {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = careloop_synth::scratch::admin_sql(&admin_url, &drop).await;
        }
    }
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A valid resident ID number for a birth date, sex and sequence (unique per `seq`).
pub fn id_number(birth: &str, male: bool, seq: u32) -> String {
    let digits: String = birth.chars().filter(char::is_ascii_digit).collect();
    let seq = (seq % 500) * 2 + u32::from(male);
    let body = format!("110105{digits}{seq:03}");
    format!("{body}{}", careloop_domain::id_number::check_digit(&body).unwrap())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The patient's page a link opens, as a phone with no session fetches it.
    pub async fn phone_page(&self, token: &str) -> String {
        reqwest::Client::new()
            .get(self.url(&format!("/m/{token}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Create a department directly through the service layer (as `careloop department add`).
    pub async fn department(&self, code: &str) {
        staff::create_department(&self.db, &system_actor(), code, &format!("{code} 科"), None, now())
            .await
            .unwrap();
    }

    /// Create a user as `careloop user add` would and return a bearer token for them.
    pub async fn user(&self, username: &str, role: &str, department: Option<&str>) -> String {
        let input = NewUserInput {
            username: username.into(),
            password: PASSWORD.into(),
            display_name: None,
            role: role.into(),
            department: department.map(Into::into),
        };
        staff::create_user(&self.db, &system_actor(), &input, now())
            .await
            .unwrap();
        self.login(username, PASSWORD).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                None,
                "/api/v1/auth/token",
                &json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// An admin token, and a nurse token in a new department `cardio`.
    pub async fn admin_and_nurse(&self) -> (String, String) {
        self.department("cardio").await;
        let admin = self.user("admin", "admin", None).await;
        let nurse = self.user("nurse.wang", "nurse", Some("cardio")).await;
        (admin, nurse)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder, token: Option<&str>) -> (StatusCode, Value) {
        let req = match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let res = req.send().await.expect("request failed");
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(self.url(path)), token).await
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.http.post(self.url(path)).json(body), token).await
    }

    pub async fn put(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.http.put(self.url(path)).json(body), token).await
    }

    pub async fn delete(&self, token: Option<&str>, path: &str) -> (StatusCode, Value) {
        self.send(self.http.delete(self.url(path)), token).await
    }

    pub async fn patch(&self, token: Option<&str>, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.http.patch(self.url(path)).json(body), token).await
    }

    /// Enrol a patient and return its id.
    pub async fn enrol(&self, token: &str, body: Value) -> String {
        let (status, res) = self.post(Some(token), "/api/v1/patients", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
        res["id"].as_str().unwrap().to_string()
    }

    /// Enrol a valid patient with a unique ID number made from `seq`.
    /// The actions the audit trail holds for a patient (read as the admin `admin`).
    pub async fn audited(&self, admin: &str, patient: &str) -> Vec<String> {
        let (_, audit) = self
            .get(
                Some(admin),
                &format!("/api/v1/audit-events?patient_id={patient}&per_page=200"),
            )
            .await;
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_string())
            .collect()
    }

    pub async fn enrol_simple(&self, token: &str, name: &str, seq: u32) -> String {
        self.enrol(
            token,
            json!({"name": name, "id_number": id_number("1960-05-01", true, seq), "phone": "13900001111"}),
        )
        .await
    }
}

/// A claim query under test: claims up to `limit` rows as of the instant, returning their ids.
pub type Claim = for<'a> fn(
    &'a mut careloop_store::Tx,
    OffsetDateTime,
    u64,
) -> Pin<Box<dyn Future<Output = Vec<uuid::Uuid>> + Send + 'a>>;

/// Two claims at the same moment never hold the same row. The first claims `first_limit` rows
/// and keeps its transaction open; on PostgreSQL the second skips the locked rows at once
/// (`FOR UPDATE SKIP LOCKED`) and takes the others, at least `others` of them; on SQLite the
/// second waits until the first's transaction ends.
pub async fn claims_at_once_never_overlap(
    app: &TestApp,
    at: OffsetDateTime,
    claim: Claim,
    first_limit: u64,
    others: usize,
) {
    let mut first = app.db.begin().await.unwrap();
    let held = claim(&mut first, at, first_limit).await;
    assert_eq!(
        held.len() as u64,
        first_limit,
        "the first claim takes what it asked for"
    );
    let db = app.db.clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        let ids = claim(&mut tx, at, 1000).await;
        tx.commit().await.unwrap();
        ids
    });
    match app.db.backend() {
        careloop_store::Backend::Postgres => {
            // It must finish while the first transaction is still open: it does not wait for it.
            let other = tokio::time::timeout(std::time::Duration::from_secs(5), second)
                .await
                .expect("the second claim skips the locked rows instead of waiting")
                .unwrap();
            assert!(other.len() >= others, "it takes the unlocked rows: {other:?}");
            assert!(other.iter().all(|id| !held.contains(id)), "no row held by both");
            first.commit().await.unwrap();
        }
        careloop_store::Backend::Sqlite => {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            assert!(
                !second.is_finished(),
                "the second claim waits while the first transaction is open"
            );
            first.commit().await.unwrap();
            tokio::time::timeout(std::time::Duration::from_secs(10), second)
                .await
                .expect("the second claim goes on once the first ends")
                .unwrap();
        }
    }
}

/// The part of a page inside `<section id="{id}">`, up to its end (sections do not nest on
/// these pages); panics, naming the id, when the page has none.
pub fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("the page has no section {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}
