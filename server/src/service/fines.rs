//! Traffic fines: the state bodies' feed, the citizen's fines with the amount due and the discount,
//! search, payment (idempotent, reconciled, never lost or charged twice), signed receipts, payments made
//! at a bank, the licence eligibility check, and the daily notifications and purge.

use crate::App;
use crate::adapters::payments::{Method, Outcome, PaymentError, decline_message};
use crate::service::error::{Dependency, Failure, Rule, Thing, capability_error, internal, invalid};
use crate::service::{enums, notify, sharing};
use crate::store::fines::{BankPayment, FineRow, NewReceipt, PaymentRow, Reminder};
use crate::store::from_millis;
use chrono::{DateTime, NaiveDate, Utc};
use egov_api::wire::{
    Currency, Eligibility, Fine, FineDiscount, Money, OverdueFine, PayMethod, PayRequest, Receipt, Refusal, RefusalCode,
};
use egov_core::fines::{
    BANK_QR_LIFETIME, City, Discount, Exclusion, FineFacts, FineNotice, FineStatus, LicenceCategory, NoticeKind,
    OfferedDiscount, OnApproval, PaymentStatus, RECEIPT_TYP, RETENTION_AFTER_DEADLINE_DAYS, RecordedBy, Tiyn,
    Transition, UNSENT_HOLD_LIFETIME, city_named, deadline_reminder_due, known_article, mci_on, normalize_plate,
};
use egov_core::identity::Iin;
use egov_core::time::almaty_date;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// Why a fine was not registered, found, paid or recorded.
#[derive(Debug, thiserror::Error)]
pub enum FinesError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error("you can only search your own fines")]
    NotYours,
    #[error("that plate and registration certificate are not of a vehicle registered to you")]
    NotYourVehicle,
    #[error("a fine with this protocol number is already registered")]
    Exists,
    /// The acquirer declined; nothing was charged. `code` is the acquirer's.
    #[error("the payment was declined: {}", decline_message(code))]
    Declined { code: String, payment_id: String },
    #[error("this fine is already paid")]
    Paid { payment_id: Option<String> },
    #[error("this payment was stopped before any charge; pay again")]
    NotPayable { payment_id: String },
    #[error("the bank confirmed this payment after the fine was paid another way; the money is returned to you")]
    Refunded { payment_id: String, refunded: bool },
    #[error("another payment of this fine is under way")]
    InProgress,
    #[error("Idempotency-Key must be {} to {} visible characters", IDEMPOTENCY_KEY_LEN.start(), IDEMPOTENCY_KEY_LEN.end())]
    IdempotencyKey,
    #[error("this Idempotency-Key was used for a different payment")]
    IdempotencyKeyReused,
    #[error("the webhook signature does not verify")]
    WebhookSignature,
    #[error("this bank's receipt number was recorded for another payment")]
    BankReceiptRecorded,
    #[error("amount_tiyn: {amount} tiyn is more than the {due} tiyn due on {}", egov_core::time::day_month_year(*on))]
    Overpaid { amount: i64, due: i64, on: NaiveDate },
}
capability_error!(FinesError);

/// A fine as the app and state bodies see it.
/// A fine as it stands now, with the rules applied: what the wire's `Fine` is made from, and what notices
/// are written from.
#[derive(Debug)]
pub struct FineView {
    pub id: String,
    pub status: FineStatus,
    pub amount: Tiyn,
    pub amount_due: Tiyn,
    pub discount: Discount,
    pub protocol_number: String,
    pub offender_iin: String,
    pub article: String,
    pub description: String,
    pub amount_mci: i64,
    /// The MCI (tenge) in force on `case_opened_on`.
    pub mci: i64,
    pub case_opened_on: String,
    pub recorded_by: RecordedBy,
    pub notice_date: String,
    pub delivered_on: Option<String>,
    pub vehicle_plate: Option<String>,
    pub city: String,
    pub discount_excluded: Option<String>,
    /// The last day of voluntary payment; after it an unpaid fine is overdue.
    pub payment_deadline: Option<String>,
    pub overdue: bool,
    pub paid_at: Option<DateTime<Utc>>,
    pub paid_via: Option<String>,
}

fn date(s: &str) -> Result<NaiveDate, Failure> {
    s.parse().map_err(|_| internal("a stored date"))
}

fn facts(f: &FineRow) -> Result<FineFacts, Failure> {
    Ok(FineFacts {
        recorded_by: RecordedBy::stored(&f.recorded_by)?,
        notice_date: date(&f.notice_date)?,
        delivered_on: f.delivered_on.as_deref().map(date).transpose()?,
        excluded: Exclusion::stored(f.discount_excluded.as_deref())?,
        appealed: false,
        amount: Tiyn(f.amount_tiyn),
    })
}

/// Whether the fine is paid; an unknown stored status refuses (never read as unpaid, which would let it
/// be paid again).
fn paid(f: &FineRow) -> Result<bool, Failure> {
    Ok(FineStatus::stored(&f.status)? == FineStatus::Paid)
}

/// Whether the fine `id` is paid now (false when it is gone).
async fn fine_paid(app: &App, id: &str) -> Result<bool, Failure> {
    app.store.fine(id).await?.map_or(Ok(false), |f| paid(&f))
}

pub fn view(app: &App, f: &FineRow) -> Result<FineView, Failure> {
    let facts = facts(f)?;
    let now = app.clock.now();
    let (discount, amount_due) = match (facts.discount_at(&app.calendar, now), facts.amount_due(&app.calendar, now)) {
        (Ok(d), Ok(due)) => (d, due),
        _ => {
            tracing::warn!(fine = %f.id, "no working-day calendar for the fine's dates; showing the full amount");
            (Discount { eligible: false, last_day: None, amount: facts.amount.half() }, facts.amount)
        }
    };
    let paid = paid(f)?;
    Ok(FineView {
        id: f.id.clone(),
        status: FineStatus::stored(&f.status)?,
        amount: facts.amount,
        amount_due: if paid { Tiyn(0) } else { Tiyn((amount_due.0 - f.credited_tiyn).max(0)) },
        discount,
        protocol_number: f.protocol_number.clone(),
        offender_iin: f.offender_iin.clone(),
        article: f.article.clone(),
        description: f.description.clone(),
        amount_mci: f.amount_mci,
        mci: f.mci_tenge,
        case_opened_on: f.case_opened_on.clone(),
        recorded_by: facts.recorded_by,
        notice_date: f.notice_date.clone(),
        delivered_on: f.delivered_on.clone(),
        vehicle_plate: f.vehicle_plate.clone(),
        city: f.city.clone(),
        discount_excluded: f.discount_excluded.clone(),
        payment_deadline: facts.payment_deadline().map(|d| d.to_string()),
        overdue: !paid && facts.is_overdue(almaty_date(now)),
        paid_at: f.paid_at.map(from_millis),
        paid_via: f.paid_via.clone(),
    })
}

