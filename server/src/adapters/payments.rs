//! The acquirer: where card, phone-balance and bank-QR payments are charged and refunded. The embedded
//! default (dev mode only) is a simulated acquirer with the test card tokens of the design; it keeps its
//! own ledger (table `sim_acquirer`), as a bank would, so a charge whose answer was lost can be looked up
//! again and is never made twice. Production uses [`HttpAcquirer`], the acquirer's HTTP API with
//! HMAC-signed webhooks.

use crate::store::Store;
use async_trait::async_trait;
use serde::Deserialize;
use std::time::Duration;

/// How a payment is made.
#[derive(Debug, Clone)]
pub enum Method {
    /// A token from the acquirer's card form (no card number ever reaches the backend).
    Card { token: String },
    /// From a Beeline or Activ phone balance.
    PhoneBalance { phone: String },
    /// A QR the citizen pays in their bank's app; confirmed later by the acquirer's signed webhook.
    BankQr,
}

impl Method {
    pub fn name(&self) -> &'static str {
        match self {
            Method::Card { .. } => "card",
            Method::PhoneBalance { .. } => "phone_balance",
            Method::BankQr => "bank_qr",
        }
    }
}

/// What the acquirer answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Approved {
        reference: String,
    },
    /// An ISO 8583 response code (51, 54, 57, 61, ...).
    Declined {
        code: String,
    },
    /// Waiting for the citizen to pay the QR in their bank's app.
    Pending {
        qr_payload: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// No answer in time: the charge may or may not have happened; ask `status`.
    #[error("the acquirer did not answer in time")]
    Timeout,
    #[error("the acquirer is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Charges `amount_tiyn` for payment `payment_id` (the idempotency reference: charging the same
    /// payment twice charges once).
    async fn charge(&self, payment_id: &str, amount_tiyn: i64, method: &Method) -> Result<Outcome, PaymentError>;
    /// What happened to a payment, if the acquirer knows it (reconciliation after a timeout).
    async fn status(&self, payment_id: &str) -> Result<Option<Outcome>, PaymentError>;
    /// Returns an approved charge in full, once (a second refund of the same payment refunds nothing and
    /// answers the first refund's reference); the refund's reference.
    async fn refund(&self, payment_id: &str, amount_tiyn: i64) -> Result<String, PaymentError>;
    /// The key the acquirer signs its webhooks with (HMAC-SHA256 over the raw body).
    fn webhook_key(&self) -> &[u8];
}

/// What a decline code means, for the citizen.
pub fn decline_message(code: &str) -> &'static str {
    match code {
        "51" => "insufficient funds on the card",
        "54" => "the card has expired",
        "57" => "the card's bank does not permit internet payments",
        "61" => "the amount exceeds the card's limit",
        "14" => "the card is not valid",
        _ => "the bank declined the payment",
    }
}

/// The simulated acquirer (dev mode): `tok_ok` approves, `tok_51`/`tok_54`/`tok_57`/`tok_61` decline
/// with that code, `tok_timeout` approves but loses the answer; phone balances approve; bank QRs wait
/// for a webhook.
pub struct SimulatedAcquirer {
    store: Store,
    webhook_key: Vec<u8>,
}

impl SimulatedAcquirer {
    pub fn new(store: Store, webhook_key: Vec<u8>) -> Self {
        SimulatedAcquirer { store, webhook_key }
    }

    fn unavailable(e: crate::store::StoreError) -> PaymentError {
        PaymentError::Unavailable(e.to_string())
    }
}

fn outcome_of(stored: &str, reference: &str) -> Outcome {
    match stored.split_once(':') {
        Some(("declined", code)) => Outcome::Declined { code: code.to_string() },
        Some(("pending", qr)) => Outcome::Pending { qr_payload: qr.to_string() },
        _ => Outcome::Approved { reference: reference.to_string() },
    }
}

#[async_trait]
impl PaymentGateway for SimulatedAcquirer {
    async fn charge(&self, payment_id: &str, amount_tiyn: i64, method: &Method) -> Result<Outcome, PaymentError> {
        let (stored, lose_answer) = match method {
            Method::Card { token } => match token.as_str() {
                "tok_ok" => ("approved".to_string(), false),
                "tok_timeout" => ("approved".to_string(), true),
                t => match t.strip_prefix("tok_") {
                    Some(code @ ("51" | "54" | "57" | "61")) => (format!("declined:{code}"), false),
                    _ => ("declined:14".to_string(), false),
                },
            },
            Method::PhoneBalance { .. } => ("approved".to_string(), false),
            Method::BankQr => (format!("pending:KZQR1|egov-fines|{payment_id}|{amount_tiyn}"), false),
        };
        let reference = format!("SIM-{}", &payment_id[..8.min(payment_id.len())]);
        let (outcome, reference) =
            self.store.sim_charge(payment_id, &stored, amount_tiyn, &reference).await.map_err(Self::unavailable)?;
        if lose_answer {
            return Err(PaymentError::Timeout);
        }
        Ok(outcome_of(&outcome, &reference))
    }

