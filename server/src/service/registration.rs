//! Registration (phone + code, then IIN and birth date checked against the registry, then the device key)
//! and enrolment of a further device by a signed-in citizen.

use crate::App;
use crate::service::error::{Dependency, Failure, Rule, Thing, capability_error, internal, invalid};
use crate::service::otp::{self, Message, OtpError};
use crate::service::session::{self, Opening, SessionError};
use crate::service::{enums, notify};
use crate::store::citizens::CitizenRow;
use crate::store::from_millis;
use crate::store::history::Entry;
use crate::store::sessions::{Completion, DeviceRow, EnrolmentRow, NewDevice, NewEnrolment};
use crate::store::sharing::Outcome;
use crate::store::sms::NewSms;
use chrono::{DateTime, NaiveDate, Utc};
use egov_api::wire::{Enrolled, Enrolment};
use egov_core::auth::eds::{DevicePublicKey, decode_b64, enrolment_message};
use egov_core::auth::otp::{OtpPurpose, SMS_SENDER, generate_code};
use egov_core::auth::rate::Window;
use egov_core::auth::registration::{
    DeviceState, ENROLMENT_TOKEN_BYTES, ENROLMENT_TTL, EVIDENCE_MAX_CHARS, EnrolmentMethod, MISMATCHES_PER_FLOW,
    MISMATCHES_PER_IIN, MISMATCHES_PER_IIN_AND_ADDRESS, PAIRING_TRIES, clean_device_name,
};
use egov_core::auth::session::Acr;
use egov_core::identity::{Iin, Phone};
use egov_core::secret::random_token;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// A device key as the citizen's list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub name: String,
    /// `active`, `awaiting_approval`, `on_hold` or `revoked`.
    pub status: String,
    /// `registration`, `approval` or `identity`.
    pub enrolled_by: String,
    pub created_at: DateTime<Utc>,
    pub active_from: Option<DateTime<Utc>>,
}

/// How a signed-in citizen proves a further device key.
pub enum DeviceProof<'a> {
    /// An `eds` session on an enrolled device approves it with the pairing code.
    Approval,
    /// Identity re-proofing with evidence, then the hold.
    Identity { evidence: &'a str },
}

const ALREADY_REGISTERED_SMS: &str = "eGov Mobile: бұл нөмір тіркелген / этот номер уже зарегистрирован / this number is already registered. Sign in instead.";
const DEVICE_ON_HOLD_SMS: &str = "eGov Mobile: жаңа құрылғы қосылуда / подключается новое устройство / a new device is being added to your account. It can sign in 24 h. If this is not you, cancel it in the app or call 1414.";

/// Why a registration or a device enrolment did not go through.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error(transparent)]
    Otp(#[from] OtpError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("the IIN and birth date do not match the state registry")]
    Mismatch { attempts_left: u32 },
    #[error("identity verification did not confirm you")]
    NotConfirmed { attempts_left: u32 },
    #[error("too many wrong answers for this IIN today")]
    IdentityLocked { retry_after: u64 },
    #[error("too many wrong answers in this registration; start again later")]
    RegistrationLocked { retry_after: u64 },
    #[error("identity evidence is required: complete the face check in the app first")]
    EvidenceRequired,
    #[error("this citizen is already registered; sign in, or change the phone number from the app")]
    AlreadyRegistered,
    #[error("this phone number was registered meanwhile")]
    PhoneTaken,
    #[error("the enrolment is unknown, expired or already completed")]
    EnrolmentInvalid,
    #[error("the signature does not match the public key")]
    KeySignatureInvalid,
    #[error("this device is not waiting for an approval")]
    DeviceNotWaiting,
    #[error("that is not the code the new device shows{}", if *attempts_left == 0 { "; the device was refused, start again on it" } else { "" })]
    PairingCodeWrong { attempts_left: i64 },
}
capability_error!(RegistrationError);

/// How long a registration flow with too many wrong answers stays refused.
const REGISTRATION_LOCK_SECONDS: u64 = 600;