fn money(amount: Tiyn) -> Money {
    Money { tiyn: amount.0, currency: Currency::Kzt }
}

/// The fine as the wire carries it.
pub fn wire(v: FineView) -> Fine {
    Fine {
        id: v.id,
        status: enums::fine_status(v.status),
        amount: money(v.amount),
        amount_due: money(v.amount_due),
        discount: FineDiscount {
            eligible: v.discount.eligible,
            last_day: v.discount.last_day.map(|d| d.to_string()),
            amount: money(v.discount.amount),
        },
        protocol_number: v.protocol_number,
        offender_iin: v.offender_iin,
        article: v.article,
        description: v.description,
        amount_mci: v.amount_mci,
        mci: v.mci,
        case_opened_on: v.case_opened_on,
        recorded_by: enums::recorded_by(v.recorded_by),
        notice_date: v.notice_date,
        delivered_on: v.delivered_on,
        vehicle_plate: v.vehicle_plate,
        city: v.city,
        discount_excluded: v.discount_excluded,
        payment_deadline: v.payment_deadline,
        overdue: v.overdue,
        paid_at: v.paid_at.map(Into::into),
        paid_via: v.paid_via,
    }
}

/// A fine as a state body feeds it (the integration contract of design section 4).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedFine {
    pub protocol_number: String,
    pub offender_iin: String,
    pub article: String,
    pub description: String,
    pub amount_mci: i64,
    pub case_opened_on: String,
    /// `officer` or `camera`.
    pub recorded_by: String,
    pub notice_date: String,
    pub delivered_on: Option<String>,
    pub vehicle_plate: Option<String>,
    pub city: String,
    /// `other_penalty`, `immunity` or `financial_regulator`.
    pub discount_excluded: Option<String>,
}

fn field_date(field: &'static str, value: &str, today: NaiveDate) -> Result<NaiveDate, Failure> {
    let d: NaiveDate = value.parse().map_err(|_| invalid(field, Rule::Date))?;
    if d > today {
        return Err(invalid(field, Rule::NotInFuture));
    }
    Ok(d)
}

/// The city a name means (any language, case and spacing); a 422 naming the accepted cities otherwise.
fn known_city(name: &str) -> Result<&'static City, Failure> {
    city_named(name).ok_or_else(|| invalid("city", Rule::City))
}

/// The length of a payment's `Idempotency-Key`, in visible ASCII characters.
pub const IDEMPOTENCY_KEY_LEN: std::ops::RangeInclusive<usize> = 8..=128;

/// What a notice of `kind` says about the fine `f`, as it stands now (`v` is its view): the discount only
/// while the law grants it.
fn notice_of<'a>(f: &'a FineRow, v: &FineView, kind: NoticeKind) -> FineNotice<'a> {
    FineNotice {
        kind,
        protocol_number: &f.protocol_number,
        article: &f.article,
        amount_due: v.amount_due,
        full_amount_due: Tiyn((f.amount_tiyn - f.credited_tiyn).max(0)),
        discount: v.discount.eligible.then_some(OfferedDiscount { last_day: v.discount.last_day }),
        payment_deadline: v.payment_deadline.as_deref().and_then(|d| d.parse().ok()),
    }
}

/// The notification of a fine's notice: which fine, and the notice in kk, ru and en.
fn notice_body(f: &FineRow, n: &FineNotice<'_>) -> Value {
    json!({"fine_id": f.id, "protocol_number": f.protocol_number, "article": f.article, "amount_due": n.amount_due, "text": n.texts()})
}

