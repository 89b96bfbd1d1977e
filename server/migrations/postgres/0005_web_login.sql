-- Website login by QR code and website signing requests. Every secret (QR secret, poll secret, login
-- code) is stored as a keyed hash only.
CREATE TABLE web_logins (
    id                TEXT PRIMARY KEY,
    poll_hash         BYTEA NOT NULL,
    qr_hash           BYTEA NOT NULL,
    qr_issued_at      BIGINT NOT NULL,
    status            TEXT NOT NULL,
    right_code        BIGINT NOT NULL,
    choices           TEXT NOT NULL,
    site              TEXT NOT NULL,
    user_agent        TEXT,
    ip                TEXT,
    city              TEXT,
    created_at        BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    citizen_id        TEXT,
    session_acr       TEXT,
    scanned_at        BIGINT,
    decided_at        BIGINT,
    login_code_hash   BYTEA,
    login_code_until  BIGINT,
    exchanged_at      BIGINT
);
CREATE UNIQUE INDEX web_logins_qr ON web_logins (qr_hash);
CREATE UNIQUE INDEX web_logins_code ON web_logins (login_code_hash);

CREATE TABLE sign_requests (
    id            TEXT PRIMARY KEY,
    poll_hash     BYTEA NOT NULL,
    digest        TEXT NOT NULL,
    description   TEXT NOT NULL,
    organisation  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    status        TEXT NOT NULL,
    citizen_id    TEXT,
    device_id     TEXT,
    public_key    TEXT,
    signature     TEXT,
    signer_name   TEXT,
    signed_at     BIGINT
);