/// Registration step 1: a code to a phone that is not yet registered (a registered one gets a notice
/// instead, and the same answer).
pub async fn start(app: &App, phone: &Phone, ip: &str) -> Result<otp::Started, RegistrationError> {
    let registered = app.store.citizen_by_phone(phone.as_str()).await?.is_some();
    let message = if registered { Message::Notice(ALREADY_REGISTERED_SMS.into()) } else { Message::Code };
    Ok(otp::start(app, OtpPurpose::Registration, phone, None, message, ip).await?)
}

/// The windows a wrong answer counts in: the IIN from this address, and the IIN's ceiling.
fn mismatch_windows(iin: &Iin, ip: &str) -> [(&'static str, String, &'static Window); 2] {
    [
        ("registration-mismatch-iin-address", format!("{}|{ip}", iin.as_string()), &MISMATCHES_PER_IIN_AND_ADDRESS),
        ("registration-mismatch-iin", iin.as_string(), &MISMATCHES_PER_IIN),
    ]
}

/// Counts a wrong answer against the flow (if any), the IIN from this address and the IIN's ceiling;
/// the tries left.
async fn mismatch(app: &App, flow_id: Option<&str>, iin: &Iin, ip: &str) -> Result<u32, RegistrationError> {
    for (bucket, key, window) in mismatch_windows(iin, ip) {
        app.store.rate_hit(bucket, &key, window, app.clock.now()).await?;
    }
    let left = match flow_id {
        Some(id) => MISMATCHES_PER_FLOW.saturating_sub(app.store.otp_count_mismatch(id).await?),
        None => 1,
    };
    Ok(left)
}

async fn refuse_if_over_iin_limit(app: &App, iin: &Iin, ip: &str) -> Result<(), RegistrationError> {
    let now = app.clock.now();
    for (bucket, key, window) in mismatch_windows(iin, ip) {
        let tally = app.store.rate_peek(bucket, &key, window, now).await?;
        if window.is_full(tally, now) {
            return Err(RegistrationError::IdentityLocked { retry_after: window.retry_after(tally, now) });
        }
    }
    Ok(())
}

/// The identity evidence of a request: present, not blank, bounded; a 422 naming the field otherwise.
pub fn evidence_field(evidence: Option<&str>) -> Result<&str, RegistrationError> {
    match evidence.map(str::trim) {
        Some(e) if !e.is_empty() && e.chars().count() <= EVIDENCE_MAX_CHARS => Ok(e),
        Some(e) if !e.is_empty() => Err(invalid("evidence", Rule::Chars { min: 1, max: EVIDENCE_MAX_CHARS }).into()),
        _ => Err(RegistrationError::EvidenceRequired),
    }
}

/// Checks the evidence with the identity adapter for `citizen`; a "no" counts as a mismatch.
async fn confirm_identity(
    app: &App,
    citizen: &CitizenRow,
    iin: &Iin,
    flow_id: Option<&str>,
    evidence: &str,
    ip: &str,
) -> Result<(), RegistrationError> {
    match app.identity.verify(&citizen.iin, evidence).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(RegistrationError::NotConfirmed { attempts_left: mismatch(app, flow_id, iin, ip).await? }),
        Err(e) => {
            tracing::warn!(error = %e, adapter = app.identity.name(), "identity verification failed");
            Err(Failure::Unavailable(Dependency::IdentityCheck).into())
        }
    }
}

fn pairing_parts<'a>(citizen_id: &'a str, code: &'a str) -> [&'a str; 3] {
    ["device-pairing", citizen_id, code]
}