/// Registers a fine from a state body. A camera fine's payment notice is delivered by SMS to the
/// offender's registered phone (and to their eGov account), which starts its discount period.
pub async fn register(app: &App, agency: &str, feed: FeedFine) -> Result<FineView, FinesError> {
    let today = almaty_date(app.clock.now());
    let protocol = feed.protocol_number.trim();
    if !(6..=20).contains(&protocol.len()) || !protocol.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(invalid("protocol_number", Rule::Code { min: 6, max: 20 }).into());
    }
    let iin = Iin::parse(&feed.offender_iin).map_err(|e| invalid("offender_iin", Rule::Iin(e)))?;
    if !known_article(&feed.article) {
        return Err(invalid("article", Rule::Article).into());
    }
    if !(1..=1000).contains(&feed.amount_mci) {
        return Err(invalid("amount_mci", Rule::Between { min: 1, max: 1000 }).into());
    }
    let description = feed.description.trim();
    if !(1..=300).contains(&description.chars().count()) {
        return Err(invalid("description", Rule::Chars { min: 1, max: 300 }).into());
    }
    let opened = field_date("case_opened_on", &feed.case_opened_on, today)?;
    let notice = field_date("notice_date", &feed.notice_date, today)?;
    if notice < opened {
        return Err(invalid("notice_date", Rule::NotBefore("case_opened_on")).into());
    }
    let mut delivered = feed.delivered_on.as_deref().map(|d| field_date("delivered_on", d, today)).transpose()?;
    if delivered.is_some_and(|d| d < notice) {
        return Err(invalid("delivered_on", Rule::NotBefore("notice_date")).into());
    }
    let recorded_by = match feed.recorded_by.as_str() {
        "officer" | "camera" => feed.recorded_by.clone(),
        _ => return Err(invalid("recorded_by", Rule::OneOf(vec!["officer", "camera"])).into()),
    };
    let plate = match feed.vehicle_plate.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => Some(normalize_plate(p).ok_or_else(|| invalid("vehicle_plate", Rule::Plate))?),
        None if recorded_by == "camera" => {
            return Err(invalid("vehicle_plate", Rule::Required).into());
        }
        None => None,
    };
    let city = known_city(&feed.city)?.id;
    if let Some(e) = feed.discount_excluded.as_deref() {
        serde_json::from_value::<Exclusion>(json!(e)).map_err(|_| {
            invalid("discount_excluded", Rule::OneOf(vec!["other_penalty", "immunity", "financial_regulator"]))
        })?;
    }
    let mci = mci_on(&app.mci, opened).ok_or_else(|| invalid("case_opened_on", Rule::NoMci))?;
    let citizen = app.store.citizen_by_iin(&iin.as_string()).await?;
    let phone = citizen.as_ref().and_then(|c| c.phone.clone());
    if recorded_by == "camera" && delivered.is_none() && phone.is_some() {
        delivered = Some(today);
    }
    let now = app.clock.now_ms();
    let row = FineRow {
        id: uuid::Uuid::new_v4().to_string(),
        protocol_number: protocol.to_string(),
        offender_iin: iin.as_string(),
        article: feed.article.clone(),
        description: description.to_string(),
        amount_mci: feed.amount_mci,
        mci_tenge: mci,
        amount_tiyn: Tiyn::from_tenge(mci * feed.amount_mci).0,
        case_opened_on: opened.to_string(),
        recorded_by,
        notice_date: notice.to_string(),
        delivered_on: delivered.map(|d| d.to_string()),
        vehicle_plate: plate,
        city: city.to_string(),
        discount_excluded: feed.discount_excluded.clone(),
        status: "unpaid".into(),
        paid_at: None,
        paid_amount_tiyn: None,
        paid_via: None,
        agency: agency.to_string(),
        created_at: now,
        notified_last_day_at: None,
        notified_deadline_at: None,
        credited_tiyn: 0,
        held_by: None,
    };
    if facts(&row)?.purgeable(today) {
        return Err(invalid("notice_date", Rule::PastRetention(RETENTION_AFTER_DEADLINE_DAYS)).into());
    }
    let fine = view(app, &row)?;
    let told = notice_of(&row, &fine, NoticeKind::New);
    let text = told.sms();
    let sms = phone.as_ref().filter(|_| citizen.is_some()).map(|phone| notice_sms(phone, &text));
    let outcome = crate::store::sharing::Outcome {
        history: Vec::new(),
        notification: citizen.as_ref().map(|c| notify::notification(&c.id, "fine_new", notice_body(&row, &told))),
    };
    match app.store.fine_insert(&row, sms.as_ref(), &outcome).await {
        Ok(published) => {
            if sms.is_some() {
                app.sms_wake.notify_one();
            }
            notify::publish(app, published);
        }
        Err(crate::store::StoreError::Conflict) => {
            return Err(FinesError::Exists);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(fine)
}

/// A fine's notice by SMS (never expires: it is no code).
fn notice_sms<'a>(phone: &'a str, text: &'a str) -> crate::store::sms::NewSms<'a> {
    crate::store::sms::NewSms {
        phone,
        sender: egov_core::auth::otp::SMS_SENDER,
        text,
        kind: "notice",
        expires_at_ms: None,
    }
}

async fn citizen(app: &App, citizen_id: &str) -> Result<crate::store::citizens::CitizenRow, FinesError> {
    Ok(app.store.citizen_by_id(citizen_id).await?.ok_or(Failure::NotFound(Thing::Citizen))?)
}

/// The citizen's own fines, optionally of one status.
pub async fn own(app: &App, citizen_id: &str, status: Option<&str>) -> Result<Vec<FineView>, FinesError> {
    let c = citizen(app, citizen_id).await?;
    let rows = app.store.fines_of(&c.iin).await?;
    let mut out = Vec::new();
    for f in rows.iter().filter(|f| status.is_none_or(|s| f.status == s)) {
        out.push(view(app, f)?);
    }
    Ok(out)
}

/// One of the citizen's fines (404 for anyone else's).
pub async fn own_one(app: &App, citizen_id: &str, id: &str) -> Result<(FineRow, FineView), FinesError> {
    let c = citizen(app, citizen_id).await?;
    let f = app.store.fine(id).await?.filter(|f| f.offender_iin == c.iin).ok_or(Failure::NotFound(Thing::Fine))?;
    let v = view(app, &f)?;
    Ok((f, v))
}

/// How a citizen searches their fines.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    #[param(format = "kz-iin")]
    pub iin: Option<String>,
    pub surname: Option<String>,
    pub given_name: Option<String>,
    /// `YYYY-MM-DD`
    #[param(format = Date)]
    pub birth_date: Option<String>,
    pub plate: Option<String>,
    /// The vehicle registration certificate number.
    pub certificate: Option<String>,
    pub city: Option<String>,
}

/// Search, only ever among the citizen's own fines: by IIN, by full name and birth date, or the camera
/// fines of their own vehicle by plate, registration certificate and city.
pub async fn search(app: &App, citizen_id: &str, q: &SearchQuery) -> Result<Vec<FineView>, FinesError> {
    let c = citizen(app, citizen_id).await?;
    if let Some(iin) = &q.iin {
        let iin = Iin::parse(iin).map_err(|e| invalid("iin", Rule::Iin(e)))?;
        return if iin.as_string() == c.iin { own(app, citizen_id, None).await } else { Err(FinesError::NotYours) };
    }
    if let (Some(surname), Some(given), Some(birth)) = (&q.surname, &q.given_name, &q.birth_date) {
        let birth: NaiveDate = birth.parse().map_err(|_| invalid("birth_date", Rule::Date))?;
        let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
        let latin_or_cyrillic = (same(surname, &c.surname) || same(surname, &c.surname_lat))
            && (same(given, &c.given_name) || same(given, &c.given_name_lat));
        return if latin_or_cyrillic && birth.to_string() == c.birth_date {
            own(app, citizen_id, None).await
        } else {
            Err(FinesError::NotYours)
        };
    }
    if let (Some(plate), Some(cert), Some(city)) = (&q.plate, &q.certificate, &q.city) {
        let plate = normalize_plate(plate).ok_or_else(|| invalid("plate", Rule::Plate))?;
        let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        // Through the documents service, which generates the citizen's documents if this is their first use.
        let held = crate::service::documents::list(app, &c.id).await.map(|(_, docs, _)| docs).unwrap_or_default();
        let owns = held.into_iter().any(|d| {
            let fields: Value = serde_json::from_str(&d.fields).unwrap_or_default();
            d.kind == "vehicle_registration"
                && fields["plate"].as_str().and_then(normalize_plate).as_deref() == Some(plate.as_str())
                && compact(&d.number) == compact(cert)
        });
        if !owns {
            return Err(FinesError::NotYourVehicle);
        }
        let city = known_city(city)?;
        let rows = app.store.camera_fines_of_plate(&plate, city.id).await?;
        return Ok(rows.iter().map(|f| view(app, f)).collect::<Result<_, _>>()?);
    }
    Err(invalid("iin", Rule::SearchTerms).into())
}

