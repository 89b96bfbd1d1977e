//! Authorisation across citizens: on every route that takes an id, a second citizen signed in with their
//! own valid session gets the same 404 as for an id that does not exist (nothing says the id is real),
//! and the first citizen's data is unchanged afterwards. Also: citizen tokens on organisation and
//! agency routes, and an organisation token on citizen routes.

use harness::flows::*;
use harness::{Server, Value, body_json, client, expect_problem, get_auth, json, post_auth};

async fn access(server: &Server, phone: &str) -> String {
    login_otp(server, phone).await["access_token"].as_str().unwrap().to_string()
}

async fn delete_auth(server: &Server, path: &str, token: &str) -> reqwest::Response {
    client().delete(server.url(path)).bearer_auth(token).send().await.unwrap()
}

/// What citizen A owns: a document, a share of it, a session, a fine and a paid fine's receipt.
struct Owned {
    document: String,
    share: String,
    session: String,
    unpaid_fine: String,
    receipt: String,
}

async fn owned_by_first_citizen(server: &Server, a: &str) -> Owned {
    let docs = body_json(get_auth(server, "/v1/documents", a).await).await;
    let document = docs["documents"][0]["id"].as_str().unwrap().to_string();
    let share = body_json(post_auth(server, &format!("/v1/documents/{document}/shares"), a, json!({})).await).await;
    let me = body_json(get_auth(server, "/v1/me", a).await).await;
    let fines: Vec<Value> =
        body_json(get_auth(server, "/v1/fines?status=unpaid", a).await).await.as_array().unwrap().clone();
    let paid = client()
        .post(server.url(&format!("/v1/fines/{}/payments", fines[1]["id"].as_str().unwrap())))
        .bearer_auth(a)
        .header("idempotency-key", "authz-owner")
        .json(&json!({"method": "card", "card_token": "tok_ok"}))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 201);
    let receipts = body_json(get_auth(server, "/v1/receipts", a).await).await;
    Owned {
        document,
        share: share["share_id"].as_str().unwrap().to_string(),
        session: me["session_id"].as_str().unwrap().to_string(),
        unpaid_fine: fines[0]["id"].as_str().unwrap().to_string(),
        receipt: receipts[0]["id"].as_str().unwrap().to_string(),
    }
}

