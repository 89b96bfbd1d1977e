//! Digital documents over HTTP: the fourteen kinds from the registries, photos, the age and national-ID
//! rules, revocation by a state body, "Update" after a registry change, and a registry outage.

use harness::flows::*;
use harness::{DataPlace, Options, Server, Value, body_json, client, expect_problem, get_auth, json, post_auth};
use std::collections::BTreeSet;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn access(server: &Server, phone: &str) -> String {
    login_otp(server, phone).await["access_token"].as_str().unwrap().to_string()
}

async fn documents(server: &Server, token: &str) -> Vec<Value> {
    let r = get_auth(server, "/v1/documents", token).await;
    assert_eq!(r.status(), 200);
    body_json(r).await["documents"].as_array().unwrap().clone()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

#[tokio::test]
async fn the_demo_citizen_lists_every_kind_opens_each_and_gets_the_photos() {
    let server = Server::start().await;
    let token = access(&server, CITIZEN_1.0).await;
    let docs = documents(&server, &token).await;
    let kinds: BTreeSet<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 14, "every kind: {kinds:?}");
    assert_eq!(of_kind(&docs, "diploma").len(), 2, "two diplomas");
    assert!(docs.iter().all(|d| d["status"] == "valid"), "{docs:?}");

    for d in &docs {
        let r = get_auth(&server, &format!("/v1/documents/{}", d["id"].as_str().unwrap()), &token).await;
        assert_eq!(r.status(), 200);
        let detail = body_json(r).await;
        assert_eq!(detail["holder"]["iin"], CITIZEN_1.1);
        let fields = detail["fields"].as_object().expect("fields");
        assert!(!fields.is_empty(), "{}", d["kind"]);
        for f in fields.keys() {
            assert!(detail["labels"][f].is_string(), "label of {f}");
        }
    }
    let vehicle = of_kind(&docs, "vehicle_registration")[0];
    let detail =
        body_json(get_auth(&server, &format!("/v1/documents/{}", vehicle["id"].as_str().unwrap()), &token).await).await;
    for f in ["plate", "vin", "make", "model", "year", "colour"] {
        assert!(!detail["fields"][f].is_null(), "vehicle {f}");
    }

    let photo = |id: &str| {
        let (server, token, id) = (&server, &token, id.to_string());
        async move {
            let r = get_auth(server, &format!("/v1/documents/{id}/photo"), token).await;
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["content-type"], "image/jpeg");
            assert!(r.headers()["cache-control"].to_str().unwrap().contains("private"));
            let etag = r.headers()["etag"].to_str().unwrap().to_string();
            (r.bytes().await.unwrap().to_vec(), etag)
        }
    };
    let (id_photo, id_etag) = photo(of_kind(&docs, "national_id")[0]["id"].as_str().unwrap()).await;
    let (licence_photo, _) = photo(of_kind(&docs, "driving_licence")[0]["id"].as_str().unwrap()).await;
    let (diploma_photo, _) = photo(of_kind(&docs, "diploma")[0]["id"].as_str().unwrap()).await;
    assert_eq!(&id_photo[..2], &[0xFF, 0xD8], "a JPEG");
    assert_ne!(id_photo, licence_photo, "the licence shows the interior ministry's photo");
    assert_eq!(id_photo, diploma_photo, "other kinds show the individuals database's photo");
    let id = of_kind(&docs, "national_id")[0]["id"].as_str().unwrap().to_string();
    let r = client()
        .get(server.url(&format!("/v1/documents/{id}/photo")))
        .bearer_auth(&token)
        .header("if-none-match", id_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
}

#[tokio::test]
async fn the_fifteen_year_old_is_refused_with_the_reason_and_the_date() {
    let server = Server::start().await;
    let token = access(&server, "+77010000003").await;
    let p = expect_problem(get_auth(&server, "/v1/documents", &token).await, 403, "documents-not-available").await;
    assert_eq!(p["reason"], "under-16");
    assert!(p["available_from"].is_string());
    let r = client().post(server.url("/v1/documents/refresh")).bearer_auth(&token).send().await.unwrap();
    expect_problem(r, 403, "documents-not-available").await;
}

#[tokio::test]
async fn the_lost_national_id_shows_as_revoked_and_a_vaccination_in_progress_is_no_passport() {
    let server = Server::start().await;
    let token = access(&server, "+77010000004").await;
    let docs = documents(&server, &token).await;
    let id = of_kind(&docs, "national_id")[0];
    assert_eq!(id["status"], "revoked");
    assert_eq!(id["revoked_reason"], "lost");
    // "In case a document was lost or stolen, you cannot use digital documents" (egov.kz).
    let licence = of_kind(&docs, "driving_licence")[0];
    assert_eq!(licence["status"], "suspended");
    assert_eq!(licence["suspended_reason"], "national-id-lost");

    let token = access(&server, CITIZEN_2.0).await;
    let docs = documents(&server, &token).await;
    assert_eq!(docs.len(), 2, "a national ID and a driving licence; the vaccination course is not complete");
    assert!(of_kind(&docs, "vaccination_passport").is_empty());
}

