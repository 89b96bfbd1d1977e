//! The records and enums that travel on the wire, grouped as the API is: sessions, documents, sharing,
//! website login and signing, fines. Answers derive `Serialize` and `Deserialize` both, so the server can
//! write what a client reads with the very same type; request bodies are here too, for clients.
//!
//! Enums are closed on purpose: a status, preset or level a client does not know is an error it reports
//! (the answer does not match the contract), never a default it guesses. Open vocabularies (document
//! kinds, registries) stay strings.

mod documents;
mod fines;
mod json;
mod sessions;
mod sharing;
mod time;
mod web;

pub use documents::*;
pub use fines::*;
pub use json::Json;
pub use sessions::*;
pub use sharing::*;
pub use web::*;

/// Declares a wire enum: serde names in snake_case, `as_str` for the same name, uniffi behind the feature.
macro_rules! wire_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident = $text:tt,)* }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        #[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[doc = $vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// The name on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The case a wire name (or a stored one) names; `None` for any other text.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wire_name_parses_back_to_its_case_and_serde_writes_the_same_name() {
        for state in
            [ShareState::Active, ShareState::Used, ShareState::Expired, ShareState::Revoked, ShareState::Blocked]
        {
            assert_eq!(ShareState::parse(state.as_str()), Some(state));
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
        assert_eq!(Preset::parse("age_over_18"), Some(Preset::AgeOver18));
        assert_eq!(Currency::parse("KZT"), Some(Currency::Kzt));
    }

    #[test]
    fn a_name_the_wire_does_not_have_is_no_case() {
        assert_eq!(SessionClient::parse("desktop"), None);
        assert_eq!(Preset::parse("AgeOver18"), None, "Rust names are not wire names");
        assert_eq!(SignStatus::parse(""), None);
    }
}
