//! Handles, parsed once for every caller: the GraphQL arguments and filters, WebFinger, the
//! remote look-ups and mentions all ask [`parse`].
//! - `alice` and `@alice` name a local account; so does `alice@` + this server's domain
//!   (any case).
//! - `alice@other.example` and `@alice@other.example:8443` name an account elsewhere. The
//!   server is a host name (international names included) or an IPv4 address, optionally with
//!   a port, and has a dot or a port: a single-label name such as `alice@nodot` is no server of
//!   the federation.
//! - A name holds letters, digits, `_`, `-`, `.` and `~`. Names and servers are
//!   case-insensitive: [`Handle::key`] is the lowercase form the database stores, while
//!   [`Handle::name`] keeps the case it was given in (WebFinger asks remote servers in it).
use crate::error::{AppError, AppResult};

/// A parsed handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handle {
    name: String,
    server: Option<String>,
}

impl Handle {
    /// The name as it was given (without `@` and server).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server, lowercase, for an account elsewhere; `None` for a local one.
    pub fn server(&self) -> Option<&str> {
        self.server.as_deref()
    }

    pub fn is_remote(&self) -> bool {
        self.server.is_some()
    }

    /// What the database stores: `alice` here, `alice@other.example` elsewhere, lowercase.
    pub fn key(&self) -> String {
        match &self.server {
            None => self.name.to_lowercase(),
            Some(s) => format!("{}@{s}", self.name.to_lowercase()),
        }
    }
}

/// Parses `input` as a handle (see the module's rules); `BAD_USER_INPUT` on the `handle` field
/// when it is none.
pub fn parse(input: &str, local_domain: &str) -> AppResult<Handle> {
    let bad = |why: &str| AppError::bad_input("handle", format!("a handle is name or name@server: {why}"));
    let input = input.trim();
    let input = input.strip_prefix('@').unwrap_or(input);
    let (name, server) = match input.split_once('@') {
        None => (input, None),
        Some((name, server)) if !server.contains('@') => (name, Some(server)),
        Some(_) => return Err(bad("one `@` between a name and a server")),
    };
    if name.is_empty() {
        return Err(bad("the name is empty"));
    }
    if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '~')) {
        return Err(bad("the name may hold letters, digits, `_`, `-`, `.` and `~`"));
    }
    let server = match server {
        None => None,
        Some(s) if s.eq_ignore_ascii_case(local_domain) => None,
        Some(s) => {
            check_server(s).map_err(bad)?;
            Some(s.to_lowercase())
        }
    };
    Ok(Handle { name: name.to_string(), server })
}

/// Whether `input` names an account on another server (a malformed handle names none).
pub fn is_remote(input: &str, local_domain: &str) -> bool {
    parse(input, local_domain).is_ok_and(|h| h.is_remote())
}

/// Whether `server` is `host[:port]` with a valid host that has a dot or a port.
fn check_server(server: &str) -> Result<(), &'static str> {
    if server.is_empty() {
        return Err("the server is empty");
    }
    if server.len() > 253 + 6 {
        return Err("the server name is too long");
    }
    if server.chars().any(|c| c.is_whitespace() || c.is_control() || "/?#\\[]%@".contains(c)) {
        return Err("the server name holds characters no host name has");
    }
    let has_port = match server.rsplit_once(':') {
        Some((_, port)) => {
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err() {
                return Err("the port is not a number up to 65535");
            }
            true
        }
        None => false,
    };
    // The URL parser applies IDNA (punycode, invalid `xn--` labels) as a fetch would.
    let url = url::Url::parse(&format!("http://{server}/")).map_err(|_| "the server name is not a valid host name")?;
    match url.host() {
        Some(url::Host::Domain(ascii)) => {
            let labels: Vec<&str> = ascii.split('.').collect();
            let valid_label = |l: &&str| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            };
            if ascii.len() > 253 || !labels.iter().all(valid_label) {
                return Err("the server name is not a valid host name");
            }
            if labels.len() < 2 && !has_port {
                return Err("the server name needs a dot or a port");
            }
            Ok(())
        }
        Some(url::Host::Ipv4(_)) => Ok(()),
        _ => Err("the server name is not a valid host name"),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_remote, parse};

    const HERE: &str = "weave.example";

    fn parts(input: &str) -> (String, Option<String>, String) {
        let h = parse(input, HERE).unwrap_or_else(|e| panic!("{input}: {e:?}"));
        (h.name().to_string(), h.server().map(str::to_string), h.key())
    }

    #[test]
    fn local_handles_in_every_spelling() {
        for input in ["alice", "@alice", " @alice ", "alice@weave.example", "@Alice@WEAVE.example"] {
            let (_, server, key) = parts(input);
            assert_eq!((server, key.as_str()), (None, "alice"), "{input}");
        }
        // The name keeps the case it was given in; the key is lowercase.
        assert_eq!(parts("@Alice").0, "Alice");
    }

    #[test]
    fn remote_handles_with_and_without_port() {
        assert_eq!(
            parts("alice@other.example"),
            ("alice".into(), Some("other.example".into()), "alice@other.example".into())
        );
        assert_eq!(
            parts("@Alice@Other.Example:8443"),
            ("Alice".into(), Some("other.example:8443".into()), "alice@other.example:8443".into())
        );
        assert_eq!(parts("a@127.0.0.1").1.as_deref(), Some("127.0.0.1"));
        assert_eq!(parts("bob@localhost:8080").1.as_deref(), Some("localhost:8080"));
        assert!(parts("network@bücher.example").1.is_some());
    }

    /// The cases today's copies answered differently: the co-host look-up took
    /// `alice@` + our own domain for remote and `bob@nodot` too; the mention look-up took
    /// anything with an `@`; search wanted a dot or a port; `normalize_handle` stripped every
    /// leading `@` and kept our own domain in the key.
    #[test]
    fn the_cases_the_old_copies_disagreed_on() {
        assert!(!is_remote("alice@weave.example", HERE));
        assert!(!is_remote("@alice@Weave.Example", HERE));
        assert!(!is_remote("bob@nodot", HERE));
        assert!(parse("bob@nodot", HERE).is_err());
        assert!(is_remote("bob@localhost:3000", HERE));
        assert!(!is_remote("alice@", HERE));
        assert!(parse("@@alice", HERE).is_err());
        assert_eq!(parse("alice@weave.example", HERE).map(|h| h.key()).ok().as_deref(), Some("alice"));
    }

    #[test]
    fn malformed_handles_are_refused() {
        for bad in [
            "",
            "@",
            "alice@",
            "a@b@c.example",
            "a b@example.com",
            "a@ex ample.com",
            "a@-.com",
            "a@example-.com",
            "a@xn--a.com",
            "a@example.com:99999",
            "a@example.com:",
            "a@exam/ple.com",
            "a@[::1",
            "a@..",
            "a@\u{0}.com",
        ] {
            assert!(parse(bad, HERE).is_err(), "{bad:?}");
        }
    }
}
