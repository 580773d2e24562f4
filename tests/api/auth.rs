//! Sign-up, sign-in, tokens.
use serde_json::json;

use crate::helpers::{code, spawn_app, spawn_with};

const ME: &str = "{ me { id username handle local url accountStatus email } }";

#[tokio::test]
async fn register_login_and_me() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let me = app.ok(ME, json!({}), Some(&alice.access)).await;
    assert_eq!(me["me"]["username"], "alice");
    assert_eq!(me["me"]["handle"], "alice");
    assert_eq!(me["me"]["local"], true);
    assert_eq!(me["me"]["accountStatus"], "ACTIVE");
    assert_eq!(me["me"]["email"], "alice@example.org");
    assert_eq!(me["me"]["url"], format!("http://{}/members/alice", app.state.config.domain));

    // Sign in by username and by email (case-insensitively).
    let by_name = app.login("alice", "correct horse battery").await;
    assert_eq!(by_name.id, alice.id);
    let by_email = app.login("Alice@Example.org", "correct horse battery").await;
    assert_eq!(by_email.id, alice.id);

    // Anonymous: me is null, not an error.
    let anon = app.ok(ME, json!({}), None).await;
    assert!(anon["me"].is_null());
}

#[tokio::test]
async fn wrong_password_is_unauthenticated() {
    let app = spawn_app().await;
    app.register("alice").await;
    let v = app
        .gql(
            "mutation { login(input:{usernameOrEmail:\"alice\", password:\"not the password\"}) { accessToken } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(code(&v), "UNAUTHENTICATED");
    let unknown = app
        .gql(
            "mutation { login(input:{usernameOrEmail:\"nobody\", password:\"not the password\"}) { accessToken } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(code(&unknown), "UNAUTHENTICATED");
    // Same message either way: the answer does not reveal which accounts exist.
    assert_eq!(v["errors"][0]["message"], unknown["errors"][0]["message"]);
}

#[tokio::test]
async fn tampered_token_is_an_error_not_anonymous() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let mut parts: Vec<String> = alice.access.split('.').map(str::to_string).collect();
    // Change the payload (claims) without re-signing.
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value = serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 3600);
    parts[1] = engine.encode(serde_json::to_vec(&claims).unwrap());
    let forged = parts.join(".");
    let v = app.gql(ME, json!({}), Some(&forged)).await;
    assert_eq!(code(&v), "UNAUTHENTICATED");

    let garbage = app.gql(ME, json!({}), Some("not-a-jwt")).await;
    assert_eq!(code(&garbage), "UNAUTHENTICATED");

    // A token signed with another secret.
    let other = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": alice.id, "iat": 0, "exp": 4_000_000_000i64, "iss": app.state.config.domain}),
        &jsonwebtoken::EncodingKey::from_secret(b"some other secret entirely"),
    )
    .unwrap();
    assert_eq!(code(&app.gql(ME, json!({}), Some(&other)).await), "UNAUTHENTICATED");
}

#[tokio::test]
async fn expired_token_is_unauthenticated() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let now = chrono::Utc::now().timestamp();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": alice.id, "iat": now - 7200, "exp": now - 3600, "iss": app.state.config.domain}),
        &jsonwebtoken::EncodingKey::from_secret(
            weave::config::ExposeSecret::expose_secret(&app.state.config.jwt_secret).as_bytes(),
        ),
    )
    .unwrap();
    let v = app.gql(ME, json!({}), Some(&expired)).await;
    assert_eq!(code(&v), "UNAUTHENTICATED");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("expired"));

    // The same claims, still valid, work: the failure above was the expiry.
    let fresh = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": alice.id, "iat": now, "exp": now + 600, "iss": app.state.config.domain}),
        &jsonwebtoken::EncodingKey::from_secret(
            weave::config::ExposeSecret::expose_secret(&app.state.config.jwt_secret).as_bytes(),
        ),
    )
    .unwrap();
    assert_eq!(app.ok(ME, json!({}), Some(&fresh)).await["me"]["username"], "alice");
}

