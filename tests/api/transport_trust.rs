//! Trust at the transport: a WebSocket holds every operation to the rules of an HTTP request,
//! the client address behind a proxy is the one the proxy saw, and text no database can store
//! never reaches one (refused from clients, stripped from other servers).
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{code, spawn_app, spawn_with, Account, TestApp};
use crate::peer::{actor_key, post_signed, Tamper};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What a socket says next.
#[derive(Debug)]
enum Said {
    Json(Value),
    /// Closed, with the close code if any.
    Closed(Option<u16>),
    /// Nothing within the wait.
    Nothing,
}

async fn connect(app: &TestApp, token: Option<&str>) -> Socket {
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("websocket upgrade");
    let payload = token.map(|t| json!({"Authorization": format!("Bearer {t}")})).unwrap_or(json!({}));
    ws.send(Message::Text(json!({"type": "connection_init", "payload": payload}).to_string().into())).await.unwrap();
    match next(&mut ws, 10_000).await {
        Said::Json(v) if v["type"] == "connection_ack" => ws,
        other => panic!("no connection_ack: {other:?}"),
    }
}

async fn send(ws: &mut Socket, id: &str, query: &str, variables: Value) {
    let msg = json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}});
    ws.send(Message::Text(msg.to_string().into())).await.unwrap();
}

