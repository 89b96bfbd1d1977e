//! Operators' commands (`egov-server clients ...`): they run against the same database and keys as the
//! server, on SQLite or PostgreSQL, and print what an operator needs; a secret is printed once and only
//! its keyed hash is stored.

use crate::StartError;
use crate::clock::Clock;
use crate::config::{ClientsCommand, Config};
use crate::keys::KeySet;
use crate::store::Store;
use crate::store::orgs::NewOrgClient;
use egov_core::auth::clients::{check_client_id, check_org_name, check_origin, parse_scopes};
use egov_core::identity::Bin;
use egov_core::secret::random_token;
use std::io::Write;

/// Organisations' secrets carry 256 random bits.
const CLIENT_SECRET_BYTES: usize = 32;

fn refused(e: impl std::fmt::Display) -> StartError {
    StartError::Config(e.to_string())
}

/// Runs one `clients` command, writing its answer to `out`.
pub async fn clients(config: &Config, command: &ClientsCommand, out: &mut dyn Write) -> Result<(), StartError> {
    let clock = Clock::default();
    let store = Store::connect(config.database_url.as_deref(), &config.data_dir, 2).await?;
    store.migrate().await?;
    let keys = KeySet::load(config, &store, clock.now_ms()).await?;
    let secret = || random_token::<CLIENT_SECRET_BYTES>(&ring::rand::SystemRandom::new()).map_err(refused);
    let hash = |id: &str, secret: &str| keys.hash_secret(&crate::service::org::secret_parts(id, secret));
    let written = match command {
        ClientsCommand::Add { client_id, name, scopes, bin, origin } => {
            check_client_id(client_id).map_err(refused)?;
            let name = check_org_name(name).map_err(refused)?;
            let scopes = parse_scopes(scopes).map_err(refused)?;
            if let Some(b) = bin {
                Bin::parse(b).map_err(|_| refused("the BIN is not valid (12 digits with a correct check digit)"))?;
            }
            let website = scopes.iter().any(|s| s.is_website());
            let origin = match (origin, website) {
                (Some(o), _) => Some(check_origin(o).map_err(refused)?),
                (None, true) => return Err(refused(egov_core::auth::clients::ClientError::OriginMissing)),
                (None, false) => None,
            };
            let scopes = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
            let secret = secret()?;
            let new = NewOrgClient {
                client_id,
                name: &name,
                bin: bin.as_deref(),
                scopes: &scopes,
                origin: origin.as_deref(),
                secret_hash: &hash(client_id, &secret),
            };
            if !store.org_client_add(&new, clock.now_ms()).await? {
                return Err(refused(format!("client {client_id} exists already (rotate-secret or disable it)")));
            }
            writeln!(out, "client_id {client_id}\nclient_secret {secret}\nscopes {scopes}\n(the secret is shown once)")
        }
        ClientsCommand::List => {
            let mut text = String::from("client_id\tstatus\tscopes\torigin\tname\n");
            for c in store.org_clients().await? {
                let status = if c.disabled_at.is_some() { "disabled" } else { "enabled" };
                let origin = c.origin.as_deref().unwrap_or("-");
                text.push_str(&format!("{}\t{status}\t{}\t{origin}\t{}\n", c.client_id, c.scopes, c.name));
            }
            write!(out, "{text}")
        }
        ClientsCommand::RotateSecret { client_id } => {
            let secret = secret()?;
            if !store.org_client_set_secret(client_id, &hash(client_id, &secret)).await? {
                return Err(refused(format!("no client {client_id}")));
            }
            writeln!(
                out,
                "client_id {client_id}\nclient_secret {secret}\n(the secret is shown once; the old one no longer works)"
            )
        }
        ClientsCommand::Disable { client_id } => {
            if !store.org_client_disable(client_id, clock.now_ms()).await? {
                return Err(refused(format!("no enabled client {client_id}")));
            }
            writeln!(out, "client {client_id} disabled")
        }
    };
    store.close().await;
    written.map_err(StartError::Serve)
}
