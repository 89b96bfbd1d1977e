-- The payment state machine (issue 24, core::fines::payment): the fine names the one payment that
-- holds it, a payment remembers when it took the hold (so only those are reconciled once cancelled),
-- and a refunded payment keeps the acquirer's refund reference.
ALTER TABLE fines ADD COLUMN held_by TEXT;
ALTER TABLE payments ADD COLUMN held_at INTEGER;
ALTER TABLE payments ADD COLUMN refund_ref TEXT;
ALTER TABLE payments ADD COLUMN refunded_at INTEGER;

-- Before this, a payment was 'pending' from its insert through its charge, and a fine being paid was
-- 'processing' without naming by whom. The newest unsettled payment of such a fine holds it; the
-- others lost the race and are cancelled (a charge of theirs that surfaces is refunded).
UPDATE fines SET held_by = (
    SELECT p.id FROM payments p
    WHERE p.fine_id = fines.id AND p.status IN ('pending', 'unknown', 'awaiting')
    ORDER BY p.created_at DESC, p.id DESC LIMIT 1
) WHERE status = 'processing';
UPDATE fines SET status = 'unpaid' WHERE status = 'processing' AND held_by IS NULL;
UPDATE payments SET status = 'held', held_at = created_at
    WHERE status = 'pending' AND id IN (SELECT held_by FROM fines WHERE held_by IS NOT NULL);
UPDATE payments SET held_at = created_at
    WHERE status IN ('unknown', 'awaiting', 'approved', 'declined');
UPDATE payments SET status = 'cancelled', held_at = created_at WHERE status = 'pending';