#[tokio::test]
async fn a_second_citizen_gets_not_found_for_every_id_of_the_first_and_changes_nothing() {
    let server = Server::start().await;
    let a = access(&server, CITIZEN_1.0).await;
    let b = access(&server, CITIZEN_2.0).await;
    let owned = owned_by_first_citizen(&server, &a).await;
    let share_before = body_json(get_auth(&server, &format!("/v1/shares/{}", owned.share), &a).await).await;

    let (doc, share, fine, receipt) = (&owned.document, &owned.share, &owned.unpaid_fine, &owned.receipt);
    let reads = [
        format!("/v1/documents/{doc}"),
        format!("/v1/documents/{doc}/photo"),
        format!("/v1/shares/{share}"),
        format!("/v1/shares/{share}/qr.svg"),
        format!("/v1/shares/{share}/qr.png"),
        format!("/v1/fines/{fine}"),
        format!("/v1/receipts/{receipt}"),
        format!("/v1/receipts/{receipt}/qr.svg"),
    ];
    for path in &reads {
        expect_problem(get_auth(&server, path, &b).await, 404, "not-found").await;
        // The same answer as for an id that does not exist.
        let unknown = path
            .replace(doc.as_str(), "x")
            .replace(share.as_str(), "x")
            .replace(fine.as_str(), "x")
            .replace(receipt.as_str(), "x");
        expect_problem(get_auth(&server, &unknown, &b).await, 404, "not-found").await;
    }

    let r = post_auth(&server, &format!("/v1/documents/{doc}/shares"), &b, json!({})).await;
    expect_problem(r, 404, "not-found").await;
    let r = post_auth(&server, &format!("/v1/shares/{share}/extend"), &b, json!({"ttl_seconds": 1800})).await;
    expect_problem(r, 404, "not-found").await;
    expect_problem(delete_auth(&server, &format!("/v1/shares/{share}"), &b).await, 404, "not-found").await;
    expect_problem(delete_auth(&server, &format!("/v1/me/sessions/{}", owned.session), &b).await, 404, "not-found")
        .await;
    let r = client()
        .post(server.url(&format!("/v1/fines/{fine}/payments")))
        .bearer_auth(&b)
        .header("idempotency-key", "authz-other-citizen")
        .json(&json!({"method": "card", "card_token": "tok_ok"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 404, "not-found").await;

    // Nothing of A's changed: the share is still active with the same expiry, the session still works,
    // the fine is still unpaid.
    let share_after = body_json(get_auth(&server, &format!("/v1/shares/{share}"), &a).await).await;
    assert_eq!(share_after["state"], "active");
    assert_eq!(share_after["expires_at"], share_before["expires_at"]);
    assert_eq!(get_auth(&server, "/v1/me", &a).await.status(), 200);
    let fine_after = body_json(get_auth(&server, &format!("/v1/fines/{fine}"), &a).await).await;
    assert_eq!(fine_after["status"], "unpaid");
    // And none of B's attempts reached A's history.
    let history = body_json(get_auth(&server, "/v1/history?limit=200", &a).await).await;
    assert!(!history.to_string().contains(CITIZEN_2.1), "{history}");
}

#[tokio::test]
async fn a_fine_search_for_another_citizens_iin_is_forbidden() {
    let server = Server::start().await;
    let b = access(&server, CITIZEN_2.0).await;
    let r = get_auth(&server, &format!("/v1/fines/search?iin={}", CITIZEN_1.1), &b).await;
    expect_problem(r, 403, "forbidden").await;
    let own = get_auth(&server, &format!("/v1/fines/search?iin={}", CITIZEN_2.1), &b).await;
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn a_website_login_scanned_by_one_citizen_cannot_be_decided_by_another() {
    let server = Server::start().await;
    let a = access(&server, CITIZEN_1.0).await;
    let b = access(&server, CITIZEN_2.0).await;
    let created = body_json(
        client().post(server.url("/v1/web-login/requests")).header("origin", &server.base).send().await.unwrap(),
    )
    .await;
    let id = created["request_id"].as_str().unwrap();
    let r = post_auth(&server, "/v1/web-login/scan", &a, json!({"qr_url": created["qr_url"]})).await;
    assert_eq!(r.status(), 200);

    let r = post_auth(
        &server,
        &format!("/v1/web-login/requests/{id}/approve"),
        &b,
        json!({"check_code": created["check_code"]}),
    )
    .await;
    expect_problem(r, 404, "not-found").await;
    let r = post_auth(&server, &format!("/v1/web-login/requests/{id}/deny"), &b, json!({})).await;
    expect_problem(r, 404, "not-found").await;
    // A can still approve: B's attempts did not deny it.
    let r = post_auth(
        &server,
        &format!("/v1/web-login/requests/{id}/approve"),
        &a,
        json!({"check_code": created["check_code"]}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", body_json(r).await);
}

#[tokio::test]
async fn citizen_and_organisation_tokens_stay_on_their_own_routes() {
    let server = Server::start().await;
    let citizen = access(&server, CITIZEN_1.0).await;
    let verifier = org_token(&server, "demo-verifier", "demo-verifier-secret").await;

    // A citizen token on state-body routes.
    let r = post_auth(&server, "/v1/agency/fines", &citizen, json!({})).await;
    assert!(matches!(r.status().as_u16(), 401 | 403), "{}", r.status());
    let r = post_auth(
        &server,
        &format!("/v1/agency/documents/{}/revoke", CITIZEN_2.1),
        &citizen,
        json!({"reason": "lost"}),
    )
    .await;
    assert!(matches!(r.status().as_u16(), 401 | 403), "{}", r.status());
    // A verifier's token (share:redeem only) on a state-body route.
    // It is refused before its body is read: even a malformed body gets 403, not a validation answer.
    let r = post_auth(
        &server,
        &format!("/v1/agency/documents/{}/revoke", CITIZEN_2.1),
        &verifier,
        json!({"reason": "lost"}),
    )
    .await;
    expect_problem(r, 403, "insufficient-scope").await;
    let r = post_auth(&server, "/v1/agency/fines", &verifier, json!({})).await;
    expect_problem(r, 403, "insufficient-scope").await;
    // An organisation token on citizen routes.
    for path in ["/v1/me", "/v1/documents", "/v1/fines", "/v1/receipts", "/v1/history"] {
        let r = get_auth(&server, path, &verifier).await;
        assert_eq!(r.status(), 401, "{path}");
    }
    // The second citizen's documents are intact after all of it.
    let b = access(&server, CITIZEN_2.0).await;
    let docs = body_json(get_auth(&server, "/v1/documents", &b).await).await;
    assert!(docs["documents"].as_array().unwrap().iter().all(|d| d["status"] == "valid"), "{docs}");
}
