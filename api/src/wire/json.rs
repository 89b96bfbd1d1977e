//! Free-form JSON on the wire (a document's fields, a history entry's detail): a `serde_json::Value` in
//! Rust, its JSON text in Kotlin and Swift (uniffi custom type over `String`).

use serde::{Deserialize, Serialize};

/// A JSON value kept as it came.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Json(pub serde_json::Value);

#[cfg(feature = "uniffi")]
uniffi::custom_type!(Json, String, {
    lower: |json| json.0.to_string(),
    try_lift: |text| Ok(Json(serde_json::from_str(&text)?)),
});

impl std::fmt::Display for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
