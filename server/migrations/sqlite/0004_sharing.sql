-- One-time shares of documents, the citizen's notifications and short-code lock-outs of redeemers.
-- A share's token and short code are never stored: only their keyed hashes (see service::sharing).
CREATE TABLE shares (
    id                 TEXT PRIMARY KEY,
    owner_id           TEXT NOT NULL REFERENCES citizens (id),
    document_id        TEXT NOT NULL REFERENCES documents (id),
    token_hash         BLOB,
    code_hash          BLOB,
    preset             TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    redeemed_at        INTEGER,
    redeemer_kind      TEXT,
    redeemer_id        TEXT,
    redeemer_name      TEXT,
    revoked_at         INTEGER
);
CREATE UNIQUE INDEX shares_token ON shares (token_hash);
CREATE INDEX shares_code ON shares (code_hash);
CREATE INDEX shares_owner ON shares (owner_id, created_at);
CREATE INDEX shares_expiry ON shares (expires_at);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    citizen_id  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    read_at     INTEGER
);
CREATE INDEX notifications_citizen ON notifications (citizen_id, at);

CREATE TABLE redeemer_locks (
    redeemer      TEXT PRIMARY KEY,
    locked_until  INTEGER NOT NULL
);