/// The length of an acquirer's card token (letters, digits and `_`).
pub const CARD_TOKEN_LEN: std::ops::RangeInclusive<usize> = 4..=64;

/// Where a payment stands in its answer: paid (with its receipt), or still being processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// Paid: the receipt is in the answer (201).
    Paid,
    /// The bank has not confirmed yet, or waits for the citizen's bank app (202).
    Processing,
}

/// What a payment answered (replayed as is for a repeated idempotency key).
pub struct PayAnswer {
    pub answered: Answered,
    pub body: Value,
}

/// A receipt as the app sees it (the same in the payment's answer and in `/v1/receipts`).
pub fn receipt_view(app: &App, r: &crate::store::fines::ReceiptRow) -> Receipt {
    Receipt {
        qr_url: format!("{}/v1/receipts/{}", app.public_url, r.id),
        id: r.id.clone(),
        fine_id: r.fine_id.clone(),
        protocol_number: r.protocol_number.clone(),
        amount: money(Tiyn(r.amount_tiyn)),
        paid_at: from_millis(r.paid_at).into(),
        jws: r.jws.clone(),
    }
}

/// The answer for a payment in its current state.
async fn answer(app: &App, p: &PaymentRow) -> Result<PayAnswer, FinesError> {
    let processing = || PayAnswer {
        answered: Answered::Processing,
        body: json!({"payment_id": p.id, "status": "processing", "fine_id": p.fine_id, "amount": Tiyn(p.amount_tiyn),
            "detail": "the bank has not confirmed yet; retry with the same Idempotency-Key to see the outcome"}),
    };
    match state(p)? {
        PaymentStatus::Approved => {
            let r = app.store.receipt_by_payment(&p.id).await?.ok_or(internal("a paid payment's receipt"))?;
            Ok(PayAnswer {
                answered: Answered::Paid,
                body: json!({"payment_id": p.id, "status": "paid", "fine_id": p.fine_id, "amount": Tiyn(p.amount_tiyn), "receipt": receipt_view(app, &r)}),
            })
        }
        PaymentStatus::Declined => {
            Err(FinesError::Declined { code: p.decline_code.clone().unwrap_or_default(), payment_id: p.id.clone() })
        }
        PaymentStatus::Awaiting => Ok(PayAnswer {
            answered: Answered::Processing,
            body: json!({"payment_id": p.id, "status": "pending", "fine_id": p.fine_id, "amount": Tiyn(p.amount_tiyn), "qr_payload": p.qr_payload,
                "detail": "pay the QR in your bank's app; the fine shows as paid once the bank confirms"}),
        }),
        PaymentStatus::Cancelled => {
            let paid = fine_paid(app, &p.fine_id).await?;
            Err(if paid {
                FinesError::Paid { payment_id: Some(p.id.clone()) }
            } else {
                FinesError::NotPayable { payment_id: p.id.clone() }
            })
        }
        PaymentStatus::RefundDue | PaymentStatus::Refunded => {
            Err(FinesError::Refunded { payment_id: p.id.clone(), refunded: p.status == "refunded" })
        }
        PaymentStatus::Pending | PaymentStatus::Held | PaymentStatus::Unknown => Ok(processing()),
    }
}

/// The status of a stored payment; an unknown one fails closed (nothing is charged or answered as paid).
fn state(p: &PaymentRow) -> Result<PaymentStatus, Failure> {
    p.state().map_err(|e| {
        tracing::error!(payment = %p.id, error = %e, "payment in an unknown state");
        internal("a payment in an unknown state")
    })
}

/// Pays a fine: only the offender, for the amount due now, once per idempotency key, never twice for a
/// fine. A lost acquirer answer is reconciled by asking the acquirer, never by charging again.
pub async fn pay(
    app: &App,
    citizen_id: &str,
    fine_id: &str,
    key: &str,
    req: &PayRequest,
) -> Result<PayAnswer, FinesError> {
    if !IDEMPOTENCY_KEY_LEN.contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FinesError::IdempotencyKey);
    }
    let c = citizen(app, citizen_id).await?;
    let (fine, _) = own_one(app, citizen_id, fine_id).await?;
    let method = match req.method {
        PayMethod::Card => {
            let token = req
                .card_token
                .clone()
                .filter(|t| {
                    CARD_TOKEN_LEN.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                })
                .ok_or_else(|| invalid("card_token", Rule::Required))?;
            Method::Card { token }
        }
        PayMethod::PhoneBalance => {
            let phone = match &req.phone {
                Some(p) => egov_core::identity::Phone::parse(p).map_err(|e| invalid("phone", Rule::Phone(e)))?,
                None => egov_core::identity::Phone::parse(c.phone.as_deref().unwrap_or(""))
                    .map_err(|e| invalid("phone", Rule::Phone(e)))?,
            };
            if !egov_core::fines::pays_from_balance(&phone) {
                return Err(invalid("phone", Rule::NotBalanceOperator).into());
            }
            Method::PhoneBalance { phone: phone.as_str().to_string() }
        }
        PayMethod::BankQr => Method::BankQr,
    };
    let request_hash = {
        let canonical =
            json!({"fine": fine_id, "method": req.method, "card_token": req.card_token, "phone": req.phone})
                .to_string();
        ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    if let Some(existing) = app.store.payment_by_key(citizen_id, key).await? {
        return replay(app, existing, &request_hash, &method).await;
    }
    if paid(&fine)? {
        return Err(FinesError::Paid { payment_id: None });
    }
    let now = app.clock.now();
    let owed = facts(&fine)?.amount_due(&app.calendar, now).map_err(|_| Failure::Unavailable(Dependency::Calendar))?;
    // What a bank payment of part of it credited already is not charged again.
    let amount = Tiyn((owed.0 - fine.credited_tiyn).max(0));
    let payment_id = uuid::Uuid::new_v4().to_string();
    if !app
        .store
        .payment_insert(
            &payment_id,
            fine_id,
            Some(citizen_id),
            Some(key),
            Some(&request_hash),
            method.name(),
            amount.0,
            now.timestamp_millis(),
        )
        .await?
    {
        let existing = app.store.payment_by_key(citizen_id, key).await?.ok_or(internal("a row read back vanished"))?;
        return replay(app, existing, &request_hash, &method).await;
    }
    let p = app.store.payment(&payment_id).await?.ok_or(internal("a row read back vanished"))?;
    if !take_hold(app, &p).await? {
        let paid = fine_paid(app, fine_id).await?;
        return Err(if paid { FinesError::Paid { payment_id: None } } else { FinesError::InProgress });
    }
    charge(app, &p, &method).await?;
    let p = app.store.payment(&payment_id).await?.ok_or(internal("a row read back vanished"))?;
    answer(app, &p).await
}

