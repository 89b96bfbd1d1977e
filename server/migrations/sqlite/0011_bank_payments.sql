-- Payments made at a bank and recorded by a state body (issue 24): the bank, its receipt number (unique
-- per bank, so recording twice records once), the bank's payment date and amount. A payment of less than
-- what was due leaves the rest due: the fine keeps the sum credited so far.
ALTER TABLE payments ADD COLUMN bank TEXT;
ALTER TABLE payments ADD COLUMN bank_receipt TEXT;
ALTER TABLE payments ADD COLUMN paid_on TEXT;
CREATE UNIQUE INDEX payments_bank_receipt ON payments (bank, bank_receipt);
ALTER TABLE fines ADD COLUMN credited_tiyn INTEGER NOT NULL DEFAULT 0;
