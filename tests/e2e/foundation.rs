//! The foundation: one command runs the server, the operations routes answer, every bad request is a
//! problem document, data and keys survive a restart, SIGTERM drains, prod mode refuses dev shortcuts.

use harness::{DataPlace, Options, Server, Value, body_json, client, expect_problem, json, prod_keys};
use std::time::Duration;

#[tokio::test]
async fn a_fresh_server_answers_health_readiness_keys_contract_and_metrics() {
    let server = Server::start().await;
    let http = client();

    let health = body_json(http.get(server.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(health["status"], "ok");

    let ready = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready = body_json(ready).await;
    assert_eq!(ready["status"], "ready");
    let expected_db = if server.place.database_url.is_some() { "postgres" } else { "sqlite" };
    assert_eq!(ready["database"], expected_db);

    let jwks = body_json(http.get(server.url("/.well-known/jwks.json")).send().await.unwrap()).await;
    let keys = jwks["keys"].as_array().expect("keys array");
    assert_eq!(keys.len(), 2, "a token key and a document key: {jwks}");
    for k in keys {
        assert_eq!(k["kty"], "EC");
        assert_eq!(k["crv"], "P-256");
        assert_eq!(k["alg"], "ES256");
        assert!(k["kid"].as_str().is_some_and(|s| s.len() >= 16));
        assert!(k.get("d").is_none(), "never a private component");
    }

    let openapi = body_json(http.get(server.url("/openapi.json")).send().await.unwrap()).await;
    assert!(openapi["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));

    let metrics = http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#), "{metrics}");
    assert!(metrics.contains("http_request_duration_seconds_bucket"), "{metrics}");
}

#[tokio::test]
async fn the_start_up_banner_tells_a_newcomer_how_to_sign_in() {
    let server = Server::start().await;
    for needle in [
        "listening on http://",
        "+77010000001",
        "+77010000002",
        "+77010000003",
        "+77010000004",
        "demo-verifier-secret",
        "demo-police-secret",
        "+77019999999",
    ] {
        assert!(server.stdout_banner.contains(needle), "banner lacks {needle}:\n{}", server.stdout_banner);
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = Server::start().await;
    let http = client();
    for path in ["/healthz", "/no-such-route"] {
        let r = http.get(server.url(path)).send().await.unwrap();
        let id = r.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(id.len(), 36, "{path}: a UUID request id, got {id:?}");
    }
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let server = Server::start().await;
    let r = client()
        .post(server.url("/dev/clock/advance"))
        .header("content-type", "application/json")
        .body(r#"{"seconds": "#)
        .send()
        .await
        .unwrap();
    expect_problem(r, 400, "malformed-json").await;
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_a_415_problem() {
    let server = Server::start().await;
    let r = client()
        .post(server.url("/dev/clock/advance"))
        .header("content-type", "text/plain")
        .body(r#"{"seconds":1}"#)
        .send()
        .await
        .unwrap();
    expect_problem(r, 415, "unsupported-media-type").await;
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem() {
    let server = Server::start().await;
    let big = format!(r#"{{"seconds": 1, "pad": "{}"}}"#, "x".repeat(200 * 1024));
    let r = client()
        .post(server.url("/dev/clock/advance"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    expect_problem(r, 413, "payload-too-large").await;
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_a_422_problem() {
    let server = Server::start().await;
    let http = client();
    let r = http.post(server.url("/dev/clock/advance")).json(&json!({"seconds": "ten"})).send().await.unwrap();
    let p = expect_problem(r, 422, "validation").await;
    assert!(p["detail"].as_str().unwrap().contains("seconds"), "{p}");
    let r =
        http.post(server.url("/dev/clock/advance")).json(&json!({"seconds": 5, "extra": true})).send().await.unwrap();
    expect_problem(r, 422, "validation").await;
    let r = http.post(server.url("/dev/clock/advance")).json(&json!({"seconds": 0})).send().await.unwrap();
    let p = expect_problem(r, 422, "validation").await;
    assert_eq!(p["field"], "seconds");
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem_and_a_wrong_method_a_405_problem() {
    let server = Server::start().await;
    let http = client();
    expect_problem(http.get(server.url("/v1/nothing-here")).send().await.unwrap(), 404, "route-not-found").await;
    let r = http.delete(server.url("/healthz")).send().await.unwrap();
    let allow = r.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    expect_problem(r, 405, "method-not-allowed").await;
    assert!(allow.contains("GET"), "Allow header names GET: {allow:?}");
}

/// Replaces `{param}` segments with a value no resource has.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "00000000-0000-0000-0000-000000000000" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_route_in_the_openapi_document_is_served() {
    let server = Server::start().await;
    let http = client();
    let doc = body_json(http.get(server.url("/openapi.json")).send().await.unwrap()).await;
    let paths = doc["paths"].as_object().expect("paths");
    assert!(!paths.is_empty());
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = http.request(m.clone(), server.url(&concrete(path))).send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is documented but not routed");
            assert!(!text.contains("/problems/route-not-found"), "{method} {path} is documented but not routed");
        }
    }
}

/// The contract routes of the design that are built so far; each issue adds its own.
const CONTRACT_ROUTES: &[(&str, &str)] =
    &[("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics"), ("get", "/.well-known/jwks.json")];

#[tokio::test]
async fn the_openapi_document_lists_every_contract_route_built_so_far() {
    let server = Server::start().await;
    let doc = body_json(client().get(server.url("/openapi.json")).send().await.unwrap()).await;
    for (method, path) in CONTRACT_ROUTES {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing from /openapi.json");
    }
}

#[tokio::test]
async fn a_restart_on_the_same_data_keeps_data_and_keys() {
    let place = DataPlace::fresh().await;
    let first = Server::start_on(&place, Options::default()).await.unwrap();
    let http = client();
    let jwks_before = body_json(http.get(first.url("/.well-known/jwks.json")).send().await.unwrap()).await;
    let db = place.sql().await;
    sqlx::query("UPDATE citizens SET given_name = 'Renamed' WHERE iin = '900315301237'").execute(&db).await.unwrap();
    db.close().await;
    assert!(first.stop().await.success());

    let second = Server::start_on(&place, Options::default()).await.unwrap();
    let jwks_after = body_json(http.get(second.url("/.well-known/jwks.json")).send().await.unwrap()).await;
    assert_eq!(jwks_before, jwks_after, "the same keys after a restart");
    let db = place.sql().await;
    let name: String =
        sqlx::query_scalar("SELECT given_name FROM citizens WHERE iin = '900315301237'").fetch_one(&db).await.unwrap();
    assert_eq!(name, "Renamed", "data written before the restart is kept, and the demo seed does not overwrite it");
    let citizens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM citizens").fetch_one(&db).await.unwrap();
    assert_eq!(citizens, 5, "seeding twice adds nothing");
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish_then_exits_cleanly() {
    let mut server = Server::start().await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(ChannelBody(rx));
    let url = server.url("/dev/clock/advance");
    let request =
        tokio::spawn(
            async move { client().post(url).header("content-type", "application/json").body(body).send().await },
        );
    tx.send(Ok(br#"{"seconds":"#.to_vec())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.sigterm();
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.send(Ok(b"7}".to_vec())).await.unwrap();
    drop(tx);
    let response = request.await.unwrap().expect("the in-flight request is answered");
    assert_eq!(response.status(), 200);
    let status = server.wait(Duration::from_secs(20)).await.expect("exits after draining");
    assert!(status.success(), "clean exit, got {status:?}");
    assert!(server.log().contains("shutdown complete"), "{}", server.log());
    assert!(client().get(server.url("/healthz")).send().await.is_err(), "no longer accepting");
}

/// A request body fed chunk by chunk from a channel, so a test controls when the request completes.
struct ChannelBody(tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>);

impl futures_core::Stream for ChannelBody {
    type Item = Result<Vec<u8>, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

#[tokio::test]
async fn prod_mode_refuses_to_start_with_the_default_dev_keys() {
    let place = DataPlace::fresh().await;
    let err = Server::start_on(&place, Options::default().arg("--mode").arg("prod")).await.err().expect("refuses");
    assert!(err.contains("EGOV_TOKEN_KEY_FILES"), "says which key is missing: {err}");
}

#[tokio::test]
async fn prod_mode_with_its_keys_serves_no_demo_data_and_no_dev_routes() {
    let place = DataPlace::fresh().await;
    let options = prod_keys(&place)
        .env("EGOV_REGISTRY_URL", "http://127.0.0.1:9/bus")
        .env("EGOV_IDENTITY_URL", "http://127.0.0.1:9/identity")
        .env("EGOV_ACQUIRER_URL", "http://127.0.0.1:9/acquirer")
        .env("EGOV_ACQUIRER_WEBHOOK_SECRET", "a-long-random-webhook-key-of-the-acquirer");
    let server = Server::start_on(&place, options.clone()).await.unwrap();
    assert!(!server.stdout_banner.contains("demo-verifier"), "no demo credentials in prod");
    let http = client();
    let r = http.post(server.url("/dev/clock/advance")).json(&json!({"seconds": 5})).send().await.unwrap();
    expect_problem(r, 404, "route-not-found").await;
    let doc: Value = body_json(http.get(server.url("/openapi.json")).send().await.unwrap()).await;
    assert!(
        doc["paths"].as_object().unwrap().keys().all(|p| !p.starts_with("/dev/")),
        "dev routes are not in the prod contract"
    );
    let db = place.sql().await;
    let citizens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM citizens").fetch_one(&db).await.unwrap();
    assert_eq!(citizens, 0, "prod seeds no demo citizens");
    drop(server);

    let outbox =
        Server::start_on(&place, options.env("EGOV_SMS_GATEWAY", "outbox")).await.err().expect("refuses the outbox");
    assert!(outbox.contains("refuses the log and outbox SMS gateways"), "{outbox}");
}