async fn new_enrolment(
    app: &App,
    citizen: &CitizenRow,
    phone: Option<&str>,
    method: EnrolmentMethod,
) -> Result<Enrolment, RegistrationError> {
    let now = app.clock.now();
    let id = uuid::Uuid::new_v4().to_string();
    let token = random_token::<ENROLMENT_TOKEN_BYTES>(&app.rng)?;
    let hash = app.keys.hash_secret(&["enrolment", &token]);
    let pairing_code = match method {
        EnrolmentMethod::Approval => Some(generate_code(&app.rng)?),
        EnrolmentMethod::Registration | EnrolmentMethod::Identity => None,
    };
    let pairing_hash = pairing_code.as_deref().map(|c| app.keys.hash_secret(&pairing_parts(&citizen.id, c)));
    let new = NewEnrolment {
        id: &id,
        token_hash: &hash,
        kind: if phone.is_some() { "registration" } else { "device" },
        citizen_id: &citizen.id,
        phone,
        method: method.as_str(),
        pairing_hash: pairing_hash.as_deref(),
    };
    app.store.enrolment_insert(&new, now.timestamp_millis(), (now + ENROLMENT_TTL).timestamp_millis()).await?;
    let message =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, enrolment_message(&id, &citizen.iin));
    Ok(Enrolment {
        enrolment_id: id,
        enrolment_token: token,
        expires_in: ENROLMENT_TTL.num_seconds(),
        message,
        method: enums::enrolment_method(method),
        pairing_code,
        hold_seconds: (method == EnrolmentMethod::Identity).then(|| app.device_hold.num_seconds()),
    })
}

/// A person the state database of individuals knows but this service does not yet: kept as a citizen
/// without a phone (registration binds it on completion).
async fn person_from_registry(app: &App, iin: &Iin) -> Result<Option<CitizenRow>, RegistrationError> {
    let Some(registry) = app.registries.get(egov_core::documents::Source::Individuals) else { return Ok(None) };
    match registry.person(&iin.as_string()).await {
        Ok(Some(person)) => Ok(app.store.citizen_from_registry(&iin.as_string(), &person, app.clock.now_ms()).await?),
        Ok(None) => Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, "the state database of individuals did not answer");
            Err(Failure::Unavailable(Dependency::Registry).into())
        }
    }
}

/// Registration step 2: the code, then the IIN and birth date against the registry, then the identity
/// evidence. A wrong answer costs a try of the code as well, so the flow's five code tries bound it too.
#[allow(clippy::too_many_arguments)]
pub async fn verify(
    app: &App,
    flow_id: &str,
    code: &str,
    iin: &Iin,
    birth_date: NaiveDate,
    evidence: &str,
    ip: &str,
) -> Result<Enrolment, RegistrationError> {
    refuse_if_over_iin_limit(app, iin, ip).await?;
    let flow = otp::check(app, flow_id, code, OtpPurpose::Registration, ip).await?;
    if flow.mismatches >= i64::from(MISMATCHES_PER_FLOW) {
        return Err(RegistrationError::RegistrationLocked { retry_after: REGISTRATION_LOCK_SECONDS });
    }
    let citizen = match app.store.citizen_by_iin(&iin.as_string()).await? {
        Some(c) => Some(c),
        None => person_from_registry(app, iin).await?,
    };
    let Some(citizen) = citizen.filter(|c| c.birth_date == birth_date.format("%Y-%m-%d").to_string()) else {
        return Err(RegistrationError::Mismatch { attempts_left: mismatch(app, Some(flow_id), iin, ip).await? });
    };
    if citizen.phone.is_some() {
        return Err(RegistrationError::AlreadyRegistered);
    }
    confirm_identity(app, &citizen, iin, Some(flow_id), evidence, ip).await?;
    otp::consume(app, &flow).await?;
    new_enrolment(app, &citizen, Some(&flow.phone), EnrolmentMethod::Registration).await
}

/// A signed-in citizen asks to enrol a further device key: either an enrolled device approves it, or the
/// citizen proves their identity again with evidence and the key waits out the hold.
pub async fn device_enrolment(
    app: &App,
    citizen_id: &str,
    proof: DeviceProof<'_>,
    ip: &str,
) -> Result<Enrolment, RegistrationError> {
    let citizen = app.store.citizen_by_id(citizen_id).await?.ok_or(Failure::NotFound(Thing::Citizen))?;
    let iin = Iin::parse(&citizen.iin).map_err(|_| internal("a stored IIN"))?;
    let method = match proof {
        DeviceProof::Approval => EnrolmentMethod::Approval,
        DeviceProof::Identity { evidence } => {
            refuse_if_over_iin_limit(app, &iin, ip).await?;
            confirm_identity(app, &citizen, &iin, None, evidence, ip).await?;
            EnrolmentMethod::Identity
        }
    };
    new_enrolment(app, &citizen, None, method).await
}

