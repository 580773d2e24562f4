//! What every value from elsewhere must be before Weave stores or renders it: one rule per
//! kind of value, asked by every door (GraphQL input through `domain::validate`, remote
//! documents through the vocabulary's readers, pages when they render a stored link).
//!
//! - **Links**: `http` or `https`, with a host, without credentials, at most 2,048 bytes.
//!   `javascript:`, `data:`, `vbscript:`, `file:` and scheme-relative `//host` are never links.
//! - **Times**: between 1970-01-01 and 2200-01-01 (UTC). Nothing Weave schedules is outside,
//!   and calendar arithmetic over the window stays cheap.
//! - **Text**: no NUL (PostgreSQL cannot store it) and no control characters other than tab,
//!   line feed and carriage return.
use chrono::{DateTime, TimeZone, Utc};
use url::Url;

/// The longest link Weave keeps.
pub const MAX_URL_LEN: usize = 2048;

/// Whether a parsed URL is a link Weave may store, follow or render.
pub fn is_web_url(u: &Url) -> bool {
    matches!(u.scheme(), "http" | "https")
        && u.host_str().is_some_and(|h| !h.is_empty())
        && u.username().is_empty()
        && u.password().is_none()
        && u.as_str().len() <= MAX_URL_LEN
}

/// Parses a link under the rule above; anything else is `None`.
pub fn web_url(s: &str) -> Option<Url> {
    let s = s.trim();
    if s.len() > MAX_URL_LEN || s.starts_with("//") {
        return None;
    }
    Url::parse(s).ok().filter(is_web_url)
}

/// The first instant Weave accepts.
pub fn earliest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The instant after the last one Weave accepts.
pub fn latest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether a time is inside the window every date must be in.
pub fn in_window(t: DateTime<Utc>) -> bool {
    t >= earliest() && t < latest()
}

/// A character that has no place in stored text.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether text has a character no stored text may have.
pub fn has_forbidden_chars(s: &str) -> bool {
    s.chars().any(is_forbidden_char)
}

/// Text from a remote server with the characters no stored text may have taken out.
pub fn clean_text(s: &str) -> String {
    if has_forbidden_chars(s) {
        s.chars().filter(|c| !is_forbidden_char(*c)).collect()
    } else {
        s.to_string()
    }
}

/// Removes forbidden characters from every string (keys too) of a received JSON document, in
/// place. The walk is bounded by the document, which is bounded by the request size limit.
pub fn clean_json(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) if has_forbidden_chars(s) => *s = clean_text(s),
        Value::Array(a) => a.iter_mut().for_each(clean_json),
        Value::Object(o) => {
            if o.keys().any(|k| has_forbidden_chars(k)) {
                let taken = std::mem::take(o);
                for (k, mut x) in taken {
                    clean_json(&mut x);
                    o.insert(clean_text(&k), x);
                }
            } else {
                o.values_mut().for_each(clean_json);
            }
        }
        _ => {}
    }
}

/// Serde: an id that must be a web link; anything else refuses the whole document.
pub fn deserialize_web_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    web_url(&s).ok_or_else(|| serde::de::Error::custom("not an http(s) URL with a host"))
}

/// Serde: an optional link; a value that is not a web link (or not a string) reads as absent.
pub fn deserialize_web_url_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    let v = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
    Ok(v.as_str().and_then(web_url))
}

/// Serde: [`deserialize_web_url`], kept as text.
pub fn deserialize_web_url_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    deserialize_web_url(d).map(String::from)
}

/// Serde: [`deserialize_web_url_opt`], kept as text.
pub fn deserialize_web_url_string_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    deserialize_web_url_opt(d).map(|u| u.map(String::from))
}

/// Serde: a time that must be inside the window; anything else refuses the whole document.
pub fn deserialize_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let t = <DateTime<Utc> as serde::Deserialize>::deserialize(d)?;
    if in_window(t) {
        Ok(t)
    } else {
        Err(serde::de::Error::custom("a time outside 1970-2200"))
    }
}

/// Serde: an optional time; one that is malformed or outside the window reads as absent.
pub fn deserialize_time_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let v = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
    Ok(v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| in_window(*t)))
}

/// Serde: a time as we publish it in posts, threads and library entries (`2030-01-01T10:00:00Z`).
pub fn serialize_time_z<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None => s.serialize_none(),
    }
}

/// Serde: a time as we publish it in events and polls (`2030-01-01T10:00:00+00:00`).
pub fn serialize_time_rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

/// Serde: an optional time as [`serialize_time_rfc3339`] writes it.
pub fn serialize_time_rfc3339_opt<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_pass() {
        for ok in ["https://a.example/x", "http://127.0.0.1:8080/e/1", "HTTPS://A.EXAMPLE"] {
            assert!(web_url(ok).is_some(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "javascript://evil.example/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "//evil.example/x",
            "https://user:pw@a.example/",
            "https://user@a.example/",
            "mailto:a@b.example",
            "https://",
            "not a url",
            "",
        ] {
            assert!(web_url(bad).is_none(), "{bad}");
        }
        assert!(web_url(&format!("https://a.example/{}", "x".repeat(MAX_URL_LEN))).is_none());
    }

    #[test]
    fn times_have_a_window() {
        assert!(in_window(Utc::now()));
        assert!(in_window(earliest()));
        assert!(!in_window(latest()));
        assert!(!in_window(earliest() - chrono::Duration::seconds(1)));
    }

    #[test]
    fn remote_text_loses_nul_and_controls() {
        assert_eq!(clean_text("a\u{0}b\u{7}c\nd\te"), "abc\nd\te");
        let mut v = serde_json::json!({"a\u{0}": ["x\u{0}y", {"k": "\u{1b}z"}], "n": 1});
        clean_json(&mut v);
        assert_eq!(v, serde_json::json!({"a": ["xy", {"k": "z"}], "n": 1}));
    }
}
