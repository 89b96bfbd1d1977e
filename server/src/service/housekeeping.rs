//! Background housekeeping on every replica (each step is an idempotent conditional statement, so
//! replicas running it at once do no harm): unused expired shares, old rate windows, fine notifications
//! and purge, reconciliation of payments whose answer was lost.

use crate::App;
use std::sync::Arc;
use std::time::Duration;

/// Unused shares are deleted an hour after they expire (their record stays in the owner's history).
const SHARE_RETENTION_MS: i64 = 3_600_000;
/// Rate windows are kept two days (the longest window is a day).
const RATE_RETENTION_MS: i64 = 2 * 86_400_000;

pub async fn run(app: Arc<App>, every: Duration) {
    let mut shutdown = app.shutdown.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {},
            _ = shutdown.changed() => return,
        }
        let now = app.clock.now_ms();
        match app.store.shares_cleanup(now - SHARE_RETENTION_MS).await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "expired unused shares cleaned up"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "share cleanup failed"),
        }
        if let Err(e) = app.store.rate_prune(now - RATE_RETENTION_MS).await {
            tracing::warn!(error = %e, "rate counter cleanup failed");
        }
        if let Err(e) = crate::service::fines::daily(&app).await {
            tracing::warn!(error = %e, "fines job failed");
        }
    }
}
