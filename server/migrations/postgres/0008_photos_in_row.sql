-- A document photo (the registries' are about 5 KB) stays in its row instead of going to the TOAST table,
-- so the redemption's read and the photo route fetch one heap tuple instead of following a TOAST pointer
-- to its chunks: pgbench of the redemption's read on 20 000 citizens ran 1.05-1.10 × faster
-- (BENCHMARKS.md). Rows over 8 160 bytes are still toasted. Photos written before this migration move into
-- their rows when next written (a registry refresh), or all at once with `VACUUM FULL document_photos`.
ALTER TABLE document_photos SET (toast_tuple_target = 8160);