const REFRESH: &str =
    "mutation($t:String!){ refreshToken(refreshToken:$t){ accessToken refreshToken member { username } } }";

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;

    let first = app.ok(REFRESH, json!({"t": alice.refresh}), None).await;
    let second_refresh = first["refreshToken"]["refreshToken"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, alice.refresh);
    assert_eq!(first["refreshToken"]["member"]["username"], "alice");
    let new_access = first["refreshToken"]["accessToken"].as_str().unwrap();
    assert_eq!(app.ok(ME, json!({}), Some(new_access)).await["me"]["username"], "alice");

    // The old token is spent: presenting it again is theft, and revokes the whole sign-in...
    let reuse = app.gql(REFRESH, json!({"t": alice.refresh}), None).await;
    assert_eq!(code(&reuse), "UNAUTHENTICATED");
    // ...so the newest token of the family no longer works either.
    let after = app.gql(REFRESH, json!({"t": second_refresh}), None).await;
    assert_eq!(code(&after), "UNAUTHENTICATED");

    // Another sign-in is a different family and is unaffected.
    let other = app.login("alice", "correct horse battery").await;
    app.ok(REFRESH, json!({"t": other.refresh}), None).await;

    assert_eq!(code(&app.gql(REFRESH, json!({"t": "made-up"}), None).await), "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_ends_the_sign_in() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let out = app.ok("mutation($t:String!){ logout(refreshToken:$t) }", json!({"t": alice.refresh}), None).await;
    assert_eq!(out["logout"], true);
    assert_eq!(code(&app.gql(REFRESH, json!({"t": alice.refresh}), None).await), "UNAUTHENTICATED");
    let again = app.ok("mutation($t:String!){ logout(refreshToken:$t) }", json!({"t": alice.refresh}), None).await;
    assert_eq!(again["logout"], false);
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_account() {
    let app = spawn_app().await;
    app.register("alice").await;
    let attempt = |password: &'static str| {
        let app = &app;
        async move {
            app.gql(
                "mutation($p:String!){ login(input:{usernameOrEmail:\"alice\", password:$p}) { accessToken } }",
                json!({"p": password}),
                None,
            )
            .await
        }
    };
    for _ in 0..app.state.config.login_max_failures {
        assert_eq!(code(&attempt("wrong password!").await), "UNAUTHENTICATED");
    }
    // Locked now, even with the right password.
    assert_eq!(code(&attempt("correct horse battery").await), "RATE_LIMITED");
    // Other accounts are not affected by alice's lock (the per-IP limit is higher).
    app.register("bob").await;
    app.login("bob", "correct horse battery").await;
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_ip() {
    let app = spawn_with(|c| c.login_max_failures = 2).await;
    // 2 per account, 8 per address: spread over 8 accounts, then any account is locked.
    for i in 0..8 {
        let v = app
            .gql("mutation($u:String!){ login(input:{usernameOrEmail:$u, password:\"wrong password!\"}) { accessToken } }", json!({"u": format!("user{i}")}), None)
            .await;
        assert_eq!(code(&v), "UNAUTHENTICATED");
    }
    let v = app
        .gql(
            "mutation { login(input:{usernameOrEmail:\"fresh\", password:\"wrong password!\"}) { accessToken } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(code(&v), "RATE_LIMITED");
}

const REGISTER: &str =
    "mutation($u:String!,$e:String!,$p:String!){ register(input:{username:$u,email:$e,password:$p}){ member { id } } }";

async fn register_error(app: &crate::helpers::TestApp, u: &str, e: &str, p: &str) -> (String, String) {
    let v = app.gql(REGISTER, json!({"u": u, "e": e, "p": p}), None).await;
    (code(&v).to_string(), v["errors"][0]["extensions"]["field"].as_str().unwrap_or("").to_string())
}

#[tokio::test]
async fn username_too_short_or_long() {
    let app = spawn_app().await;
    assert_eq!(
        register_error(&app, "ab", "a@example.org", "long enough pw").await,
        ("BAD_USER_INPUT".into(), "username".into())
    );
    assert_eq!(
        register_error(&app, &"a".repeat(31), "a@example.org", "long enough pw").await,
        ("BAD_USER_INPUT".into(), "username".into())
    );
}

#[tokio::test]
async fn username_with_bad_characters() {
    let app = spawn_app().await;
    for bad in ["Alice", "al-ice", "al ice", "alicé"] {
        assert_eq!(
            register_error(&app, bad, "a@example.org", "long enough pw").await,
            ("BAD_USER_INPUT".into(), "username".into()),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn email_shape() {
    let app = spawn_app().await;
    for bad in ["alice", "alice@", "@example.org", "alice@localhost", "a b@example.org"] {
        assert_eq!(
            register_error(&app, "alice", bad, "long enough pw").await,
            ("BAD_USER_INPUT".into(), "email".into()),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn password_length() {
    let app = spawn_app().await;
    assert_eq!(
        register_error(&app, "alice", "a@example.org", "short").await,
        ("BAD_USER_INPUT".into(), "password".into())
    );
    // Nothing was written: the username is still free.
    app.register("alice").await;
}

#[tokio::test]
async fn duplicate_username_and_email_conflict() {
    let app = spawn_app().await;
    app.register("alice").await;
    assert_eq!(register_error(&app, "alice", "other@example.org", "long enough pw").await.0, "CONFLICT");
    assert_eq!(register_error(&app, "alice2", "ALICE@example.org", "long enough pw").await.0, "CONFLICT");
    // Group slugs share the namespace.
    assert_eq!(register_error(&app, "community", "c@example.org", "long enough pw").await.0, "CONFLICT");
}

#[tokio::test]
async fn approval_mode_keeps_accounts_pending_until_an_admin_approves() {
    let app = spawn_with(|c| c.registration_mode = weave::config::RegistrationMode::Approval).await;
    let admin = app.admin("root_admin").await;
    let carol = app.register("carol").await;
    let me = app.ok(ME, json!({}), Some(&carol.access)).await;
    assert_eq!(me["me"]["accountStatus"], "PENDING");
    // Pending accounts cannot act yet.
    let v = app
        .gql(
            "mutation { createGroup(input:{slug:\"carols\", name:\"Carol's\"}) { id } }",
            json!({}),
            Some(&carol.access),
        )
        .await;
    assert_eq!(code(&v), "FORBIDDEN");
    // Only admins see and approve.
    let v = app.gql("{ pendingMembers { totalCount } }", json!({}), Some(&carol.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");
    let pending =
        app.ok("{ pendingMembers { totalCount edges { node { username } } } }", json!({}), Some(&admin.access)).await;
    assert_eq!(pending["pendingMembers"]["totalCount"], 1);
    app.ok(
        "mutation($id:ID!){ approveMember(memberId:$id){ accountStatus } }",
        json!({"id": carol.id}),
        Some(&admin.access),
    )
    .await;
    let me = app.ok(ME, json!({}), Some(&carol.access)).await;
    assert_eq!(me["me"]["accountStatus"], "ACTIVE");
    app.ok(
        "mutation { createGroup(input:{slug:\"carols\", name:\"Carol's\"}) { id } }",
        json!({}),
        Some(&carol.access),
    )
    .await;
}

#[tokio::test]
async fn invite_only_registration_uses_single_use_codes() {
    let app = spawn_with(|c| c.registration_mode = weave::config::RegistrationMode::Invite).await;
    let v = app.gql(REGISTER, json!({"u": "dave", "e": "d@example.org", "p": "long enough pw"}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    let admin = app.admin("root_admin").await;
    let invite = app.ok("mutation { createInvite }", json!({}), Some(&admin.access)).await["createInvite"]
        .as_str()
        .unwrap()
        .to_string();
    let with_code = "mutation($u:String!,$e:String!,$c:String!){ register(input:{username:$u,email:$e,password:\"long enough pw\",inviteCode:$c}){ member { username } } }";
    app.ok(with_code, json!({"u": "dave", "e": "d@example.org", "c": invite}), None).await;
    let reused = app.gql(with_code, json!({"u": "erin", "e": "e@example.org", "c": invite}), None).await;
    assert_eq!(code(&reused), "BAD_USER_INPUT");
    // The failed attempt left no account behind.
    assert!(app.ok("{ member(handle:\"erin\") { id } }", json!({}), None).await["member"].is_null());
}

#[tokio::test]
async fn suspended_accounts_lose_their_sessions() {
    let app = spawn_app().await;
    let admin = app.admin("root_admin").await;
    let mallory = app.register("mallory").await;
    app.ok("mutation($id:ID!){ suspendMember(memberId:$id){ id } }", json!({"id": mallory.id}), Some(&admin.access))
        .await;
    assert_eq!(code(&app.gql(ME, json!({}), Some(&mallory.access)).await), "UNAUTHENTICATED");
    assert_eq!(code(&app.gql(REFRESH, json!({"t": mallory.refresh}), None).await), "UNAUTHENTICATED");
    let v = app
        .gql("mutation { login(input:{usernameOrEmail:\"mallory\", password:\"correct horse battery\"}) { accessToken } }", json!({}), None)
        .await;
    assert_eq!(code(&v), "FORBIDDEN");
}

#[tokio::test]
async fn parallel_logins_past_the_limit_are_rate_limited() {
    let app = spawn_with(|c| c.rate_limit_auth_per_minute = 10).await;
    app.register("alice").await; // one of the ten
    let login = "mutation($u:String!,$p:String!){ login(input:{usernameOrEmail:$u,password:$p}){ accessToken } }";
    let burst = (0..50).map(|_| app.gql(login, json!({"u": "alice", "p": "correct horse battery"}), None));
    let answers = futures_util::future::join_all(burst).await;
    let mut signed_in = 0;
    let mut limited = 0;
    for v in &answers {
        match v.get("errors") {
            None => signed_in += 1,
            Some(_) => {
                assert_eq!(code(v), "RATE_LIMITED", "{v}");
                limited += 1;
            }
        }
    }
    // Nine tokens were left; at most one more refills while the burst runs (one per 6 s).
    assert!((9..=10).contains(&signed_in), "{signed_in} signed in, {limited} limited");
    assert_eq!(signed_in + limited, 50);
    // register and refreshToken draw on the same allowance.
    let v = app
        .gql(
            "mutation{ register(input:{username:\"bob\",email:\"bob@example.org\",password:\"correct horse battery\"}){ accessToken } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(code(&v), "RATE_LIMITED");
    let v = app.gql("mutation{ refreshToken(refreshToken:\"x\"){ accessToken } }", json!({}), None).await;
    assert_eq!(code(&v), "RATE_LIMITED");
}

#[tokio::test]
async fn graphql_and_inbox_limits_answer_429_per_client_address() {
    let app = spawn_with(|c| {
        c.rate_limit_graphql_per_minute = 3;
        c.rate_limit_inbox_per_minute = 2;
    })
    .await;
    let post = |forwarded: Option<&'static str>| {
        let mut req = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .body(json!({"query": "{ __typename }"}).to_string());
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        req.send()
    };
    for _ in 0..3 {
        assert_eq!(post(None).await.unwrap().status(), 200);
    }
    // Without WEAVE_TRUST_PROXY a forwarded address changes nothing.
    let resp = post(Some("192.0.2.7")).await.unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "RATE_LIMITED");
    // Other routes are not limited.
    assert_eq!(app.client.get(format!("{}/healthz", app.address)).send().await.unwrap().status(), 200);

    let inbox = || {
        app.client
            .post(format!("{}/inbox", app.address))
            .header("content-type", "application/activity+json")
            .body("{}")
            .send()
    };
    assert_ne!(inbox().await.unwrap().status(), 429);
    assert_ne!(inbox().await.unwrap().status(), 429);
    let resp = inbox().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));

    // Behind a trusted proxy each forwarded address has its own allowance.
    let proxied = spawn_with(|c| {
        c.rate_limit_graphql_per_minute = 1;
        c.trust_proxy = true;
    })
    .await;
    let post = |forwarded: &'static str| {
        proxied
            .client
            .post(format!("{}/graphql", proxied.address))
            .header("content-type", "application/json")
            .header("x-forwarded-for", forwarded)
            .body(json!({"query": "{ __typename }"}).to_string())
            .send()
    };
    assert_eq!(post("192.0.2.1").await.unwrap().status(), 200);
    assert_eq!(post("192.0.2.2").await.unwrap().status(), 200);
    assert_eq!(post("192.0.2.1").await.unwrap().status(), 429);
}
