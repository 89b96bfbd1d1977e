//! Fines, payments, receipts, and the simulated acquirer's ledger. Each transition of core's payment
//! state machine (`egov_core::fines::Transition`) is one conditional statement here, with what must
//! change with it in the same transaction: the hold names its payment on the fine (so two payments never
//! run for one fine), and an approved payment, the paid fine, its receipt and the history entry commit
//! together.

use super::sharing::{Outcome, to_publish, write_outcome};
use super::sms::{NewSms, enqueue_sms};
use super::{Store, StoreResult};
use egov_core::fines::Transition;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FineRow {
    pub id: String,
    pub protocol_number: String,
    pub offender_iin: String,
    pub article: String,
    pub description: String,
    pub amount_mci: i64,
    pub mci_tenge: i64,
    pub amount_tiyn: i64,
    pub case_opened_on: String,
    pub recorded_by: String,
    pub notice_date: String,
    pub delivered_on: Option<String>,
    pub vehicle_plate: Option<String>,
    pub city: String,
    pub discount_excluded: Option<String>,
    pub status: String,
    pub paid_at: Option<i64>,
    pub paid_amount_tiyn: Option<i64>,
    pub paid_via: Option<String>,
    pub agency: String,
    pub created_at: i64,
    pub notified_last_day_at: Option<i64>,
    pub notified_deadline_at: Option<i64>,
    /// What bank payments of less than was due have credited so far (the rest is still due).
    pub credited_tiyn: i64,
    /// The payment that holds the fine now, if any.
    pub held_by: Option<String>,
}

/// The reminders a fine gets, each once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// On the last day of the 50% discount.
    DiscountLastDay,
    /// In the days before the payment deadline.
    Deadline,
}

impl Reminder {
    fn column(self) -> &'static str {
        match self {
            Reminder::DiscountLastDay => "notified_last_day_at",
            Reminder::Deadline => "notified_deadline_at",
        }
    }
}

const FINE_COLUMNS: &str = "id, protocol_number, offender_iin, article, description, amount_mci, mci_tenge, amount_tiyn, case_opened_on, recorded_by, notice_date, delivered_on, vehicle_plate, city, discount_excluded, status, paid_at, paid_amount_tiyn, paid_via, agency, created_at, notified_last_day_at, notified_deadline_at";
/// What a read returns: the inserted columns and what payments write later.
const FINE_SELECT: &str = "id, protocol_number, offender_iin, article, description, amount_mci, mci_tenge, amount_tiyn, case_opened_on, recorded_by, notice_date, delivered_on, vehicle_plate, city, discount_excluded, status, paid_at, paid_amount_tiyn, paid_via, agency, created_at, notified_last_day_at, notified_deadline_at, credited_tiyn, held_by";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: String,
    pub fine_id: String,
    pub citizen_id: Option<String>,
    pub request_hash: Option<String>,
    pub method: String,
    pub status: String,
    pub amount_tiyn: i64,
    pub decline_code: Option<String>,
    pub acquirer_ref: Option<String>,
    pub qr_payload: Option<String>,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub held_at: Option<i64>,
}

impl PaymentRow {
    /// The payment's status; an unknown one is an error, so such a payment is never charged.
    pub fn state(&self) -> Result<egov_core::fines::PaymentStatus, egov_core::UnknownValue> {
        egov_core::fines::PaymentStatus::parse(&self.status)
    }
}

const PAYMENT_COLUMNS: &str = "id, fine_id, citizen_id, request_hash, method, status, amount_tiyn, decline_code, acquirer_ref, qr_payload, created_at, confirmed_at, held_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReceiptRow {
    pub id: String,
    pub payment_id: String,
    pub fine_id: String,
    pub protocol_number: String,
    pub amount_tiyn: i64,
    pub paid_at: i64,
    pub jws: String,
    pub created_at: i64,
}

const RECEIPT_COLUMNS: &str = "id, payment_id, fine_id, protocol_number, amount_tiyn, paid_at, jws, created_at";

