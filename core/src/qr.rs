//! QR codes: what a scanned text means, and drawing a QR code as SVG or as a module matrix. The server
//! and the app draw the same code from the same function.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// What a scanned text is, for this deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned {
    /// A one-time document share: `{PUBLIC_URL}/s/{token}`.
    Share { token: String },
    /// A website login request: `{PUBLIC_URL}/ql/{secret}`.
    WebLogin { secret: String },
    /// A website signing request: `{PUBLIC_URL}/qs/{id}`.
    SignRequest { id: String },
    /// Not one of ours (another site's link, text, a phishing look-alike).
    NotOurs,
}

/// The longest segment accepted after the prefix (tokens are 24 characters, ids 36).
const MAX_SEGMENT: usize = 128;

/// Reads a scanned text. Only URLs on exactly `public_url` (scheme and host included) are ours, so a
/// look-alike domain is `NotOurs`. Query strings and fragments are ignored; the segment must be
/// base64url or hyphenated characters.
pub fn parse_scanned(text: &str, public_url: &str) -> Scanned {
    let base = public_url.trim_end_matches('/');
    let Some(rest) = text.trim().strip_prefix(base) else { return Scanned::NotOurs };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let Some(rest) = rest.strip_prefix('/') else { return Scanned::NotOurs };
    let (prefix, value) = match rest.split_once('/') {
        Some((p, v)) => (p, v.trim_end_matches('/')),
        None => return Scanned::NotOurs,
    };
    let ok = !value.is_empty()
        && value.len() <= MAX_SEGMENT
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Scanned::NotOurs;
    }
    match prefix {
        "s" => Scanned::Share { token: value.to_string() },
        "ql" => Scanned::WebLogin { secret: value.to_string() },
        "qs" => Scanned::SignRequest { id: value.to_string() },
        _ => Scanned::NotOurs,
    }
}

/// Why a QR code could not be drawn (the text is too long for any QR version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the text does not fit in a QR code")]
pub struct QrError;

fn code(text: &str) -> Result<QrCode, QrError> {
    // Level M: survives a scratched or partly covered screen, and keeps share URLs at version 4-5.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| QrError)
}

/// The QR code of `text` as an SVG document (with the standard quiet zone).
pub fn render_svg(text: &str) -> Result<String, QrError> {
    Ok(code(text)?.render::<svg::Color<'_>>().min_dimensions(256, 256).quiet_zone(true).build())
}

/// The QR code of `text` as rows of modules (`true` = dark), without quiet zone: for an app that draws
/// it natively.
pub fn render_matrix(text: &str) -> Result<Vec<Vec<bool>>, QrError> {
    let c = code(text)?;
    let width = c.width();
    let colors = c.to_colors();
    Ok(colors.chunks(width).map(|row| row.iter().map(|m| *m == qrcode::Color::Dark).collect()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://egov.example.kz";

    #[test]
    fn the_three_kinds_of_our_urls_are_recognised() {
        assert_eq!(
            parse_scanned("https://egov.example.kz/s/AbC-_12", BASE),
            Scanned::Share { token: "AbC-_12".into() }
        );
        assert_eq!(
            parse_scanned(" https://egov.example.kz/ql/secret9 ", BASE),
            Scanned::WebLogin { secret: "secret9".into() }
        );
        assert_eq!(
            parse_scanned("https://egov.example.kz/qs/5f1c-77?x=1#y", BASE),
            Scanned::SignRequest { id: "5f1c-77".into() }
        );
    }

    #[test]
    fn look_alikes_and_other_text_are_not_ours() {
        for text in [
            "https://egov.example.kz.evil.com/s/abc",
            "http://egov.example.kz/s/abc",
            "https://egov.example.kz/x/abc",
            "https://egov.example.kz/s/",
            "https://egov.example.kz/s/a b",
            "https://egov.example.kz/s/<script>",
            "https://egov.example.kz",
            "hello",
            "",
        ] {
            assert_eq!(parse_scanned(text, BASE), Scanned::NotOurs, "{text:?}");
        }
        assert_eq!(parse_scanned(&format!("{BASE}/s/{}", "a".repeat(200)), BASE), Scanned::NotOurs);
    }

    #[test]
    fn a_share_url_draws_as_a_square_matrix_and_an_svg() {
        let url = format!("{BASE}/s/{}", "A".repeat(24));
        let m = render_matrix(&url).unwrap();
        assert!(m.len() >= 21 && m.iter().all(|r| r.len() == m.len()));
        // The three finder patterns: the top-left module is dark.
        assert!(m[0][0] && m[0][m.len() - 1] && m[m.len() - 1][0]);
        let svg = render_svg(&url).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    }
}
