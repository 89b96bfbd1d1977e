//! Who may call each route, stated in the OpenAPI document: `x-egov-levels` lists the session levels a
//! citizen route admits (from core's table, `Action::levels`), `x-egov-access` says in words who may call
//! any route, and the same sentence ends the operation's description. The routes take the extractor of
//! the action named here; the end-to-end suite checks every listed level against the running server
//! (`levels::every_citizen_route_refuses_the_levels_the_contract_leaves_out`), and a unit test below checks
//! that every operation of the contract is listed.

use egov_core::auth::session::{Acr, Action};
use utoipa::openapi::OpenApi;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::Operation;

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Anyone, unauthenticated.
    Anyone,
    /// A citizen's session of a level that may perform the action.
    Citizen(Action),
    /// A citizen's session; the level needed depends on the target (named in the description).
    CitizenDepends(&'static str),
    /// An organisation's token with this scope.
    Organisation(&'static str),
    /// A citizen's session of any level, or an organisation with `share:redeem`.
    Redeemer,
    /// A registered website with this scope, or this service's own pages (same origin).
    Website(&'static str),
    /// The browser that created the request (its poll secret).
    PollSecret,
    /// The acquirer (an HMAC-signed body).
    Acquirer,
    /// Dev mode only.
    Dev,
}

impl Access {
    /// The levels a citizen route admits (none for other routes).
    pub fn levels(self) -> Vec<&'static str> {
        match self {
            Access::Citizen(action) => action.levels().iter().map(|a| a.as_str()).collect(),
            Access::CitizenDepends(_) | Access::Redeemer => Acr::ALL.iter().map(|a| a.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// Who may call, in words.
    pub fn sentence(self) -> String {
        match self {
            Access::Anyone => "Who may call: anyone.".into(),
            Access::Citizen(action) => {
                format!("Who may call: a citizen's session of level {}.", action.levels_str().replace(' ', " or "))
            }
            Access::CitizenDepends(how) => format!("Who may call: a citizen's session; {how}."),
            Access::Organisation(scope) => format!("Who may call: an organisation with scope `{scope}`."),
            Access::Redeemer => {
                "Who may call: a citizen's session of any level, or an organisation with scope `share:redeem`.".into()
            }
            Access::Website(scope) => format!(
                "Who may call: a website registered with scope `{scope}` (its registered name is shown), or this service's own pages (same origin)."
            ),
            Access::PollSecret => "Who may call: the browser that created the request (its poll secret).".into(),
            Access::Acquirer => "Who may call: the acquirer, with an HMAC-SHA256-signed body.".into(),
            Access::Dev => "Who may call: anyone, in dev mode only.".into(),
        }
    }
}

/// Every operation of the contract and who may call it.
pub const ROUTES: &[(&str, &str, Access)] = {
    use Access::*;
    &[
        ("GET", "/.well-known/jwks.json", Anyone),
        ("GET", "/healthz", Anyone),
        ("GET", "/readyz", Anyone),
        ("GET", "/metrics", Anyone),
        ("POST", "/dev/clock/advance", Dev),
        ("GET", "/dev/sms-outbox", Dev),
        ("POST", "/dev/acquirer/payments/{payment_id}/pay", Dev),
        ("POST", "/v1/auth/otp/start", Anyone),
        ("POST", "/v1/auth/otp/verify", Anyone),
        ("POST", "/v1/auth/eds/challenge", Anyone),
        ("POST", "/v1/auth/eds/verify", Anyone),
        ("POST", "/v1/auth/refresh", Anyone),
        ("POST", "/v1/auth/logout", Citizen(Action::EndOwnSession)),
        ("POST", "/v1/registration/start", Anyone),
        ("POST", "/v1/registration/verify", Anyone),
        ("POST", "/v1/registration/complete", Anyone),
        ("POST", "/v1/oauth/token", Anyone),
        ("GET", "/v1/me", Citizen(Action::ViewProfile)),
        ("GET", "/v1/me/sessions", Citizen(Action::ViewHistory)),
        (
            "DELETE",
            "/v1/me/sessions/{id}",
            CitizenDepends(
                "any session ends itself, otp or eds end a website session, only eds ends another app session",
            ),
        ),
        ("POST", "/v1/me/phone/start", Citizen(Action::ChangePhone)),
        ("POST", "/v1/me/phone/confirm", Citizen(Action::ChangePhone)),
        ("POST", "/v1/me/devices/enrolment", Citizen(Action::RequestDeviceEnrolment)),
        ("POST", "/v1/me/devices", Citizen(Action::RequestDeviceEnrolment)),
        ("GET", "/v1/me/devices", Citizen(Action::ViewHistory)),
        ("POST", "/v1/me/devices/{id}/approve", Citizen(Action::ApproveDevice)),
        (
            "DELETE",
            "/v1/me/devices/{id}",
            CitizenDepends("otp or eds cancel a key still waiting, only eds revokes an active one"),
        ),
        ("GET", "/v1/history", Citizen(Action::ViewHistory)),
        ("GET", "/v1/notifications", Citizen(Action::ViewHistory)),
        ("GET", "/v1/notifications/stream", Citizen(Action::ViewHistory)),
        ("GET", "/v1/documents", Citizen(Action::ViewDocuments)),
        ("POST", "/v1/documents/refresh", Citizen(Action::ViewDocuments)),
        ("GET", "/v1/documents/{id}", Citizen(Action::ViewDocuments)),
        ("GET", "/v1/documents/{id}/photo", Citizen(Action::ViewDocuments)),
        ("POST", "/v1/documents/{id}/shares", Citizen(Action::ShareDocument)),
        ("GET", "/v1/shares/{id}", Citizen(Action::ViewDocuments)),
        ("DELETE", "/v1/shares/{id}", Citizen(Action::ViewDocuments)),
        ("POST", "/v1/shares/{id}/extend", Citizen(Action::ShareDocument)),
        ("GET", "/v1/shares/{id}/qr.png", Citizen(Action::ShareDocument)),
        ("GET", "/v1/shares/{id}/qr.svg", Citizen(Action::ShareDocument)),
        ("POST", "/v1/shares/redeem", Redeemer),
        ("GET", "/v1/shared-copies/{share_id}/status", Redeemer),
        ("GET", "/v1/fines", Citizen(Action::ViewFines)),
        ("GET", "/v1/fines/search", Citizen(Action::ViewFines)),
        ("GET", "/v1/fines/cities", Anyone),
        ("GET", "/v1/fines/{id}", Citizen(Action::ViewFines)),
        ("POST", "/v1/fines/{id}/payments", Citizen(Action::PayFine)),
        ("GET", "/v1/receipts", Citizen(Action::ViewFines)),
        ("GET", "/v1/receipts/{id}", Citizen(Action::ViewFines)),
        ("GET", "/v1/receipts/{id}/qr.svg", Citizen(Action::ViewFines)),
        ("GET", "/v1/services/driving-licence/eligibility", Citizen(Action::ViewFines)),
        ("GET", "/v1/services/vehicle-registration/eligibility", Citizen(Action::ViewFines)),
        ("POST", "/v1/payments/webhook", Acquirer),
        ("POST", "/v1/agency/fines", Organisation("agency:fines")),
        ("GET", "/v1/agency/fines/{id}", Organisation("agency:fines")),
        ("POST", "/v1/agency/fines/{id}/external-payment", Organisation("agency:fines")),
        ("POST", "/v1/agency/documents/{iin}/revoke", Organisation("agency:documents")),
        ("POST", "/v1/web-login/requests", Website("web-login")),
        ("GET", "/v1/web-login/requests/{id}/events", PollSecret),
        ("POST", "/v1/web-login/exchange", PollSecret),
        ("POST", "/v1/web-login/scan", Citizen(Action::ApproveWebLogin)),
        ("POST", "/v1/web-login/requests/{id}/approve", Citizen(Action::ApproveWebLogin)),
        ("POST", "/v1/web-login/requests/{id}/deny", Citizen(Action::ApproveWebLogin)),
        ("POST", "/v1/sign-requests", Website("sign:request")),
        ("GET", "/v1/sign-requests/{id}", Citizen(Action::ViewSignRequest)),
        ("POST", "/v1/sign-requests/{id}/sign", Citizen(Action::SignRequest)),
        ("GET", "/v1/sign-requests/{id}/events", PollSecret),
        ("POST", "/v1/qr.svg", Anyone),
    ]
};

fn operation<'a>(doc: &'a mut OpenApi, method: &str, path: &str) -> Option<&'a mut Operation> {
    let item = doc.paths.paths.get_mut(path)?;
    match method {
        "GET" => item.get.as_mut(),
        "POST" => item.post.as_mut(),
        "PUT" => item.put.as_mut(),
        "DELETE" => item.delete.as_mut(),
        "PATCH" => item.patch.as_mut(),
        _ => None,
    }
}

/// Writes who may call each listed operation into the document.
pub fn annotate(doc: &mut OpenApi) {
    for (method, path, access) in ROUTES {
        let Some(op) = operation(doc, method, path) else { continue };
        let sentence = access.sentence();
        op.description = Some(match op.description.take() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{sentence}"),
            _ => sentence.clone(),
        });
        let mut ext = ExtensionsBuilder::new().add("x-egov-access", sentence);
        let levels = access.levels();
        if !levels.is_empty() {
            ext = ext.add("x-egov-levels", levels);
        }
        match op.extensions.as_mut() {
            Some(existing) => existing.merge(ext.build()),
            None => op.extensions = Some(ext.build()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Mode;

    #[test]
    fn every_operation_of_the_contract_says_who_may_call_it() {
        let doc = serde_json::to_value(crate::http::contract(Mode::Dev).1).unwrap();
        let mut unlisted = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if !["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                    continue;
                }
                if op["x-egov-access"].as_str().is_none() {
                    unlisted.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        assert!(unlisted.is_empty(), "operations with no stated access: {unlisted:?}");
        let me = &doc["paths"]["/v1/me/phone/start"]["post"];
        assert_eq!(me["x-egov-levels"], serde_json::json!(["eds"]));
        assert!(me["description"].as_str().unwrap().ends_with("Who may call: a citizen's session of level eds."));
    }

    #[test]
    fn every_listed_route_exists() {
        let doc = crate::http::contract(Mode::Dev).1;
        for (method, path, _) in ROUTES {
            let mut doc = doc.clone();
            assert!(operation(&mut doc, method, path).is_some(), "{method} {path} is not in the contract");
        }
    }
}
