//! Agency registries: where documents come from. One `Registry` per source agency (state database of
//! individuals, interior, health, education, labour). The embedded default is the demo registry of
//! `fixtures/demo-registry.json`; `HttpRegistry` asks the government service bus.

use crate::demo::{DemoData, resolve_date};
use async_trait::async_trait;
use chrono::NaiveDate;
use egov_core::documents::{DocumentKind, Source};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// One document as a registry gives it.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistryRecord {
    pub source: Source,
    pub kind: DocumentKind,
    /// The registry's own id of the document (stable across updates).
    pub external_id: String,
    pub number: String,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    /// Set when the registry itself knows the document was reported lost or stolen.
    pub revoked: Option<Revocation>,
    pub fields: serde_json::Value,
}

/// A person as the state database of individuals knows them: what registration checks and keeps.
#[derive(Debug, Clone, Deserialize)]
pub struct PersonRecord {
    pub surname: String,
    pub given_name: String,
    pub patronymic: Option<String>,
    pub surname_lat: String,
    pub given_name_lat: String,
    pub birth_date: NaiveDate,
    /// `M` or `F`.
    pub sex: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Revocation {
    /// `lost`, `stolen`, `withdrawn`.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("{registry} registry unavailable: {reason}")]
    Unavailable { registry: &'static str, reason: String },
    #[error("{registry} registry answered something unreadable")]
    Malformed { registry: &'static str },
}

#[async_trait]
pub trait Registry: Send + Sync {
    fn source(&self) -> Source;
    /// The documents this source holds for the citizen.
    async fn records(&self, iin: &str) -> Result<Vec<RegistryRecord>, RegistryError>;
    /// The citizen's photo in this source (JPEG), if it keeps one.
    async fn photo(&self, iin: &str) -> Result<Option<Vec<u8>>, RegistryError>;
    /// The person with this IIN, if this source keeps people (the state database of individuals does).
    async fn person(&self, _iin: &str) -> Result<Option<PersonRecord>, RegistryError> {
        Ok(None)
    }
}

/// The registries of every source.
#[derive(Clone)]
pub struct Registries(pub Vec<Arc<dyn Registry>>);

impl Registries {
    pub fn demo(data: Arc<DemoData>, today: NaiveDate) -> Registries {
        Registries(
            Source::ALL
                .into_iter()
                .map(|s| Arc::new(DemoRegistry { source: s, data: data.clone(), today }) as Arc<dyn Registry>)
                .collect(),
        )
    }

    pub fn http(base_url: &str, timeout: Duration) -> Registries {
        let client = reqwest::Client::builder().timeout(timeout).no_proxy().build().unwrap_or_default();
        Registries(
            Source::ALL
                .into_iter()
                .map(|s| {
                    Arc::new(HttpRegistry {
                        source: s,
                        base: base_url.trim_end_matches('/').to_string(),
                        client: client.clone(),
                    }) as Arc<dyn Registry>
                })
                .collect(),
        )
    }

    pub fn get(&self, source: Source) -> Option<&Arc<dyn Registry>> {
        self.0.iter().find(|r| r.source() == source)
    }
}

/// The photos shipped with the demo registry, by fixture path.
const DEMO_PHOTOS: &[(&str, &[u8])] = &[
    ("photos/871008401427-individuals.jpg", include_bytes!("../../fixtures/photos/871008401427-individuals.jpg")),
    ("photos/871008401427-interior.jpg", include_bytes!("../../fixtures/photos/871008401427-interior.jpg")),
    ("photos/900315301237-individuals.jpg", include_bytes!("../../fixtures/photos/900315301237-individuals.jpg")),
    ("photos/900315301237-interior.jpg", include_bytes!("../../fixtures/photos/900315301237-interior.jpg")),
    ("photos/110901504561-individuals.jpg", include_bytes!("../../fixtures/photos/110901504561-individuals.jpg")),
    ("photos/110901504561-interior.jpg", include_bytes!("../../fixtures/photos/110901504561-interior.jpg")),
    ("photos/950712407894-individuals.jpg", include_bytes!("../../fixtures/photos/950712407894-individuals.jpg")),
    ("photos/950712407894-interior.jpg", include_bytes!("../../fixtures/photos/950712407894-interior.jpg")),
    ("photos/850202301111-individuals.jpg", include_bytes!("../../fixtures/photos/850202301111-individuals.jpg")),
    ("photos/850202301111-interior.jpg", include_bytes!("../../fixtures/photos/850202301111-interior.jpg")),
];

/// The embedded demo registry: one source's view of the fixture, relative dates resolved from `today`.
pub struct DemoRegistry {
    source: Source,
    data: Arc<DemoData>,
    today: NaiveDate,
}

#[async_trait]
impl Registry for DemoRegistry {
    fn source(&self) -> Source {
        self.source
    }

    async fn records(&self, iin: &str) -> Result<Vec<RegistryRecord>, RegistryError> {
        let malformed = || RegistryError::Malformed { registry: self.source.as_str() };
        let mut out = Vec::new();
        for raw in self.data.records.get(iin).into_iter().flatten().filter(|r| r["source"] == self.source.as_str()) {
            let mut raw = raw.clone();
            for key in ["issued_on", "expires_on"] {
                if let Some(expr) = raw[key].as_str() {
                    raw[key] =
                        serde_json::Value::String(resolve_date(expr, self.today).map_err(|_| malformed())?.to_string());
                }
            }
            out.push(serde_json::from_value(raw).map_err(|_| malformed())?);
        }
        Ok(out)
    }

    async fn photo(&self, iin: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        let path = self.data.photos.get(iin).and_then(|p| p.get(self.source.as_str()));
        Ok(path.and_then(|p| DEMO_PHOTOS.iter().find(|(name, _)| name == p)).map(|(_, bytes)| bytes.to_vec()))
    }

    async fn person(&self, iin: &str) -> Result<Option<PersonRecord>, RegistryError> {
        if self.source != Source::Individuals {
            return Ok(None);
        }
        let Some(c) = self.data.citizens.iter().find(|c| c.iin.as_string() == iin) else { return Ok(None) };
        let birth_date = resolve_date(&c.birth_date, self.today)
            .map_err(|_| RegistryError::Malformed { registry: self.source.as_str() })?;
        Ok(Some(PersonRecord {
            surname: c.surname.clone(),
            given_name: c.given_name.clone(),
            patronymic: c.patronymic.clone(),
            surname_lat: c.surname_lat.clone(),
            given_name_lat: c.given_name_lat.clone(),
            birth_date,
            sex: c.sex.clone(),
        }))
    }
}

/// The government service bus: `GET {base}/{source}/persons/{iin}/documents` answers
/// `{"records": [...]}` (404: none), `GET {base}/{source}/persons/{iin}/photo` a JPEG (404: none), and the
/// state database of individuals `GET {base}/individuals/persons/{iin}` the person (404: unknown).
/// Each call has a timeout and one retry on a timeout or a 5xx.
pub struct HttpRegistry {
    source: Source,
    base: String,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct RecordsAnswer {
    records: Vec<RegistryRecord>,
}

impl HttpRegistry {
    async fn get(&self, path: &str) -> Result<Option<reqwest::Response>, RegistryError> {
        let url = format!("{}/{}/persons/{path}", self.base, self.source.as_str());
        let unavailable = |reason: String| RegistryError::Unavailable { registry: self.source.as_str(), reason };
        let mut last = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            match self.client.get(&url).send().await {
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => return Ok(None),
                Ok(r) if r.status().is_success() => return Ok(Some(r)),
                Ok(r) if r.status().is_server_error() => last = format!("answered {}", r.status()),
                Ok(r) => return Err(unavailable(format!("answered {}", r.status()))),
                Err(e) => last = if e.is_timeout() { "timed out".into() } else { "unreachable".into() },
            }
        }
        Err(unavailable(last))
    }
}

#[async_trait]
impl Registry for HttpRegistry {
    fn source(&self) -> Source {
        self.source
    }

    async fn records(&self, iin: &str) -> Result<Vec<RegistryRecord>, RegistryError> {
        let Some(r) = self.get(&format!("{iin}/documents")).await? else { return Ok(Vec::new()) };
        let answer: RecordsAnswer =
            r.json().await.map_err(|_| RegistryError::Malformed { registry: self.source.as_str() })?;
        Ok(answer.records.into_iter().filter(|rec| rec.source == self.source).collect())
    }

    async fn photo(&self, iin: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        let Some(r) = self.get(&format!("{iin}/photo")).await? else { return Ok(None) };
        let bytes = r.bytes().await.map_err(|_| RegistryError::Malformed { registry: self.source.as_str() })?;
        Ok(Some(bytes.to_vec()))
    }

    async fn person(&self, iin: &str) -> Result<Option<PersonRecord>, RegistryError> {
        if self.source != Source::Individuals {
            return Ok(None);
        }
        let Some(r) = self.get(iin).await? else { return Ok(None) };
        let person = r.json().await.map_err(|_| RegistryError::Malformed { registry: self.source.as_str() })?;
        Ok(Some(person))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn record() -> serde_json::Value {
        serde_json::json!({"source": "interior", "kind": "driving_licence", "external_id": "DL-1", "number": "KZ 1",
            "issued_on": "2020-01-01", "expires_on": "2030-01-01", "fields": {"categories": ["B"], "issued_by": {"kk": "a", "ru": "b", "en": "c"}}})
    }

    #[tokio::test]
    async fn the_bus_is_asked_per_source_and_its_records_are_read() {
        let bus = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/interior/persons/900315301237/documents"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"records": [record()]})))
            .mount(&bus)
            .await;
        let regs = Registries::http(&bus.uri(), Duration::from_secs(1));
        let got = regs.get(Source::Interior).unwrap().records("900315301237").await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, DocumentKind::DrivingLicence);
        let none = regs.get(Source::Health).unwrap().records("900315301237").await.unwrap();
        assert!(none.is_empty(), "404 from the bus means no documents");
    }

    #[tokio::test]
    async fn a_slow_bus_times_out_after_one_retry_and_says_which_source() {
        let bus = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .mount(&bus)
            .await;
        let regs = Registries::http(&bus.uri(), Duration::from_millis(200));
        let err = regs.get(Source::Interior).unwrap().records("900315301237").await.unwrap_err();
        assert_eq!(err, RegistryError::Unavailable { registry: "interior", reason: "timed out".into() });
        assert_eq!(bus.received_requests().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn the_state_database_of_individuals_names_a_person_and_nobody_else_does() {
        let bus = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/individuals/persons/850202301111"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"surname": "Ахметов",
                "given_name": "Ерлан", "patronymic": null, "surname_lat": "AKHMETOV", "given_name_lat": "YERLAN",
                "birth_date": "1985-02-02", "sex": "M"})))
            .mount(&bus)
            .await;
        let regs = Registries::http(&bus.uri(), Duration::from_secs(1));
        let person = regs.get(Source::Individuals).unwrap().person("850202301111").await.unwrap().unwrap();
        assert_eq!(person.birth_date.to_string(), "1985-02-02");
        assert!(regs.get(Source::Individuals).unwrap().person("900315301237").await.unwrap().is_none(), "404");
        assert!(regs.get(Source::Interior).unwrap().person("850202301111").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_bus_answering_garbage_is_malformed_not_a_panic() {
        let bus = MockServer::start().await;
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string("<html>")).mount(&bus).await;
        let regs = Registries::http(&bus.uri(), Duration::from_secs(1));
        assert_eq!(
            regs.get(Source::Health).unwrap().records("1").await.unwrap_err(),
            RegistryError::Malformed { registry: "health" }
        );
    }
}
