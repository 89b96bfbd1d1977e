-- Traffic fines fed by state bodies, payments (idempotent per citizen and key), signed receipts, and the
-- simulated acquirer's own ledger (standing in for the bank in dev mode).
CREATE TABLE fines (
    id                  TEXT PRIMARY KEY,
    protocol_number     TEXT NOT NULL UNIQUE,
    offender_iin        TEXT NOT NULL,
    article             TEXT NOT NULL,
    description         TEXT NOT NULL,
    amount_mci          BIGINT NOT NULL,
    mci_tenge           BIGINT NOT NULL,
    amount_tiyn         BIGINT NOT NULL,
    case_opened_on      TEXT NOT NULL,
    recorded_by         TEXT NOT NULL,
    notice_date         TEXT NOT NULL,
    delivered_on        TEXT,
    vehicle_plate       TEXT,
    city                TEXT NOT NULL,
    discount_excluded   TEXT,
    status              TEXT NOT NULL,
    paid_at             BIGINT,
    paid_amount_tiyn    BIGINT,
    paid_via            TEXT,
    agency              TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    notified_soon_at    BIGINT,
    notified_over_at    BIGINT
);
CREATE INDEX fines_offender ON fines (offender_iin);
CREATE INDEX fines_plate ON fines (vehicle_plate);

CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    fine_id          TEXT NOT NULL,
    citizen_id       TEXT,
    idempotency_key  TEXT,
    request_hash     TEXT,
    method           TEXT NOT NULL,
    status           TEXT NOT NULL,
    amount_tiyn      BIGINT NOT NULL,
    decline_code     TEXT,
    acquirer_ref     TEXT,
    qr_payload       TEXT,
    created_at       BIGINT NOT NULL,
    confirmed_at     BIGINT,
    UNIQUE (citizen_id, idempotency_key)
);
CREATE INDEX payments_fine ON payments (fine_id);
CREATE INDEX payments_status ON payments (status, created_at);

CREATE TABLE receipts (
    id               TEXT PRIMARY KEY,
    payment_id       TEXT NOT NULL UNIQUE,
    fine_id          TEXT NOT NULL,
    citizen_id       TEXT,
    protocol_number  TEXT NOT NULL,
    amount_tiyn      BIGINT NOT NULL,
    paid_at          BIGINT NOT NULL,
    jws              TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX receipts_citizen ON receipts (citizen_id, created_at);

CREATE TABLE sim_acquirer (
    payment_id   TEXT PRIMARY KEY,
    outcome      TEXT NOT NULL,
    amount_tiyn  BIGINT NOT NULL,
    reference    TEXT NOT NULL,
    charges      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
