//! GraphQL over HTTP: transport rules, limits, the WebSocket transport.
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{code, spawn_app, spawn_with};

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let resp = app
        .client
        .get(&url)
        .query(&[("query", "{ instance { name version } }")])
        .header("accept", "application/graphql-response+json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["instance"]["name"], "Weave");

    let resp = app
        .client
        .get(&url)
        .query(&[("query", "mutation { logout(refreshToken:\"x\") }")])
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);

    // Browsers get GraphiQL.
    let resp = app.client.get(&url).header("accept", "text/html").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().to_lowercase().contains("graphiql"));
}

#[tokio::test]
async fn malformed_requests_answer_400() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let post = |body: &'static str, accept: &'static str| {
        app.client.post(&url).header("content-type", "application/json").header("accept", accept).body(body).send()
    };
    assert_eq!(post("{not json", "application/json").await.unwrap().status(), 400);
    assert_eq!(post("[]", "application/json").await.unwrap().status(), 400);
    assert_eq!(post("{\"variables\":{}}", "application/json").await.unwrap().status(), 400);
    assert_eq!(
        post("{\"query\":\"{__typename}\",\"variables\":\"x\"}", "application/json").await.unwrap().status(),
        400
    );
    // A document that does not validate: 200 for application/json, 400 for graphql-response+json.
    assert_eq!(post("{\"query\":\"{ nope }\"}", "application/json").await.unwrap().status(), 200);
    let strict = post("{\"query\":\"{ nope }\"}", "application/graphql-response+json").await.unwrap();
    assert_eq!(strict.status(), 400);
    let body: Value = strict.json().await.unwrap();
    assert!(body["errors"].is_array());
    assert!(body.get("data").is_none(), "request errors have no data entry: {body}");
    // Without a JSON content type.
    let resp = app.client.post(&url).header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(resp.status(), 415);
}