/// Completes an enrolment: the device proves it holds the key by signing the enrolment message. For a
/// registration the phone is bound, the key signs at once and a session opens; a further device's key
/// waits for an approval or its hold, and the citizen is told (a notification, and an SMS to the
/// registered phone for a hold). For a further device `citizen_id` must match.
pub async fn complete(
    app: &App,
    token: &str,
    public_key: &str,
    signature: &str,
    device_name: &str,
    expected_citizen: Option<&str>,
    user_agent: Option<&str>,
) -> Result<Enrolled, RegistrationError> {
    let key = DevicePublicKey::parse(public_key).map_err(|e| invalid("public_key", Rule::Key(e)))?;
    let signature = decode_b64(signature).ok_or_else(|| invalid("signature", Rule::Base64Url))?;
    let hash = app.keys.hash_secret(&["enrolment", token]);
    let now = app.clock.now();
    // Verify before claiming, so a bad signature does not burn the enrolment.
    let pending: Option<EnrolmentRow> = app.store.enrolment_pending(&hash, now.timestamp_millis()).await?;
    let pending = pending.ok_or(RegistrationError::EnrolmentInvalid)?;
    if expected_citizen.is_some_and(|c| c != pending.citizen_id)
        || (expected_citizen.is_none() != (pending.kind == "registration"))
    {
        return Err(RegistrationError::EnrolmentInvalid);
    }
    // An unknown stored method refuses; it never defaults to a key that signs.
    let method = EnrolmentMethod::parse(&pending.method).ok_or(internal("a stored enrolment method"))?;
    let citizen = app.store.citizen_by_id(&pending.citizen_id).await?.ok_or(RegistrationError::EnrolmentInvalid)?;
    if !key.verifies(&enrolment_message(&pending.id, &citizen.iin), &signature) {
        return Err(RegistrationError::KeySignatureInvalid);
    }
    let device_id = uuid::Uuid::new_v4().to_string();
    let name = clean_device_name(device_name);
    let active_from = method.active_from(now, app.device_hold);
    let state = DeviceState::at(active_from, false, now);
    let detail = json!({"device": name, "device_id": device_id, "status": state.as_str(), "active_from": active_from});
    let kind = match method {
        EnrolmentMethod::Registration => "registered",
        EnrolmentMethod::Approval => "device_awaiting_approval",
        EnrolmentMethod::Identity => "device_on_hold",
    };
    let notification = (method != EnrolmentMethod::Registration).then(|| {
        let mut body = detail.clone();
        body["cancel_with"] = json!(format!("DELETE /v1/me/devices/{device_id}"));
        notify::notification(&citizen.id, kind, body)
    });
    let outcome = Outcome { history: vec![(citizen.id.clone(), kind, detail)], notification };
    let phone = citizen.phone.clone().unwrap_or_default();
    let notice = (method == EnrolmentMethod::Identity && !phone.is_empty()).then(|| NewSms {
        phone: &phone,
        sender: SMS_SENDER,
        text: DEVICE_ON_HOLD_SMS,
        kind: "notice",
        expires_at_ms: None,
    });
    let device = NewDevice {
        id: &device_id,
        public_key: &key.to_b64(),
        name: &name,
        active_from_ms: active_from.map(|t| t.timestamp_millis()),
        enrolled_by: method.as_str(),
        pairing_hash: pending.pairing_hash.as_deref(),
    };
    let (completion, published) =
        app.store.enrolment_complete(&hash, now.timestamp_millis(), &device, &outcome, notice.as_ref()).await?;
    let claimed = match completion {
        Completion::Done(claimed) => claimed,
        Completion::Unknown => return Err(RegistrationError::EnrolmentInvalid),
        Completion::AlreadyRegistered => return Err(RegistrationError::AlreadyRegistered),
        Completion::PhoneTaken => return Err(RegistrationError::PhoneTaken),
    };
    notify::publish(app, published);
    if notice.is_some() {
        app.sms_wake.notify_one();
    }
    let tokens = if claimed.phone.is_some() {
        let opening =
            Opening { citizen_id: &citizen.id, acr: Acr::Otp, device_id: Some(&device_id), client: "app", user_agent };
        Some(session::open(app, opening).await?)
    } else {
        None
    };
    Ok(Enrolled { device_id, status: enums::device_status(&state), active_from: active_from.map(Into::into), tokens })
}

