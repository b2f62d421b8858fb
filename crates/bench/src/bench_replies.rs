//! `careloop-bench replies`: patients' SMS replies processed as a provider pushes them (batches
//! of 100, one transaction each): matched to the message they answer, analysed (findings,
//! values, red flags), stored with their triage, their alerts raised — beside the raw speed of
//! the same database: the same number of rows inserted into the same table, 100 per statement
//! and transaction, with nothing read or analysed.

use careloop_service::admin::staff;
use careloop_service::kernel::access::system_actor;
use careloop_service::outreach::replies::{InboundReply, record_sms_replies};
use careloop_store::Db;
use careloop_store::outbox::{self, OutboxRow};
use careloop_synth::scratch::on_scratch_databases;
use careloop_text::LABELLED_REPLIES;
use sea_query::Query;
use std::time::Instant;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(clap::Args, Debug)]
pub struct RepliesBenchArgs {
    /// Replies pushed.
    #[arg(long, default_value_t = 20_000)]
    pub replies: usize,
    /// Patients, each sent one SMS the replies answer.
    #[arg(long, default_value_t = 2_000)]
    pub patients: usize,
    /// Replies per push (Aliyun pushes up to 100).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    #[arg(long, env = "CARELOOP_BENCH_PG_URL")]
    pub pg_url: Option<String>,
    #[arg(long)]
    pub no_sqlite: bool,
}

struct Figures {
    name: &'static str,
    processed: f64,
    alerts: usize,
    raw: f64,
}

pub async fn run(args: RepliesBenchArgs) -> anyhow::Result<()> {
    let rows = on_scratch_databases(!args.no_sqlite, args.pg_url.as_deref(), 8, async |name, db| {
        backend(name, db, &args).await
    })
    .await?;
    println!(
        "\n| backend | replies processed/s (match, analyse, store, alerts; {} per push) | alerts raised | raw: rows inserted/s into the same table, {} per statement |",
        args.batch, args.batch
    );
    println!("| --- | --- | --- | --- |");
    for f in rows {
        println!("| {} | {:.0} | {} | {:.0} |", f.name, f.processed, f.alerts, f.raw);
    }
    Ok(())
}

fn phone(n: usize) -> String {
    format!("139{:08}", n)
}

async fn backend(name: &'static str, db: &Db, args: &RepliesBenchArgs) -> anyhow::Result<Figures> {
    db.migrate().await?;
    let now = OffsetDateTime::now_utc();
    let admin = system_actor();
    staff::create_department(db, &admin, "surgery", "普外科", None, now).await?;
    let ids = crate::bench::enrol_synthetic(db, "surgery", args.patients, 11, now).await?;
    // Each patient was sent one SMS an hour ago, which their replies answer.
    let mut tx = db.begin().await?;
    for (n, id) in ids.iter().enumerate() {
        let sent = now - time::Duration::hours(1);
        let row = OutboxRow {
            id: Uuid::now_v7(),
            idempotency_key: format!("bench-{n}"),
            task_id: None,
            patient_id: *id,
            channel: "sms".into(),
            recipient: phone(n),
            body: "【本机构】请您花两分钟填写康复问卷".into(),
            link: None,
            status: "sent".into(),
            attempts: 1,
            lease_until: None,
            provider_ref: None,
            error: None,
            created_at: sent,
            sent_at: Some(sent),
            template: None,
            template_params: None,
            delivery: None,
            delivery_code: None,
            delivered_at: None,
        };
        outbox::enqueue(&mut tx, &row).await?;
    }
    tx.commit().await?;
    db.optimize().await?;

    let texts: Vec<&str> = LABELLED_REPLIES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next())
        .collect();
    let replies: Vec<InboundReply> = (0..args.replies)
        .map(|n| InboundReply {
            key: format!("bench-{n}"),
            sender: phone(n % ids.len()),
            content: texts[n % texts.len()].to_string(),
            at: Some(now),
        })
        .collect();
    // A working hospital's alert table is not empty. On an empty one PostgreSQL plans the
    // reply → alert foreign-key check as a scan of the table (its statistics say it is empty)
    // and keeps that plan, so every push gets slower; autovacuum re-analyses such a table within
    // a minute of its first rows. The first push, then ANALYZE, as autovacuum would.
    let (first, rest) = replies.split_at(args.batch.min(replies.len()));
    let mut alerts = record_sms_replies(db, "bench", first, now).await?.alerts;
    db.optimize().await?;
    let started = Instant::now();
    for push in rest.chunks(args.batch) {
        let out = record_sms_replies(db, "bench", push, now).await?;
        anyhow::ensure!(out.stored == push.len(), "stored {} of {}", out.stored, push.len());
        alerts += out.alerts;
    }
    let processed = rest.len() as f64 / started.elapsed().as_secs_f64();
    println!("{name}: {} replies processed, {alerts} alerts raised", args.replies);

    let started = Instant::now();
    for (b, push) in replies.chunks(args.batch).enumerate() {
        let mut stmt = Query::insert()
            .into_table("inbound_messages")
            .columns([
                "id",
                "channel",
                "provider",
                "provider_key",
                "sender",
                "content",
                "opt_out",
                "received_at",
            ])
            .to_owned();
        for (n, r) in push.iter().enumerate() {
            stmt.values_panic([
                Uuid::now_v7().into(),
                "sms".into(),
                "raw".into(),
                format!("raw|{b}|{n}").into(),
                r.sender.clone().into(),
                r.content.clone().into(),
                false.into(),
                careloop_store::stored_time(now).into(),
            ]);
        }
        let mut tx = db.begin().await?;
        tx.execute(&stmt).await?;
        tx.commit().await?;
    }
    let raw = args.replies as f64 / started.elapsed().as_secs_f64();
    Ok(Figures {
        name,
        processed,
        alerts,
        raw,
    })
}
