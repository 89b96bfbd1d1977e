-- Website login by QR code and website signing requests. Every secret (QR secret, poll secret, login
-- code) is stored as a keyed hash only.
CREATE TABLE web_logins (
    id                TEXT PRIMARY KEY,
    poll_hash         BLOB NOT NULL,
    qr_hash           BLOB NOT NULL,
    qr_issued_at      INTEGER NOT NULL,
    status            TEXT NOT NULL,
    right_code        INTEGER NOT NULL,
    choices           TEXT NOT NULL,
    site              TEXT NOT NULL,
    user_agent        TEXT,
    ip                TEXT,
    city              TEXT,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    citizen_id        TEXT,
    session_acr       TEXT,
    scanned_at        INTEGER,
    decided_at        INTEGER,
    login_code_hash   BLOB,
    login_code_until  INTEGER,
    exchanged_at      INTEGER
);
CREATE UNIQUE INDEX web_logins_qr ON web_logins (qr_hash);
CREATE UNIQUE INDEX web_logins_code ON web_logins (login_code_hash);

CREATE TABLE sign_requests (
    id            TEXT PRIMARY KEY,
    poll_hash     BLOB NOT NULL,
    digest        TEXT NOT NULL,
    description   TEXT NOT NULL,
    organisation  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    status        TEXT NOT NULL,
    citizen_id    TEXT,
    device_id     TEXT,
    public_key    TEXT,
    signature     TEXT,
    signer_name   TEXT,
    signed_at     INTEGER
);
