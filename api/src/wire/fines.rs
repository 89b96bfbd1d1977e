//! Traffic fines, their payment, receipts and the services refused while fines are overdue.

use super::{time, wire_enum};
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

wire_enum! {
    /// Where a fine stands.
    FineStatus {
        Unpaid = "unpaid",
        /// A payment is under way.
        Processing = "processing",
        Paid = "paid",
    }
}

wire_enum! {
    /// Who recorded the offence (decides when the discount's 7 working days start).
    RecordedBy {
        /// An officer on the spot: from the notice date.
        Officer = "officer",
        /// A camera: from the delivery of the notice.
        Camera = "camera",
    }
}

wire_enum! {
    /// Where a payment stands in its answer.
    PaymentStatus {
        /// Paid: the receipt is in the answer.
        Paid = "paid",
        /// Waiting for the citizen's bank app (bank QR): show `qr_payload`.
        Pending = "pending",
        /// The acquirer has not answered yet: ask again with the same idempotency key.
        Processing = "processing",
    }
}

wire_enum! {
    /// Why a service is refused.
    RefusalCode {
        /// Fines past their voluntary payment period: pay them first.
        OverdueFines = "overdue_fines",
        /// Too young for the licence category asked.
        UnderMinimumAge = "under_minimum_age",
    }
}

/// An amount in tiyn (1/100 tenge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Money {
    pub tiyn: i64,
    /// Always `KZT`.
    pub currency: Currency,
}

wire_enum! {
    /// The currency of every amount.
    Currency {
        Kzt = "KZT",
    }
}

/// The 50% discount of a fine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FineDiscount {
    pub eligible: bool,
    /// The last day (Almaty) of the discount, `YYYY-MM-DD`; `None` while a camera fine is undelivered.
    pub last_day: Option<String>,
    pub amount: Money,
}

/// A traffic fine as the citizen sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Fine {
    pub id: String,
    pub status: FineStatus,
    pub amount: Money,
    /// What paying now costs (the discounted amount while the discount lasts).
    pub amount_due: Money,
    pub discount: FineDiscount,
    pub protocol_number: String,
    pub offender_iin: String,
    pub article: String,
    pub description: String,
    pub amount_mci: i64,
    /// The MCI (tenge) in force on `case_opened_on`.
    pub mci: i64,
    /// `YYYY-MM-DD`.
    pub case_opened_on: String,
    pub recorded_by: RecordedBy,
    pub notice_date: String,
    pub delivered_on: Option<String>,
    pub vehicle_plate: Option<String>,
    pub city: String,
    /// `other_penalty`, `immunity` or `financial_regulator`: why the law grants no discount.
    pub discount_excluded: Option<String>,
    /// The last day of voluntary payment; after it an unpaid fine is overdue.
    pub payment_deadline: Option<String>,
    /// Past the voluntary period: licence services are refused until it is paid.
    pub overdue: bool,
    #[serde(with = "time::option")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<String>, format = DateTime))]
    pub paid_at: Option<SystemTime>,
    /// How it was paid (`card`, `phone_balance`, `bank_qr`, `bank`).
    pub paid_via: Option<String>,
}

/// An electronic receipt (signed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Receipt {
    pub id: String,
    pub fine_id: String,
    pub protocol_number: String,
    pub amount: Money,
    #[serde(with = "time")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    pub paid_at: SystemTime,
    /// The signed receipt: compact JWS, `typ` `egov-receipt+jws`, verifiable offline against the JWKS.
    pub jws: String,
    /// What the receipt's QR code holds.
    pub qr_url: String,
}

/// A payment's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PaymentAnswer {
    pub payment_id: String,
    pub status: PaymentStatus,
    /// `paid`: the receipt.
    #[serde(default)]
    pub receipt: Option<Receipt>,
    /// `pending`: what the bank QR holds.
    #[serde(default)]
    pub qr_payload: Option<String>,
}

/// An overdue fine that blocks a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OverdueFine {
    pub fine_id: String,
    pub protocol_number: String,
    pub article: String,
    pub amount_due: Money,
    pub payment_deadline: Option<String>,
}

/// One reason a service is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Refusal {
    pub code: RefusalCode,
    /// Why, in words.
    pub detail: String,
    /// `overdue_fines`: the fines to pay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fines: Vec<OverdueFine>,
    /// `under_minimum_age`: the category asked, its minimum age and the first day the citizen may apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_age: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible_from: Option<String>,
}

/// Whether a service is open to the citizen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Eligibility {
    pub service: String,
    pub category: Option<String>,
    pub allowed: bool,
    /// Empty when allowed.
    pub reasons: Vec<Refusal>,
}

wire_enum! {
    /// The ways to pay a fine.
    PayMethod {
        Card = "card",
        PhoneBalance = "phone_balance",
        BankQr = "bank_qr",
    }
}

/// How the citizen pays (`POST /v1/fines/{id}/payments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    pub method: PayMethod,
    /// `card`: the acquirer's token of the card (never a card number).
    #[cfg_attr(feature = "utoipa", schema(pattern = "^[A-Za-z0-9_]{4,64}$"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_token: Option<String>,
    /// `phone_balance`: a Beeline or Activ number (default: the citizen's registered phone).
    #[cfg_attr(feature = "utoipa", schema(format = "kz-mobile-phone"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A payment method as an app picks it: each case with what it needs. It becomes the one request body,
/// [`PayRequest`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum PaymentMethod {
    /// A card the acquirer tokenised in its own SDK (never a card number).
    Card { card_token: String },
    /// From the mobile balance of a Beeline or Activ number.
    PhoneBalance { phone: String },
    /// A QR code to pay in the citizen's bank app.
    BankQr,
}

impl From<PaymentMethod> for PayRequest {
    fn from(method: PaymentMethod) -> PayRequest {
        match method {
            PaymentMethod::Card { card_token } => {
                PayRequest { method: PayMethod::Card, card_token: Some(card_token), phone: None }
            }
            PaymentMethod::PhoneBalance { phone } => {
                PayRequest { method: PayMethod::PhoneBalance, card_token: None, phone: Some(phone) }
            }
            PaymentMethod::BankQr => PayRequest { method: PayMethod::BankQr, card_token: None, phone: None },
        }
    }
}
