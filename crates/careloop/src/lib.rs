//! The CareLoop binary's library half: configuration, the application builder used by `serve`,
//! `demo` and the integration tests, the demo loader and the import command.

pub mod demo;
pub mod import_cli;
pub mod settings;

use anyhow::Context;
use careloop_service::followup::scheduler::TickOutcome;
use careloop_service::outreach::delivery::{Delivery, SendOutcome};
use careloop_store::Db;
use settings::Settings;
use std::net::SocketAddr;

/// A built application: its database and a bound listener, ready to serve.
pub struct App {
    pub db: Db,
    pub listener: tokio::net::TcpListener,
    pub settings: Settings,
}

impl App {
    /// Connect, migrate and bind. Port 0 picks a free port (tests).
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        settings.validate()?;
        let db = open_db(&settings).await?;
        let listener = tokio::net::TcpListener::bind(&settings.addr)
            .await
            .with_context(|| format!("binding {}", settings.addr))?;
        Ok(App { db, listener, settings })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The demo's patient links point where it really serves: a `public_url` left at its default
    /// becomes the address the server is bound to (a demo on port 18100 sent links to port 8080).
    pub fn link_to_bound_address(&mut self) -> anyhow::Result<()> {
        if self.settings.public_url == Settings::default().public_url {
            self.settings.public_url = format!("http://{}", self.local_addr()?);
        }
        Ok(())
    }

    /// The base of the links patients are sent.
    pub fn public_url(&self) -> &str {
        &self.settings.public_url
    }

    /// Serve until `shutdown` resolves, running the follow-up scheduler alongside unless it is
    /// switched off.
    pub async fn serve(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let delivery = self.settings.delivery(&self.db)?;
        let scheduler = (self.settings.scheduler_interval_secs > 0).then(|| {
            tokio::spawn(scheduler_loop(
                self.db.clone(),
                delivery,
                self.settings.scheduler_interval_secs,
            ))
        });
        let state = careloop_web::AppState {
            db: self.db.clone(),
            secure_cookies: self.settings.secure_cookies,
            public_url: self.settings.public_url.clone(),
            limits: Default::default(),
            trusted_proxies: self.settings.proxies()?.into(),
            write_probe: Default::default(),
            metrics_token: Some(self.settings.metrics_token.clone()).filter(|t| !t.is_empty()),
            aliyun_callback_secret: self
                .settings
                .channels
                .aliyun_sms
                .as_ref()
                .map(|a| a.callback_secret.clone())
                .filter(|s| !s.is_empty()),
        };
        careloop_web::metrics::handle();
        let app = careloop_web::app(state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await?;
        if let Some(s) = scheduler {
            s.abort();
        }
        self.db.close().await;
        Ok(())
    }
}

/// Run a scheduler pass every `interval_secs`. A failed pass is logged and retried next time;
/// passes are idempotent, so a missed one is made up by the next.
async fn scheduler_loop(db: Db, delivery: Delivery, interval_secs: u64) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(interval_secs));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = scheduler_pass(&db, &delivery, time::OffsetDateTime::now_utc()).await {
            tracing::warn!(error = %e, "scheduler pass failed");
        }
    }
}

/// One scheduler pass as of `now`: task states and alert escalation, then automated sends.
pub async fn scheduler_pass(
    db: &Db,
    delivery: &Delivery,
    now: time::OffsetDateTime,
) -> Result<(TickOutcome, SendOutcome), careloop_service::ServiceError> {
    let started = std::time::Instant::now();
    let refreshed = careloop_service::risk::tiering::drain_refresh_queue(db, now).await?;
    if refreshed > 0 {
        tracing::info!(refreshed, "risk tiers and tags recomputed after bulk writes");
    }
    let t = careloop_service::followup::scheduler::tick(db, now).await?;
    let s = careloop_service::outreach::delivery::send_due(db, delivery, now).await?;
    metrics::histogram!("scheduler_pass_seconds").record(started.elapsed().as_secs_f64());
    for (outcome, n) in [
        ("queued", s.queued),
        ("sent", s.sent),
        ("failed", s.failed),
        ("held_quiet", s.held_quiet),
        ("lost", s.lost),
    ] {
        metrics::counter!("outreach_messages_total", "outcome" => outcome).increment(n);
    }
    if t.opened + t.overdue + t.escalated + t.retried + t.extended + s.queued + s.sent + s.failed > 0 {
        tracing::info!(
            opened = t.opened,
            overdue = t.overdue,
            retried = t.retried,
            escalated = t.escalated,
            extended = t.extended,
            queued = s.queued,
            sent = s.sent,
            failed = s.failed,
            held_quiet = s.held_quiet,
            lost = s.lost,
            "scheduler pass"
        );
    }
    Ok((t, s))
}

/// Open the configured database and bring its schema up to date.
pub async fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    settings.prepare_storage()?;
    let db = Db::connect(&settings.database_url, settings.max_connections)
        .await
        .with_context(|| format!("connecting to {}", settings::redact(&settings.database_url)))?;
    db.migrate().await.context("applying migrations")?;
    careloop_service::followup::enrolment::seed_builtin_protocols(&db, time::OffsetDateTime::now_utc())
        .await
        .context("storing the built-in protocols")?;
    careloop_service::questionnaires::responses::seed_builtin_questionnaires(&db, time::OffsetDateTime::now_utc())
        .await
        .context("storing the built-in questionnaires")?;
    careloop_service::risk::tag_rules::seed_builtin_tag_rules(&db, time::OffsetDateTime::now_utc())
        .await
        .context("storing the built-in tag rules")?;
    careloop_service::advice::seed_builtin_advice(&db, time::OffsetDateTime::now_utc())
        .await
        .context("storing the built-in advice")?;
    // Build the segmenter's dictionary now, off the async threads, not on the first reply.
    tokio::task::spawn_blocking(careloop_service::questionnaires::free_text::warm_up);
    Ok(db)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use super::{App, Settings};

    /// A demo started on another port sends patient links to that port; a configured public
    /// address is kept.
    #[tokio::test]
    async fn a_demo_links_to_the_address_it_serves() {
        let dir = std::env::temp_dir().join(format!("careloop-links-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let settings = Settings {
            addr: "127.0.0.1:0".into(),
            database_url: format!("sqlite://{}/careloop.db", dir.display()),
            ..Settings::default()
        };
        let mut app = App::build(settings.clone()).await.unwrap();
        app.link_to_bound_address().unwrap();
        let port = app.local_addr().unwrap().port();
        assert_eq!(app.public_url(), format!("http://127.0.0.1:{port}"));
        drop(app);
        let configured = Settings {
            public_url: "https://followup.example.cn".into(),
            ..settings
        };
        let mut app = App::build(configured).await.unwrap();
        app.link_to_bound_address().unwrap();
        assert_eq!(app.public_url(), "https://followup.example.cn");
        drop(app);
        std::fs::remove_dir_all(&dir).ok();
    }
}
