//! What a call can end in besides its answer: the server's problem (typed by its `ProblemKind`), or
//! which side of the network the failure was on, so the app knows whether a retry is safe.

use egov_api::ProblemKind;
use serde_json::{Map, Value};

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input breaks a rule the client checks before sending (nothing was sent).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// No session: sign in first (or the session ended and was forgotten).
    #[error("not signed in")]
    SignedOut,
    /// The request never reached the server (no connection, DNS, TLS): retrying is safe.
    #[error("the request was not sent: {0}")]
    NotSent(String),
    /// The request was sent but no whole answer came back (a timeout, a dropped connection): the server
    /// may have acted. Retry with the same idempotency key, or read the state again.
    #[error("no answer after sending: {0}")]
    NoAnswer(String),
    /// The server answered with a problem document.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// The server's answer does not match the contract (a status or body this client cannot read).
    #[error("unexpected answer ({status}): {detail}")]
    Unexpected { status: u16, detail: String },
    /// The device key could not sign (the app's signer failed: cancelled prompt, key gone...).
    #[error("signer: {0}")]
    Signer(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// The problem's kind, when the server answered with one this client knows.
    pub fn kind(&self) -> Option<ProblemKind> {
        match self {
            Error::Problem(p) => p.kind,
            _ => None,
        }
    }
}

/// An RFC 9457 problem document the server answered.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {}: {detail}", self.slug())]
pub struct Problem {
    /// `None` for a `type` this client does not know (a newer server): `type_uri` still says it.
    pub kind: Option<ProblemKind>,
    pub type_uri: String,
    pub status: u16,
    pub title: String,
    /// For people, in the language asked.
    pub detail: String,
    /// Seconds to wait (`Retry-After`), for limits and locks.
    pub retry_after: Option<u64>,
    /// The members beyond the standard ones (`field`, `decline_code`, `payment_id`...).
    pub extra: Map<String, Value>,
}

impl Problem {
    /// The stable last part of `type` (`otp-wrong`, `share-used`).
    pub fn slug(&self) -> &str {
        self.type_uri.rsplit('/').next().unwrap_or(&self.type_uri)
    }

    /// A member beyond the standard ones, as text.
    pub fn member(&self, name: &str) -> Option<&str> {
        self.extra.get(name).and_then(Value::as_str)
    }

    /// Reads the body of an error answer; an answer that is not a problem document still becomes one of
    /// its status, so the caller never loses the status.
    pub(crate) fn read(status: u16, body: &[u8], retry_after: Option<u64>) -> Problem {
        let mut doc = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let mut text = |name: &str| match doc.remove(name) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let type_uri = text("type").unwrap_or_else(|| "about:blank".into());
        let title = text("title").unwrap_or_default();
        let detail = text("detail").unwrap_or_else(|| format!("the server answered {status}"));
        doc.remove("status");
        doc.remove("instance");
        Problem { kind: ProblemKind::from_type(&type_uri), type_uri, status, title, detail, retry_after, extra: doc }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_document_is_read_with_its_kind_and_members() {
        let body = br#"{"type":"/problems/payment-declined","status":402,"title":"Payment required","detail":"insufficient funds","decline_code":"insufficient_funds"}"#;
        let p = Problem::read(402, body, None);
        assert_eq!(p.kind, Some(ProblemKind::PaymentDeclined));
        assert_eq!(p.slug(), "payment-declined");
        assert_eq!(p.detail, "insufficient funds");
        assert_eq!(p.member("decline_code"), Some("insufficient_funds"));
        assert!(p.extra.get("status").is_none());
    }

    #[test]
    fn an_answer_that_is_no_problem_document_keeps_its_status() {
        let p = Problem::read(502, b"<html>bad gateway</html>", Some(5));
        assert_eq!((p.kind, p.status, p.retry_after), (None, 502, Some(5)));
        assert_eq!(p.detail, "the server answered 502");
    }

    #[test]
    fn an_unknown_type_is_kept_without_a_kind() {
        let p = Problem::read(409, br#"{"type":"/problems/something-new","detail":"d"}"#, None);
        assert_eq!(p.kind, None);
        assert_eq!(p.slug(), "something-new");
    }
}