/// Where a stored device key stands now.
fn state_of(app: &App, d: &DeviceRow) -> DeviceState {
    DeviceState::at(d.active_from.map(from_millis), d.revoked_at.is_some(), app.clock.now())
}

fn device_view(app: &App, d: DeviceRow) -> DeviceView {
    DeviceView {
        status: state_of(app, &d).as_str().to_string(),
        active_from: d.active_from.map(from_millis),
        id: d.id,
        name: d.name,
        enrolled_by: d.enrolled_by,
        created_at: from_millis(d.created_at),
    }
}

/// The citizen's device keys, newest first.
pub async fn devices(app: &App, citizen_id: &str) -> Result<Vec<DeviceView>, RegistrationError> {
    Ok(app.store.devices_of(citizen_id).await?.into_iter().map(|d| device_view(app, d)).collect())
}

/// The citizen's device `device_id` with its state now; 404 for anyone else's.
pub async fn device_state(app: &App, citizen_id: &str, device_id: &str) -> Result<DeviceState, RegistrationError> {
    let d = app.store.device(citizen_id, device_id).await?.ok_or(Failure::NotFound(Thing::Device))?;
    Ok(state_of(app, &d))
}

/// An `eds` session approves a waiting device with the code the new device shows. A wrong code is
/// counted before anything else; the third refuses the device for good.
pub async fn approve_device(
    app: &App,
    citizen_id: &str,
    device_id: &str,
    code: &str,
) -> Result<DeviceView, RegistrationError> {
    let d = app.store.device(citizen_id, device_id).await?.ok_or(Failure::NotFound(Thing::Device))?;
    let now = app.clock.now_ms();
    if state_of(app, &d) != DeviceState::AwaitingApproval {
        return Err(RegistrationError::DeviceNotWaiting);
    }
    let right = d.pairing_hash.as_deref().is_some_and(|h| app.keys.verify_secret(&pairing_parts(citizen_id, code), h));
    if !right {
        let failures = app.store.device_pairing_failed(device_id, PAIRING_TRIES, now).await?.unwrap_or(PAIRING_TRIES);
        return Err(RegistrationError::PairingCodeWrong { attempts_left: (PAIRING_TRIES - failures).max(0) });
    }
    let detail = json!({"device_id": device_id, "device": d.name});
    let entry = Entry { citizen_id, kind: "device_approved", detail: &detail };
    if !app.store.device_approve(device_id, now, entry).await? {
        return Err(RegistrationError::DeviceNotWaiting);
    }
    let d = app.store.device(citizen_id, device_id).await?.ok_or(internal("an approved device vanished"))?;
    Ok(device_view(app, d))
}

/// Cancels a waiting device or revokes an active one, and ends its sessions; the citizen is told.
pub async fn revoke_device(app: &App, citizen_id: &str, device_id: &str) -> Result<(), RegistrationError> {
    let d = app.store.device(citizen_id, device_id).await?.ok_or(Failure::NotFound(Thing::Device))?;
    let detail = json!({"device_id": device_id, "device": d.name});
    let outcome = Outcome {
        history: vec![(citizen_id.to_string(), "device_revoked", detail.clone())],
        notification: Some(notify::notification(citizen_id, "device_revoked", detail)),
    };
    let now = app.clock.now_ms();
    if app.store.device_revoke(device_id, now, &outcome).await? {
        // The notification was written with the change; wake its streams.
        app.events.publish(&app.store, &notify::topic(citizen_id), "device_revoked");
    }
    Ok(())
}
