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

    /// The citizen a phone is bound to in the Mobile Citizens Database.
    pub async fn citizen_by_phone(&self, phone: &str) -> StoreResult<Option<CitizenRow>> {
        self.citizen_where("phone", phone).await
    }
}

/// An organisation client (verifier or state body).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgClientRow {
    pub client_id: String,
    pub name: String,
    pub secret_hash: Vec<u8>,
    pub scopes: String,
}

impl Store {
    pub async fn org_client(&self, client_id: &str) -> StoreResult<Option<OrgClientRow>> {
        Ok(sqlx::query_as::<_, OrgClientRow>(
            "SELECT client_id, name, secret_hash, scopes FROM org_clients WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(self.pool())
        .await?)
    }
}
