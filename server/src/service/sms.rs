//! The SMS worker: delivers queued messages through the configured gateway, on every replica, each
//! message by one worker at a time (a lease), with back-off on temporary failures.

use crate::App;
use crate::adapters::sms::{OutgoingSms, SmsError};
use egov_core::secret::Redacted;
use std::sync::Arc;
use std::time::Duration;

/// How long a claimed message is reserved for its worker.
const LEASE_MS: i64 = 30_000;
/// Give up after this many delivery attempts.
const MAX_ATTEMPTS: i64 = 8;
/// How often the queue is polled when nothing wakes the worker (other replicas' messages, retries).
const POLL: Duration = Duration::from_millis(500);

/// Wait before the next attempt after `attempts` failed ones: 2 s doubling, at most 5 minutes.
fn backoff_ms(attempts: i64) -> i64 {
    (2_000i64 << attempts.clamp(0, 8)).min(300_000)
}

/// Runs until shutdown.
pub async fn run_worker(app: Arc<App>) {
    let mut shutdown = app.shutdown.clone();
    loop {
        loop {
            match deliver_one(&app).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "SMS worker: storage failure");
                    break;
                }
            }
        }
        tokio::select! {
            _ = app.sms_wake.notified() => {},
            _ = tokio::time::sleep(POLL) => {},
            _ = shutdown.changed() => return,
        }
    }
}

/// Delivers the oldest due message; false when none is due.
async fn deliver_one(app: &App) -> Result<bool, crate::store::StoreError> {
    let now = app.clock.now_ms();
    let Some(msg) = app.store.sms_claim_due(now, LEASE_MS).await? else { return Ok(false) };
    if msg.expires_at.is_some_and(|e| e <= now) {
        app.store.sms_failed(&msg.id, "expired before delivery").await?;
        return Ok(true);
    }
    let Some(body) = msg.body.clone() else {
        app.store.sms_failed(&msg.id, "no text").await?;
        return Ok(true);
    };
    let sms =
        OutgoingSms { id: msg.id.clone(), to: msg.phone.clone(), sender: msg.sender.clone(), text: Redacted(body) };
    match app.sms.send(&sms).await {
        Ok(receipt) => {
            tracing::info!(sms_id = %msg.id, gateway = app.sms.name(), status = %receipt.status, "SMS delivered");
            app.store.sms_delivered(&msg.id, &receipt.provider_id, app.sms.keeps_text(), app.clock.now_ms()).await?;
        }
        Err(SmsError::Temporary(e)) if msg.attempts < MAX_ATTEMPTS => {
            tracing::warn!(sms_id = %msg.id, attempts = msg.attempts, error = %e, "SMS delivery failed; will retry");
            app.store.sms_retry_at(&msg.id, app.clock.now_ms() + backoff_ms(msg.attempts), &e).await?;
        }
        Err(e) => {
            tracing::error!(sms_id = %msg.id, error = %e, "SMS delivery abandoned");
            app.store.sms_failed(&msg.id, &e.to_string()).await?;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_from_four_seconds_to_five_minutes() {
        assert_eq!(super::backoff_ms(1), 4_000);
        assert_eq!(super::backoff_ms(2), 8_000);
        assert_eq!(super::backoff_ms(7), 256_000);
        assert_eq!(super::backoff_ms(8), 300_000);
    }
}