/// `Hold`, or `Cancel` when the fine cannot be held: whether this payment now holds its fine. A
/// payment cancelled here was never charged and never will be; a retry of its key learns why.
async fn take_hold(app: &App, p: &PaymentRow) -> Result<bool, FinesError> {
    if app.store.payment_hold(p, app.clock.now_ms()).await? {
        return Ok(true);
    }
    if !app.store.payment_move(&p.id, Transition::Cancel, None, None).await? {
        // Another request for the same key moved it first (it holds the fine now, or was cancelled).
        let fresh = app.store.payment(&p.id).await?.ok_or(internal("a row read back vanished"))?;
        return Ok(state(&fresh)?.holds_fine());
    }
    Ok(false)
}

/// Sends the charge of a payment that may charge (it holds its fine and has no answer yet) and applies
/// the answer. The acquirer charges one payment id at most once, so a second sender gets the first
/// answer, not a second charge.
async fn charge(app: &App, p: &PaymentRow, method: &Method) -> Result<(), FinesError> {
    let fresh = app.store.payment(&p.id).await?.ok_or(internal("a row read back vanished"))?;
    if !state(&fresh)?.may_charge() {
        return Ok(());
    }
    // Only the payment the fine names may charge: a bank payment recorded since its hold took the fine.
    let fine = app.store.fine(&p.fine_id).await?;
    if fine.and_then(|f| f.held_by).as_deref() != Some(p.id.as_str()) {
        app.store.payment_release(&fresh, Transition::Abandon, None).await?;
        return Ok(());
    }
    settle(app, &fresh, app.payments.charge(&p.id, p.amount_tiyn, method).await).await
}

/// A request repeated under its idempotency key: the same request gets the same payment, moved on
/// only as far as the state machine allows. A payment the acquirer has no record of is charged only
/// if it holds its fine (or can take the hold now, when its first request stopped before holding).
async fn replay(app: &App, p: PaymentRow, hash: &str, method: &Method) -> Result<PayAnswer, FinesError> {
    if p.request_hash.as_deref() != Some(hash) {
        return Err(FinesError::IdempotencyKeyReused);
    }
    match state(&p)? {
        PaymentStatus::Pending if take_hold(app, &p).await? => charge(app, &p, method).await?,
        s if s.may_charge() => match app.payments.status(&p.id).await {
            Ok(Some(o)) => settle(app, &p, Ok(o)).await?,
            // The acquirer never saw this payment: the process that took the hold stopped before
            // charging (a crash, a deploy), or the charge is still on its way.
            Ok(None) => charge(app, &p, method).await?,
            Err(_) => {}
        },
        // It gave up its fine after taking it: the acquirer may have approved its charge since (a
        // process stopped between the two). Refunded now rather than at the reconciler's next pass.
        PaymentStatus::Cancelled if p.held_at.is_some() => {
            if let Ok(Some(Outcome::Approved { reference })) = app.payments.status(&p.id).await {
                approved(app, &p, &reference).await?;
            }
        }
        _ => {}
    }
    let p = app.store.payment(&p.id).await?.ok_or(internal("a row read back vanished"))?;
    answer(app, &p).await
}

/// Applies what the acquirer said about a payment, as the state machine allows from where it stands.
async fn settle(app: &App, p: &PaymentRow, outcome: Result<Outcome, PaymentError>) -> Result<(), FinesError> {
    match outcome {
        Ok(Outcome::Approved { reference }) => approved(app, p, &reference).await,
        Ok(Outcome::Declined { code }) => {
            app.store.payment_release(p, Transition::Decline, Some(&code)).await?;
            Ok(())
        }
        Ok(Outcome::Pending { qr_payload }) => {
            app.store.payment_move(&p.id, Transition::Await, None, Some(&qr_payload)).await?;
            Ok(())
        }
        Err(e) => {
            if let PaymentError::Unavailable(e) = &e {
                tracing::warn!(error = %e, payment = %p.id, "acquirer unavailable");
            }
            app.store.payment_move(&p.id, Transition::Lose, None, None).await?;
            // The answer was lost, not necessarily the charge: ask the acquirer what happened.
            if matches!(e, PaymentError::Timeout)
                && let Ok(Some(o)) = app.payments.status(&p.id).await
            {
                let fresh = app.store.payment(&p.id).await?.ok_or(internal("a row read back vanished"))?;
                return Box::pin(settle(app, &fresh, Ok(o))).await;
            }
            Ok(())
        }
    }
}

