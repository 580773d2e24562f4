//! Input rules, each answering BAD_USER_INPUT with the field's name.
use crate::error::{AppError, AppResult};

/// Names no account or group may take: they collide with routes or impersonate the instance.
const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "system",
    "weave",
    "instance",
    "inbox",
    "outbox",
    "api",
    "graphql",
    "webfinger",
    "nodeinfo",
    "healthz",
    "members",
    "groups",
    "events",
    "threads",
    "resources",
    "static",
    "about",
    "support",
    "moderator",
    "null",
    "undefined",
];

/// Lowercase ASCII letters, digits and `_`, 3 to 30 characters. Used for usernames and group
/// slugs, which share the `@name@domain` namespace.
pub fn local_name(field: &str, value: &str) -> AppResult<()> {
    let len = value.chars().count();
    if !(3..=30).contains(&len) {
        return Err(AppError::bad_input(field, format!("{field} must be 3 to 30 characters long")));
    }
    if !value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(AppError::bad_input(
            field,
            format!("{field} may contain only lowercase letters a-z, digits and _"),
        ));
    }
    if RESERVED.contains(&value) {
        return Err(AppError::bad_input(field, format!("{field} {value:?} is reserved")));
    }
    Ok(())
}

/// A practical e-mail shape: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn email(value: &str) -> AppResult<String> {
    let v = value.trim().to_lowercase();
    let bad = || AppError::bad_input("email", "email must look like name@example.org");
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
    {
        return Err(bad());
    }
    Ok(v)
}

pub fn password(value: &str) -> AppResult<()> {
    let len = value.chars().count();
    if len < 10 {
        return Err(AppError::bad_input("password", "password must be at least 10 characters long"));
    }
    if value.len() > 1024 {
        return Err(AppError::bad_input("password", "password must be at most 1024 bytes long"));
    }
    Ok(())
}

/// Trims; empty becomes `None`; longer than `max` characters is an error. Control characters
/// other than newlines and tabs are refused.
pub fn text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    let Some(v) = value.map(str::trim) else { return Ok(None) };
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > max {
        return Err(AppError::bad_input(field, format!("{field} must be at most {max} characters long")));
    }
    if crate::ap::bounds::has_forbidden_chars(v) {
        return Err(AppError::bad_input(field, format!("{field} contains control characters")));
    }
    Ok(Some(v.to_string()))
}

/// Like [`text`] but the value must be present.
pub fn required_text(field: &str, value: &str, max: usize) -> AppResult<String> {
    text(field, Some(value), max)?.ok_or_else(|| AppError::bad_input(field, format!("{field} must not be empty")))
}

/// An absolute http(s) URL with a host and no credentials (the one link rule,
/// [`crate::ap::bounds::web_url`]).
pub fn http_url(field: &str, value: &str) -> AppResult<String> {
    crate::ap::web_url(value).map(|u| u.to_string()).ok_or_else(|| {
        AppError::bad_input(field, format!("{field} must be an absolute http(s) URL without credentials"))
    })
}

/// A time inside the window every stored date must be in ([`crate::ap::bounds::in_window`]).
pub fn time(field: &str, value: chrono::DateTime<chrono::Utc>) -> AppResult<chrono::DateTime<chrono::Utc>> {
    if crate::ap::bounds::in_window(value) {
        Ok(value)
    } else {
        Err(AppError::bad_input(field, format!("{field} must be between 1970 and 2200")))
    }
}

/// A list of short labels: trimmed, deduplicated (case-insensitively), bounded. The count is
/// checked first, on the list as sent, so that a huge list costs nothing; de-duplication is
/// linear.
pub fn labels(field: &str, values: &[String], max_items: usize, max_len: usize) -> AppResult<Vec<String>> {
    if values.len() > max_items {
        return Err(AppError::bad_input(field, format!("{field} may have at most {max_items} items")));
    }
    let mut seen = std::collections::HashSet::with_capacity(values.len());
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let Some(v) = text(field, Some(v), max_len)? else { continue };
        if seen.insert(v.to_ascii_lowercase()) {
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(local_name("username", "alice_1").is_ok());
        assert!(local_name("username", "Al").is_err());
        assert!(local_name("username", "Alice").is_err());
        assert!(local_name("username", "al-ice").is_err());
        assert!(local_name("username", &"a".repeat(31)).is_err());
        assert!(local_name("username", "admin").is_err());
    }

    #[test]
    fn label_lists() {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(labels("interests", &v(&["A", "a", " ", "b"]), 30, 60).ok(), Some(v(&["A", "b"])));
        assert!(labels("interests", &v(&["x"; 31]), 30, 60).is_err());
        assert!(labels("interests", &v(&[&"x".repeat(61)]), 30, 60).is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Alice@Example.org ").ok().as_deref(), Some("alice@example.org"));
        for bad in ["alice", "alice@", "@example.org", "a@b", "a b@example.org", "a@@example.org", "a@example..org"] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }
}
