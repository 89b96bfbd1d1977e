-- Fine reminders (issue 24): one on the last day of the 50% discount, one in the days before the payment
-- deadline, each marked sent in the transaction that writes it. The eve-of-the-end and discount-over
-- notices they replace are gone; no deadline reminder has been sent yet.
ALTER TABLE fines RENAME COLUMN notified_soon_at TO notified_last_day_at;
ALTER TABLE fines RENAME COLUMN notified_over_at TO notified_deadline_at;
UPDATE fines SET notified_deadline_at = NULL;