/// The acquirer approved a payment: it pays its fine if it holds it, and is refunded otherwise.
async fn approved(app: &App, p: &PaymentRow, reference: &str) -> Result<(), FinesError> {
    // Two tries: a payment that loses its hold between the read and the write (a bank payment recorded
    // at that moment) is read again and refunded.
    for _ in 0..2 {
        let fresh = app.store.payment(&p.id).await?.ok_or(internal("a row read back vanished"))?;
        match state(&fresh)?.on_approval() {
            OnApproval::PayTheFine => {
                if approve(app, &fresh, reference).await? {
                    return Ok(());
                }
                // Its fine was taken by a bank payment between its hold and this approval.
                if app.store.payment_move(&p.id, Transition::ApproveLate, None, None).await? {
                    let fresh = app.store.payment(&p.id).await?.ok_or(internal("a row read back vanished"))?;
                    return refund(app, &fresh).await;
                }
            }
            OnApproval::Refund => {
                app.store.payment_move(&p.id, Transition::ApproveLate, None, None).await?;
                let fresh = app.store.payment(&p.id).await?.ok_or(internal("a row read back vanished"))?;
                return refund(app, &fresh).await;
            }
            OnApproval::Nothing => return refund(app, &fresh).await,
        }
    }
    Ok(())
}

/// Returns the money of a `refund_due` payment through the gateway, and tells the payer. A refund that
/// fails stays due and the reconciler tries again; the gateway refunds a payment at most once.
async fn refund(app: &App, p: &PaymentRow) -> Result<(), FinesError> {
    if state(p)? != PaymentStatus::RefundDue {
        return Ok(());
    }
    let reference = match app.payments.refund(&p.id, p.amount_tiyn).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, payment = %p.id, "refund failed; retried by the reconciler");
            return Ok(());
        }
    };
    let fine = app.store.fine(&p.fine_id).await?;
    let protocol = fine.as_ref().map(|f| f.protocol_number.clone());
    let outcome = match &p.citizen_id {
        Some(c) => {
            let entry = json!({"service": "fine_payment_refund", "payment_id": p.id, "fine_id": p.fine_id,
                "protocol_number": protocol, "amount": Tiyn(p.amount_tiyn), "refund_reference": reference});
            let body = json!({"fine_id": p.fine_id, "payment_id": p.id, "amount": Tiyn(p.amount_tiyn)});
            crate::store::sharing::Outcome {
                history: vec![(c.clone(), "fine_payment_refunded", entry)],
                notification: Some(notify::notification(c, "fine_payment_refunded", body)),
            }
        }
        None => Default::default(),
    };
    if let Some(published) = app.store.payment_refunded(p, &reference, &outcome, app.clock.now_ms()).await? {
        tracing::info!(payment = %p.id, "approved after its fine was paid another way; refunded");
        notify::publish(app, published);
    }
    Ok(())
}

