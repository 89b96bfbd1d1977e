//! Dev mode demo data: the citizens and organisations of `fixtures/demo-registry.json`, seeded at start
//! (idempotently) and described in the start-up banner.

use crate::keys::KeySet;
use crate::store::{Store, StoreResult};
use chrono::{Days, Months, NaiveDate};
use egov_core::identity::{Bin, Iin, Phone};
use serde::Deserialize;

/// The demo registry shipped with the binary.
pub const DEMO_REGISTRY_JSON: &str = include_str!("../fixtures/demo-registry.json");

#[derive(Debug, Deserialize)]
pub struct DemoData {
    pub citizens: Vec<DemoCitizen>,
    pub organisations: Vec<DemoOrganisation>,
    /// The demo registry's documents by IIN (dates may be relative), read by `adapters::registry`.
    #[serde(default)]
    pub records: std::collections::HashMap<String, Vec<serde_json::Value>>,
    /// Photo files by IIN and source.
    #[serde(default)]
    pub photos: std::collections::HashMap<String, std::collections::HashMap<String, String>>,
    /// Fines in every state (dates relative to today).
    #[serde(default)]
    pub fines: Vec<DemoFine>,
}

#[derive(Debug, Deserialize)]
pub struct DemoFine {
    pub protocol_number: String,
    pub offender_iin: Iin,
    pub article: String,
    pub description: String,
    pub amount_mci: i64,
    pub case_opened_on: String,
    pub recorded_by: String,
    pub notice_date: String,
    pub delivered_on: Option<String>,
    pub vehicle_plate: Option<String>,
    pub city: String,
    /// What the fine demonstrates; `paid` seeds it paid.
    pub state: String,
}

#[derive(Debug, Deserialize)]
pub struct DemoCitizen {
    pub iin: Iin,
    /// `None`: in the registry, not yet registered in the app.
    pub phone: Option<Phone>,
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub surname_lat: String,
    pub given_name_lat: String,
    pub birth_date: String,
    pub sex: String,
    pub role: String,
}

