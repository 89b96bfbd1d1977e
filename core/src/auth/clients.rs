//! Organisations (design 3.2): verifiers, state bodies and websites that operators provision, with the
//! scopes they may hold. A website is a relying party with a registered name and origin, and that name is
//! what a citizen's phone shows: it must be plain text a person can read as it is.

/// What an organisation's token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Redeem a citizen's shared document (verifiers: banks, airports, service centres).
    ShareRedeem,
    /// Feed fines and record bank payments (state bodies).
    AgencyFines,
    /// Report documents lost or stolen (state bodies).
    AgencyDocuments,
    /// Ask citizens to log in to the website by QR code (websites).
    WebLogin,
    /// Ask citizens to sign a request by QR code (websites).
    SignRequest,
}

impl Scope {
    pub const ALL: [Scope; 5] =
        [Scope::ShareRedeem, Scope::AgencyFines, Scope::AgencyDocuments, Scope::WebLogin, Scope::SignRequest];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ShareRedeem => "share:redeem",
            Scope::AgencyFines => "agency:fines",
            Scope::AgencyDocuments => "agency:documents",
            Scope::WebLogin => "web-login",
            Scope::SignRequest => "sign:request",
        }
    }

    /// The scope named `s`; an unknown name is `None` (refused, never granted).
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether holding this scope makes the organisation a website (a relying party with an origin).
    pub fn is_website(self) -> bool {
        matches!(self, Scope::WebLogin | Scope::SignRequest)
    }
}

/// The longest organisation name kept (what a phone shows on one line).
pub const ORG_NAME_MAX_CHARS: usize = 80;

/// Why an organisation's registration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("the client id must be 3-63 characters of a-z, 0-9 and '-', starting with a letter or digit")]
    ClientId,
    #[error(
        "the name must be 1-{ORG_NAME_MAX_CHARS} characters with no control or bidirectional-formatting characters"
    )]
    Name,
    #[error(
        "unknown scope {0:?}; the scopes are share:redeem, agency:fines, agency:documents, web-login, sign:request"
    )]
    Scope(String),
    #[error("at least one scope is needed")]
    NoScope,
    #[error("a website (web-login or sign:request) needs its origin, e.g. https://egov.kz")]
    OriginMissing,
    #[error("the origin must be https://host[:port] (http only for localhost), with no path")]
    Origin,
}

/// A client id: `[a-z0-9][a-z0-9-]{2,62}`.
pub fn check_client_id(id: &str) -> Result<(), ClientError> {
    let ok = (3..=63).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-');
    if ok { Ok(()) } else { Err(ClientError::ClientId) }
}

/// Characters that reorder or hide text on a screen (Unicode bidirectional formatting and marks,
/// zero-width characters): a name carrying one could show a phone "egov.kz" while being something else.
fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

/// Whether a text a phone will show carries a control, bidirectional-formatting or zero-width character.
pub fn has_deceptive_chars(text: &str) -> bool {
    text.chars().any(is_deceptive)
}

/// An organisation's display name as it is stored and shown: trimmed, and refused (never silently
/// cleaned) when it carries a control, bidirectional-formatting or zero-width character.
pub fn check_org_name(name: &str) -> Result<String, ClientError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > ORG_NAME_MAX_CHARS || has_deceptive_chars(name) {
        return Err(ClientError::Name);
    }
    Ok(name.to_string())
}

/// The scopes of a space- or comma-separated list, each known, at least one.
pub fn parse_scopes(list: &str) -> Result<Vec<Scope>, ClientError> {
    let mut scopes = Vec::new();
    for s in list.split([' ', ',']).filter(|s| !s.is_empty()) {
        let scope = Scope::parse(s).ok_or_else(|| ClientError::Scope(s.to_string()))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() { Err(ClientError::NoScope) } else { Ok(scopes) }
}

/// A web origin: `https://host[:port]`, or `http://localhost[:port]` / `http://127.0.0.1[:port]` for
/// development; lower-cased, without a trailing slash.
pub fn check_origin(origin: &str) -> Result<String, ClientError> {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = origin.split_once("://").ok_or(ClientError::Origin)?;
    let host = rest.split(':').next().unwrap_or_default();
    let port_ok = rest
        .split_once(':')
        .is_none_or(|(_, p)| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !rest.contains(['/', '?', '#', '@']);
    let scheme_ok = scheme == "https" || (scheme == "http" && matches!(host, "localhost" | "127.0.0.1"));
    if host_ok && port_ok && scheme_ok { Ok(origin) } else { Err(ClientError::Origin) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_that_could_show_the_phone_something_else_is_refused() {
        assert_eq!(check_org_name("  Halyk Bank ").unwrap(), "Halyk Bank");
        assert_eq!(check_org_name("Қазпочта").unwrap(), "Қазпочта");
        for bad in ["egov.kz\u{202E}moc.live", "egov\u{200B}.kz", "line\nbreak", "", "   ", &"a".repeat(81)] {
            assert_eq!(check_org_name(bad), Err(ClientError::Name), "{bad:?}");
        }
    }

    #[test]
    fn scopes_are_known_ones_only_and_websites_are_told_apart() {
        let s = parse_scopes("web-login, sign:request").unwrap();
        assert_eq!(s, [Scope::WebLogin, Scope::SignRequest]);
        assert!(s.iter().all(|x| x.is_website()));
        assert!(!Scope::ShareRedeem.is_website());
        assert_eq!(parse_scopes("share:redeem admin"), Err(ClientError::Scope("admin".into())));
        assert_eq!(parse_scopes(" , "), Err(ClientError::NoScope));
    }

    #[test]
    fn origins_are_https_hosts_without_paths() {
        assert_eq!(check_origin("https://EGOV.kz/").unwrap(), "https://egov.kz");
        assert_eq!(check_origin("https://bank.kz:8443").unwrap(), "https://bank.kz:8443");
        assert_eq!(check_origin("http://localhost:8080").unwrap(), "http://localhost:8080");
        for bad in
            ["http://bank.kz", "https://bank.kz/login", "bank.kz", "https://user@bank.kz", "https://:80", "https://a:x"]
        {
            assert_eq!(check_origin(bad), Err(ClientError::Origin), "{bad}");
        }
    }

    #[test]
    fn client_ids_are_lower_case_slugs() {
        assert!(check_client_id("halyk-verifier").is_ok());
        for bad in ["ab", "-abc", "Halyk", "a b c", &"a".repeat(64)] {
            assert!(check_client_id(bad).is_err(), "{bad}");
        }
    }
}
