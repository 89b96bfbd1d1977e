-- Digital documents as generated from the agency registries, the photos they show, and when each
-- source was last confirmed for each citizen. Documents are never deleted.
CREATE TABLE documents (
    id              TEXT PRIMARY KEY,
    citizen_id      TEXT NOT NULL REFERENCES citizens (id),
    kind            TEXT NOT NULL,
    source          TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    number          TEXT NOT NULL,
    issued_on       TEXT NOT NULL,
    expires_on      TEXT,
    fields          TEXT NOT NULL,
    revoked_at      BIGINT,
    revoked_reason  TEXT,
    checked_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (citizen_id, source, external_id)
);
CREATE INDEX documents_citizen ON documents (citizen_id);

CREATE TABLE document_photos (
    citizen_id    TEXT NOT NULL REFERENCES citizens (id),
    source        TEXT NOT NULL,
    bytes         BYTEA NOT NULL,
    etag          TEXT NOT NULL,
    checked_at    BIGINT NOT NULL,
    PRIMARY KEY (citizen_id, source)
);

CREATE TABLE document_syncs (
    citizen_id   TEXT NOT NULL REFERENCES citizens (id),
    source       TEXT NOT NULL,
    checked_at   BIGINT,
    failed_at    BIGINT,
    error        TEXT,
    PRIMARY KEY (citizen_id, source)
);
