//! How settings are read: defaults, the file, the variables, and the errors that name them.
use super::sources::field_names;
use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn read(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
    Config::read(None, vars(pairs))
}

#[test]
fn text_settings_stay_text_however_they_look() {
    let digits = "123456789012345678901234567890";
    let config = read(&[
        ("WEAVE_INSTANCE_NAME", "2024"),
        ("WEAVE_JWT_SECRET", digits),
        ("WEAVE_DOMAIN", "123456789012345678901234567890.50"),
        ("WEAVE_BIND", "true"),
    ])
    .unwrap_or_else(|e| unreachable!("{e:#}"));
    assert_eq!(config.instance_name, "2024");
    assert_eq!(config.jwt_secret.expose_secret(), digits);
    assert_eq!(config.domain, "123456789012345678901234567890.50");
    assert_eq!(config.bind, "true");
    let config = read(&[("WEAVE_DATABASE_URL", "12345678901234567890123456789012345")])
        .unwrap_or_else(|e| unreachable!("{e:#}"));
    assert_eq!(config.database_url.expose_secret(), "12345678901234567890123456789012345");
}

#[test]
fn numbers_and_flags_are_read_from_text() {
    let config = read(&[
        ("WEAVE_MAX_BODY_BYTES", "2048"),
        ("WEAVE_DATABASE_POOL", "3"),
        ("WEAVE_LOGIN_WINDOW_SECS", "-1"),
        ("WEAVE_TRUST_PROXY", "yes"),
        ("WEAVE_RESPONSE_CACHE", "off"),
        ("WEAVE_FEDERATION_DEBUG", "1"),
        ("WEAVE_RATE_LIMIT_EXEMPT_LOOPBACK", "FALSE"),
        ("WEAVE_REGISTRATION_MODE", "Approval"),
        ("WEAVE_LOG_FORMAT", "JSON"),
    ])
    .unwrap_or_else(|e| unreachable!("{e:#}"));
    assert_eq!(config.max_body_bytes, 2048);
    assert_eq!(config.database_pool, Some(3));
    assert_eq!(config.login_window_secs, -1);
    assert!(config.trust_proxy && config.federation_debug);
    assert!(!config.response_cache && !config.rate_limit_exempt_loopback);
    assert_eq!(config.registration_mode, RegistrationMode::Approval);
    assert_eq!(config.log_format, LogFormat::Json);
}

#[test]
fn a_bad_value_names_its_variable() {
    for (name, value) in [
        ("WEAVE_MAX_BODY_BYTES", "lots"),
        ("WEAVE_RATE_LIMIT_AUTH_PER_MINUTE", "-5"),
        ("WEAVE_DATABASE_POOL", "eight"),
        ("WEAVE_TRUST_PROXY", "maybe"),
        ("WEAVE_GROUP_CREATION", "everyone"),
    ] {
        let err = read(&[(name, value)]).err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains(name), "{name}={value}: {err}");
    }
    let err = read(&[("WEAVE_TRUSTED_PROXY_HOPS", "0")]).err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(err.contains("WEAVE_TRUSTED_PROXY_HOPS") && err.contains("at least 1"), "{err}");
    let err = read(&[("WEAVE_REMOTE_DOMAIN_SEAT_PERCENT", "101")]).err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(err.contains("at most 100"), "{err}");
}

#[test]
fn defaults_are_the_defaults_and_other_variables_are_no_settings() {
    let config = read(&[
        ("WEAVE_ADMIN_PASSWORD", "not a setting"),
        ("WEAVE_CONFIG", "/nowhere"),
        ("WEAVE_TEST_DATABASE_URL", "postgres://x"),
        ("WEAVE_INSTANCE_NAME", "  "),
        ("PATH", "/bin"),
    ])
    .unwrap_or_else(|e| unreachable!("{e:#}"));
    let defaults = Config::default();
    assert_eq!(format!("{config:?}"), format!("{defaults:?}"));
    assert_eq!(config.bind, "127.0.0.1:8080");
    assert_eq!(config.instance_name, "Weave", "a blank variable is ignored");
    assert_eq!(
        (config.rate_limit_graphql_per_minute, config.rate_limit_auth_per_minute, config.max_body_bytes),
        (600, 20, 1024 * 1024)
    );
    assert_eq!(field_names::<Config>().len(), 32);
}

#[test]
fn variables_win_over_the_file_and_the_file_over_the_defaults() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
    let path = dir.path().join("weave.toml");
    let toml = "instance_name = \"From the file\"\nmax_body_bytes = 10\ntrust_proxy = true\n\
                registration_mode = \"invite\"\n";
    std::fs::write(&path, toml).unwrap_or_else(|e| unreachable!("{e}"));
    let config =
        Config::read(Some(&path), vars(&[("WEAVE_MAX_BODY_BYTES", "20")])).unwrap_or_else(|e| unreachable!("{e:#}"));
    assert_eq!(config.instance_name, "From the file");
    assert_eq!(config.max_body_bytes, 20);
    assert!(config.trust_proxy);
    assert_eq!(config.registration_mode, RegistrationMode::Invite);
    assert_eq!(config.inbox_concurrency, 16);

    std::fs::write(&path, "instance_nam = \"typo\"\n").unwrap_or_else(|e| unreachable!("{e}"));
    let err = Config::read(Some(&path), vars(&[])).err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(err.contains("instance_nam"), "an unknown key in the file is refused: {err}");
    std::fs::write(&path, "max_body_bytes = \"lots\"\n").unwrap_or_else(|e| unreachable!("{e}"));
    let err = Config::read(Some(&path), vars(&[])).err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(err.contains("max_body_bytes") && err.contains("weave.toml"), "{err}");
    let missing = dir.path().join("missing.toml");
    assert!(Config::read(Some(&missing), vars(&[])).is_err(), "a named file that is missing is an error");
}

#[test]
fn debug_prints_neither_the_jwt_secret_nor_the_database_password() {
    let config = read(&[
        ("WEAVE_DATABASE_URL", "postgres://weave:hunter2-password@db.example/weave"),
        ("WEAVE_JWT_SECRET", "a-very-secret-jwt-key-of-enough-length"),
    ])
    .unwrap_or_else(|e| unreachable!("{e:#}"));
    let printed = format!("{config:?}");
    assert!(!printed.contains("hunter2") && !printed.contains("a-very-secret"), "{printed}");
    assert!(printed.contains("postgres://weave:[redacted]@db.example/weave"), "{printed}");
    assert!(printed.contains("rate_limit_graphql_per_minute"), "{printed}");
    assert!(DatabaseUrl::from("sqlite://data/weave.db?mode=rwc").is_sqlite());
}
