//! Citizens: the replica of the state database of individuals joined with the Mobile Citizens Database
//! (the phone bound to an IIN).

use super::{Store, StoreResult};

/// A citizen as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CitizenRow {
    pub id: String,
    pub iin: String,
    pub phone: Option<String>,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub surname_lat: String,
    pub given_name_lat: String,
    pub birth_date: String,
    pub sex: String,
}

const COLUMNS: &str = "id, iin, phone, surname, given_name, patronymic, surname_lat, given_name_lat, birth_date, sex";

impl Store {
    async fn citizen_where(&self, column: &str, value: &str) -> StoreResult<Option<CitizenRow>> {
        let sql = format!("SELECT {COLUMNS} FROM citizens WHERE {column} = $1");
        Ok(sqlx::query_as::<_, CitizenRow>(&sql).bind(value).fetch_optional(self.pool()).await?)
    }

    pub async fn citizen_by_id(&self, id: &str) -> StoreResult<Option<CitizenRow>> {
        self.citizen_where("id", id).await
    }

    pub async fn citizen_by_iin(&self, iin: &str) -> StoreResult<Option<CitizenRow>> {
        self.citizen_where("iin", iin).await
    }

    /// Keeps a person the state database of individuals named (at registration), once: a concurrent
    /// registration of the same IIN keeps the first row. The citizen's row either way.
    pub async fn citizen_from_registry(
        &self,
        iin: &str,
        p: &crate::adapters::registry::PersonRecord,
        now_ms: i64,
    ) -> StoreResult<Option<CitizenRow>> {
        sqlx::query(
            "INSERT INTO citizens (id, iin, surname, given_name, patronymic, surname_lat, given_name_lat, birth_date, sex, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (iin) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(iin)
        .bind(&p.surname)
        .bind(&p.given_name)
        .bind(p.patronymic.as_deref())
        .bind(&p.surname_lat)
        .bind(&p.given_name_lat)
        .bind(p.birth_date.format("%Y-%m-%d").to_string())
        .bind(&p.sex)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        self.citizen_by_iin(iin).await
    }

    /// The citizen a phone is bound to in the Mobile Citizens Database.
    pub async fn citizen_by_phone(&self, phone: &str) -> StoreResult<Option<CitizenRow>> {
        self.citizen_where("phone", phone).await
    }
}
