-- Device keys no longer sign from the moment they are enrolled (issue 23): a further device signs only
-- once an `eds` session on an enrolled device approves it with the code both screens show, or once the
-- hold after an identity re-proofing is over. `active_from` is NULL while a device waits for approval.
ALTER TABLE devices ADD COLUMN active_from INTEGER;
ALTER TABLE devices ADD COLUMN enrolled_by TEXT NOT NULL DEFAULT 'registration';
ALTER TABLE devices ADD COLUMN pairing_hash BLOB;
ALTER TABLE devices ADD COLUMN pairing_failures INTEGER NOT NULL DEFAULT 0;
-- Keys enrolled before: they have signed since their enrolment.
UPDATE devices SET active_from = created_at;

-- How an enrolment was proven: 'registration', 'approval' (pairing code kept hashed) or 'identity'.
ALTER TABLE enrolments ADD COLUMN method TEXT NOT NULL DEFAULT 'registration';
ALTER TABLE enrolments ADD COLUMN pairing_hash BLOB;

-- The simulated acquirer refunds too (the PaymentGateway trait gained refund with the HTTP acquirer).
ALTER TABLE sim_acquirer ADD COLUMN refunded_tiyn INTEGER NOT NULL DEFAULT 0;

-- Organisations provisioned by operators (`egov-server clients ...`): a website is a relying party with
-- the origin it is served from; a disabled client gets no token.
ALTER TABLE org_clients ADD COLUMN origin TEXT;
ALTER TABLE org_clients ADD COLUMN disabled_at INTEGER;

-- Signing requests name the organisation that asked by its registration (client id; `operator` for this
-- service's own pages), and the device signs over it (issue 23: never blind).
ALTER TABLE sign_requests ADD COLUMN organisation_id TEXT NOT NULL DEFAULT 'operator';
