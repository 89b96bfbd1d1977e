//! Notifications: stored for the citizen and pushed at once to their open streams on every replica.

use crate::App;
use crate::http::problem::ApiError;

/// The event topic of a citizen's notifications.
pub fn topic(citizen_id: &str) -> String {
    format!("citizen:{citizen_id}")
}

/// Stores a notification and wakes the citizen's streams.
pub async fn notify(app: &App, citizen_id: &str, kind: &str, body: &serde_json::Value) -> Result<(), ApiError> {
    let id = app.store.notification_add(citizen_id, kind, body, app.clock.now_ms()).await?;
    app.events.publish(&app.store, &topic(citizen_id), &id).await;
    Ok(())
}