/// A payment made at a bank, as a state body recorded it.
pub struct BankPayment<'a> {
    pub bank: &'a str,
    pub receipt_number: &'a str,
    /// The bank's payment date (YYYY-MM-DD).
    pub paid_on: &'a str,
    /// Whether it settles the fine (else it is credited and the rest stays due).
    pub settles: bool,
}

/// A receipt to store with the approval.
pub struct NewReceipt<'a> {
    pub id: &'a str,
    pub jws: &'a str,
    /// When the money was paid: the confirmation for the acquirer's payments, the bank's date for a
    /// bank payment.
    pub paid_at_ms: i64,
    /// The payer's history entry and notification, written with the receipt.
    pub outcome: Outcome,
}

impl Store {
    /// Registers a fine with what tells its offender (the SMS notice, the notification), in one
    /// transaction: a fine is never registered untold, since the agency's retry of a fine whose answer it
    /// lost only gets `fine-exists`. Returns the notification's (topic, id) to publish.
    pub async fn fine_insert(
        &self,
        f: &FineRow,
        sms: Option<&NewSms<'_>>,
        outcome: &Outcome,
    ) -> StoreResult<Option<(String, String)>> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(&format!("INSERT INTO fines ({FINE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"))
            .bind(&f.id)
            .bind(&f.protocol_number)
            .bind(&f.offender_iin)
            .bind(&f.article)
            .bind(&f.description)
            .bind(f.amount_mci)
            .bind(f.mci_tenge)
            .bind(f.amount_tiyn)
            .bind(&f.case_opened_on)
            .bind(&f.recorded_by)
            .bind(&f.notice_date)
            .bind(f.delivered_on.as_deref())
            .bind(f.vehicle_plate.as_deref())
            .bind(&f.city)
            .bind(f.discount_excluded.as_deref())
            .bind(&f.status)
            .bind(f.paid_at)
            .bind(f.paid_amount_tiyn)
            .bind(f.paid_via.as_deref())
            .bind(&f.agency)
            .bind(f.created_at)
            .bind(f.notified_last_day_at)
            .bind(f.notified_deadline_at)
            .execute(&mut *tx)
            .await
            .map_err(super::sessions::conflict_or)?;
        if let Some(sms) = sms {
            enqueue_sms(&mut tx, sms, f.created_at).await?;
        }
        let published = to_publish(outcome);
        write_outcome(&mut tx, outcome, published.as_ref(), f.created_at).await?;
        tx.commit().await?;
        Ok(published)
    }

    pub async fn fine(&self, id: &str) -> StoreResult<Option<FineRow>> {
        Ok(sqlx::query_as::<_, FineRow>(&format!("SELECT {FINE_SELECT} FROM fines WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn fines_of(&self, iin: &str) -> StoreResult<Vec<FineRow>> {
        Ok(sqlx::query_as::<_, FineRow>(&format!(
            "SELECT {FINE_SELECT} FROM fines WHERE offender_iin = $1 ORDER BY notice_date DESC, id"
        ))
        .bind(iin)
        .fetch_all(self.pool())
        .await?)
    }

    /// Camera fines of a plate in a city.
    pub async fn camera_fines_of_plate(&self, plate: &str, city: &str) -> StoreResult<Vec<FineRow>> {
        Ok(sqlx::query_as::<_, FineRow>(&format!(
            "SELECT {FINE_SELECT} FROM fines WHERE vehicle_plate = $1 AND city = $2 AND recorded_by = 'camera' ORDER BY notice_date DESC, id"
        ))
        .bind(plate)
        .bind(city)
        .fetch_all(self.pool())
        .await?)
    }

    /// The fines the daily job may act on: the unpaid ones (notifications) and those noticed before
    /// `purge_cutoff` (purge), not every paid fine ever recorded.
    pub async fn fines_for_daily_job(&self, purge_cutoff: &str) -> StoreResult<Vec<FineRow>> {
        Ok(sqlx::query_as::<_, FineRow>(&format!(
            "SELECT {FINE_SELECT} FROM fines WHERE status <> 'paid' OR notice_date < $1"
        ))
        .bind(purge_cutoff)
        .fetch_all(self.pool())
        .await?)
    }

    /// Marks that `reminder` was sent, with what tells it (the SMS, the notification), in one
    /// transaction; `None` when it was already marked (nothing written), else the notification to publish.
    pub async fn fine_remind(
        &self,
        id: &str,
        reminder: Reminder,
        sms: Option<&NewSms<'_>>,
        now_ms: i64,
        outcome: &Outcome,
    ) -> StoreResult<Option<Option<(String, String)>>> {
        let column = reminder.column();
        let sql = format!("UPDATE fines SET {column} = $2 WHERE id = $1 AND {column} IS NULL AND status <> 'paid'");
        self.change_with(sqlx::query(&sql).bind(id).bind(now_ms), sms, outcome, now_ms).await
    }

    pub async fn fine_delete(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM fines WHERE id = $1").bind(id).execute(self.pool()).await?;
        Ok(())
    }

    /// Records a payment unless this citizen already used this idempotency key; false on a repeat.
    #[allow(clippy::too_many_arguments)]
    pub async fn payment_insert(
        &self,
        id: &str,
        fine_id: &str,
        citizen_id: Option<&str>,
        key: Option<&str>,
        request_hash: Option<&str>,
        method: &str,
        amount_tiyn: i64,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO payments (id, fine_id, citizen_id, idempotency_key, request_hash, method, status, amount_tiyn, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) ON CONFLICT (citizen_id, idempotency_key) DO NOTHING",
        )
        .bind(id)
        .bind(fine_id)
        .bind(citizen_id)
        .bind(key)
        .bind(request_hash)
        .bind(method)
        .bind(amount_tiyn)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn payment_by_key(&self, citizen_id: &str, key: &str) -> StoreResult<Option<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE citizen_id = $1 AND idempotency_key = $2"
        ))
        .bind(citizen_id)
        .bind(key)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The payment recorded for a bank's receipt: its fine, amount and date.
    pub async fn payment_by_bank_receipt(
        &self,
        bank: &str,
        receipt_number: &str,
    ) -> StoreResult<Option<(String, i64, Option<String>)>> {
        Ok(sqlx::query_as("SELECT fine_id, amount_tiyn, paid_on FROM payments WHERE bank = $1 AND bank_receipt = $2")
            .bind(bank)
            .bind(receipt_number)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn payment(&self, id: &str) -> StoreResult<Option<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Payments the reconciler looks at, each with why: holders older than `older_than_ms` (an answer
    /// lost, a process stopped before charging, a bank QR waiting), payments that once held their fine and
    /// were cancelled since `cancelled_since_ms` (an approval may still surface), and refunds to make.
    pub async fn payments_to_reconcile(
        &self,
        older_than_ms: i64,
        cancelled_since_ms: i64,
    ) -> StoreResult<Vec<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments
             WHERE (status IN ('held', 'unknown', 'awaiting') AND created_at < $1)
                OR (status IN ('cancelled', 'declined') AND held_at IS NOT NULL AND created_at >= $2)
                OR status = 'refund_due'
             ORDER BY created_at LIMIT 1000"
        ))
        .bind(older_than_ms)
        .bind(cancelled_since_ms)
        .fetch_all(self.pool())
        .await?)
    }

    /// One transition of the payment state machine that touches nothing else (`Cancel`, `Lose`,
    /// `Await`, `ApproveLate`): one conditional statement. False when the payment was not in a state the
    /// transition leaves (another writer moved it first).
    pub async fn payment_move(
        &self,
        id: &str,
        t: Transition,
        decline_code: Option<&str>,
        qr_payload: Option<&str>,
    ) -> StoreResult<bool> {
        debug_assert!(matches!(t, Transition::Cancel | Transition::Lose | Transition::Await | Transition::ApproveLate));
        let sql = transition_sql(t, "decline_code = COALESCE($2, decline_code), qr_payload = COALESCE($3, qr_payload)");
        let r = sqlx::query(&sql).bind(id).bind(decline_code).bind(qr_payload).execute(self.pool()).await?;
        Ok(r.rows_affected() == 1)
    }

    /// `Hold`: the payment takes its unpaid fine, both or neither. False when the payment is no longer
    /// pending or the fine is not unpaid (paid, or held by another payment).
    pub async fn payment_hold(&self, p: &PaymentRow, now_ms: i64) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let moved = sqlx::query(&transition_sql(Transition::Hold, "held_at = $2"))
            .bind(&p.id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        let held = moved && hold_fine(&mut tx, p, "status = 'unpaid'").await?;
        Ok(commit_if(tx, held.then_some(())).await?.is_some())
    }

    /// `Decline` or `Abandon`: the payment gives up its fine, which becomes unpaid again, both or neither.
    pub async fn payment_release(
        &self,
        p: &PaymentRow,
        t: Transition,
        decline_code: Option<&str>,
    ) -> StoreResult<bool> {
        debug_assert!(matches!(t, Transition::Decline | Transition::Abandon));
        let mut tx = self.pool().begin().await?;
        let moved = sqlx::query(&transition_sql(t, "decline_code = COALESCE($2, decline_code)"))
            .bind(&p.id)
            .bind(decline_code)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if moved {
            sqlx::query("UPDATE fines SET status = 'unpaid', held_by = NULL WHERE id = $1 AND held_by = $2")
                .bind(&p.fine_id)
                .bind(&p.id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(commit_if(tx, moved.then_some(())).await?.is_some())
    }

    /// `Refund`: the acquirer returned the money; with the payer's history entry and notification.
    pub async fn payment_refunded(
        &self,
        p: &PaymentRow,
        reference: &str,
        outcome: &Outcome,
        now_ms: i64,
    ) -> StoreResult<Option<Option<(String, String)>>> {
        let mut tx = self.pool().begin().await?;
        let moved = sqlx::query(&transition_sql(Transition::Refund, "refund_ref = $2, refunded_at = $3"))
            .bind(&p.id)
            .bind(reference)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        let mut published = None;
        if moved {
            let p = to_publish(outcome);
            write_outcome(&mut tx, outcome, p.as_ref(), now_ms).await?;
            published = Some(p);
        }
        commit_if(tx, published).await
    }

    /// `Approve`: the payment that holds its fine is approved and pays it, with the receipt, the history
    /// entry and the notification, all or nothing. `None` when the payment no longer holds the fine (a
    /// webhook and a reconciliation racing, or it was cancelled); otherwise the notification to publish.
    pub async fn payment_approve(
        &self,
        p: &PaymentRow,
        reference: &str,
        receipt: &NewReceipt<'_>,
        now_ms: i64,
    ) -> StoreResult<Option<Option<(String, String)>>> {
        let mut tx = self.pool().begin().await?;
        let approved = approve_in(&mut tx, p, reference, receipt, true, now_ms).await?;
        commit_if(tx, approved).await
    }

    /// A payment made outside the acquirer (at a bank, recorded by a state body), all or nothing: a
    /// payment through the app that holds the fine gives it up (`Abandon`; if its charge is approved
    /// after all, it is refunded), and the bank payment is recorded approved with its receipt; it pays
    /// the fine if it `settles` it, and is credited otherwise. `None` when the fine is paid already;
    /// `Conflict` when the bank's receipt was recorded already (by a concurrent call).
    pub async fn payment_record_external(
        &self,
        p: &PaymentRow,
        bank: &BankPayment<'_>,
        reference: &str,
        receipt: &NewReceipt<'_>,
        now_ms: i64,
    ) -> StoreResult<Option<Option<(String, String)>>> {
        let mut tx = self.pool().begin().await?;
        let abandon = Transition::Abandon;
        sqlx::query(&format!(
            "UPDATE payments SET status = '{}' WHERE fine_id = $1 AND status IN ({})",
            abandon.to().as_str(),
            abandon.from_sql()
        ))
        .bind(&p.fine_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO payments (id, fine_id, citizen_id, method, status, amount_tiyn, created_at, held_at, bank, bank_receipt, paid_on)
             VALUES ($1, $2, $3, $4, 'held', $5, $6, $6, $7, $8, $9)",
        )
        .bind(&p.id)
        .bind(&p.fine_id)
        .bind(p.citizen_id.as_deref())
        .bind(&p.method)
        .bind(p.amount_tiyn)
        .bind(now_ms)
        .bind(bank.bank)
        .bind(bank.receipt_number)
        .bind(bank.paid_on)
        .execute(&mut *tx)
        .await?;
        let approved = match hold_fine(&mut tx, p, "status <> 'paid'").await? {
            true => approve_in(&mut tx, p, reference, receipt, bank.settles, now_ms).await?,
            false => None,
        };
        commit_if(tx, approved).await
    }

    pub async fn receipts_of(&self, citizen_id: &str) -> StoreResult<Vec<ReceiptRow>> {
        Ok(sqlx::query_as::<_, ReceiptRow>(&format!(
            "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE citizen_id = $1 ORDER BY created_at DESC"
        ))
        .bind(citizen_id)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn receipt_of(&self, citizen_id: &str, id: &str) -> StoreResult<Option<ReceiptRow>> {
        Ok(sqlx::query_as::<_, ReceiptRow>(&format!(
            "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE citizen_id = $1 AND id = $2"
        ))
        .bind(citizen_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn receipt_by_payment(&self, payment_id: &str) -> StoreResult<Option<ReceiptRow>> {
        Ok(sqlx::query_as::<_, ReceiptRow>(&format!("SELECT {RECEIPT_COLUMNS} FROM receipts WHERE payment_id = $1"))
            .bind(payment_id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The simulated acquirer's ledger: the first charge of a payment decides its outcome; repeats return
    /// it and are counted.
    pub async fn sim_charge(
        &self,
        payment_id: &str,
        outcome: &str,
        amount_tiyn: i64,
        reference: &str,
    ) -> StoreResult<(String, String)> {
        Ok(sqlx::query_as(
            "INSERT INTO sim_acquirer (payment_id, outcome, amount_tiyn, reference, charges, created_at) VALUES ($1, $2, $3, $4, 1, 0)
             ON CONFLICT (payment_id) DO UPDATE SET charges = sim_acquirer.charges + 1 RETURNING outcome, reference",
        )
        .bind(payment_id)
        .bind(outcome)
        .bind(amount_tiyn)
        .bind(reference)
        .fetch_one(self.pool())
        .await?)
    }

    /// Refunds an approved simulated charge in full, once: its reference (the same for a repeated
    /// refund, which refunds nothing more), or `None` when there is no approved charge to refund.
    pub async fn sim_refund(&self, payment_id: &str) -> StoreResult<Option<String>> {
        sqlx::query("UPDATE sim_acquirer SET refunded_tiyn = amount_tiyn WHERE payment_id = $1 AND outcome = 'approved' AND refunded_tiyn = 0")
            .bind(payment_id)
            .execute(self.pool())
            .await?;
        Ok(sqlx::query_scalar(
            "SELECT reference FROM sim_acquirer WHERE payment_id = $1 AND outcome = 'approved' AND refunded_tiyn > 0",
        )
        .bind(payment_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The simulated acquirer: the citizen paid a bank QR in their bank's app. False when it is no
    /// waiting QR.
    pub async fn sim_pay_qr(&self, payment_id: &str) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE sim_acquirer SET outcome = 'approved' WHERE payment_id = $1 AND outcome LIKE 'pending:%'",
        )
        .bind(payment_id)
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1)
    }

    pub async fn sim_status(&self, payment_id: &str) -> StoreResult<Option<(String, String)>> {
        Ok(sqlx::query_as("SELECT outcome, reference FROM sim_acquirer WHERE payment_id = $1")
            .bind(payment_id)
            .fetch_optional(self.pool())
            .await?)
    }
}

/// The fine of `p` becomes held by `p`, if the fine matches `condition`.
async fn hold_fine(tx: &mut sqlx::AnyConnection, p: &PaymentRow, condition: &str) -> StoreResult<bool> {
    let sql = format!("UPDATE fines SET status = 'processing', held_by = $2 WHERE id = $1 AND {condition}");
    Ok(sqlx::query(&sql).bind(&p.fine_id).bind(&p.id).execute(&mut *tx).await?.rows_affected() == 1)
}

/// The conditional statement of transition `t` for the payment `$1`, setting `set` besides the status
/// (parameters from `$2`).
fn transition_sql(t: Transition, set: &str) -> String {
    let set = if set.is_empty() { String::new() } else { format!(", {set}") };
    // A late approval never takes a payment that still holds its fine: that one pays it.
    let extra = match t {
        Transition::ApproveLate => {
            " AND NOT EXISTS (SELECT 1 FROM fines f WHERE f.id = payments.fine_id AND f.held_by = payments.id)"
        }
        _ => "",
    };
    format!(
        "UPDATE payments SET status = '{}'{set} WHERE id = $1 AND status IN ({}){extra}",
        t.to().as_str(),
        t.from_sql()
    )
}

/// Commits `tx` when `done` says the transaction did its work, rolls it back otherwise.
async fn commit_if<T>(tx: sqlx::Transaction<'static, sqlx::Any>, done: Option<T>) -> StoreResult<Option<T>> {
    match done {
        Some(v) => {
            tx.commit().await?;
            Ok(Some(v))
        }
        None => {
            tx.rollback().await?;
            Ok(None)
        }
    }
}

/// The statements of `Approve` inside the caller's transaction: the payment, if it holds its fine, is
/// approved; the fine is paid; the receipt, history entry and notification are written. `None` (and
/// the caller rolls back) when the payment does not hold the fine.
async fn approve_in(
    tx: &mut sqlx::AnyConnection,
    p: &PaymentRow,
    reference: &str,
    receipt: &NewReceipt<'_>,
    settles: bool,
    now_ms: i64,
) -> StoreResult<Option<Option<(String, String)>>> {
    let settled = sqlx::query(&transition_sql(Transition::Approve, "acquirer_ref = $2, confirmed_at = $3"))
        .bind(&p.id)
        .bind(reference)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
    if settled.rows_affected() != 1 {
        return Ok(None);
    }
    let paid = if settles {
        sqlx::query(
            "UPDATE fines SET status = 'paid', paid_at = $2, paid_amount_tiyn = credited_tiyn + $3, paid_via = $4, held_by = NULL
             WHERE id = $1 AND status = 'processing' AND held_by = $5",
        )
        .bind(&p.fine_id)
        .bind(receipt.paid_at_ms)
        .bind(p.amount_tiyn)
        .bind(&p.method)
        .bind(&p.id)
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE fines SET status = 'unpaid', credited_tiyn = credited_tiyn + $2, held_by = NULL
             WHERE id = $1 AND status = 'processing' AND held_by = $3",
        )
        .bind(&p.fine_id)
        .bind(p.amount_tiyn)
        .bind(&p.id)
        .execute(&mut *tx)
        .await?
    };
    if paid.rows_affected() != 1 {
        // The fine is no longer this payment's: a bank payment recorded between its hold and its
        // approval took it. The caller rolls back and refunds (`ApproveLate`).
        tracing::info!(payment = %p.id, "an approved payment's fine is no longer held by it");
        return Ok(None);
    }
    let protocol: String = sqlx::query_scalar("SELECT protocol_number FROM fines WHERE id = $1")
        .bind(&p.fine_id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO receipts ({RECEIPT_COLUMNS}, citizen_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(receipt.id)
    .bind(&p.id)
    .bind(&p.fine_id)
    .bind(protocol)
    .bind(p.amount_tiyn)
    .bind(receipt.paid_at_ms)
    .bind(receipt.jws)
    .bind(now_ms)
    .bind(p.citizen_id.as_deref())
    .execute(&mut *tx)
    .await?;
    let published = to_publish(&receipt.outcome);
    write_outcome(tx, &receipt.outcome, published.as_ref(), now_ms).await?;
    Ok(Some(published))
}
