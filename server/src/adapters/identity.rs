//! Identity verification at registration and device re-proofing: in production a biometric liveness
//! check against the state database of individuals, over HTTP; the demo adapter (dev mode only) accepts
//! any evidence for a citizen whose registry answers matched. Evidence is always required: no step is
//! unlocked by what an SMS session or a birth date alone can show.

use async_trait::async_trait;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// No answer, or a server error, after every attempt: the citizen may try again later.
    #[error("the identity verification service is unavailable: {0}")]
    Unavailable(String),
    /// The service refused the request itself (our configuration or the evidence's form).
    #[error("the identity verification service refused the request: {0}")]
    Refused(String),
}

#[async_trait]
pub trait IdentityVerifier: Send + Sync {
    /// Whether the person presenting `evidence` (a liveness/biometric session the app completed) is the
    /// citizen with this IIN.
    async fn verify(&self, iin: &str, evidence: &str) -> Result<bool, IdentityError>;
    /// A short name for logs and the start-up check (`demo` is refused in prod).
    fn name(&self) -> &'static str;
}

/// The embedded default of dev mode: accepts any evidence (the registry answers are still checked).
pub struct DemoIdentityVerifier;

#[async_trait]
impl IdentityVerifier for DemoIdentityVerifier {
    async fn verify(&self, _iin: &str, _evidence: &str) -> Result<bool, IdentityError> {
        Ok(true)
    }

    fn name(&self) -> &'static str {
        "demo"
    }
}

/// The biometric identity service over HTTP: `POST {url}` with `{"iin", "evidence"}` (bearer token),
/// answered `{"verified": bool}`. Each call has a timeout; timeouts and 5xx/429 are retried with doubling
/// back-off; any other refusal is final.
pub struct HttpIdentityVerifier {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
    attempts: u32,
    first_backoff: Duration,
}

#[derive(Deserialize)]
struct Verdict {
    verified: bool,
}

impl HttpIdentityVerifier {
    pub fn new(url: &str, token: Option<String>, timeout: Duration, attempts: u32, first_backoff: Duration) -> Self {
        let client = reqwest::Client::builder().timeout(timeout).no_proxy().build().unwrap_or_default();
        HttpIdentityVerifier { client, url: url.to_string(), token, attempts: attempts.max(1), first_backoff }
    }

    async fn call_once(&self, iin: &str, evidence: &str) -> Result<bool, IdentityError> {
        let mut request = self.client.post(&self.url).json(&serde_json::json!({"iin": iin, "evidence": evidence}));
        if let Some(t) = &self.token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.map_err(|e| {
            IdentityError::Unavailable(if e.is_timeout() { "timed out".into() } else { "unreachable".into() })
        })?;
        let status = response.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(IdentityError::Unavailable(format!("answered {status}")));
        }
        if !status.is_success() {
            return Err(IdentityError::Refused(format!("answered {status}")));
        }
        let verdict: Verdict = response
            .json()
            .await
            .map_err(|_| IdentityError::Unavailable("the answer is not the expected JSON".into()))?;
        Ok(verdict.verified)
    }
}

#[async_trait]
impl IdentityVerifier for HttpIdentityVerifier {
    async fn verify(&self, iin: &str, evidence: &str) -> Result<bool, IdentityError> {
        let is_final = |e: &IdentityError| matches!(e, IdentityError::Refused(_));
        super::with_retries(self.attempts, self.first_backoff, is_final, || self.call_once(iin, evidence)).await
    }

    fn name(&self) -> &'static str {
        "http"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn verifier(server: &MockServer, attempts: u32) -> HttpIdentityVerifier {
        HttpIdentityVerifier::new(
            &format!("{}/verify", server.uri()),
            Some("s3cret".into()),
            Duration::from_millis(300),
            attempts,
            Duration::from_millis(10),
        )
    }

    #[tokio::test]
    async fn the_evidence_is_posted_with_the_token_and_the_verdict_is_the_services() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/verify"))
            .and(header("authorization", "Bearer s3cret"))
            .and(body_json(serde_json::json!({"iin": "850202301111", "evidence": "liveness-1"})))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"verified": true})))
            .expect(1)
            .mount(&server)
            .await;
        assert!(verifier(&server, 3).verify("850202301111", "liveness-1").await.unwrap());
    }

    #[tokio::test]
    async fn a_person_the_service_does_not_recognise_is_not_verified() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"verified": false})))
            .mount(&server)
            .await;
        assert!(!verifier(&server, 3).verify("850202301111", "someone-else").await.unwrap());
    }

    #[tokio::test]
    async fn a_server_error_is_retried_with_back_off_until_it_answers() {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).up_to_n_times(2).mount(&server).await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"verified": true})))
            .mount(&server)
            .await;
        assert!(verifier(&server, 3).verify("850202301111", "e").await.unwrap());
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_service_that_never_answers_in_time_is_unavailable_after_every_attempt() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .mount(&server)
            .await;
        let err = verifier(&server, 2).verify("850202301111", "e").await.unwrap_err();
        assert_eq!(err, IdentityError::Unavailable("timed out".into()));
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_refused_request_is_not_retried_and_is_never_a_yes() {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(400)).mount(&server).await;
        let err = verifier(&server, 3).verify("850202301111", "e").await.unwrap_err();
        assert!(matches!(err, IdentityError::Refused(_)));
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn an_answer_that_is_not_a_verdict_is_never_a_yes() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
            .mount(&server)
            .await;
        assert!(verifier(&server, 1).verify("850202301111", "e").await.is_err());
    }
}
