//! Delivery receipts (状态报告): a provider reports, after it accepted a message, whether the
//! phone received it. The receipt is kept on the message (delivered or not, the provider's code,
//! when; the first one stands, so a provider's retries change nothing). A message that did not
//! arrive fails its open task, so a nurse calls instead — as if the provider had refused it.

use super::delivery::settle_task;
use crate::Result;
use crate::kernel::audit::{event, record};
use careloop_domain::followup::task::TaskEvent;
use careloop_store::{Db, outbox};
use time::OffsetDateTime;

/// One receipt as a provider reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryReceipt {
    /// The provider's reference of the message (Aliyun's BizId).
    pub provider_ref: String,
    /// CareLoop's idempotency key, when the provider echoes it (Aliyun's out_id).
    pub out_id: Option<String>,
    pub delivered: bool,
    /// The provider's code: `DELIVERED`, or why it was not.
    pub code: String,
    /// When the phone's network reported it; `None`: when it arrived.
    pub at: Option<OffsetDateTime>,
}

/// What a batch of receipts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiptOutcome {
    pub delivered: usize,
    pub undelivered: usize,
    /// Receipts for no message CareLoop knows, or already reported.
    pub ignored: usize,
}

/// Record a provider's batch of receipts in one transaction.
pub async fn record_receipts(
    db: &Db,
    provider: &str,
    receipts: &[DeliveryReceipt],
    now: OffsetDateTime,
) -> Result<ReceiptOutcome> {
    let mut out = ReceiptOutcome::default();
    let mut tx = db.begin().await?;
    for r in receipts {
        let code: String = r.code.chars().take(64).collect();
        let recorded = outbox::record_receipt(
            &mut tx,
            &r.provider_ref,
            r.out_id.as_deref().filter(|k| !k.is_empty()),
            r.delivered,
            &code,
            r.at.unwrap_or(now),
        )
        .await?;
        match (recorded, r.delivered) {
            (None, _) => out.ignored += 1,
            (Some(_), true) => out.delivered += 1,
            (Some(task), false) => {
                out.undelivered += 1;
                settle_task(&mut tx, task, TaskEvent::AttemptFailed, "undelivered", now).await?;
            }
        }
    }
    // Counts only: a receipt names a phone number.
    let detail = format!(
        "provider={provider} delivered={} undelivered={} ignored={}",
        out.delivered, out.undelivered, out.ignored
    );
    record(
        &mut tx,
        event(
            &crate::kernel::access::system_actor(),
            "outbox.receipts",
            None,
            Some(detail),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
