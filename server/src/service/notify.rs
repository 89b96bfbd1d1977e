//! Notifications: stored for the citizen and pushed at once to their open streams on every replica.

use crate::App;

/// The event topic of a citizen's notifications.
pub fn topic(citizen_id: &str) -> String {
    format!("citizen:{citizen_id}")
}

/// A notification for `citizen_id`, as an [`Outcome`] carries it.
pub fn notification(
    citizen_id: &str,
    kind: &'static str,
    body: serde_json::Value,
) -> (String, &'static str, serde_json::Value, String) {
    (citizen_id.to_string(), kind, body, topic(citizen_id))
}

/// Wakes the streams of a notification that has been committed.
pub fn publish(app: &App, published: Option<(String, String)>) {
    if let Some((topic, id)) = published {
        app.events.publish(&app.store, &topic, &id);
    }
}