#[tokio::test]
async fn a_state_body_reports_a_licence_stolen_and_the_owner_sees_it_revoked_at_once() {
    let server = Server::start().await;
    let token = access(&server, CITIZEN_2.0).await;
    let before = documents(&server, &token).await;
    assert_eq!(of_kind(&before, "driving_licence")[0]["status"], "valid");

    let police = org_token(&server, "demo-police", "demo-police-secret").await;
    let verifier = org_token(&server, "demo-verifier", "demo-verifier-secret").await;
    let url = format!("/v1/agency/documents/{}/revoke", CITIZEN_2.1);
    let body = json!({"kind": "driving_licence", "reason": "stolen"});
    expect_problem(post_auth(&server, &url, &verifier, body.clone()).await, 403, "insufficient-scope").await;
    expect_problem(post_auth(&server, &url, &token, body.clone()).await, 401, "token-invalid").await;
    expect_problem(
        post_auth(&server, "/v1/agency/documents/900315301238/revoke", &police, body.clone()).await,
        422,
        "validation",
    )
    .await;
    expect_problem(
        post_auth(&server, &url, &police, json!({"kind": "passport", "reason": "stolen"})).await,
        422,
        "validation",
    )
    .await;
    expect_problem(
        post_auth(&server, &url, &police, json!({"kind": "driving_licence", "reason": "burnt"})).await,
        422,
        "validation",
    )
    .await;
    expect_problem(
        post_auth(&server, &url, &police, json!({"kind": "diploma", "reason": "lost"})).await,
        404,
        "not-found",
    )
    .await;

    let r = post_auth(&server, &url, &police, body.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(body_json(r).await["revoked"].as_array().unwrap().len(), 1);
    let after = documents(&server, &token).await;
    assert_eq!(of_kind(&after, "driving_licence")[0]["status"], "revoked");
    assert_eq!(of_kind(&after, "driving_licence")[0]["revoked_reason"], "stolen");
    assert_eq!(of_kind(&after, "national_id")[0]["status"], "valid");
    expect_problem(post_auth(&server, &url, &police, body).await, 404, "not-found").await;

    // A refresh never brings a revoked document back.
    let r = client().post(server.url("/v1/documents/refresh")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(of_kind(&documents(&server, &token).await, "driving_licence")[0]["status"], "revoked");
    let history = body_json(get_auth(&server, "/v1/history", &token).await).await;
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "document_revoked" && e["detail"]["reason"] == "stolen")
    );
    // Told as well: the notification commits with the revocation and its history entry.
    let notes = body_json(get_auth(&server, "/v1/notifications", &token).await).await;
    let told: Vec<_> = notes.as_array().unwrap().iter().filter(|n| n["kind"] == "document_revoked").collect();
    assert_eq!(told.len(), 1, "{notes}");
}

#[tokio::test]
async fn another_citizens_document_is_not_found() {
    let server = Server::start().await;
    let owner = access(&server, CITIZEN_1.0).await;
    let other = access(&server, CITIZEN_2.0).await;
    let id = documents(&server, &owner).await[0]["id"].as_str().unwrap().to_string();
    expect_problem(get_auth(&server, &format!("/v1/documents/{id}"), &other).await, 404, "not-found").await;
    expect_problem(get_auth(&server, &format!("/v1/documents/{id}/photo"), &other).await, 404, "not-found").await;
    expect_problem(get_auth(&server, "/v1/documents/no-such-id", &owner).await, 404, "not-found").await;
}

#[tokio::test]
async fn labels_follow_accept_language_and_the_raw_languages_are_always_there() {
    let server = Server::start().await;
    let token = access(&server, CITIZEN_2.0).await;
    let ask = |lang: &'static str| {
        let (server, token) = (&server, &token);
        async move {
            let r = client()
                .get(server.url("/v1/documents"))
                .bearer_auth(token)
                .header("accept-language", lang)
                .send()
                .await
                .unwrap();
            body_json(r).await["documents"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["kind"] == "driving_licence")
                .cloned()
                .unwrap()
        }
    };
    assert_eq!(ask("ru-RU,ru;q=0.9").await["title"], "Водительское удостоверение");
    assert_eq!(ask("en").await["title"], "Driving licence");
    let kk = ask("kk").await;
    assert_eq!(kk["title"], "Жүргізуші куәлігі");
    assert_eq!(kk["titles"]["en"], "Driving licence");
}

fn licence(categories: &[&str]) -> Value {
    json!({"source": "interior", "kind": "driving_licence", "external_id": "DL-BUS-1", "number": "KZ 7770001",
        "issued_on": "2022-01-10", "expires_on": "2032-01-10",
        "fields": {"categories": categories, "issued_by": {"kk": "ІІМ", "ru": "МВД", "en": "Interior"}}})
}

