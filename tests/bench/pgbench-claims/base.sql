\set id random(1, 2000000)
UPDATE bench_claims SET redeemed_at = 1 WHERE id = :id AND redeemed_at IS NULL RETURNING id;
