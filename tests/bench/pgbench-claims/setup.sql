-- A copy of the sharing schema with 1 million live shares, for the pgbench scripts beside it (BENCHMARKS.md).
DROP TABLE IF EXISTS shares, documents, history, notifications, bench_claims;
CREATE TABLE documents (id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL, fields TEXT NOT NULL, revoked_at BIGINT);
INSERT INTO documents SELECT 'doc' || g, 'cit' || g, repeat('x', 600), NULL FROM generate_series(1, 1000) g;
CREATE TABLE shares (
    id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, document_id TEXT NOT NULL REFERENCES documents (id),
    token_hash BYTEA, code_hash BYTEA, preset TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
    redeemed_at BIGINT, redeemer_kind TEXT, redeemer_id TEXT, redeemer_name TEXT, revoked_at BIGINT);
INSERT INTO shares SELECT md5(g::text), 'cit' || (g % 1000 + 1), 'doc' || (g % 1000 + 1), sha256(int8send(g)), sha256(int4send(g)), 'full', 0, 9000000000000, NULL, NULL, NULL, NULL, NULL FROM generate_series(1, 1000000) g;
CREATE UNIQUE INDEX shares_token ON shares (token_hash);
CREATE INDEX shares_code ON shares (code_hash);
CREATE INDEX shares_owner ON shares (owner_id, created_at);
CREATE INDEX shares_expiry ON shares (expires_at);
CREATE TABLE history (id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL, at BIGINT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX history_citizen ON history (citizen_id, at);
CREATE TABLE notifications (id TEXT PRIMARY KEY, citizen_id TEXT NOT NULL, at BIGINT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, read_at BIGINT);
CREATE INDEX notifications_citizen ON notifications (citizen_id, at);
CREATE TABLE bench_claims (id BIGINT PRIMARY KEY, redeemed_at BIGINT);
INSERT INTO bench_claims SELECT g, NULL FROM generate_series(1, 2000000) g;
VACUUM ANALYZE;
