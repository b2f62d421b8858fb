#![allow(
    clippy::unwrap_used,
    reason = "integration tests: a panic is a failure with a location"
)]
//! The integration suite: every test starts the real application on a random port with a fresh
//! database and talks to it over HTTP. Each test runs once on SQLite and once on PostgreSQL;
//! the PostgreSQL runs need `CARELOOP_TEST_PG_URL` (a server where the user may create
//! databases) and are reported as ignored, with a note saying so, when it is not set. A test
//! registers itself with `register!` written after it; helpers live in `helpers.rs`.

mod admin;
mod advice;
mod auth;
mod browser;
mod critical;
mod errors;
mod fakes;
mod faults;
mod figures;
mod followup;
mod helpers;
mod import_screen;
mod imports;
mod language;
mod logscan;
mod observations;
mod outbox;
mod patients;
mod plans;
mod providers;
mod questionnaires;
mod records;
mod report;
mod risk_models;
mod rules;
mod schema;
mod tag_rules;
mod tiers;
mod triggers;
mod ui;
mod visits;

use helpers::{Backend, Registered};
use libtest_mimic::{Arguments, Trial};

/// Registers the test function `f` of the module it is written in: it runs once on SQLite and
/// once on PostgreSQL (`browser: f`: once, on SQLite, when Chromium is present). Written right
/// after the function, so a test cannot be added without it; `every_test_is_registered` checks
/// that none was missed. A test fails as hung after `helpers::DEFAULT_BOUND`; a load test that
/// needs longer declares it: `register!(f, bound_secs = 300)`. `sqlite: f` runs once, on SQLite,
/// for what only SQLite has (its file on disk).
#[macro_export]
macro_rules! register {
    ($f:ident) => {
        $crate::register!($f, browser = false, bound = $crate::helpers::DEFAULT_BOUND);
    };
    ($f:ident, bound_secs = $secs:literal) => {
        $crate::register!($f, browser = false, bound = std::time::Duration::from_secs($secs));
    };
    (browser: $f:ident) => {
        $crate::register!(
            $f,
            browser = true,
            bound = $crate::helpers::DEFAULT_BOUND,
            sqlite_only = true
        );
    };
    (sqlite: $f:ident) => {
        $crate::register!(
            $f,
            browser = false,
            bound = $crate::helpers::DEFAULT_BOUND,
            sqlite_only = true
        );
    };
    ($f:ident, browser = $browser:literal, bound = $bound:expr) => {
        $crate::register!($f, browser = $browser, bound = $bound, sqlite_only = false);
    };
    ($f:ident, browser = $browser:literal, bound = $bound:expr, sqlite_only = $sqlite:literal) => {
        inventory::submit! {
            $crate::helpers::Registered {
                module: module_path!(),
                name: stringify!($f),
                run: |app| Box::pin($f(app)),
                browser: $browser,
                sqlite_only: $sqlite,
                bound: $bound,
            }
        }
    };
}

fn main() {
    careloop_service::outreach::use_ring_for_tls();
    let args = Arguments::from_args();
    // Everything the application logs, at debug for its own crates and the HTTP layer, is
    // scanned for identifiers and tokens (logscan.rs); nothing of it is kept or printed.
    let (scanner, findings) = logscan::Scanner::new();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,careloop=debug,tower_http=debug",
        ))
        .with_writer(scanner)
        .with_ansi(false)
        .init();
    let pg = std::env::var(helpers::PG_ENV).ok().filter(|v| !v.is_empty());
    if pg.is_none() {
        eprintln!(
            "\nNOTE: the PostgreSQL half of the suite is SKIPPED (shown as ignored).\n      To run it: {}=postgres://postgres@127.0.0.1:5432/postgres cargo test\n",
            helpers::PG_ENV
        );
    }
    let chrome = browser::chromedriver();
    if chrome.is_none() {
        eprintln!(
            "NOTE: the browser tests are SKIPPED: install chromium and chromium-driver (or set {}).\n",
            browser::CHROMEDRIVER_ENV
        );
    }
    let mut registered: Vec<&Registered> = inventory::iter::<Registered>().collect();
    registered.sort_by_key(|r| r.full_name());
    let names: Vec<String> = registered.iter().map(|r| r.full_name()).collect();
    let mut trials = vec![Trial::test("registry::every_test_is_registered", move || {
        helpers::every_test_is_registered(&names)
    })];
    trials.push(Trial::test(
        "harness::the_log_scanner_finds_planted_identifiers",
        logscan::the_scanner_finds_planted_identifiers,
    ));
    trials.push(Trial::test(
        "harness::a_hung_test_fails_within_its_bound",
        helpers::a_hung_test_fails_within_its_bound,
    ));
    let schema = Trial::test(
        "schema::both_migration_folders_make_the_same_schema",
        schema::both_migration_folders_make_the_same_schema,
    );
    trials.push(schema.with_ignored_flag(pg.is_none()));
    for r in registered {
        let (name, test, bound) = (r.full_name(), r.run, r.bound);
        if r.browser {
            // The pages are the same on both backends, so the browser runs once, on SQLite.
            let t = Trial::test(name.clone(), move || helpers::run(Backend::Sqlite, &name, test, bound));
            trials.push(if chrome.is_some() { t } else { t.with_ignored_flag(true) });
            continue;
        }
        let pg_name = name.clone();
        trials.push(Trial::test(format!("sqlite::{name}"), move || {
            helpers::run(Backend::Sqlite, &name, test, bound)
        }));
        if r.sqlite_only {
            continue;
        }
        let pg_trial = Trial::test(format!("postgres::{pg_name}"), move || {
            helpers::run(Backend::Postgres, &pg_name, test, bound)
        });
        trials.push(if pg.is_some() {
            pg_trial
        } else {
            pg_trial.with_ignored_flag(true)
        });
    }
    let conclusion = libtest_mimic::run(&args, trials);
    let leaks = findings.take();
    if !leaks.is_empty() {
        eprintln!(
            "\nThe application logged what it must never log ({} lines):",
            leaks.len()
        );
        for l in &leaks {
            eprintln!("  {l}");
        }
        std::process::exit(101);
    }
    conclusion.exit();
}
