//! Fines, payments, receipts, and the simulated acquirer's ledger. A fine is claimed for a payment by one
//! conditional UPDATE (so two payments never run for one fine), and an approved payment, the paid fine,
//! its receipt and the history entry commit together.

use super::sharing::{Outcome, to_publish, write_outcome};
use super::sms::{NewSms, enqueue_sms};
use super::{Store, StoreResult};

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
    pub notified_soon_at: Option<i64>,
    pub notified_over_at: Option<i64>,
}

const FINE_COLUMNS: &str = "id, protocol_number, offender_iin, article, description, amount_mci, mci_tenge, amount_tiyn, case_opened_on, recorded_by, notice_date, delivered_on, vehicle_plate, city, discount_excluded, status, paid_at, paid_amount_tiyn, paid_via, agency, created_at, notified_soon_at, notified_over_at";

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
}

const PAYMENT_COLUMNS: &str = "id, fine_id, citizen_id, request_hash, method, status, amount_tiyn, decline_code, acquirer_ref, qr_payload, created_at, confirmed_at";

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

/// A receipt to store with the approval.
pub struct NewReceipt<'a> {
    pub id: &'a str,
    pub jws: &'a str,
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
            .bind(f.notified_soon_at)
            .bind(f.notified_over_at)
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
        Ok(sqlx::query_as::<_, FineRow>(&format!("SELECT {FINE_COLUMNS} FROM fines WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    pub async fn fines_of(&self, iin: &str) -> StoreResult<Vec<FineRow>> {
        Ok(sqlx::query_as::<_, FineRow>(&format!(
            "SELECT {FINE_COLUMNS} FROM fines WHERE offender_iin = $1 ORDER BY notice_date DESC, id"
        ))
        .bind(iin)
        .fetch_all(self.pool())
        .await?)
    }

    /// Camera fines of a plate in a city.
    pub async fn camera_fines_of_plate(&self, plate: &str, city: &str) -> StoreResult<Vec<FineRow>> {
        Ok(sqlx::query_as::<_, FineRow>(&format!(
            "SELECT {FINE_COLUMNS} FROM fines WHERE vehicle_plate = $1 AND city = $2 AND recorded_by = 'camera' ORDER BY notice_date DESC, id"
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
            "SELECT {FINE_COLUMNS} FROM fines WHERE status <> 'paid' OR notice_date < $1"
        ))
        .bind(purge_cutoff)
        .fetch_all(self.pool())
        .await?)
    }

    /// Marks that the notice `column` stands for was sent, with its `outcome` (the notification), in one
    /// transaction; `None` when it was already marked (nothing written), else the notification to publish.
    pub async fn fine_mark(
        &self,
        id: &str,
        column: &str,
        now_ms: i64,
        outcome: &Outcome,
    ) -> StoreResult<Option<Option<(String, String)>>> {
        let column = match column {
            "notified_soon_at" | "notified_over_at" => column,
            _ => return Ok(None),
        };
        let sql = format!("UPDATE fines SET {column} = $2 WHERE id = $1 AND {column} IS NULL");
        self.change_with(sqlx::query(&sql).bind(id).bind(now_ms), outcome, now_ms).await
    }

    pub async fn fine_delete(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM fines WHERE id = $1").bind(id).execute(self.pool()).await?;
        Ok(())
    }

    /// Holds an unpaid fine for one payment; false when it is paid or another payment holds it.
    pub async fn fine_hold(&self, id: &str) -> StoreResult<bool> {
        Ok(sqlx::query("UPDATE fines SET status = 'processing' WHERE id = $1 AND status = 'unpaid'")
            .bind(id)
            .execute(self.pool())
            .await?
            .rows_affected()
            == 1)
    }

    pub async fn fine_release(&self, id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE fines SET status = 'unpaid' WHERE id = $1 AND status = 'processing'")
            .bind(id)
            .execute(self.pool())
            .await?;
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

    pub async fn payment(&self, id: &str) -> StoreResult<Option<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Payments whose outcome is not known yet (for the reconciler).
    pub async fn payments_unsettled(&self, older_than_ms: i64) -> StoreResult<Vec<PaymentRow>> {
        Ok(sqlx::query_as::<_, PaymentRow>(&format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE status = 'unknown' AND created_at < $1"
        ))
        .bind(older_than_ms)
        .fetch_all(self.pool())
        .await?)
    }

    /// Moves a pending or unknown payment to `status` (declined, unknown, awaiting).
    pub async fn payment_set(
        &self,
        id: &str,
        status: &str,
        decline_code: Option<&str>,
        qr_payload: Option<&str>,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE payments SET status = $2, decline_code = COALESCE($3, decline_code), qr_payload = COALESCE($4, qr_payload)
             WHERE id = $1 AND status IN ('pending', 'unknown', 'awaiting')",
        )
        .bind(id)
        .bind(status)
        .bind(decline_code)
        .bind(qr_payload)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Approves a payment and pays its fine, with the receipt, the history entry and the notification,
    /// all or nothing. `None` when the payment was settled already (a webhook and a reconciliation
    /// racing); otherwise the notification's (topic, id) to publish.
    pub async fn payment_approve(
        &self,
        p: &PaymentRow,
        reference: &str,
        receipt: &NewReceipt<'_>,
        paid_via: &str,
        now_ms: i64,
    ) -> StoreResult<Option<Option<(String, String)>>> {
        let mut tx = self.pool().begin().await?;
        let settled = sqlx::query(
            "UPDATE payments SET status = 'approved', acquirer_ref = $2, confirmed_at = $3 WHERE id = $1 AND status IN ('pending', 'unknown', 'awaiting')",
        )
        .bind(&p.id)
        .bind(reference)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if settled.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        sqlx::query(
            "UPDATE fines SET status = 'paid', paid_at = $2, paid_amount_tiyn = $3, paid_via = $4 WHERE id = $1",
        )
        .bind(&p.fine_id)
        .bind(now_ms)
        .bind(p.amount_tiyn)
        .bind(paid_via)
        .execute(&mut *tx)
        .await?;
        let protocol: String = sqlx::query_scalar("SELECT protocol_number FROM fines WHERE id = $1")
            .bind(&p.fine_id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(&format!(
            "INSERT INTO receipts ({RECEIPT_COLUMNS}, citizen_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $8)"
        ))
        .bind(receipt.id)
        .bind(&p.id)
        .bind(&p.fine_id)
        .bind(protocol)
        .bind(p.amount_tiyn)
        .bind(now_ms)
        .bind(receipt.jws)
        .bind(p.citizen_id.as_deref())
        .execute(&mut *tx)
        .await?;
        let published = to_publish(&receipt.outcome);
        write_outcome(&mut tx, &receipt.outcome, published.as_ref(), now_ms).await?;
        tx.commit().await?;
        Ok(Some(published))
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

    /// Refunds an approved simulated charge in full, once: its reference, or `None` when there is no such
    /// charge or it was refunded already.
    pub async fn sim_refund(&self, payment_id: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE sim_acquirer SET refunded_tiyn = amount_tiyn
             WHERE payment_id = $1 AND outcome = 'approved' AND refunded_tiyn = 0 RETURNING reference",
        )
        .bind(payment_id)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn sim_status(&self, payment_id: &str) -> StoreResult<Option<(String, String)>> {
        Ok(sqlx::query_as("SELECT outcome, reference FROM sim_acquirer WHERE payment_id = $1")
            .bind(payment_id)
            .fetch_optional(self.pool())
            .await?)
    }
}