async fn next(ws: &mut Socket, wait_ms: u64) -> Said {
    loop {
        match tokio::time::timeout(std::time::Duration::from_millis(wait_ms), ws.next()).await {
            Err(_) => return Said::Nothing,
            Ok(None) | Ok(Some(Err(_))) => return Said::Closed(None),
            Ok(Some(Ok(Message::Text(t)))) => return Said::Json(serde_json::from_str(&t).unwrap()),
            Ok(Some(Ok(Message::Close(frame)))) => return Said::Closed(frame.map(|f| u16::from(f.code))),
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Runs `{ __typename }` as operation `id`: its answer (`next`, then `complete`), or what
/// came instead.
async fn typename(ws: &mut Socket, id: &str) -> Said {
    send(ws, id, "{ __typename }", json!({})).await;
    let first = next(ws, 10_000).await;
    if let Said::Json(v) = &first {
        if v["type"] == "next" {
            assert_eq!(v["payload"]["data"]["__typename"], "Query", "{v}");
            match next(ws, 10_000).await {
                Said::Json(c) if c["type"] == "complete" && c["id"] == id => {}
                other => panic!("no complete for {id}: {other:?}"),
            }
        }
    }
    first
}

fn is_answer(said: &Said) -> bool {
    matches!(said, Said::Json(v) if v["type"] == "next")
}

fn rate_limited(said: &Said, id: &str) -> bool {
    matches!(said, Said::Json(v) if v["type"] == "error" && v["id"] == id
        && v["payload"][0]["extensions"]["code"] == "RATE_LIMITED")
}

async fn create_group(app: &TestApp, owner: &Account, slug: &str) -> String {
    let v = app
        .ok(
            "mutation($s:String!){ createGroup(input:{slug:$s,name:\"Circle\"}){ id } }",
            json!({"s": slug}),
            Some(&owner.access),
        )
        .await;
    v["createGroup"]["id"].as_str().unwrap().to_string()
}

fn event_input(group_id: &str) -> Value {
    json!({
        "groupId": group_id,
        "title": "Peer learning circle",
        "timezone": "Europe/London",
        "sessions": [{ "startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T10:00:00Z" }],
        "location": { "mode": "ONLINE", "onlineUrl": "https://meet.example.org/circle" },
        "capacity": 10
    })
}

async fn create_event(app: &TestApp, who: &Account, group_id: &str) -> String {
    let v = app
        .ok(
            "mutation($i: CreateEventInput!){ createEvent(input: $i){ id } }",
            json!({"i": event_input(group_id)}),
            Some(&who.access),
        )
        .await;
    v["createEvent"]["id"].as_str().unwrap().to_string()
}

async fn suspend(app: &TestApp, admin: &Account, who: &Account) {
    app.ok("mutation($id: ID!){ suspendMember(memberId: $id){ id } }", json!({"id": who.id}), Some(&admin.access))
        .await;
}

const EVENT_CHANGED: &str = "subscription($id: ID!) { eventChanged(eventId: $id) { id seatsTaken } }";

#[tokio::test]
async fn websocket_operations_recheck_the_sign_in_and_count_against_the_address_limits() {
    let app = spawn_app().await;
    let admin = app.admin("steward").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let amy = app.register("amy").await;
    let group = create_group(&app, &alice, "circle").await;
    let event = create_event(&app, &alice, &group).await;

    // At most 32 operations in flight on one socket; the 33rd is refused, a finished one frees
    // its place.
    let mut ws = connect(&app, Some(&bob.access)).await;
    for i in 0..32 {
        send(&mut ws, &format!("s{i}"), EVENT_CHANGED, json!({"id": event})).await;
    }
    send(&mut ws, "s32", EVENT_CHANGED, json!({"id": event})).await;
    let refused = next(&mut ws, 10_000).await;
    assert!(rate_limited(&refused, "s32"), "{refused:?}");
    ws.send(Message::Text(json!({"id": "s0", "type": "complete"}).to_string().into())).await.unwrap();
    match next(&mut ws, 10_000).await {
        Said::Json(v) if v["type"] == "complete" && v["id"] == "s0" => {}
        other => panic!("{other:?}"),
    }
    assert!(is_answer(&typename(&mut ws, "q1").await));

    // A live subscription of a member suspended since is closed (4403) instead of delivering.
    suspend(&app, &admin, &bob).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let v = app.gql("mutation($id:ID!){ rsvp(eventId:$id){ status } }", json!({"id": event}), Some(&amy.access)).await;
    assert_eq!(v["data"]["rsvp"]["status"], "GOING", "{v}");
    let said = next(&mut ws, 10_000).await;
    assert!(matches!(said, Said::Closed(Some(4403))), "a suspended member's subscription went on: {said:?}");

    // A new operation after the suspension closes the socket (4403).
    let mut ws = connect(&app, Some(&carol.access)).await;
    assert!(is_answer(&typename(&mut ws, "1").await));
    suspend(&app, &admin, &carol).await;
    let said = typename(&mut ws, "2").await;
    assert!(matches!(said, Said::Closed(Some(4403))), "a suspended member's operation ran: {said:?}");

    // An access token that expires while the socket is open stops working there too. (Tokens
    // are accepted up to 30 s past their expiry, as over HTTP.)
    let now = chrono::Utc::now().timestamp();
    let claims = weave::auth::Claims {
        sub: alice.id.parse().unwrap(),
        iat: now - 900,
        exp: now - 28,
        iss: app.state.config.domain.clone(),
    };
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(
            weave::config::ExposeSecret::expose_secret(&app.state.config.jwt_secret).as_bytes(),
        ),
    )
    .unwrap();
    let mut ws = connect(&app, Some(&token)).await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let said = typename(&mut ws, "1").await;
    assert!(matches!(said, Said::Closed(Some(4403))), "an expired sign-in's operation ran: {said:?}");
    // Over HTTP the same token is refused as well: one rule.
    let v = app.gql("{ me { id } }", json!({}), Some(&token)).await;
    assert_eq!(code(&v), "UNAUTHENTICATED");

    // Operations over a socket count against the address's /graphql allowance.
    let limited = spawn_with(|c| c.rate_limit_graphql_per_minute = 4).await;
    // The upgrade request is one; three operations remain.
    let mut ws = connect(&limited, None).await;
    for id in ["1", "2", "3"] {
        assert!(is_answer(&typename(&mut ws, id).await), "operation {id}");
    }
    let said = typename(&mut ws, "4").await;
    assert!(rate_limited(&said, "4"), "the fourth operation was not limited: {said:?}");
    // And HTTP from the same address has nothing left either.
    let resp = limited
        .client
        .post(format!("{}/graphql", limited.address))
        .header("content-type", "application/json")
        .body(json!({"query": "{ __typename }"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_is_the_address_the_proxy_appended_and_never_exempt() {
    let post = |app: &TestApp, forwarded: Option<&'static str>| {
        let mut req = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .body(json!({"query": "{ __typename }"}).to_string());
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // Loopback exemption on, as in production.
    let app = spawn_with(|c| {
        c.trust_proxy = true;
        c.rate_limit_graphql_per_minute = 1;
        c.rate_limit_exempt_loopback = true;
    })
    .await;
    // A client that writes a loopback address is limited like any other.
    assert_eq!(post(&app, Some("127.0.0.1")).await, 200);
    assert_eq!(post(&app, Some("127.0.0.1")).await, 429, "a forwarded loopback address passed the limit");
    assert_eq!(post(&app, Some("::1")).await, 200);
    assert_eq!(post(&app, Some("::1")).await, 429);
    // The client writes what it likes on the left; the proxy's entry is the last one.
    assert_eq!(post(&app, Some("198.51.100.1, 192.0.2.10")).await, 200);
    assert_eq!(post(&app, Some("198.51.100.2, 192.0.2.10")).await, 429, "the client-written entry was believed");
    assert_eq!(post(&app, Some("192.0.2.10, 192.0.2.11")).await, 200);
    // The proxy's own peer (this machine, no forwarded address) stays exempt, as before.
    for _ in 0..3 {
        assert_eq!(post(&app, None).await, 200);
    }

    // Two proxies of ours: the entry two places from the right.
    let two = spawn_with(|c| {
        c.trust_proxy = true;
        c.trusted_proxy_hops = 2;
        c.rate_limit_graphql_per_minute = 1;
    })
    .await;
    assert_eq!(post(&two, Some("127.0.0.1, 192.0.2.20, 192.0.2.99")).await, 200);
    assert_eq!(post(&two, Some("198.51.100.7, 192.0.2.20, 192.0.2.99")).await, 429);
    assert_eq!(post(&two, Some("192.0.2.21, 192.0.2.99")).await, 200);
    // Several header lines are one list.
    let resp = two
        .client
        .post(format!("{}/graphql", two.address))
        .header("content-type", "application/json")
        .header("x-forwarded-for", "198.51.100.8")
        .header("x-forwarded-for", "192.0.2.21, 192.0.2.99")
        .body(json!({"query": "{ __typename }"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
}

#[tokio::test]
async fn text_with_nul_is_refused_from_clients_and_stripped_from_other_servers() {
    let a = spawn_app().await;
    let alice = a.register("alice").await;
    let group = create_group(&a, &alice, "circle").await;
    let token = Some(alice.access.as_str());
    let refused = |v: &Value, what: &str| {
        assert_eq!(code(v), "BAD_USER_INPUT", "{what}: {v:#}");
        assert!(v["data"].is_null() || v.get("data").is_none(), "{what} ran: {v:#}");
        assert!(v["errors"][0]["extensions"]["field"].is_string(), "{what} names no field: {v:#}");
    };
    // An inline literal as a query argument.
    refused(&a.gql("{ member(handle: \"a\\u0000b\") { id } }", json!({}), None).await, "inline argument");
    // The same through a variable.
    refused(
        &a.gql("query($h: String!) { member(handle: $h) { id } }", json!({"h": "a\u{0}b"}), None).await,
        "variable",
    );
    // A field of an input object, inline and through a variable; other control characters too.
    let thread =
        "mutation($i: CreateThreadInput!) { createThread(input: $i) { id posts { edges { node { body } } } } }";
    refused(
        &a.gql(
            &format!(
                "mutation {{ createThread(input: {{groupId: \"{group}\", title: \"T\\u0000\", body: \"b\"}}) {{ id }} }}"
            ),
            json!({}),
            token,
        )
        .await,
        "inline input object field",
    );
    for bad in ["a\u{0}b", "bell\u{7}", "esc\u{1b}[31m", "c1\u{85}"] {
        let v = a.gql(thread, json!({"i": {"groupId": group, "title": "Hello", "body": bad}}), token).await;
        refused(&v, &format!("input object field {bad:?}"));
        assert_eq!(v["errors"][0]["extensions"]["field"], "body");
    }
    // A list element, inline and through a variable.
    let mut input = event_input(&group);
    input["tags"] = json!(["fine", "bad\u{0}"]);
    refused(
        &a.gql("mutation($i: CreateEventInput!){ createEvent(input: $i){ id } }", json!({"i": input}), token).await,
        "list element in a variable",
    );
    let inline = format!(
        "mutation {{ createEvent(input: {{groupId: \"{group}\", title: \"T\", timezone: \"Europe/London\", \
         sessions: [{{startsAt: \"2031-05-01T09:00:00Z\", endsAt: \"2031-05-01T10:00:00Z\"}}], \
         location: {{mode: ONLINE, onlineUrl: \"https://meet.example.org/c\"}}, tags: [\"ok\", \"x\\u0000\"]}}) {{ id }} }}"
    );
    refused(&a.gql(&inline, json!({}), token).await, "list element inline");
    // A variable's default value.
    refused(
        &a.gql("query($h: String = \"\\u0000\") { member(handle: $h) { id } }", json!({}), None).await,
        "default value",
    );
    // Nothing was written.
    let v = a
        .ok("{ threads(filter: {groupHandle: \"circle\"}) { totalCount } events { totalCount } }", json!({}), None)
        .await;
    assert_eq!((v["threads"]["totalCount"].as_i64(), v["events"]["totalCount"].as_i64()), (Some(0), Some(0)), "{v}");
    // Over the WebSocket too (the same schema).
    let mut ws = connect(&a, None).await;
    send(&mut ws, "1", "query($h: String!) { member(handle: $h) { id } }", json!({"h": "\u{0}"})).await;
    match next(&mut ws, 10_000).await {
        Said::Json(v) => assert_eq!(v["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{v}"),
        other => panic!("{other:?}"),
    }
    // Multi-line text keeps its tabs and line breaks.
    let body = "Line one\nLine two\r\n\tindented";
    let v = a.ok(thread, json!({"i": {"groupId": group, "title": "Hello", "body": body}}), token).await;
    assert!(v["createThread"]["posts"]["edges"][0]["node"]["body"].as_str().unwrap().contains("Line two"), "{v}");

    // A Mastodon-shaped reply from another server with NUL in its text is stored without it.
    let b = spawn_app().await;
    b.register("rosa").await;
    let thread_id = v["createThread"]["id"].as_str().unwrap().to_string();
    let thread_url = a.ok("query($id: ID!) { thread(id: $id) { url } }", json!({"id": thread_id}), None).await
        ["thread"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let (rosa, rosa_key) = actor_key(&b, &format!("http://{}/members/rosa", b.domain())).await;
    let note = json!({
        "id": format!("{rosa}/statuses/1"), "type": "Note", "attributedTo": rosa, "inReplyTo": thread_url,
        "published": "2030-01-01T10:00:00Z", "url": format!("{rosa}/1"),
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{rosa}/followers")],
        "summary": "cw\u{0}", "sensitive": false,
        "content": "<p>We keep a log.\u{0} Nul\u{0}s gone.</p>",
        "tag": [{"type": "Hashtag", "href": "https://social.example/tags/dei", "name": "#d\u{0}ei"}]
    });
    let create = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{rosa}/statuses/1/activity"),
        "type": "Create", "actor": rosa, "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": note});
    let inbox = format!("http://{}/inbox", a.domain());
    assert_eq!(post_signed(&inbox, &rosa, &rosa_key, &create, Tamper::default()).await, 202);
    let v = a
        .ok(
            "query($id: ID!) { thread(id: $id) { postCount posts { edges { node { body local } } } } }",
            json!({"id": thread_id}),
            None,
        )
        .await;
    assert_eq!(v["thread"]["postCount"], 2, "{v}");
    let got = v["thread"]["posts"]["edges"][1]["node"]["body"].as_str().unwrap();
    assert!(got.contains("We keep a log. Nuls gone."), "{got:?}");
    assert!(!got.contains('\u{0}'), "{got:?}");
}
