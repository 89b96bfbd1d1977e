//! Instants on the wire are RFC 3339 (`2026-12-02T11:33:03.123Z`); in the records they are `SystemTime`,
//! which uniffi hands to Kotlin as `java.time.Instant` and to Swift as `Date`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};
use std::time::SystemTime;

pub fn serialize<S: Serializer>(at: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&DateTime::<Utc>::from(*at).to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
    Ok(DateTime::<Utc>::deserialize(d)?.into())
}

pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(at: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => super::serialize(at, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SystemTime>, D::Error> {
        Ok(Option::<DateTime<Utc>>::deserialize(d)?.map(Into::into))
    }
}