/// The receipt of an approved payment: signed, with the payer's history entry and notification.
fn receipt_for(
    app: &App,
    fine: &FineRow,
    p: &PaymentRow,
    reference: &str,
    now: DateTime<Utc>,
    bank: Option<(&BankPayment<'_>, Tiyn)>,
) -> Result<(String, String, crate::store::sharing::Outcome), FinesError> {
    let receipt_id = uuid::Uuid::new_v4().to_string();
    // The acquirer's payments are paid when confirmed; a bank's on the bank's date.
    let paid_on = bank.map(|(b, _)| b.paid_on.to_string()).unwrap_or_else(|| almaty_date(now).to_string());
    let settles = bank.is_none_or(|(b, _)| b.settles);
    let total = fine.credited_tiyn + p.amount_tiyn;
    let mut payload = json!({
        "iss": app.public_url, "iat": now.timestamp(), "receipt_id": receipt_id, "payment_id": p.id,
        "fine": {"id": fine.id, "protocol_number": fine.protocol_number, "article": fine.article, "description": fine.description},
        "amount_paid": Tiyn(p.amount_tiyn), "full_amount": Tiyn(fine.amount_tiyn),
        "discount_applied": settles && total < fine.amount_tiyn, "settles_fine": settles,
        "paid_on": paid_on, "method": p.method, "acquirer_reference": reference,
        "verify_url": format!("{}/v1/receipts/{}", app.public_url, receipt_id),
    });
    match bank {
        Some((b, still_due)) => {
            payload["bank"] = json!(b.bank);
            payload["bank_receipt_number"] = json!(b.receipt_number);
            payload["recorded_at"] = json!(now);
            if !b.settles {
                payload["still_due"] = json!(still_due);
            }
        }
        None => payload["paid_at"] = json!(now),
    }
    let jws = sharing::sign_jws(app, RECEIPT_TYP, &payload.to_string())?;
    let history = json!({"service": "fine_payment", "protocol_number": fine.protocol_number, "amount": Tiyn(p.amount_tiyn), "receipt_id": receipt_id, "paid_on": paid_on, "settles_fine": settles});
    let body = json!({"fine_id": fine.id, "receipt_id": receipt_id});
    let kind = if settles { "fine_paid" } else { "fine_part_paid" };
    let outcome = match &p.citizen_id {
        Some(c) => crate::store::sharing::Outcome {
            history: vec![(c.clone(), kind, history)],
            notification: Some(notify::notification(c, kind, body)),
        },
        None => Default::default(),
    };
    Ok((receipt_id, jws, outcome))
}

/// `Approve`: the fine is paid on the confirmation date, with a signed receipt. False when the payment
/// no longer held its fine at the moment of writing.
async fn approve(app: &App, p: &PaymentRow, reference: &str) -> Result<bool, FinesError> {
    let fine = app.store.fine(&p.fine_id).await?.ok_or(internal("a row read back vanished"))?;
    let now = app.clock.now();
    let (receipt_id, jws, outcome) = receipt_for(app, &fine, p, reference, now, None)?;
    let receipt = NewReceipt { id: &receipt_id, jws: &jws, paid_at_ms: now.timestamp_millis(), outcome };
    match app.store.payment_approve(p, reference, &receipt, now.timestamp_millis()).await? {
        Some(published) => {
            notify::publish(app, published);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The acquirer's confirmation of a bank-QR payment: the body of `POST /v1/payments/webhook`, signed with
/// HMAC-SHA256 over its exact bytes.
#[derive(Deserialize, ToSchema)]
pub struct AcquirerHook {
    /// The payment this confirms (the `payment_id` the citizen's payment answered).
    pub payment_id: String,
    pub status: HookStatus,
    /// The acquirer's reference of an approved payment.
    pub reference: Option<String>,
    /// The acquirer's code of a declined payment.
    pub decline_code: Option<String>,
}

/// What the acquirer says of a payment.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HookStatus {
    Approved,
    Declined,
}

/// The acquirer's webhook (bank QR confirmations): the body must carry a valid HMAC-SHA256 signature.
pub async fn webhook(app: &App, body: &[u8], signature_hex: Option<&str>) -> Result<Value, FinesError> {
    let gateway = app.payments.clone();
    let sig = signature_hex.and_then(|h| {
        (0..h.len())
            .step_by(2)
            .map(|i| h.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
            .collect::<Option<Vec<u8>>>()
    });
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, gateway.webhook_key());
    if sig.is_none_or(|s| ring::hmac::verify(&key, body, &s).is_err()) {
        return Err(FinesError::WebhookSignature);
    }
    let hook: AcquirerHook = serde_json::from_slice(body).map_err(|e| invalid("body", Rule::Shape(e.to_string())))?;
    let p = app.store.payment(&hook.payment_id).await?.ok_or(Failure::NotFound(Thing::Payment))?;
    let outcome = match hook.status {
        HookStatus::Approved => Outcome::Approved { reference: hook.reference.unwrap_or_else(|| "bank-qr".into()) },
        HookStatus::Declined => Outcome::Declined { code: hook.decline_code.unwrap_or_else(|| "05".into()) },
    };
    settle(app, &p, Ok(outcome)).await?;
    let p = app.store.payment(&p.id).await?.ok_or(internal("a row read back vanished"))?;
    Ok(json!({"payment_id": p.id, "status": p.status}))
}

/// Any fine by id, for a state body.
pub async fn agency_view(app: &App, fine_id: &str) -> Result<FineView, FinesError> {
    Ok(view(app, &app.store.fine(fine_id).await?.ok_or(Failure::NotFound(Thing::Fine))?)?)
}

/// A payment made at a bank, as a state body reports it.
pub struct BankReport<'a> {
    pub bank: &'a str,
    pub receipt_number: &'a str,
    pub paid_on: &'a str,
    pub amount_tiyn: i64,
}

/// Text a state body sends that reaches a citizen's receipt: trimmed, bounded, no control or
/// direction-changing characters.
fn printable(field: &'static str, value: &str, len: std::ops::RangeInclusive<usize>) -> Result<String, Failure> {
    let v = value.trim();
    if !len.contains(&v.chars().count()) || egov_core::auth::clients::has_deceptive_chars(v) {
        let (min, max) = len.into_inner();
        return Err(invalid(field, Rule::Printable { min, max }));
    }
    Ok(v.to_string())
}

/// A state body records a payment made at a bank: the bank, its receipt number, the bank's payment date
/// and amount. The discount is judged on the bank's date; a payment of less than was due then is
/// credited and the rest stays due; more than was due, or a date in the future, is a 422. Recording the
/// same bank receipt again answers as the first time.
pub async fn external_payment(
    app: &App,
    agency: &str,
    fine_id: &str,
    report: BankReport<'_>,
) -> Result<FineView, FinesError> {
    let bank = printable("bank", report.bank, 2..=64)?;
    let receipt_number = printable("bank_receipt_number", report.receipt_number, 3..=64)?;
    let now = app.clock.now();
    let paid_on = field_date("paid_on", report.paid_on, almaty_date(now))?;
    if report.amount_tiyn <= 0 {
        return Err(invalid("amount_tiyn", Rule::Positive).into());
    }
    let fine = app.store.fine(fine_id).await?.ok_or(Failure::NotFound(Thing::Fine))?;
    if let Some((recorded_fine, amount, on)) = app.store.payment_by_bank_receipt(&bank, &receipt_number).await? {
        return if recorded_fine == fine.id
            && amount == report.amount_tiyn
            && on.as_deref() == Some(&paid_on.to_string())
        {
            Ok(view(app, &fine)?)
        } else {
            Err(FinesError::BankReceiptRecorded)
        };
    }
    if paid(&fine)? {
        return Err(FinesError::Paid { payment_id: None });
    }
    let opened = date(&fine.case_opened_on)?;
    if paid_on < opened {
        return Err(invalid("paid_on", Rule::NotBefore("case_opened_on")).into());
    }
    let owed = facts(&fine)?.owed_on(&app.calendar, paid_on).map_err(|_| Failure::Unavailable(Dependency::Calendar))?;
    let due = Tiyn((owed.0 - fine.credited_tiyn).max(0));
    if report.amount_tiyn > due.0 {
        return Err(FinesError::Overpaid { amount: report.amount_tiyn, due: due.0, on: paid_on });
    }
    let citizen = app.store.citizen_by_iin(&fine.offender_iin).await?;
    let p = PaymentRow {
        id: uuid::Uuid::new_v4().to_string(),
        fine_id: fine_id.to_string(),
        citizen_id: citizen.map(|c| c.id),
        request_hash: None,
        method: "bank".into(),
        status: PaymentStatus::Held.as_str().into(),
        amount_tiyn: report.amount_tiyn,
        decline_code: None,
        acquirer_ref: None,
        qr_payload: None,
        created_at: now.timestamp_millis(),
        confirmed_at: None,
        held_at: Some(now.timestamp_millis()),
    };
    let paid_on_text = paid_on.to_string();
    let record = BankPayment {
        bank: &bank,
        receipt_number: &receipt_number,
        paid_on: &paid_on_text,
        settles: report.amount_tiyn == due.0,
    };
    let still_due = Tiyn(due.0 - report.amount_tiyn);
    let reference = format!("{agency}:{bank}:{receipt_number}");
    let (receipt_id, jws, outcome) = receipt_for(app, &fine, &p, &reference, now, Some((&record, still_due)))?;
    let paid_at_ms = paid_on.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis() - 5 * 3_600_000);
    let receipt =
        NewReceipt { id: &receipt_id, jws: &jws, paid_at_ms: paid_at_ms.unwrap_or(now.timestamp_millis()), outcome };
    match app.store.payment_record_external(&p, &record, &reference, &receipt, now.timestamp_millis()).await {
        Ok(Some(published)) => notify::publish(app, published),
        Ok(None) => return Err(FinesError::Paid { payment_id: None }),
        // The same receipt recorded by a concurrent call: answer as a repeat does.
        Err(crate::store::StoreError::Conflict) => {
            return Box::pin(external_payment(app, agency, fine_id, report)).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(view(app, &app.store.fine(fine_id).await?.ok_or(internal("a recorded fine vanished"))?)?)
}

/// Whether a licence service may be provided, with every ground of refusal found: unpaid fines past
/// their voluntary payment period (a timely unfulfilled fine is a ground for refusal), and for a driving
/// licence of `category`, the minimum age of the road traffic law.
pub async fn eligibility(
    app: &App,
    citizen_id: &str,
    service: &str,
    category: Option<LicenceCategory>,
) -> Result<Eligibility, FinesError> {
    let c = citizen(app, citizen_id).await?;
    let fines = own(app, citizen_id, None).await?;
    let mut reasons = Vec::new();
    let blocking: Vec<OverdueFine> = fines
        .iter()
        .filter(|f| f.overdue)
        .map(|f| OverdueFine {
            fine_id: f.id.clone(),
            protocol_number: f.protocol_number.clone(),
            article: f.article.clone(),
            amount_due: money(f.amount_due),
            payment_deadline: f.payment_deadline.clone(),
        })
        .collect();
    if !blocking.is_empty() {
        reasons.push(Refusal {
            code: RefusalCode::OverdueFines,
            detail: "unpaid fines are past their voluntary payment period; pay them to use this service".into(),
            fines: blocking,
            category: None,
            minimum_age: None,
            eligible_from: None,
        });
    }
    if let Some(category) = category {
        let birth = date(&c.birth_date)?;
        let from = category.old_enough_from(birth);
        if almaty_date(app.clock.now()) < from {
            reasons.push(Refusal {
                code: RefusalCode::UnderMinimumAge,
                detail: format!(
                    "a category {} licence needs the age of {} (road traffic law, article 73); you can apply from {}",
                    category.as_str(),
                    category.minimum_age(),
                    egov_core::time::day_month_year(from)
                ),
                fines: Vec::new(),
                category: Some(category.as_str().to_string()),
                minimum_age: u8::try_from(category.minimum_age()).ok(),
                eligible_from: Some(from.to_string()),
            });
        }
    }
    Ok(Eligibility {
        service: service.to_string(),
        category: category.map(|c| c.as_str().to_string()),
        allowed: reasons.is_empty(),
        reasons,
    })
}

/// The daily job: reminds citizens on the last day of their discount and in the days before the payment
/// deadline (never for a paid fine, and the discount only where the law grants it), purges fines a year
/// past their deadline (receipts stay), and settles payments whose answer was lost.
pub async fn daily(app: &App) -> Result<(), FinesError> {
    let now = app.clock.now();
    let today = almaty_date(now);
    for f in app.store.fines_for_daily_job(&FineFacts::purge_notice_cutoff(today).to_string()).await? {
        let facts = facts(&f)?;
        if facts.purgeable(today) {
            app.store.fine_delete(&f.id).await?;
            continue;
        }
        if paid(&f)? {
            continue;
        }
        let v = view(app, &f)?;
        let last_day = (v.discount.eligible && v.discount.last_day == Some(today) && f.notified_last_day_at.is_none())
            .then_some((Reminder::DiscountLastDay, NoticeKind::DiscountLastDay));
        let deadline = facts
            .payment_deadline()
            .filter(|d| deadline_reminder_due(*d, today) && f.notified_deadline_at.is_none())
            .map(|_| (Reminder::Deadline, NoticeKind::DeadlineSoon));
        let due: Vec<_> = last_day.into_iter().chain(deadline).collect();
        if due.is_empty() {
            continue;
        }
        let Some(citizen) = app.store.citizen_by_iin(&f.offender_iin).await? else { continue };
        for (reminder, kind) in due {
            // Each reminder is marked sent in the transaction that writes it: never twice, never lost.
            let told = notice_of(&f, &v, kind);
            let text = told.sms();
            let sms = citizen.phone.as_deref().map(|phone| notice_sms(phone, &text));
            let outcome = crate::store::sharing::Outcome {
                history: Vec::new(),
                notification: Some(notify::notification(&citizen.id, kind.as_str(), notice_body(&f, &told))),
            };
            let written =
                app.store.fine_remind(&f.id, reminder, sms.as_ref(), now.timestamp_millis(), &outcome).await?;
            if written.is_some() && sms.is_some() {
                app.sms_wake.notify_one();
            }
            notify::publish(app, written.flatten());
        }
    }
    reconcile(app).await
}

/// Payments whose story is not finished: a holder whose answer was lost or whose process stopped, a
/// bank QR past its lifetime, a cancelled payment the acquirer approved after all, a refund to make.
/// Each step is a conditional transition, so replicas reconciling at once do no harm.
async fn reconcile(app: &App) -> Result<(), FinesError> {
    let now = app.clock.now();
    let settled_since = (now - chrono::Duration::days(2)).timestamp_millis();
    for p in app.store.payments_to_reconcile(now.timestamp_millis() - 5_000, settled_since).await? {
        let Ok(status) = p.state() else { continue };
        if status == PaymentStatus::RefundDue {
            refund(app, &p).await?;
            continue;
        }
        let answer = match app.payments.status(&p.id).await {
            Ok(answer) => answer,
            Err(_) => continue,
        };
        let age = now.timestamp_millis() - p.held_at.unwrap_or(p.created_at);
        match (status, answer) {
            // Approved after all: paid if it still holds its fine, refunded if not.
            (_, Some(Outcome::Approved { reference })) => approved(app, &p, &reference).await?,
            (PaymentStatus::Awaiting, Some(Outcome::Pending { .. })) if age <= BANK_QR_LIFETIME.num_milliseconds() => {}
            (s, Some(o)) if s.holds_fine() && !matches!(o, Outcome::Pending { .. }) => settle(app, &p, Ok(o)).await?,
            (PaymentStatus::Held | PaymentStatus::Unknown, Some(o)) => settle(app, &p, Ok(o)).await?,
            (PaymentStatus::Awaiting, Some(Outcome::Pending { .. })) if age > BANK_QR_LIFETIME.num_milliseconds() => {
                app.store.payment_release(&p, Transition::Abandon, None).await?;
            }
            (s, None) if s.holds_fine() && age > UNSENT_HOLD_LIFETIME.num_milliseconds() => {
                app.store.payment_release(&p, Transition::Abandon, None).await?;
            }
            _ => {}
        }
    }
    Ok(())
}
