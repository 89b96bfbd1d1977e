-- Sign-in: SMS one-time passwords, rate counters, device keys, EDS challenges, enrolments, sessions with
-- rotating refresh tokens, the citizen's history and the durable SMS queue.

-- One code sent (or, for an unregistered phone, pretended) to one phone for one purpose.
CREATE TABLE otp_flows (
    id             TEXT PRIMARY KEY,
    purpose        TEXT NOT NULL,
    phone          TEXT NOT NULL,
    citizen_id     TEXT,
    code_hash      BYTEA,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    tries          BIGINT NOT NULL DEFAULT 0,
    consumed_at    BIGINT,
    voided_at      BIGINT,
    mismatches     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX otp_flows_phone ON otp_flows (phone, purpose);

CREATE TABLE otp_sends (
    phone    TEXT NOT NULL,
    sent_at  BIGINT NOT NULL
);
CREATE INDEX otp_sends_phone ON otp_sends (phone, sent_at);

CREATE TABLE otp_phone_state (
    phone                 TEXT PRIMARY KEY,
    consecutive_failures  BIGINT NOT NULL DEFAULT 0,
    locked_until          BIGINT
);

CREATE TABLE rate_counters (
    bucket        TEXT NOT NULL,
    key           TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    count         BIGINT NOT NULL,
    PRIMARY KEY (bucket, key, window_start)
);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    citizen_id  TEXT NOT NULL REFERENCES citizens (id),
    public_key  TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX devices_citizen ON devices (citizen_id);

CREATE TABLE eds_challenges (
    id           TEXT PRIMARY KEY,
    iin          TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    consumed_at  BIGINT
);

-- A verified identity waiting for its device key (registration, or a new device of a registered citizen).
CREATE TABLE enrolments (
    id            TEXT PRIMARY KEY,
    token_hash    BYTEA NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    citizen_id    TEXT NOT NULL REFERENCES citizens (id),
    phone         TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    completed_at  BIGINT
);

CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    citizen_id      TEXT NOT NULL REFERENCES citizens (id),
    acr             TEXT NOT NULL,
    device_id       TEXT,
    client          TEXT NOT NULL,
    user_agent      TEXT,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT NOT NULL,
    revoked_at      BIGINT,
    revoked_reason  TEXT
);
CREATE INDEX sessions_citizen ON sessions (citizen_id);

CREATE TABLE refresh_tokens (
    token_hash  BYTEA PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    created_at  BIGINT NOT NULL,
    rotated_at  BIGINT
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE history (
    id          TEXT PRIMARY KEY,
    citizen_id  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX history_citizen ON history (citizen_id, at);

-- The transactional outbox of SMS: written with the flow that needs it, delivered by a worker on any replica.
CREATE TABLE sms_queue (
    id               TEXT PRIMARY KEY,
    phone            TEXT NOT NULL,
    sender           TEXT NOT NULL,
    body             TEXT,
    kind             TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT,
    expires_at       BIGINT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT,
    provider_id      TEXT,
    last_error       TEXT
);
CREATE INDEX sms_queue_due ON sms_queue (status, next_attempt_at);
CREATE INDEX sms_queue_phone ON sms_queue (phone, created_at);
