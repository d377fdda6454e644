//! What customers say about their files (`media.mimetype`, `filename`) is
//! untrusted: it comes through WAHA from anyone who can send a message.
//! It is cleaned when a file is kept, and again when it is served, so an
//! old row cannot harm either: a content type is a plain `type/subtype`
//! token, a file name has no control, quote or path characters, and only
//! types a browser cannot run as a page are served as themselves.

/// Longest file name kept, in characters.
const MAX_FILENAME_CHARS: usize = 120;

/// Content types served as they are; anything else (HTML, SVG, scripts,
/// unknown types) is served as `application/octet-stream`.
const SERVED_AS_IS: [&str; 6] = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "application/pdf",
];

/// A clean `type/subtype` (lower case, parameters dropped), or
/// `application/octet-stream` when `raw` is not one.
pub fn clean_mimetype(raw: &str) -> String {
    let essence = raw.split(';').next().unwrap_or_default().trim();
    let is_token = |part: &str| {
        !part.is_empty()
            && part.len() <= 64
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match essence.split_once('/') {
        Some((kind, subtype)) if is_token(kind) && is_token(subtype) => {
            essence.to_ascii_lowercase()
        }
        _ => "application/octet-stream".to_owned(),
    }
}

/// A file name without control characters, quotes, slashes or backslashes,
/// trimmed to a sane length; `None` when nothing is left.
pub fn clean_filename(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .take(MAX_FILENAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    (!cleaned.is_empty()).then(|| cleaned.to_owned())
}

/// The `Content-Type` a stored file is served with.
pub fn served_content_type(stored: &str) -> &'static str {
    let clean = clean_mimetype(stored);
    SERVED_AS_IS
        .iter()
        .find(|safe| **safe == clean)
        .copied()
        .unwrap_or("application/octet-stream")
}

/// `Content-Disposition: attachment` naming the file: an ASCII fallback and
/// the UTF-8 name percent-encoded (RFC 6266, RFC 8187).
pub fn attachment_disposition(filename: &str) -> String {
    let name = clean_filename(filename).unwrap_or_else(|| "file".to_owned());
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() && c != '%' { c } else { '_' })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_tokens_and_only_inert_ones_are_served_as_is() {
        assert_eq!(clean_mimetype("image/JPEG; charset=x"), "image/jpeg");
        assert_eq!(
            clean_mimetype("text/html\r\nX-Injected: 1"),
            "application/octet-stream"
        );
        assert_eq!(clean_mimetype("nonsense"), "application/octet-stream");
        assert_eq!(served_content_type("image/png"), "image/png");
        assert_eq!(served_content_type("application/pdf"), "application/pdf");
        for active in [
            "text/html",
            "image/svg+xml",
            "application/javascript",
            "text/xml",
        ] {
            assert_eq!(
                served_content_type(active),
                "application/octet-stream",
                "{active}"
            );
        }
    }

    #[test]
    fn file_names_lose_control_quote_and_path_characters() {
        assert_eq!(
            clean_filename("../../etc/\"pass\u{7}wd\r\n.pdf").as_deref(),
            Some("etcpasswd.pdf")
        );
        assert_eq!(clean_filename("\u{1b}\u{0}"), None);
        assert_eq!(
            clean_filename("rezept\u{202E}fdp.exe").as_deref(),
            Some("rezeptfdp.exe")
        );
        assert_eq!(
            attachment_disposition("Rezept Müller.pdf"),
            "attachment; filename=\"Rezept M_ller.pdf\"; filename*=UTF-8''Rezept%20M%C3%BCller.pdf"
        );
        assert!(!attachment_disposition("a\r\nb").contains('\r'));
    }
}