fn national_id() -> Value {
    json!({"source": "individuals", "kind": "national_id", "external_id": "ID-BUS-1", "number": "041122001",
        "issued_on": "2021-05-01", "expires_on": "2031-05-01",
        "fields": {"birth_place": {"kk": "Шымкент", "ru": "Шымкент", "en": "Shymkent"}, "nationality": {"kk": "қазақ", "ru": "казах", "en": "Kazakh"}, "issued_by": {"kk": "ІІМ", "ru": "МВД", "en": "Interior"}}})
}

fn vaccination() -> Value {
    let stage = |dose: u8, date: &str| json!({"dose": dose, "date": date, "batch": "SV-1", "medical_organisation": {"kk": "Емхана", "ru": "Поликлиника", "en": "Clinic"}});
    json!({"source": "health", "kind": "vaccination_passport", "external_id": "VAC-BUS-1", "number": "ВП 1", "issued_on": "2021-10-01", "expires_on": null,
        "fields": {"vaccine": "Sputnik V", "stages_required": 2, "stages": [stage(1, "2021-09-01"), stage(2, "2021-09-22")]}})
}

async fn answer(bus: &MockServer, source: &str, records: Vec<Value>, priority: u8) {
    Mock::given(method("GET"))
        .and(path(format!("/{source}/persons/{}/documents", CITIZEN_2.1)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"records": records})))
        .with_priority(priority)
        .mount(bus)
        .await;
}

/// A server whose registries are the (mock) government service bus.
async fn server_on_bus(bus: &MockServer) -> Server {
    let place = DataPlace::fresh().await;
    let options = Options::default().env("EGOV_REGISTRY_URL", &bus.uri()).env("EGOV_REGISTRY_TIMEOUT_MS", "500");
    Server::start_on(&place, options).await.unwrap()
}

#[tokio::test]
async fn refresh_after_a_registry_change_adds_the_new_document_and_updates_the_changed_one() {
    let bus = MockServer::start().await;
    answer(&bus, "individuals", vec![national_id()], 5).await;
    answer(&bus, "interior", vec![licence(&["B"])], 5).await;
    let server = server_on_bus(&bus).await;
    let token = access(&server, CITIZEN_2.0).await;
    assert_eq!(documents(&server, &token).await.len(), 2);

    answer(&bus, "health", vec![vaccination()], 1).await;
    answer(&bus, "interior", vec![licence(&["B", "C"])], 1).await;
    let r = client().post(server.url("/v1/documents/refresh")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let report = body_json(r).await;
    assert_eq!(report["complete"], true);
    assert_eq!(report["added"], 1);
    assert_eq!(report["updated"], 1);
    let docs = documents(&server, &token).await;
    assert_eq!(of_kind(&docs, "vaccination_passport").len(), 1);
    let licence_id = of_kind(&docs, "driving_licence")[0]["id"].as_str().unwrap().to_string();
    let detail = body_json(get_auth(&server, &format!("/v1/documents/{licence_id}"), &token).await).await;
    assert_eq!(detail["fields"]["categories"], json!(["B", "C"]));
}

#[tokio::test]
async fn a_registry_outage_keeps_the_held_documents_and_is_reported() {
    // A dedicated (not pooled) mock server, so dropping it really closes its port.
    let bus = MockServer::builder().start().await;
    answer(&bus, "individuals", vec![national_id()], 5).await;
    answer(&bus, "interior", vec![licence(&["B"])], 5).await;
    let server = server_on_bus(&bus).await;
    let token = access(&server, CITIZEN_2.0).await;
    let held = documents(&server, &token).await;
    assert_eq!(held.len(), 2);

    // One source failing: the refresh is partial, the licence stays as last confirmed.
    Mock::given(method("GET"))
        .and(path(format!("/interior/persons/{}/documents", CITIZEN_2.1)))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .mount(&bus)
        .await;
    let report =
        body_json(client().post(server.url("/v1/documents/refresh")).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(report["complete"], false);
    let interior = report["sources"].as_array().unwrap().iter().find(|s| s["source"] == "interior").unwrap().clone();
    assert_eq!(interior["status"], "unavailable");
    assert!(interior["detail"].as_str().unwrap().contains("interior registry unavailable"));
    let licence_before = of_kind(&held, "driving_licence")[0].clone();
    let docs = documents(&server, &token).await;
    let licence_now = of_kind(&docs, "driving_licence")[0];
    assert_eq!(licence_now["checked_at"], licence_before["checked_at"], "last confirmed before the outage");
    assert_ne!(of_kind(&docs, "national_id")[0]["checked_at"], of_kind(&held, "national_id")[0]["checked_at"]);

    // The whole bus down: 503 with every source named, and the documents are still there.
    drop(bus);
    let r = client().post(server.url("/v1/documents/refresh")).bearer_auth(&token).send().await.unwrap();
    let p = expect_problem(r, 503, "unavailable").await;
    assert_eq!(p["sources"].as_array().unwrap().len(), 5);
    let r = get_auth(&server, "/v1/documents", &token).await;
    assert_eq!(r.status(), 200);
    let list = body_json(r).await;
    assert_eq!(list["documents"].as_array().unwrap().len(), 2);
    assert!(list["sources"].as_array().unwrap().iter().all(|s| s["unavailable_since"].is_string()), "{list}");
}
