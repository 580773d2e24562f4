//! The layers call downwards only: adapters (`federation`, `graphql`, `web`) → `domain` →
//! `ap` (vocabulary) and `db`. These tests read the sources and fail when a lower layer names
//! a higher one, and when a resolver decides a rule instead of asking the domain.
use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("read source dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir), &mut out);
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

/// Whether `code` names the path `name` as a whole segment (`crate::web`, not
/// `crate::webfinger`).
fn names(code: &str, name: &str) -> bool {
    code.match_indices(name)
        .any(|(i, _)| !code[i + name.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// Lines (outside comments) of `dir`'s sources that name one of `forbidden` paths.
fn violations(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, text) in sources(dir) {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for name in forbidden {
                if names(code, name) {
                    found.push(format!("{}:{}: names {name}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    found
}

const ADAPTERS: &[&str] = &["crate::federation", "crate::graphql", "crate::web", "weave::federation"];

#[test]
fn the_domain_never_names_an_adapter() {
    let found = violations("domain", ADAPTERS);
    assert!(found.is_empty(), "src/domain must call downwards only:\n{}", found.join("\n"));
}

#[test]
fn the_vocabulary_is_pure() {
    let mut forbidden = ADAPTERS.to_vec();
    // No database, no domain, no I/O.
    forbidden.extend(["crate::domain", "crate::db", "crate::state", "sea_orm", "tokio", "reqwest", "actix_web"]);
    let found = violations("ap", &forbidden);
    assert!(found.is_empty(), "src/ap must stay pure:\n{}", found.join("\n"));
}

#[test]
fn the_checker_sees_a_violation() {
    assert!(names("use crate::federation::actors;", "crate::federation"));
    assert!(names("let x = crate::web::pages::escape(s);", "crate::web"));
    assert!(!names("use crate::webfinger;", "crate::web"));
    // The state the domain is handed, with an adapter's type in it.
    let state = "use crate::config::Config;\npub struct AppState {\n    pub config: Config,\n    \
                 pub limits: crate::web::ratelimit::RateLimits,\n}";
    let found = state_violations(state);
    assert!(found.iter().any(|v| v.contains("crate::web")), "{found:?}");
    let found = state_violations("use crate::{config::Config, graphql};");
    assert!(found.iter().any(|v| v.contains("crate::graphql")), "{found:?}");
    let found = state_violations("pub struct AppState { pub lookups: crate::telemetry::Lookups }");
    assert!(found.iter().any(|v| v.contains("crate::telemetry")), "{found:?}");
    assert!(state_violations("use crate::db::version::DataVersion; pub struct AppState { pub bus: crate::bus::Bus }")
        .is_empty());
}

/// The modules of the crate that `AppState` (`src/state.rs`) may name: what the domain needs
/// (database, bus, settings, keys), none of them an adapter.
const STATE_MAY_NAME: &[&str] = &["auth", "bus", "config", "db", "media_store"];

/// Where the text of `src/state.rs` names a module of the crate other than [`STATE_MAY_NAME`].
fn state_violations(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for (i, _) in code.match_indices("crate::") {
            let module: String =
                code[i + "crate::".len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !module.is_empty() && !STATE_MAY_NAME.contains(&module.as_str()) {
                found.push(format!("src/state.rs:{}: names crate::{module}: {}", n + 1, line.trim()));
            }
        }
        // A grouped import (`use crate::{config, web};`) names every module in its braces.
        if let Some(group) = code.split("crate::{").nth(1) {
            for module in group.split(['}', ',']).map(|m| m.trim().split("::").next().unwrap_or_default()) {
                if !module.is_empty() && !STATE_MAY_NAME.contains(&module) {
                    found.push(format!("src/state.rs:{}: names crate::{module}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    found
}

/// The domain is handed `AppState`: neither it nor what it holds names an adapter.
#[test]
fn the_state_the_domain_is_given_names_no_adapter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let state = std::fs::read_to_string(root.join("state.rs")).expect("read src/state.rs");
    let mut found = state_violations(&state);
    for module in STATE_MAY_NAME {
        let file = root.join(format!("{module}.rs"));
        if file.is_file() {
            let text = std::fs::read_to_string(&file).expect("read source");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for name in ADAPTERS.iter().filter(|name| names(code, name)) {
                    found.push(format!("{}:{}: names {name}: {}", file.display(), n + 1, line.trim()));
                }
            }
        } else {
            found.extend(violations(module, ADAPTERS));
        }
    }
    assert!(found.is_empty(), "AppState gives the domain no adapter type:\n{}", found.join("\n"));
}

/// Whether a line of code decides who may do or see something: one of the rules' enums meets
/// a comparison, or the viewer is asked who they are (`.is_admin()`, `.is(id)`).
fn decides(code: &str) -> bool {
    const ENUMS: &[&str] = &["Role::", "MemberStatus::", "RegistrationStatus::", "DbReg::", "Visibility::"];
    const COMPARE: &[&str] = &["==", "!=", ">=", "<=", " > ", " < ", "matches!"];
    let compares_enum = ENUMS.iter().any(|e| code.contains(e)) && COMPARE.iter().any(|c| code.contains(c));
    compares_enum || code.contains(".is_admin()") || code.contains("viewer().is(")
}

#[test]
fn resolvers_ask_the_domain_and_never_compare_roles_or_statuses() {
    let mut found = Vec::new();
    for (path, text) in sources("graphql") {
        for (n, line) in text.lines().enumerate() {
            if decides(line.split("//").next().unwrap_or_default()) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "src/graphql must ask the domain's rules, not decide:\n{}", found.join("\n"));
}

#[test]
fn the_decision_checker_sees_a_decision() {
    for decision in [
        "Ok(Some(m)) if m.local && m.status != MemberStatus::Suspended => {",
        "Some(role) => *role >= Role::Admin,",
        "let going = mine?.is_some_and(|r| r.status == DbReg::Going);",
        "if !ctx.viewer().is(self.0.id) {",
        "(v.optional()?.is_some() && v.is_admin())",
    ] {
        assert!(decides(decision), "{decision}");
    }
    // Mapping an enum to its GraphQL twin decides nothing.
    assert!(!decides("Role::Owner => MembershipRole::Owner,"));
    assert!(!decides("MemberStatus::Active => AccountStatus::Active,"));
}
