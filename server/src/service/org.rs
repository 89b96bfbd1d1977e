//! Organisations (verifiers, state bodies): OAuth2 client credentials for scoped tokens.

use crate::App;
use crate::service::error::{Failure, capability_error, internal};
use crate::tokens;
use egov_api::wire::OrgToken;
use egov_core::auth::rate::OAUTH_FAILURES_PER_CLIENT_AND_ADDRESS;
use egov_core::auth::session::ACCESS_TOKEN_TTL;

/// What an organisation's secret is keyed as at rest (the provisioning commands, the demo seed and the
/// token route all use this one form).
pub fn secret_parts<'a>(client_id: &'a str, secret: &'a str) -> [&'a str; 3] {
    ["client-secret", client_id, secret]
}

/// Why an organisation got no token (the OAuth error codes of RFC 6749 §5.2 ride along in `http`).
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error(transparent)]
    Common(#[from] Failure),
    #[error("unknown client or wrong secret")]
    InvalidClient,
    #[error("too many wrong secrets for this client from this address")]
    TooManyFailures { retry_after: u64 },
    #[error("scope {0} is not granted to this client")]
    ScopeNotGranted(String),
}
capability_error!(OrgError);

/// Issues a token for `client_id` if `secret` is right, with the requested scopes (all of the client's
/// when none are requested). Asking for a scope the client lacks is `invalid_scope`.
pub async fn token(
    app: &App,
    client_id: &str,
    secret: &str,
    requested: Option<&str>,
    ip: &str,
) -> Result<OrgToken, OrgError> {
    let now = app.clock.now();
    let window = &OAUTH_FAILURES_PER_CLIENT_AND_ADDRESS;
    let key = format!("{client_id}|{ip}");
    let tally = app.store.rate_peek("oauth-failure", &key, window, now).await?;
    if window.is_full(tally, now) {
        return Err(OrgError::TooManyFailures { retry_after: window.retry_after(tally, now) });
    }
    let client = app.store.org_client(client_id).await?;
    // Compare against a dummy hash when the client is unknown, so both cases take the same time.
    let stored = client.as_ref().map(|c| c.secret_hash.clone()).unwrap_or_else(|| vec![0u8; 32]);
    let right = app.keys.verify_secret(&secret_parts(client_id, secret), &stored);
    let Some(client) = client.filter(|_| right) else {
        app.store.rate_hit("oauth-failure", &key, window, now).await?;
        return Err(OrgError::InvalidClient);
    };
    let granted: Vec<&str> = client.scopes.split_whitespace().collect();
    let scope = match requested.map(str::split_whitespace) {
        Some(asked) => {
            let asked: Vec<&str> = asked.collect();
            if let Some(bad) = asked.iter().find(|s| !granted.contains(s)) {
                return Err(OrgError::ScopeNotGranted(bad.to_string()));
            }
            asked.join(" ")
        }
        None => granted.join(" "),
    };
    let access_token = tokens::issue_partner(&app.keys, now, &client.client_id, &client.name, &scope)
        .map_err(|_| internal("signing an organisation's token"))?;
    Ok(OrgToken { access_token, token_type: "Bearer".into(), expires_in: ACCESS_TOKEN_TTL.num_seconds(), scope })
}