    async fn status(&self, payment_id: &str) -> Result<Option<Outcome>, PaymentError> {
        let row = self.store.sim_status(payment_id).await.map_err(Self::unavailable)?;
        Ok(row.map(|(o, r)| outcome_of(&o, &r)))
    }

    async fn refund(&self, payment_id: &str, _amount_tiyn: i64) -> Result<String, PaymentError> {
        match self.store.sim_refund(payment_id).await.map_err(Self::unavailable)? {
            Some(reference) => Ok(format!("{reference}-R")),
            None => Err(PaymentError::Unavailable("no approved, unrefunded charge for this payment".into())),
        }
    }

    fn webhook_key(&self) -> &[u8] {
        &self.webhook_key
    }
}

/// The acquirer's HTTP API (production):
/// - `POST {url}/charges` `{payment_id, amount_tiyn, currency, method, card_token?, phone?}` with the
///   header `Idempotency-Key: {payment_id}`, answered `{status: approved|declined|pending, reference?,
///   code?, qr_payload?}`;
/// - `GET {url}/charges/{payment_id}`: the same answer, or 404 when the acquirer never saw the charge;
/// - `POST {url}/charges/{payment_id}/refunds` `{amount_tiyn}` (idempotent by payment), answered
///   `{reference}`.
///
/// Every call has a timeout and is retried with back-off on a timeout, a 5xx or a 429; a charge is safe to
/// retry because the acquirer deduplicates it by its idempotency key. A charge still unanswered after every
/// attempt is [`PaymentError::Timeout`]: the payment is reconciled with `status` later, never charged again
/// blindly. Webhooks are verified with the configured HMAC key.
pub struct HttpAcquirer {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
    webhook_key: Vec<u8>,
    attempts: u32,
    first_backoff: Duration,
}

#[derive(Debug, Deserialize)]
struct ChargeAnswer {
    status: String,
    reference: Option<String>,
    code: Option<String>,
    qr_payload: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RefundAnswer {
    reference: String,
}

impl HttpAcquirer {
    pub fn new(
        url: &str,
        token: Option<String>,
        webhook_key: Vec<u8>,
        timeout: Duration,
        attempts: u32,
        first_backoff: Duration,
    ) -> Self {
        let client = reqwest::Client::builder().timeout(timeout).no_proxy().build().unwrap_or_default();
        let url = url.trim_end_matches('/').to_string();
        HttpAcquirer { client, url, token, webhook_key, attempts: attempts.max(1), first_backoff }
    }

    /// Sends a request built by `build` (again on every attempt); the response of the first attempt that
    /// is neither a timeout nor a 5xx/429, or the last error.
    async fn send(&self, build: impl Fn() -> reqwest::RequestBuilder) -> Result<reqwest::Response, PaymentError> {
        let once = || async {
            let mut request = build();
            if let Some(t) = &self.token {
                request = request.bearer_auth(t);
            }
            match request.send().await {
                Err(e) if e.is_timeout() => Err(PaymentError::Timeout),
                Err(_) => Err(PaymentError::Unavailable("the acquirer is unreachable".into())),
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    Err(PaymentError::Unavailable(format!("the acquirer answered {}", r.status())))
                }
                Ok(r) => Ok(r),
            }
        };
        // Every failure that reaches here may pass: the answers the acquirer refuses come back as responses.
        super::with_retries(self.attempts, self.first_backoff, |_| false, once).await
    }

    fn outcome(answer: ChargeAnswer) -> Result<Outcome, PaymentError> {
        let missing = |what: &str| PaymentError::Unavailable(format!("the acquirer's answer has no {what}"));
        match answer.status.as_str() {
            "approved" => Ok(Outcome::Approved { reference: answer.reference.ok_or_else(|| missing("reference"))? }),
            "declined" => Ok(Outcome::Declined { code: answer.code.ok_or_else(|| missing("decline code"))? }),
            "pending" => Ok(Outcome::Pending { qr_payload: answer.qr_payload.ok_or_else(|| missing("QR payload"))? }),
            other => Err(PaymentError::Unavailable(format!("the acquirer answered an unknown status {other:?}"))),
        }
    }

    async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, PaymentError> {
        let status = response.status();
        if !status.is_success() {
            return Err(PaymentError::Unavailable(format!("the acquirer refused the request: {status}")));
        }
        response
            .json()
            .await
            .map_err(|_| PaymentError::Unavailable("the acquirer's answer is not the expected JSON".into()))
    }
}

#[async_trait]
impl PaymentGateway for HttpAcquirer {
    async fn charge(&self, payment_id: &str, amount_tiyn: i64, method: &Method) -> Result<Outcome, PaymentError> {
        let mut body = serde_json::json!({
            "payment_id": payment_id, "amount_tiyn": amount_tiyn, "currency": "KZT", "method": method.name(),
        });
        match method {
            Method::Card { token } => body["card_token"] = token.as_str().into(),
            Method::PhoneBalance { phone } => body["phone"] = phone.as_str().into(),
            Method::BankQr => {}
        }
        let url = format!("{}/charges", self.url);
        let response = self.send(|| self.client.post(&url).header("idempotency-key", payment_id).json(&body)).await?;
        Self::outcome(Self::read(response).await?)
    }