#[derive(Debug, Deserialize)]
pub struct DemoOrganisation {
    pub client_id: String,
    pub client_secret: String,
    pub name: String,
    pub bin: String,
    pub scopes: Vec<String>,
    /// A website's origin.
    #[serde(default)]
    pub origin: Option<String>,
    pub role: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo registry: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("demo registry: bad date {0:?} (YYYY-MM-DD or today[+-]N[y|m|d]...)")]
    Date(String),
    #[error("demo registry: organisation {0} has an invalid BIN")]
    Bin(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl DemoData {
    pub fn parse(json: &str) -> Result<DemoData, DemoError> {
        let data: DemoData = serde_json::from_str(json)?;
        for org in &data.organisations {
            Bin::parse(&org.bin).map_err(|_| DemoError::Bin(org.client_id.clone()))?;
        }
        Ok(data)
    }
}

/// Resolves a fixture date: `YYYY-MM-DD`, or `today` followed by signed steps such as `-15y-90d` or `+3d`.
pub fn resolve_date(expr: &str, today: NaiveDate) -> Result<NaiveDate, DemoError> {
    let bad = || DemoError::Date(expr.to_string());
    let Some(mut rest) = expr.strip_prefix("today") else {
        return NaiveDate::parse_from_str(expr, "%Y-%m-%d").map_err(|_| bad());
    };
    let mut date = today;
    while !rest.is_empty() {
        let sign = match rest.as_bytes()[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return Err(bad()),
        };
        let digits_end = rest[1..].find(|c: char| !c.is_ascii_digit()).map(|i| i + 1).ok_or_else(bad)?;
        let n: u32 = rest[1..digits_end].parse().map_err(|_| bad())?;
        let unit = rest[digits_end..].chars().next().ok_or_else(bad)?;
        date = match (unit, sign) {
            ('y', 1) => date.checked_add_months(Months::new(12 * n)),
            ('y', _) => date.checked_sub_months(Months::new(12 * n)),
            ('m', 1) => date.checked_add_months(Months::new(n)),
            ('m', _) => date.checked_sub_months(Months::new(n)),
            ('d', 1) => date.checked_add_days(Days::new(n.into())),
            ('d', _) => date.checked_sub_days(Days::new(n.into())),
            _ => None,
        }
        .ok_or_else(bad)?;
        rest = &rest[digits_end + 1..];
    }
    Ok(date)
}

/// Seeds the demo data (existing rows are left as they are, so a restart changes nothing).
pub async fn seed(
    store: &Store,
    keys: &KeySet,
    data: &DemoData,
    today: NaiveDate,
    now_ms: i64,
) -> Result<(), DemoError> {
    for c in &data.citizens {
        let birth = resolve_date(&c.birth_date, today)?;
        store.citizen_seed(c, birth, now_ms).await?;
    }
    for o in &data.organisations {
        let hash = keys.hash_secret(&crate::service::org::secret_parts(&o.client_id, &o.client_secret));
        let scopes = o.scopes.join(" ");
        let new = crate::store::orgs::NewOrgClient {
            client_id: &o.client_id,
            name: &o.name,
            bin: Some(&o.bin),
            scopes: &scopes,
            origin: o.origin.as_deref(),
            secret_hash: &hash,
        };
        store.org_client_add(&new, now_ms).await?;
    }
    let mci: Vec<egov_core::fines::MciPeriod> = serde_json::from_str(egov_core::fines::MCI_TABLE_JSON)?;
    for f in &data.fines {
        let opened = resolve_date(&f.case_opened_on, today)?;
        let notice = resolve_date(&f.notice_date, today)?;
        let tenge = egov_core::fines::mci_on(&mci, opened).ok_or_else(|| DemoError::Date(f.case_opened_on.clone()))?;
        let paid = f.state == "paid";
        let row = crate::store::fines::FineRow {
            id: uuid::Uuid::new_v4().to_string(),
            protocol_number: f.protocol_number.clone(),
            offender_iin: f.offender_iin.as_string(),
            article: f.article.clone(),
            description: f.description.clone(),
            amount_mci: f.amount_mci,
            mci_tenge: tenge,
            amount_tiyn: egov_core::fines::Tiyn::from_tenge(tenge * f.amount_mci).0,
            case_opened_on: opened.to_string(),
            recorded_by: f.recorded_by.clone(),
            notice_date: notice.to_string(),
            delivered_on: f.delivered_on.as_deref().map(|d| resolve_date(d, today)).transpose()?.map(|d| d.to_string()),
            vehicle_plate: f.vehicle_plate.clone(),
            city: f.city.clone(),
            discount_excluded: None,
            status: if paid { "paid".into() } else { "unpaid".into() },
            paid_at: paid.then_some(now_ms - 95 * 86_400_000),
            paid_amount_tiyn: paid.then_some(egov_core::fines::Tiyn::from_tenge(tenge * f.amount_mci).half().0),
            paid_via: paid.then(|| "bank".to_string()),
            agency: "demo-police".into(),
            created_at: now_ms,
            notified_last_day_at: None,
            notified_deadline_at: None,
            credited_tiyn: 0,
            held_by: None,
        };
        match store.fine_insert(&row, None, &Default::default()).await {
            Ok(_) | Err(crate::store::StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The lines of the start-up banner that tell a newcomer how to sign in as each demo identity.
pub fn banner(data: &DemoData) -> String {
    let mut out = String::from("Demo sign-in (dev mode; SMS codes appear at /dev/sms-outbox?phone=...):\n");
    for c in &data.citizens {
        match &c.phone {
            Some(phone) => out.push_str(&format!("  phone {phone}  {}\n", c.role)),
            None => out.push_str(&format!("  {}\n", c.role)),
        }
    }
    for o in &data.organisations {
        out.push_str(&format!(
            "  client {} / secret {}  {} ({})\n",
            o.client_id,
            o.client_secret,
            o.role,
            o.scopes.join(" ")
        ));
    }
    out.push_str("  phone +77019999999 is a valid mobile number that is not in the Mobile Citizens Database\n");
    out
}

impl Store {
    async fn citizen_seed(&self, c: &DemoCitizen, birth: NaiveDate, now_ms: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO citizens (id, iin, phone, surname, given_name, patronymic, surname_lat, given_name_lat, birth_date, sex, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (iin) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(c.iin.as_string())
        .bind(c.phone.as_ref().map(Phone::as_str))
        .bind(&c.surname)
        .bind(&c.given_name)
        .bind(c.patronymic.as_deref())
        .bind(&c.surname_lat)
        .bind(&c.given_name_lat)
        .bind(birth.format("%Y-%m-%d").to_string())
        .bind(&c.sex)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn relative_dates_step_from_today() {
        let today = d("2026-11-23");
        assert_eq!(resolve_date("today", today).unwrap(), today);
        assert_eq!(resolve_date("today-15y-90d", today).unwrap(), d("2011-08-25"));
        assert_eq!(resolve_date("today+3d", today).unwrap(), d("2026-11-26"));
        assert_eq!(resolve_date("today-1m", today).unwrap(), d("2026-10-23"));
        assert_eq!(resolve_date("1987-10-08", today).unwrap(), d("1987-10-08"));
    }

    #[test]
    fn malformed_dates_are_refused() {
        let today = d("2026-11-23");
        for bad in ["today-", "today-3", "today*3d", "today-3w", "2026-13-01", "yesterday"] {
            assert!(resolve_date(bad, today).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_shipped_demo_registry_parses_and_keeps_the_contract_identities() {
        let data = DemoData::parse(DEMO_REGISTRY_JSON).unwrap();
        let phones: Vec<Option<&str>> = data.citizens.iter().map(|c| c.phone.as_ref().map(Phone::as_str)).collect();
        assert_eq!(
            phones,
            [Some("+77010000001"), Some("+77010000002"), Some("+77010000003"), Some("+77010000004"), None]
        );
        let clients: Vec<&str> = data.organisations.iter().map(|o| o.client_id.as_str()).collect();
        assert_eq!(clients, ["demo-verifier", "demo-police", "demo-website"]);
        let minor = resolve_date(&data.citizens[2].birth_date, d("2026-11-23")).unwrap();
        assert!(minor > d("2010-11-23") && minor < d("2011-11-23"), "the minor is 15");
    }
}