#[tokio::test]
async fn page_size_is_capped_at_100() {
    let app = spawn_app().await;
    let ok = app.ok("{ members(first: 100) { totalCount } }", json!({}), None).await;
    assert_eq!(ok["members"]["totalCount"], 0);
    let v = app.gql("{ members(first: 101) { totalCount } }", json!({}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    let v = app.gql("{ groups(first: -1) { totalCount } }", json!({}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let app = spawn_app().await;
    let mut q = String::from("{ groups { edges { node { members { edges { node { group { members { edges { node { group { members { edges { node { role } } } } } } } } } } } } } } }");
    let v = app.gql(&q, json!({}), None).await;
    assert!(v["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("too deep"), "{v}");
    assert_eq!(code(&v), "BAD_USER_INPUT");
    q = "{ groups { totalCount } }".into();
    app.ok(&q, json!({}), None).await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_with(|c| c.max_body_bytes = 4096).await;
    let big = json!({"query": format!("{{ instance {{ name }} }} # {}", "x".repeat(10_000))});
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(big.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn errors_never_leak_internals() {
    let app = spawn_app().await;
    let v = app.gql("mutation { joinGroup(groupId: \"x\") { id } }", json!({}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    assert_eq!(v["errors"][0]["extensions"]["field"], "groupId");
    // Coercion errors carry a code too.
    let v = app.gql("{ members(first: \"ten\") { totalCount } }", json!({}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    let text = v.to_string().to_lowercase();
    assert!(!text.contains("sqlx") && !text.contains("sea_orm") && !text.contains("panicked"));
}

async fn ws_connect(app: &crate::helpers::TestApp, init: Value) -> Option<Value> {
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.expect("websocket upgrade");
    assert_eq!(resp.headers()["sec-websocket-protocol"], "graphql-transport-ws");
    ws.send(Message::Text(json!({"type": "connection_init", "payload": init}).to_string().into())).await.unwrap();
    let reply = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next()).await.expect("a reply in time");
    match reply {
        Some(Ok(Message::Text(t))) => Some(serde_json::from_str(&t).unwrap()),
        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => None,
        Some(Ok(other)) => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn websocket_transport_authenticates_in_connection_init() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let ack = ws_connect(&app, json!({"Authorization": format!("Bearer {}", alice.access)})).await;
    assert_eq!(ack.unwrap()["type"], "connection_ack");
    let anon = ws_connect(&app, json!({})).await;
    assert_eq!(anon.unwrap()["type"], "connection_ack");
    // A bad token closes the connection instead of continuing anonymously.
    let refused = ws_connect(&app, json!({"Authorization": "Bearer forged"})).await;
    assert!(refused.is_none(), "{refused:?}");
}

#[tokio::test]
async fn wildcard_and_missing_accept_answer_application_json() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let body = json!({"query": "{ instance { name } }"}).to_string();
    for accept in [Some("*/*"), Some("application/*"), Some("application/graphql-response+json, */*;q=0.5")] {
        let mut req = app.client.post(&url).header("content-type", "application/json").body(body.clone());
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{accept:?}");
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        let want = if accept.is_some_and(|a| a.starts_with("application/graphql-response+json")) {
            "application/graphql-response+json"
        } else {
            "application/json"
        };
        assert!(ct.starts_with(want), "Accept {accept:?} answered {ct}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["data"]["instance"]["name"], "Weave");
    }
    // reqwest always sends `Accept: */*`; a request with no Accept at all goes over a raw socket.
    let body = json!({"query": "{ instance { name } }"}).to_string();
    let host = app.address.trim_start_matches("http://");
    let raw = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let head = answer.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{answer}");
    assert!(head.contains("content-type: application/json"), "{answer}");
    assert!(answer.contains("\"Weave\""), "{answer}");
}

#[tokio::test]
async fn standard_introspection_query_answers_the_schema() {
    let app = spawn_app().await;
    // graphql-js `getIntrospectionQuery()` with every option on; deeper than the depth limit.
    let v = app.gql(include_str!("../fixtures/introspection.graphql"), json!({}), None).await;
    assert!(v.get("errors").is_none(), "{v:#}");
    let schema = &v["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    let types = schema["types"].as_array().expect("types");
    let member = types.iter().find(|t| t["name"] == "Member").expect("Member type");
    assert!(member["fields"].as_array().unwrap().iter().any(|f| f["name"] == "handle"));
    assert!(schema["directives"].as_array().unwrap().iter().any(|d| d["name"] == "include"));

    // Data fields keep the depth limit (`deep_queries_are_refused`); introspection may not
    // multiply the schema by nesting its lists.
    let v = app
        .gql("{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }", json!({}), None)
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("introspection"), "{v}");
    // Mixing data in: the depth limit applies again.
    let deep_types = format!(
        "__schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }}",
        "ofType { ".repeat(10),
        "} ".repeat(10)
    );
    let v = app.gql(&format!("{{ instance {{ name }} {deep_types} }}"), json!({}), None).await;
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("too deep"), "{v}");
    app.ok(&format!("{{ {deep_types} }}"), json!({}), None).await;
}

/// `group → members(first:100) → node → group → members(first:100)`, under `aliases` aliases.
fn nested_members(aliases: usize) -> String {
    let one = "group(handle: \"community\") { members(first: 100) { edges { node { group { members(first: 100) { edges { node { role member { handle } } } } } } } } }";
    let fields: Vec<String> = (0..aliases).map(|i| format!("a{i}: {one}")).collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn nested_pages_are_priced_and_refused_before_running() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for token in [None, Some(alice.access.as_str())] {
        for aliases in [1, 20] {
            let started = std::time::Instant::now();
            let v = app.gql(&nested_members(aliases), json!({}), token).await;
            assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
            assert!(v.get("data").is_none() || v["data"].is_null(), "nothing ran: {v}");
            let message = v["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("costs") && message.contains("5000"), "{message}");
            assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
        }
    }
    // The first page's cost comes from variables too.
    let v = app
        .gql(
            "query($n:Int){ members(first:$n) { edges { node { handle } } } groups(first:$n) { edges { node { members(first:$n) { edges { node { role } } } } } } }",
            json!({"n": 100}),
            None,
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    // Small pages nest fine.
    let ok = app
        .ok(
            "{ group(handle: \"community\") { members(first: 10) { edges { node { group { members(first: 10) { edges { node { role } } } } } } } } }",
            json!({}),
            Some(&alice.access),
        )
        .await;
    assert!(ok["group"]["members"]["edges"].is_array(), "{ok}");
    // Too many root fields, however cheap.
    let wide = format!("{{ {} }}", (0..21).map(|i| format!("t{i}: __typename")).collect::<Vec<_>>().join(" "));
    let v = app.gql(&wide, json!({}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("root fields"), "{v}");
    let fine = format!("{{ {} }}", (0..20).map(|i| format!("t{i}: __typename")).collect::<Vec<_>>().join(" "));
    app.ok(&fine, json!({}), None).await;
}

#[tokio::test]
async fn exploding_fragments_are_refused_before_validation() {
    let app = spawn_app().await;
    // Each fragment spreads the next twice: 2^30 selections once expanded.
    let mut doc = String::from("{ ...F0 }");
    for i in 0..30 {
        doc.push_str(&format!(" fragment F{i} on Query {{ ...F{n} ...F{n} }}", n = i + 1));
    }
    doc.push_str(" fragment F30 on Query { __typename }");
    let started = std::time::Instant::now();
    let v = app.gql(&doc, json!({}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    // The same below a field.
    let mut doc = String::from("{ instance { ...I0 } }");
    for i in 0..30 {
        doc.push_str(&format!(" fragment I{i} on Instance {{ ...I{n} ...I{n} }}", n = i + 1));
    }
    doc.push_str(" fragment I30 on Instance { name }");
    let started = std::time::Instant::now();
    let v = app.gql(&doc, json!({}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("expands"), "{v}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
}

/// The sources a page loads (`src` and `href` attributes).
fn page_sources(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].to_string());
            }
        }
    }
    found
}

#[tokio::test]
async fn graphiql_is_served_from_weave_itself_or_a_chosen_cdn() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let resp = app.client.get(&url).header("accept", "text/html").send().await.unwrap();
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self';") && csp.contains("default-src 'none'"), "{csp}");
    let html = resp.text().await.unwrap();
    let sources = page_sources(&html);
    assert_eq!(sources.len(), 5, "{sources:?}");
    for src in &sources {
        assert!(src.starts_with("/graphiql/"), "loaded from this server: {src}");
        let asset = app.client.get(format!("{}{src}", app.address)).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{src}");
        let kind = asset.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("text/javascript") || kind.starts_with("text/css"), "{src}: {kind}");
        assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        assert!(asset.bytes().await.unwrap().len() > 100, "{src}");
    }
    let licence = app.client.get(format!("{}/graphiql/4.1.2-18.3.1/LICENSE.graphiql", app.address)).send().await;
    assert!(licence.unwrap().text().await.unwrap().contains("MIT License"));
    let missing = app.client.get(format!("{}/graphiql/4.1.2-18.3.1/../../schema", app.address)).send().await;
    assert_eq!(missing.unwrap().status(), 404);

    let cdn = spawn_with(|c| c.graphiql_cdn = "https://cdn.jsdelivr.net/npm".into()).await;
    let resp = cdn.client.get(format!("{}/graphql", cdn.address)).header("accept", "text/html").send().await.unwrap();
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self' https://cdn.jsdelivr.net;"), "{csp}");
    let sources = page_sources(&resp.text().await.unwrap());
    assert!(sources.contains(&"https://cdn.jsdelivr.net/npm/graphiql@4.1.2/graphiql.min.js".to_string()));
    assert!(sources.iter().any(|s| s.ends_with("/weave-graphiql.js") && s.starts_with("/graphiql/")));
}

/// Documents are parsed once per text and kept; every request's variables are still validated
/// and checked, whatever was kept.
#[tokio::test]
async fn a_kept_document_is_still_validated_with_each_requests_variables() {
    let app = spawn_app().await;
    let q = "query Named($h: String!) { group(handle: $h) { name } }";
    for _ in 0..2 {
        assert_eq!(app.ok(q, json!({"h": "community"}), None).await["group"]["name"], "Community");
    }
    assert_eq!(code(&app.gql(q, json!({"h": 123}), None).await), "BAD_USER_INPUT");
    assert_eq!(code(&app.gql(q, json!({}), None).await), "BAD_USER_INPUT");
    assert_eq!(code(&app.gql(q, json!({"h": "comm\u{0}unity"}), None).await), "BAD_USER_INPUT");
    assert_eq!(app.ok(q, json!({"h": "community"}), None).await["group"]["name"], "Community");
}

/// A list's objects resolve their fields in place (`graphql::in_place`), or through the
/// engine when the selection has fragments, directives or a key given twice: either way the
/// answer is what the query asks, its fields in the query's order.
#[tokio::test]
async fn list_objects_answer_aliases_typenames_fragments_and_directives() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let community = app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"].clone();
    let create = "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }";
    app.ok(create, json!({"i": {"groupId": community, "title": "In place", "body": "Hello"}}), Some(&alice.access))
        .await;
    let query = "query($yes: Boolean!) {
      plain: threads(first: 5) { edges { node { __typename t: title title postCount
        author { __typename username } group { handle } } } }
      mixed: threads(first: 5) { edges { node { __typename title ... on Thread { kind } ...More
        postCount @include(if: $yes) locked @skip(if: $yes) author { username } author { displayName } } } }
    }
    fragment More on Thread { url }";
    let body = json!({"query": query, "variables": {"yes": true}});
    let raw = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&alice.access)
        .json(&body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&raw).unwrap();
    assert!(v.get("errors").is_none(), "{v}");
    assert_eq!(
        v["data"]["plain"]["edges"][0]["node"],
        json!({"__typename": "Thread", "t": "In place", "title": "In place", "postCount": 1,
               "author": {"__typename": "Member", "username": "alice"}, "group": {"handle": "community"}})
    );
    assert!(
        raw.contains(r#""node":{"__typename":"Thread","t":"In place","title":"In place","postCount":1,"author":{"__typename":"Member","username":"alice"},"group":{"handle":"community"}}"#),
        "the fields in the query's order: {raw}"
    );
    let mixed = &v["data"]["mixed"]["edges"][0]["node"];
    assert_eq!(mixed["kind"], "DISCUSSION");
    assert!(mixed["url"].as_str().unwrap().contains("/threads/"));
    assert_eq!(mixed["postCount"], 1);
    assert!(mixed.get("locked").is_none(), "skipped: {mixed}");
    assert_eq!(mixed["author"], json!({"username": "alice", "displayName": null}), "two selections merged");
}
