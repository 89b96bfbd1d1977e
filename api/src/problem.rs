//! The problem kinds of the API: every error answer is an RFC 9457 problem document whose `type` is
//! `/problems/{slug}`. The slug is the stable, machine-readable part a client switches on; the status is
//! fixed per kind, so a kind never travels with two statuses.

use crate::Lang;

macro_rules! kinds {
    ($($(#[doc = $doc:literal])* $variant:ident = $slug:literal, $status:literal;)*) => {
        /// A stable problem type of the API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ProblemKind {
            /// Every kind, in the order of this table.
            pub const ALL: &'static [ProblemKind] = &[$(ProblemKind::$variant,)*];

            /// The stable name in the `type` (`/problems/{slug}`).
            pub const fn slug(self) -> &'static str {
                match self {
                    $(ProblemKind::$variant => $slug,)*
                }
            }

            /// The HTTP status every answer of this kind has.
            pub const fn status(self) -> u16 {
                match self {
                    $(ProblemKind::$variant => $status,)*
                }
            }
        }
    };
}

kinds! {
    // The request itself.
    /// A field breaks a rule; `field` names it.
    Validation = "validation", 422;
    BadRequest = "bad-request", 400;
    BadPath = "bad-path", 400;
    BadQuery = "bad-query", 400;
    MalformedJson = "malformed-json", 400;
    UnsupportedMediaType = "unsupported-media-type", 415;
    PayloadTooLarge = "payload-too-large", 413;
    MethodNotAllowed = "method-not-allowed", 405;
    Timeout = "timeout", 408;
    RouteNotFound = "route-not-found", 404;
    NotFound = "not-found", 404;
    Conflict = "conflict", 409;
    Forbidden = "forbidden", 403;
    Unauthorized = "unauthorized", 401;
    /// Too many requests from this address or account; `Retry-After` says when to come back.
    RateLimited = "rate-limited", 429;
    // The service.
    Internal = "internal", 500;
    Unavailable = "unavailable", 503;
    DatabaseUnavailable = "database-unavailable", 503;
    /// The SMS circuit breaker of this number's block is open.
    SmsPaused = "sms-paused", 503;
    // Tokens, sessions and levels.
    TokenInvalid = "token-invalid", 401;
    TokenExpired = "token-expired", 401;
    SessionEnded = "session-ended", 401;
    RefreshInvalid = "refresh-invalid", 401;
    RefreshReplayed = "refresh-replayed", 401;
    /// The action needs a higher assurance level (a digital-signature sign-in).
    LevelRequired = "level-required", 403;
    InsufficientScope = "insufficient-scope", 403;
    InvalidClient = "invalid-client", 401;
    // One-time codes.
    OtpWrong = "otp-wrong", 401;
    OtpExpired = "otp-expired", 401;
    OtpUsed = "otp-used", 401;
    OtpBurned = "otp-burned", 401;
    OtpSuperseded = "otp-superseded", 401;
    OtpLocked = "otp-locked", 429;
    OtpSendLimit = "otp-send-limit", 429;
    // Digital signature, devices and registration.
    EdsInvalid = "eds-invalid", 401;
    ChallengeInvalid = "challenge-invalid", 401;
    EnrolmentInvalid = "enrolment-invalid", 401;
    SignatureInvalid = "signature-invalid", 422;
    KeyNotYours = "key-not-yours", 403;
    PairingCodeWrong = "pairing-code-wrong", 422;
    DeviceNotWaiting = "device-not-waiting", 409;
    ApprovalsLocked = "approvals-locked", 429;
    IdentityLocked = "identity-locked", 429;
    IdentityMismatch = "identity-mismatch", 422;
    IdentityNotConfirmed = "identity-not-confirmed", 422;
    EvidenceRequired = "evidence-required", 422;
    AlreadyRegistered = "already-registered", 409;
    PhoneTaken = "phone-taken", 409;
    // Documents and sharing.
    /// The citizen cannot hold digital documents (under 16, no national ID); `reason` says which.
    DocumentsNotAvailable = "documents-not-available", 403;
    /// The citizen's documents are suspended (national ID reported lost); `reason` says why.
    DocumentsSuspended = "documents-suspended", 409;
    /// A verifier presented a code of a citizen whose documents are suspended; nothing is released.
    HolderDocumentsSuspended = "holder-documents-suspended", 410;
    DocumentNotShareable = "document-not-shareable", 409;
    ShareNotFound = "share-not-found", 404;
    ShareInactive = "share-inactive", 410;
    ShareUsed = "share-used", 410;
    ShareExpired = "share-expired", 410;
    ShareRevoked = "share-revoked", 410;
    /// The shared document was reported lost or stolen.
    DocumentRevoked = "document-revoked", 410;
    ShareMaxLifetime = "share-max-lifetime", 422;
    ShortCodeLocked = "short-code-locked", 429;
    // Website login and signing.
    WebsiteNotRegistered = "website-not-registered", 401;
    PollSecretInvalid = "poll-secret-invalid", 401;
    QrExpired = "qr-expired", 410;
    RequestClosed = "request-closed", 410;
    AlreadyScanned = "already-scanned", 409;
    CheckCodeWrong = "check-code-wrong", 409;
    LoginCodeInvalid = "login-code-invalid", 401;
    TooManyStreams = "too-many-streams", 429;
    // Fines and payments.
    FineExists = "fine-exists", 409;
    FinePaid = "fine-paid", 409;
    FineNotPayable = "fine-not-payable", 409;
    PaymentInProgress = "payment-in-progress", 409;
    PaymentRefunded = "payment-refunded", 409;
    /// The bank declined; `decline_code` is the acquirer's code. Nothing was charged.
    PaymentDeclined = "payment-declined", 402;
    IdempotencyKeyReused = "idempotency-key-reused", 422;
    BankReceiptRecorded = "bank-receipt-recorded", 409;
}

