//! SMS gateways. Messages are not sent from request handlers: they are queued in the database with the
//! flow that needs them and delivered by a worker (`service::sms`) through one of these gateways.
//! - `log`: prints the message (dev only: an OTP in a log is a secret in a log).
//! - `outbox`: keeps the message in the queue table, readable at `GET /dev/sms-outbox` (dev only).
//! - `http`: a provider's JSON API, with a timeout and retries with back-off.

use async_trait::async_trait;
use serde::Deserialize;
use std::time::Duration;

/// One message to deliver.
#[derive(Debug, Clone)]
pub struct OutgoingSms {
    /// The queue id, sent to the provider as an idempotency reference.
    pub id: String,
    pub to: String,
    pub sender: String,
    pub text: egov_core::secret::Redacted<String>,
}

/// What the gateway answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsReceipt {
    pub provider_id: String,
    /// The provider's delivery status (`accepted`, `delivered`, ...).
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// Worth retrying later (timeout, 5xx, connection refused).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Retrying cannot help (the provider refused the message).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

#[async_trait]
pub trait SmsGateway: Send + Sync {
    fn name(&self) -> &'static str;
    /// Whether delivered messages keep their text in the queue (only the dev outbox, which shows them).
    fn keeps_text(&self) -> bool {
        false
    }
    async fn send(&self, sms: &OutgoingSms) -> Result<SmsReceipt, SmsError>;
}

/// Prints each message to the log (dev only).
pub struct LogGateway;

#[async_trait]
impl SmsGateway for LogGateway {
    fn name(&self) -> &'static str {
        "log"
    }
    async fn send(&self, sms: &OutgoingSms) -> Result<SmsReceipt, SmsError> {
        let to = egov_core::identity::Phone::parse(&sms.to).map(|p| p.masked()).unwrap_or_default();
        tracing::info!(to, sender = %sms.sender, text = %sms.text.expose(), "SMS (log gateway)");
        Ok(SmsReceipt { provider_id: format!("log-{}", sms.id), status: "delivered".into() })
    }
}

/// Keeps each message in the queue for `GET /dev/sms-outbox` (dev only).
pub struct OutboxGateway;

#[async_trait]
impl SmsGateway for OutboxGateway {
    fn name(&self) -> &'static str {
        "outbox"
    }
    fn keeps_text(&self) -> bool {
        true
    }
    async fn send(&self, sms: &OutgoingSms) -> Result<SmsReceipt, SmsError> {
        Ok(SmsReceipt { provider_id: format!("outbox-{}", sms.id), status: "delivered".into() })
    }
}

/// A provider's HTTP API: `POST {url}` with `{"from","to","text","reference"}` and a bearer token; the
/// answer `{"id","status"}`. 5xx, timeouts and connection failures are retried with back-off; 4xx is final.
pub struct HttpGateway {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
    attempts: u32,
    first_backoff: Duration,
}

#[derive(Deserialize)]
struct ProviderAnswer {
    id: String,
    #[serde(default = "accepted")]
    status: String,
}

fn accepted() -> String {
    "accepted".into()
}

impl HttpGateway {
    /// `timeout` bounds each call; `attempts` calls at most, waiting `first_backoff`, then twice that...
    pub fn new(url: &str, token: Option<String>, timeout: Duration, attempts: u32, first_backoff: Duration) -> Self {
        let client = reqwest::Client::builder().timeout(timeout).no_proxy().build().unwrap_or_default();
        HttpGateway { client, url: url.to_string(), token, attempts: attempts.max(1), first_backoff }
    }

    async fn call_once(&self, sms: &OutgoingSms) -> Result<SmsReceipt, SmsError> {
        let body =
            serde_json::json!({"from": sms.sender, "to": sms.to, "text": sms.text.expose(), "reference": sms.id});
        let mut request = self.client.post(&self.url).json(&body);
        if let Some(t) = &self.token {
            request = request.bearer_auth(t);
        }
        let response = request
            .send()
            .await
            .map_err(|e| SmsError::Temporary(if e.is_timeout() { "timed out".into() } else { "unreachable".into() }))?;
        let status = response.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(SmsError::Temporary(format!("provider answered {status}")));
        }
        if !status.is_success() {
            return Err(SmsError::Permanent(format!("provider refused the message: {status}")));
        }
        let answer: ProviderAnswer = response
            .json()
            .await
            .map_err(|_| SmsError::Temporary("provider answer is not the expected JSON".into()))?;
        Ok(SmsReceipt { provider_id: answer.id, status: answer.status })
    }
}

#[async_trait]
impl SmsGateway for HttpGateway {
    fn name(&self) -> &'static str {
        "http"
    }
    async fn send(&self, sms: &OutgoingSms) -> Result<SmsReceipt, SmsError> {
        let is_final = |e: &SmsError| matches!(e, SmsError::Permanent(_));
        super::with_retries(self.attempts, self.first_backoff, is_final, || self.call_once(sms)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_partial_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn sms() -> OutgoingSms {
        OutgoingSms {
            id: "q1".into(),
            to: "+77010000001".into(),
            sender: "1414".into(),
            text: egov_core::secret::Redacted("code 123456".into()),
        }
    }

    fn gateway(server: &MockServer, attempts: u32) -> HttpGateway {
        HttpGateway::new(
            &format!("{}/sms", server.uri()),
            Some("t0ken".into()),
            Duration::from_millis(300),
            attempts,
            Duration::from_millis(10),
        )
    }

    #[tokio::test]
    async fn a_message_is_posted_as_json_with_the_token_and_the_provider_id_is_kept() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/sms"))
            .and(header("authorization", "Bearer t0ken"))
            .and(body_partial_json(
                serde_json::json!({"from": "1414", "to": "+77010000001", "text": "code 123456", "reference": "q1"}),
            ))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "p-42", "status": "delivered"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let r = gateway(&server, 3).send(&sms()).await.unwrap();
        assert_eq!(r, SmsReceipt { provider_id: "p-42".into(), status: "delivered".into() });
    }

    #[tokio::test]
    async fn a_server_error_is_retried_with_back_off_until_it_succeeds() {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).up_to_n_times(2).mount(&server).await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "p-1"})))
            .mount(&server)
            .await;
        let r = gateway(&server, 3).send(&sms()).await.unwrap();
        assert_eq!(r.status, "accepted");
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_provider_that_never_answers_in_time_is_a_temporary_failure_after_every_attempt() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .mount(&server)
            .await;
        let err = gateway(&server, 2).send(&sms()).await.unwrap_err();
        assert_eq!(err, SmsError::Temporary("timed out".into()));
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_refused_message_is_not_retried() {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(400)).mount(&server).await;
        let err = gateway(&server, 3).send(&sms()).await.unwrap_err();
        assert!(matches!(err, SmsError::Permanent(_)));
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_provider_is_a_temporary_failure() {
        let gw =
            HttpGateway::new("http://127.0.0.1:9/sms", None, Duration::from_millis(200), 1, Duration::from_millis(1));
        assert_eq!(gw.send(&sms()).await.unwrap_err(), SmsError::Temporary("unreachable".into()));
    }
}
