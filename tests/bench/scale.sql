-- A database for tests/bench-scale.sh (psql variables n and claims): n citizens, each with a national
-- ID and a driving licence and a photo from each of their two registries (6 KB of incompressible bytes,
-- a passport photo's size), n live shares of national IDs for the read (token hashes sha256(int8send(1..n)))
-- and `claims` more for the claim (n+1..n+claims), spread over the citizens.
INSERT INTO citizens (id, iin, phone, surname, given_name, patronymic, surname_lat, given_name_lat, birth_date, sex, created_at)
SELECT 'c' || g, lpad(g::text, 12, '0'), '+7701' || lpad(g::text, 7, '0'), 'Сейткали' || g, 'Айгерим', 'Муратқызы',
       'SEITKALI', 'AIGERIM', '1987-10-08', 'F', 0
FROM generate_series(1, :n) g;
INSERT INTO documents (id, citizen_id, kind, source, external_id, number, issued_on, expires_on, fields, checked_at, created_at, updated_at)
SELECT 'd' || g || k.kind, 'c' || g, k.kind, k.source, 'x' || g, lpad(g::text, 9, '0'), '2020-01-01', '2030-01-01',
       '{"birth_place":"Алматы","issued_by":"МВД РК","nationality":"қазақ","categories":["B","C"],"address":"Абай даңғылы ' || g || '"}',
       0, 0, 0
FROM generate_series(1, :n) g, (VALUES ('national_id', 'individuals'), ('driving_licence', 'interior')) k(kind, source);
INSERT INTO document_photos (citizen_id, source, bytes, etag, checked_at)
SELECT 'c' || g, s.source,
       (SELECT string_agg(sha256(int8send(g::bigint * 1000 + i)), ''::bytea) FROM generate_series(1, 190) i),
       'e' || g, 0
FROM generate_series(1, :n) g, (VALUES ('individuals'), ('interior')) s(source);
INSERT INTO shares (id, owner_id, document_id, token_hash, code_hash, preset, created_at, expires_at)
SELECT 's' || g, 'c' || o, 'd' || o || 'national_id', sha256(int8send(g)), sha256(int8send(-g)), 'full', 0, 9000000000000
FROM generate_series(1::bigint, :n + :claims) g, LATERAL (SELECT 1 + (g * 7919) % :n AS o) x;
ANALYZE;
