//! The acquirer: where card, phone-balance and bank-QR payments are charged. The embedded default is a
//! simulated acquirer with the test card tokens of the design; it keeps its own ledger (table
//! `sim_acquirer`), as a bank would, so a charge whose answer was lost can be looked up again and is never
//! made twice.

use crate::store::Store;
use async_trait::async_trait;

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

    fn webhook_key(&self) -> &[u8] {
        &self.webhook_key
    }
}
