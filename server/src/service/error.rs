//! What a service answers when it cannot do what was asked. Each capability has its own error type (in
//! its module) naming its refusals; they share [`Failure`], the cases every capability has (a broken
//! field rule, a missing thing, an unavailable dependency, a storage failure). None of them knows HTTP:
//! `http::wording` maps each case once to its problem kind and its words in kk, ru and en.

use crate::store::StoreError;
use egov_core::UnknownValue;
use egov_core::auth::eds::KeyError;
use egov_core::identity::{IinError, PhoneError};
use egov_core::secret::RandomError;
use std::borrow::Cow;

/// The cases every capability shares.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(Thing),
    #[error("{0} is unavailable; try again later")]
    Unavailable(Dependency),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// A stored value this build does not know: refused, never read as a default that grants.
    #[error(transparent)]
    Unknown(#[from] UnknownValue),
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Too many requests from this address (or client); `retry_after` in seconds.
    #[error("too many requests from this address; try again later")]
    RateLimited { retry_after: u64 },
    /// Something that cannot happen did (a row gone within a transaction, an unreadable stored field).
    #[error("broken invariant: {0}")]
    Internal(&'static str),
}

/// A broken invariant (see [`Failure::Internal`]).
pub fn internal(what: &'static str) -> Failure {
    Failure::Internal(what)
}

/// An input field that breaks a rule.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct Invalid {
    pub field: Cow<'static, str>,
    pub rule: Rule,
}

/// A field breaking a rule, as the failure every capability converts from.
pub fn invalid(field: impl Into<Cow<'static, str>>, rule: Rule) -> Failure {
    Failure::Invalid(Invalid { field: field.into(), rule })
}

/// The rules an input breaks. The English words are here (for logs and the `en` answer); the Kazakh and
/// Russian ones in `http::wording`.
#[derive(Debug, thiserror::Error)]
pub enum Rule {
    #[error("must be a date YYYY-MM-DD")]
    Date,
    #[error("must not be in the future")]
    NotInFuture,
    #[error("must not be before {0}")]
    NotBefore(&'static str),
    #[error("must be from {min} to {max}")]
    Between { min: i64, max: i64 },
    #[error("must be from {min} to {max} seconds")]
    SecondsBetween { min: i64, max: i64 },
    #[error("must be {min} to {max} characters")]
    Chars { min: usize, max: usize },
    #[error("must be {min} to {max} printable characters")]
    Printable { min: usize, max: usize },
    #[error("must be {min} to {max} letters, digits or dashes")]
    Code { min: usize, max: usize },
    #[error("must be one of: {}", .0.join(", "))]
    OneOf(Vec<&'static str>),
    #[error("send exactly one of: {}", .0.join(", "))]
    ExactlyOneOf(Vec<&'static str>),
    #[error("is sent with the {0} method only")]
    OnlyWith(&'static str),
    #[error("at most {0} characters")]
    AtMostChars(usize),
    #[error("not a link of this service's kind here")]
    NotOurLink,
    #[error("must be a SHA-256 digest: 64 hex characters or base64")]
    Digest,
    #[error("kk, ru and en are each 1 to 500 characters, with no control or bidirectional-formatting characters")]
    Description,
    #[error("too long for a QR code")]
    TooLongForQr,
    #[error("must be {0} digits")]
    Digits(usize),
    #[error("must be base64url")]
    Base64Url,
    #[error("must be a positive amount")]
    Positive,
    #[error("is required here")]
    Required,
    #[error("{0}")]
    Iin(IinError),
    #[error("{0}")]
    Phone(PhoneError),
    #[error("{0}")]
    Key(KeyError),
    #[error("not a vehicle plate")]
    Plate,
    #[error("not a traffic article of the Administrative Offences Code known to this service")]
    Article,
    #[error(
        "not a city with traffic cameras known to this service; one of {} (or in Kazakh or Russian, see /v1/fines/cities)",
        city_names(|c| c.en)
    )]
    City,
    #[error("not a kind of document")]
    DocumentKind,
    #[error("no MCI value is configured for that date")]
    NoMci,
    #[error(
        "the payment deadline is more than {0} days ago: it is past what this service keeps; send it to enforcement instead"
    )]
    PastRetention(u64),
    #[error("this is already your number")]
    SameNumber,
    #[error("only Beeline and Activ numbers can pay from the balance")]
    NotBalanceOperator,
    #[error("search by iin; or surname, given_name and birth_date; or plate, certificate and city")]
    SearchTerms,
    /// serde's message, which `http` turns into plain words (never shown as is).
    #[error("the body does not match the expected shape")]
    Shape(String),
    #[error("the vehicle preset applies to a vehicle registration certificate only")]
    VehiclePresetOnly,
    #[error("the share already lives longer than that")]
    NotLonger,
}

/// The names of the cities of camera-fine search in one language, for a person to pick from.
pub fn city_names(name: fn(&egov_core::fines::City) -> &'static str) -> String {
    egov_core::fines::CITIES.iter().map(name).collect::<Vec<_>>().join(", ")
}

/// What was not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Thing {
    #[error("citizen")]
    Citizen,
    #[error("device")]
    Device,
    #[error("flow")]
    Flow,
    #[error("document")]
    Document,
    #[error("valid document of that kind and number")]
    ValidDocument,
    #[error("photo")]
    Photo,
    #[error("share")]
    Share,
    #[error("shared copy")]
    SharedCopy,
    #[error("session")]
    Session,
    #[error("fine")]
    Fine,
    #[error("payment")]
    Payment,
    #[error("receipt")]
    Receipt,
    #[error("login request")]
    LoginRequest,
    #[error("login request waiting for your decision")]
    LoginRequestWaiting,
    #[error("signing request")]
    SigningRequest,
    #[error("history entry")]
    HistoryEntry,
    #[error("organisation")]
    Organisation,
}

/// A dependency that cannot answer now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Dependency {
    #[error("identity verification")]
    IdentityCheck,
    #[error("the state registry")]
    Registry,
    #[error("the working-day calendar for this fine's dates")]
    Calendar,
    #[error("the SMS operator")]
    Sms,
}

/// The conversions every capability's error has: from [`Failure`] and from what it wraps, so `?` works
/// on a store call, a field check or a stored value alike.
macro_rules! capability_error {
    ($error:ty) => {
        impl From<crate::store::StoreError> for $error {
            fn from(e: crate::store::StoreError) -> Self {
                Self::Common(e.into())
            }
        }
        impl From<egov_core::UnknownValue> for $error {
            fn from(e: egov_core::UnknownValue) -> Self {
                Self::Common(e.into())
            }
        }
        impl From<egov_core::secret::RandomError> for $error {
            fn from(e: egov_core::secret::RandomError) -> Self {
                Self::Common(e.into())
            }
        }
        impl From<crate::service::error::Invalid> for $error {
            fn from(e: crate::service::error::Invalid) -> Self {
                Self::Common(e.into())
            }
        }
    };
}
pub(crate) use capability_error;
