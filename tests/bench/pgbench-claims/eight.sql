\set i1 random(1, 1000000)
\set i2 random(1, 1000000)
\set i3 random(1, 1000000)
\set i4 random(1, 1000000)
\set i5 random(1, 1000000)
\set i6 random(1, 1000000)
\set i7 random(1, 1000000)
\set i8 random(1, 1000000)
SELECT s.*, d.fields FROM shares s JOIN documents d ON d.id = s.document_id WHERE s.token_hash IN (sha256(int8send(:i1::bigint)), sha256(int8send(:i2::bigint)), sha256(int8send(:i3::bigint)), sha256(int8send(:i4::bigint)), sha256(int8send(:i5::bigint)), sha256(int8send(:i6::bigint)), sha256(int8send(:i7::bigint)), sha256(int8send(:i8::bigint)));
WITH claimed AS (UPDATE shares SET redeemed_at = 1, redeemer_kind = 'organisation', redeemer_id = 'org-1', redeemer_name = 'Halyk Bank' WHERE token_hash IN (sha256(int8send(:i1::bigint)), sha256(int8send(:i2::bigint)), sha256(int8send(:i3::bigint)), sha256(int8send(:i4::bigint)), sha256(int8send(:i5::bigint)), sha256(int8send(:i6::bigint)), sha256(int8send(:i7::bigint)), sha256(int8send(:i8::bigint))) AND redeemed_at IS NULL AND revoked_at IS NULL AND expires_at > 1 AND EXISTS (SELECT 1 FROM documents d WHERE d.id = shares.document_id AND d.revoked_at IS NULL) RETURNING id, owner_id, document_id, preset, created_at, expires_at, redeemed_at, redeemer_kind, redeemer_name, revoked_at), h AS (INSERT INTO history (id, citizen_id, at, kind, detail) SELECT gen_random_uuid()::text, owner_id, 1, 'share_viewed', '{"share_id":"0b7c4a2e-5d1f-4e8a-9c3b-2f6d8e1a7b90","kind":"national_id","viewer":"Halyk Bank","viewer_kind":"organisation","fields":["surname","given_name","birth_date","iin","photo"]}' FROM claimed), n AS (INSERT INTO notifications (id, citizen_id, at, kind, body) SELECT gen_random_uuid()::text, owner_id, 1, 'share_viewed', '{"share_id":"0b7c4a2e-5d1f-4e8a-9c3b-2f6d8e1a7b90","kind":"national_id","viewer":"Halyk Bank","viewer_kind":"organisation","fields":["surname","given_name","birth_date","iin","photo"]}' FROM claimed) SELECT * FROM claimed;