    async fn status(&self, payment_id: &str) -> Result<Option<Outcome>, PaymentError> {
        let url = format!("{}/charges/{payment_id}", self.url);
        let response = self.send(|| self.client.get(&url)).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Self::outcome(Self::read(response).await?).map(Some)
    }

    async fn refund(&self, payment_id: &str, amount_tiyn: i64) -> Result<String, PaymentError> {
        let url = format!("{}/charges/{payment_id}/refunds", self.url);
        let body = serde_json::json!({"amount_tiyn": amount_tiyn});
        let response = self
            .send(|| self.client.post(&url).header("idempotency-key", format!("refund-{payment_id}")).json(&body))
            .await?;
        Ok(Self::read::<RefundAnswer>(response).await?.reference)
    }

    fn webhook_key(&self) -> &[u8] {
        &self.webhook_key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_partial_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn acquirer(server: &MockServer, attempts: u32) -> HttpAcquirer {
        HttpAcquirer::new(
            &server.uri(),
            Some("acq-token".into()),
            b"hook".to_vec(),
            Duration::from_millis(300),
            attempts,
            Duration::from_millis(10),
        )
    }

    fn card(token: &str) -> Method {
        Method::Card { token: token.into() }
    }

    #[tokio::test]
    async fn a_card_charge_is_posted_with_its_idempotency_key_and_approved() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/charges"))
            .and(header("authorization", "Bearer acq-token"))
            .and(header("idempotency-key", "p-1"))
            .and(body_partial_json(serde_json::json!({"payment_id": "p-1", "amount_tiyn": 1081250, "currency": "KZT",
                "method": "card", "card_token": "tok_visa"})))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "approved", "reference": "R1"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let outcome = acquirer(&server, 3).charge("p-1", 1_081_250, &card("tok_visa")).await.unwrap();
        assert_eq!(outcome, Outcome::Approved { reference: "R1".into() });
    }

    #[tokio::test]
    async fn a_decline_carries_its_code_and_a_bank_qr_its_payload() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(body_partial_json(serde_json::json!({"method": "card"})))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "declined", "code": "51"})),
            )
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(body_partial_json(serde_json::json!({"method": "bank_qr"})))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"status": "pending", "qr_payload": "KZQR|x"})),
            )
            .mount(&server)
            .await;
        let gw = acquirer(&server, 1);
        assert_eq!(gw.charge("p", 1, &card("t")).await.unwrap(), Outcome::Declined { code: "51".into() });
        assert_eq!(gw.charge("q", 1, &Method::BankQr).await.unwrap(), Outcome::Pending { qr_payload: "KZQR|x".into() });
    }

    #[tokio::test]
    async fn a_charge_unanswered_after_every_attempt_is_a_timeout_to_reconcile() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .mount(&server)
            .await;
        assert_eq!(acquirer(&server, 2).charge("p", 1, &card("t")).await.unwrap_err(), PaymentError::Timeout);
        assert_eq!(server.received_requests().await.unwrap().len(), 2, "retried with the same idempotency key");
    }

    #[tokio::test]
    async fn a_server_error_is_retried_and_a_refusal_is_not() {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(502)).up_to_n_times(1).mount(&server).await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "approved", "reference": "R"})),
            )
            .mount(&server)
            .await;
        assert!(matches!(acquirer(&server, 3).charge("p", 1, &card("t")).await, Ok(Outcome::Approved { .. })));

        let refusing = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(400)).mount(&refusing).await;
        assert!(matches!(acquirer(&refusing, 3).charge("p", 1, &card("t")).await, Err(PaymentError::Unavailable(_))));
        assert_eq!(refusing.received_requests().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn status_finds_a_known_charge_and_none_for_an_unknown_one() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/charges/known"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "approved", "reference": "R9"})),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/charges/unknown"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        let gw = acquirer(&server, 1);
        assert_eq!(gw.status("known").await.unwrap(), Some(Outcome::Approved { reference: "R9".into() }));
        assert_eq!(gw.status("unknown").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_refund_names_the_payment_and_returns_the_acquirers_reference() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/charges/p-7/refunds"))
            .and(header("idempotency-key", "refund-p-7"))
            .and(body_partial_json(serde_json::json!({"amount_tiyn": 500})))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"reference": "RF-1"})))
            .expect(1)
            .mount(&server)
            .await;
        assert_eq!(acquirer(&server, 1).refund("p-7", 500).await.unwrap(), "RF-1");
    }

    #[tokio::test]
    async fn an_unknown_status_is_never_taken_for_an_approval() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "ok", "reference": "R"})),
            )
            .mount(&server)
            .await;
        assert!(matches!(acquirer(&server, 1).charge("p", 1, &card("t")).await, Err(PaymentError::Unavailable(_))));
    }
}