impl ProblemKind {
    /// The `type` member of a problem document.
    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.slug())
    }

    /// The kind a `type` member names (`/problems/share-used`, or an absolute URI ending so).
    pub fn from_type(type_uri: &str) -> Option<ProblemKind> {
        let slug = type_uri.rsplit('/').next()?;
        Self::ALL.iter().copied().find(|k| k.slug() == slug)
    }

    /// The short summary of the kind (RFC 9457 `title`), the same for every occurrence: the meaning of
    /// its status, in `lang`.
    pub fn title(self, lang: Lang) -> &'static str {
        let [kk, ru, en] = match self.status() {
            400 => ["Сұрау дұрыс емес", "Некорректный запрос", "Bad request"],
            401 => ["Кіру қажет", "Требуется вход", "Unauthorized"],
            402 => ["Төлем өтпеді", "Платёж не прошёл", "Payment required"],
            403 => ["Рұқсат жоқ", "Доступ запрещён", "Forbidden"],
            404 => ["Табылмады", "Не найдено", "Not found"],
            405 => ["Бұл әдіс қолданылмайды", "Метод не поддерживается", "Method not allowed"],
            408 => ["Күту уақыты бітті", "Время ожидания истекло", "Request timeout"],
            409 => ["Қазіргі күйге қайшы", "Конфликт с текущим состоянием", "Conflict"],
            410 => ["Енді жарамсыз", "Больше недоступно", "Gone"],
            413 => ["Сұрау тым үлкен", "Слишком большой запрос", "Payload too large"],
            415 => ["Деректер пішімі қолданылмайды", "Формат данных не поддерживается", "Unsupported media type"],
            422 => ["Деректер қате", "Ошибка в данных", "Unprocessable content"],
            429 => ["Әрекет тым көп", "Слишком много попыток", "Too many requests"],
            503 => ["Қызмет уақытша қолжетімсіз", "Сервис временно недоступен", "Service unavailable"],
            _ => ["Ішкі қате", "Внутренняя ошибка", "Internal error"],
        };
        match lang {
            Lang::Kk => kk,
            Lang::Ru => ru,
            Lang::En => en,
        }
    }
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.slug())
    }
}

impl serde::Serialize for ProblemKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.type_uri())
    }
}

impl<'de> serde::Deserialize<'de> for ProblemKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ProblemKind::from_type(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown problem type {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_slug_is_unique_and_round_trips_through_its_type() {
        let mut seen = HashSet::new();
        for &k in ProblemKind::ALL {
            assert!(seen.insert(k.slug()), "{} twice", k.slug());
            assert_eq!(ProblemKind::from_type(&k.type_uri()), Some(k));
            assert_eq!(serde_json::from_value::<ProblemKind>(serde_json::to_value(k).unwrap()).unwrap(), k);
        }
    }

    #[test]
    fn every_kind_is_an_error_status_with_a_title_in_each_language() {
        for &k in ProblemKind::ALL {
            assert!((400..600).contains(&k.status()), "{k}");
            let titles: HashSet<_> = Lang::ALL.iter().map(|&l| k.title(l)).collect();
            assert_eq!(titles.len(), 3, "{k}: a title per language");
        }
    }

    #[test]
    fn an_unknown_type_is_not_read_as_some_kind() {
        assert_eq!(ProblemKind::from_type("/problems/no-such-kind"), None);
        assert!(serde_json::from_str::<ProblemKind>("\"/problems/teapot\"").is_err());
    }
}
