//! The shared library and discussion threads: permissions, tree order, editing and
//! moderation, live posts, and full-text search over everything.
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{code, spawn_app, Account, TestApp};

async fn group_id(app: &TestApp, handle: &str) -> String {
    let v = app.ok("query($h:String!){ group(handle:$h){ id } }", json!({"h": handle}), None).await;
    v["group"]["id"].as_str().unwrap().to_string()
}

async fn create_group(app: &TestApp, owner: &Account, slug: &str) -> String {
    let v = app
        .ok(
            "mutation($s:String!){ createGroup(input:{slug:$s,name:\"Circle of practice\"}){ id } }",
            json!({"s": slug}),
            Some(&owner.access),
        )
        .await;
    v["createGroup"]["id"].as_str().unwrap().to_string()
}

const RESOURCE: &str =
    "id title kind url description tags folder local pageUrl author { username } group { handle } event { id }";

async fn create_resource(app: &TestApp, who: &Account, input: Value) -> Value {
    let q = format!("mutation($i: CreateResourceInput!) {{ createResource(input: $i) {{ {RESOURCE} }} }}");
    app.gql(&q, json!({"i": input}), Some(&who.access)).await
}

async fn create_thread(app: &TestApp, who: &Account, group: &str, title: &str, body: &str) -> String {
    let v = app
        .ok(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id title kind postCount locked local url author { username } } }",
            json!({"i": {"groupId": group, "title": title, "body": body, "kind": "QUESTION"}}),
            Some(&who.access),
        )
        .await;
    assert_eq!(v["createThread"]["kind"], "QUESTION");
    assert_eq!(v["createThread"]["postCount"], 1);
    assert_eq!(v["createThread"]["local"], true);
    v["createThread"]["id"].as_str().unwrap().to_string()
}

async fn reply(app: &TestApp, who: &Account, thread: &str, parent: Option<&str>, body: &str) -> Value {
    app.gql(
        "mutation($i: ReplyInput!) { reply(input: $i) { id body depth author { username } parent { id } thread { id } } }",
        json!({"i": {"threadId": thread, "parentId": parent, "body": body}}),
        Some(&who.access),
    )
    .await
}

async fn posts(app: &TestApp, who: Option<&Account>, thread: &str) -> Value {
    app.ok(
        "query($id: ID!) { thread(id: $id) { postCount posts(first: 50) { totalCount edges { cursor node { id body depth deleted author { username } parent { id } } } } } }",
        json!({"id": thread}),
        who.map(|a| a.access.as_str()),
    )
    .await["thread"]
        .clone()
}

#[tokio::test]
async fn the_library_is_kept_by_members_and_changed_by_authors_and_moderators() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let circle = create_group(&app, &alice, "circle").await;

    let input = json!({"groupId": circle, "title": "Systems mapping toolkit", "kind": "TOOLKIT",
        "url": "https://toolkits.example/mapping", "description": "Use it **before** the session <script>x()</script>",
        "tags": ["systems", "Mapping"], "folder": " Toolkits / Evaluation "});
    // Only members add to a group's library.
    assert_eq!(code(&create_resource(&app, &bob, input.clone()).await), "FORBIDDEN");
    // Links are http(s) only.
    for bad in ["javascript:alert(1)", "ftp://files.example/x", "not a url"] {
        let mut i = input.clone();
        i["url"] = json!(bad);
        let v = create_resource(&app, &alice, i).await;
        assert_eq!(code(&v), "BAD_USER_INPUT", "{bad}");
        assert_eq!(v["errors"][0]["extensions"]["field"], "url");
    }
    let v = create_resource(&app, &alice, input.clone()).await;
    let r = &v["data"]["createResource"];
    assert_eq!(r["kind"], "TOOLKIT");
    assert_eq!(r["folder"], "Toolkits/Evaluation");
    assert_eq!(r["tags"], json!(["systems", "Mapping"]));
    assert_eq!(r["author"]["username"], "alice");
    assert!(r["description"].as_str().unwrap().contains("<strong>before</strong>"));
    assert!(!r["description"].as_str().unwrap().contains("script"));
    let id = r["id"].as_str().unwrap().to_string();
    let other = create_resource(
        &app,
        &alice,
        json!({"groupId": circle, "title": "Session recording", "kind": "RECORDING", "url": "https://video.example/1"}),
    )
    .await;
    assert!(other.get("errors").is_none(), "{other}");

    let list = |filter: Value| {
        let app = &app;
        async move {
            let v = app
                .ok(
                    "query($f: ResourceFilter) { resources(filter: $f, first: 10) { totalCount edges { node { title } } } }",
                    json!({"f": filter}),
                    None,
                )
                .await;
            v["resources"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["title"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(json!({"groupHandle": "circle"})).await, vec!["Session recording", "Systems mapping toolkit"]);
    assert_eq!(list(json!({"kind": "TOOLKIT"})).await, vec!["Systems mapping toolkit"]);
    assert_eq!(list(json!({"tag": "mapping"})).await, vec!["Systems mapping toolkit"]);
    assert_eq!(list(json!({"folder": "Toolkits"})).await, vec!["Systems mapping toolkit"]);
    assert_eq!(list(json!({"search": "toolk"})).await, vec!["Systems mapping toolkit"]);
    assert!(list(json!({"groupHandle": "nobody"})).await.is_empty());

    // Neither a non-member nor a plain member changes someone else's entry.
    let update = "mutation($id: ID!, $i: UpdateResourceInput!) { updateResource(id: $id, input: $i) { title url } }";
    let v = app.gql(update, json!({"id": id, "i": {"title": "Mine now"}}), Some(&bob.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");
    app.ok("mutation($g: ID!) { joinGroup(groupId: $g) { role } }", json!({"g": circle}), Some(&bob.access)).await;
    let v = app.gql(update, json!({"id": id, "i": {"title": "Mine now"}}), Some(&bob.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");
    // The author does; an empty url removes the link.
    let v = app.ok(update, json!({"id": id, "i": {"title": "Mapping toolkit", "url": ""}}), Some(&alice.access)).await;
    assert_eq!(v["updateResource"], json!({"title": "Mapping toolkit", "url": null}));
    // So does a moderator of the group.
    app.ok(
        "mutation($g: ID!, $m: ID!) { setMemberRole(groupId: $g, memberId: $m, role: MODERATOR) { role } }",
        json!({"g": circle, "m": bob.id}),
        Some(&alice.access),
    )
    .await;
    let v = app.ok(update, json!({"id": id, "i": {"kind": "TEMPLATE"}}), Some(&bob.access)).await;
    assert_eq!(v["updateResource"]["title"], "Mapping toolkit");
    let del = "mutation($id: ID!) { deleteResource(id: $id) }";
    assert_eq!(app.ok(del, json!({"id": id}), Some(&bob.access)).await["deleteResource"], true);
    let v = app.ok("query($id: ID!) { resource(id: $id) { id } }", json!({"id": id}), None).await;
    assert!(v["resource"].is_null());
    assert_eq!(code(&app.gql(del, json!({"id": id}), Some(&alice.access)).await), "NOT_FOUND");
    // The search index forgot it too.
    assert!(list(json!({"search": "mapping"})).await.is_empty());
}

#[tokio::test]
async fn replies_nest_in_tree_order_and_are_edited_deleted_and_moderated() {
    let app = spawn_app().await;
    let admin = app.admin("steward").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let community = group_id(&app, "community").await;
    let thread = create_thread(&app, &alice, &community, "How are we doing at DEI?", "Share what you *see*.").await;

    let b1 = reply(&app, &bob, &thread, None, "We count who speaks. Thanks @alice!").await;
    let b1 = &b1["data"]["reply"];
    assert_eq!(b1["depth"], 0);
    assert!(b1["body"].as_str().unwrap().contains("/members/alice\""), "{b1}");
    let b1 = b1["id"].as_str().unwrap().to_string();
    let c1 = reply(&app, &carol, &thread, Some(&b1), "And who decides? <script>alert(1)</script>").await;
    let c1 = &c1["data"]["reply"];
    assert_eq!(c1["depth"], 1);
    assert_eq!(c1["parent"]["id"], b1.as_str());
    assert!(!c1["body"].as_str().unwrap().contains("script"));
    let c1 = c1["id"].as_str().unwrap().to_string();
    let b2 = reply(&app, &bob, &thread, None, "A second thought.").await["data"]["reply"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a2 = reply(&app, &alice, &thread, Some(&c1), "The group does.").await["data"]["reply"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let t = posts(&app, None, &thread).await;
    assert_eq!(t["postCount"], 5);
    assert_eq!(t["posts"]["totalCount"], 5);
    let order: Vec<(String, i64)> = t["posts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["author"]["username"].as_str().unwrap().to_string(), e["node"]["depth"].as_i64().unwrap()))
        .collect();
    let expect = |v: &[(&str, i64)]| v.iter().map(|(a, d)| (a.to_string(), *d)).collect::<Vec<_>>();
    assert_eq!(order, expect(&[("alice", 0), ("bob", 0), ("carol", 1), ("alice", 2), ("bob", 0)]));
    assert_eq!(t["posts"]["edges"][3]["node"]["id"], a2.as_str());
    assert_eq!(t["posts"]["edges"][4]["node"]["id"], b2.as_str());
    // Pages continue in the same order.
    let cursor = t["posts"]["edges"][1]["cursor"].as_str().unwrap();
    let v = app
        .ok(
            "query($id: ID!, $a: String) { thread(id: $id) { posts(first: 2, after: $a) { pageInfo { hasNextPage } edges { node { id } } } } }",
            json!({"id": thread, "a": cursor}),
            None,
        )
        .await;
    assert_eq!(v["thread"]["posts"]["edges"][0]["node"]["id"], c1.as_str());
    assert_eq!(v["thread"]["posts"]["pageInfo"]["hasNextPage"], true);
    // A reply to a post of another thread is refused.
    let other = create_thread(&app, &bob, &community, "Another", "Hello").await;
    assert_eq!(code(&reply(&app, &alice, &other, Some(&c1), "x").await), "BAD_USER_INPUT");

    // Authors edit their own posts only.
    let edit = "mutation($id: ID!, $b: String!) { editPost(id: $id, body: $b) { body editedAt } }";
    assert_eq!(code(&app.gql(edit, json!({"id": b1, "b": "Hijacked"}), Some(&carol.access)).await), "FORBIDDEN");
    let v = app.ok(edit, json!({"id": b1, "b": "We count **who** speaks."}), Some(&bob.access)).await;
    assert!(v["editPost"]["body"].as_str().unwrap().contains("<strong>who</strong>"));
    assert!(v["editPost"]["editedAt"].is_string());
    // A deleted post keeps its place (its reply stays under it) without text or author.
    let del = "mutation($id: ID!) { deletePost(id: $id) { deleted body } }";
    assert_eq!(code(&app.gql(del, json!({"id": b1}), Some(&carol.access)).await), "FORBIDDEN");
    assert_eq!(
        app.ok(del, json!({"id": b1}), Some(&bob.access)).await["deletePost"],
        json!({"deleted": true, "body": ""})
    );
    let t = posts(&app, None, &thread).await;
    assert_eq!(t["postCount"], 5);
    let deleted = &t["posts"]["edges"][1]["node"];
    assert_eq!(deleted["deleted"], true);
    assert!(deleted["author"].is_null());
    assert_eq!(t["posts"]["edges"][2]["node"]["parent"]["id"], b1.as_str());

    // Moderators lock, pin and hide; members do not.
    let update = "mutation($id: ID!, $i: UpdateThreadInput!) { updateThread(id: $id, input: $i) { title locked pinned hidden } }";
    assert_eq!(
        code(&app.gql(update, json!({"id": thread, "i": {"locked": true}}), Some(&alice.access)).await),
        "FORBIDDEN"
    );
    // The author renames their thread.
    let v = app
        .ok(update, json!({"id": thread, "i": {"title": "How are we doing at DEI? (2030)"}}), Some(&alice.access))
        .await;
    assert_eq!(v["updateThread"]["title"], "How are we doing at DEI? (2030)");
    let v = app.ok(update, json!({"id": thread, "i": {"locked": true, "pinned": true}}), Some(&admin.access)).await;
    assert_eq!(v["updateThread"]["locked"], true);
    let v = reply(&app, &carol, &thread, None, "Late").await;
    assert_eq!(code(&v), "CONFLICT");
    assert_eq!(posts(&app, None, &thread).await["postCount"], 5);
    // Pinned threads come first, then the newest.
    let third = create_thread(&app, &carol, &community, "Newest", "Hi").await;
    let v = app
        .ok(
            "{ threads(filter: {groupHandle: \"community\"}) { totalCount edges { node { id pinned } } } }",
            json!({}),
            None,
        )
        .await;
    let ids: Vec<&str> =
        v["threads"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![thread.as_str(), third.as_str(), other.as_str()]);
    // A hidden thread is gone for members and anonymous readers; moderators still see it.
    app.ok(update, json!({"id": other, "i": {"hidden": true}}), Some(&admin.access)).await;
    let q = "query($id: ID!) { thread(id: $id) { id hidden } }";
    assert!(app.ok(q, json!({"id": other}), Some(&bob.access)).await["thread"].is_null());
    assert!(app.ok(q, json!({"id": other}), None).await["thread"].is_null());
    assert_eq!(app.ok(q, json!({"id": other}), Some(&admin.access)).await["thread"]["hidden"], true);
    let v = app.ok("{ threads { totalCount } }", json!({}), Some(&bob.access)).await;
    assert_eq!(v["threads"]["totalCount"], 2);
    let v = app.ok("{ threads { totalCount } }", json!({}), Some(&admin.access)).await;
    assert_eq!(v["threads"]["totalCount"], 3);
    // Only group members write in a group.
    let circle = create_group(&app, &alice, "circle").await;
    let v = app
        .gql(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
            json!({"i": {"groupId": circle, "title": "Hi", "body": "x"}}),
            Some(&bob.access),
        )
        .await;
    assert_eq!(code(&v), "FORBIDDEN");
    let v = app
        .gql(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
            json!({"i": {"groupId": circle, "title": " ", "body": "x"}}),
            Some(&alice.access),
        )
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    assert_eq!(code(&reply(&app, &bob, "not-an-id", None, "x").await), "BAD_USER_INPUT");
    let anon = app
        .gql(
            "mutation($i: ReplyInput!) { reply(input: $i) { id } }",
            json!({"i": {"threadId": third, "body": "x"}}),
            None,
        )
        .await;
    assert_eq!(code(&anon), "UNAUTHENTICATED");
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_message(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Opens a graphql-transport-ws connection (anonymous when `who` is `None`) and subscribes to
/// a thread's posts.
pub async fn subscribe_posts(app: &TestApp, who: Option<&Account>, thread: &str) -> Socket {
    let url = format!("{}/graphql", app.address.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("websocket upgrade");
    let payload = match who {
        Some(a) => json!({"Authorization": format!("Bearer {}", a.access)}),
        None => json!({}),
    };
    ws.send(Message::Text(json!({"type": "connection_init", "payload": payload}).to_string().into())).await.unwrap();
    assert_eq!(next_message(&mut ws).await["type"], "connection_ack");
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription($id: ID!) { threadPosts(threadId: $id) { id body local author { username } thread { id postCount } } }",
        "variables": {"id": thread}
    }});
    ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    // Let the subscription register before anything is posted.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    ws
}

pub async fn next_post(ws: &mut Socket) -> Value {
    let msg = next_message(ws).await;
    assert_eq!(msg["type"], "next", "{msg}");
    msg["payload"]["data"]["threadPosts"].clone()
}

#[tokio::test]
async fn subscribers_receive_posts_made_by_others() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let community = group_id(&app, "community").await;
    let thread = create_thread(&app, &alice, &community, "Reflections", "What did we learn?").await;
    let other = create_thread(&app, &alice, &community, "Elsewhere", "Not this one").await;
    let mut ws = subscribe_posts(&app, Some(&alice), &thread).await;
    reply(&app, &bob, &other, None, "In the other thread").await;
    let sent = reply(&app, &bob, &thread, None, "That networks need weavers.").await;
    let got = next_post(&mut ws).await;
    assert_eq!(got["id"], sent["data"]["reply"]["id"]);
    assert_eq!(got["author"]["username"], "bob");
    assert_eq!(got["thread"]["postCount"], 2);
    // Anonymous readers may follow public threads too; unknown ones are NOT_FOUND.
    let mut ws = subscribe_posts(&app, None, "0193a1b2-0000-7000-8000-000000000001").await;
    let msg = next_message(&mut ws).await;
    assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND", "{msg}");
}

#[tokio::test]
async fn one_search_box_finds_every_kind_and_respects_visibility() {
    let app = spawn_app().await;
    let admin = app.admin("steward").await;
    let alice = app.register("alice").await;
    app.ok(
        "mutation { updateProfile(input: {displayName: \"Alice Weaver\", organization: \"Resilience Funders\"}) { id } }",
        json!({}),
        Some(&alice.access),
    )
    .await;
    let community = group_id(&app, "community").await;
    let circle = create_group(&app, &alice, "resilience").await;
    let event = app
        .ok(
            "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
            json!({"i": {"groupId": circle, "title": "Resilience lab", "timezone": "Europe/London",
                "sessions": [{"startsAt": "2030-03-01T10:00:00Z", "endsAt": "2030-03-01T12:00:00Z"}],
                "location": {"mode": "ONLINE"}}}),
            Some(&alice.access),
        )
        .await["createEvent"]["id"]
        .clone();
    app.ok(
        "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
        json!({"i": {"groupId": circle, "title": "Resilience members' circle", "timezone": "Europe/London", "visibility": "MEMBERS",
            "sessions": [{"startsAt": "2030-03-02T10:00:00Z", "endsAt": "2030-03-02T12:00:00Z"}],
            "location": {"mode": "ONLINE"}}}),
        Some(&alice.access),
    )
    .await;
    create_resource(&app, &alice, json!({"groupId": circle, "title": "Resilience toolkit", "kind": "TOOLKIT"})).await;
    let thread = create_thread(&app, &alice, &community, "Funding questions", "How do funders decide?").await;
    reply(&app, &alice, &thread, None, "Participatory grantmaking and resilience").await;
    let hidden = create_thread(&app, &alice, &community, "Resilience secrets", "Hidden away").await;
    app.ok(
        "mutation($id: ID!) { updateThread(id: $id, input: {hidden: true}) { id } }",
        json!({"id": hidden}),
        Some(&admin.access),
    )
    .await;

    let search = "query($q: String!) { search(query: $q, first: 10) { members { username } groups { handle } events { title } resources { title } threads { id title } } }";
    let v = app.ok(search, json!({"q": "resilien"}), None).await["search"].clone();
    assert_eq!(v["members"], json!([{"username": "alice"}]));
    assert_eq!(v["groups"], json!([{"handle": "resilience"}]));
    assert_eq!(
        v["events"],
        json!([{"title": "Resilience lab"}]),
        "a MEMBERS event stays hidden from anonymous readers"
    );
    assert_eq!(v["resources"], json!([{"title": "Resilience toolkit"}]));
    // A thread is found by its replies too; a hidden one is not.
    assert_eq!(v["threads"], json!([{"id": thread, "title": "Funding questions"}]));
    // Its members see the MEMBERS event; admins see the hidden thread.
    let v = app.ok(search, json!({"q": "resilience"}), Some(&alice.access)).await["search"].clone();
    assert_eq!(v["events"].as_array().unwrap().len(), 2);
    let v = app.ok(search, json!({"q": "resilience"}), Some(&admin.access)).await["search"].clone();
    assert_eq!(v["threads"].as_array().unwrap().len(), 2);
    // Titles rank above bodies; every word must match; query syntax is just text.
    let v = app.ok(search, json!({"q": "funding questions"}), None).await["search"].clone();
    assert_eq!(v["threads"][0]["title"], "Funding questions");
    for q in ["\"unbalanced", "title:x OR (", "*", "a AND NOT b", "résilience"] {
        let v = app.gql(search, json!({"q": q}), None).await;
        assert!(v.get("errors").is_none(), "{q}: {v}");
    }
    assert_eq!(
        app.ok(search, json!({"q": "résilience lab"}), None).await["search"]["events"][0]["title"],
        "Resilience lab"
    );
    assert!(event.as_str().is_some());
    // So do the events list's search filter and the member directory's search.
    let v =
        app.ok("{ events(filter: {search: \"resilien lab\"}) { edges { node { title } } } }", json!({}), None).await;
    assert_eq!(v["events"]["edges"], json!([{"node": {"title": "Resilience lab"}}]));
    let v = app.ok("{ members(search: \"resilience fund\") { edges { node { username } } } }", json!({}), None).await;
    assert_eq!(v["members"]["edges"][0]["node"]["username"], "alice");
}

async fn statements_for(app: &TestApp, query: &str, vars: Value) -> (u64, Value) {
    app.new_data_version().await;
    let before = app.state.statements.get();
    let v = app.ok(query, vars, None).await;
    (app.state.statements.get() - before, v)
}

#[tokio::test]
async fn thread_pages_run_a_fixed_number_of_statements() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let community = group_id(&app, "community").await;
    let mut first = String::new();
    for i in 0..12 {
        let who = if i % 2 == 0 { &alice } else { &bob };
        let t = create_thread(&app, who, &community, &format!("Thread {i}"), "Body").await;
        if i == 0 {
            first = t;
        }
    }
    for i in 0..12 {
        let who = if i % 2 == 0 { &alice } else { &bob };
        reply(&app, who, &first, None, &format!("Reply {i}")).await;
    }
    // The benchmark's queries (`../shared/bench/queries`), at two page sizes.
    let threads = |n: usize| {
        format!("{{ threads(first: {n}) {{ totalCount edges {{ node {{ id title kind postCount locked url author {{ handle displayName }} group {{ handle name }} }} }} }} }}")
    };
    let (small, v) = statements_for(&app, &threads(3), json!({})).await;
    assert_eq!(v["threads"]["edges"].as_array().unwrap().len(), 3);
    let (full, v) = statements_for(&app, &threads(12), json!({})).await;
    assert_eq!(v["threads"]["edges"].as_array().unwrap().len(), 12);
    assert_eq!(small, full, "statements grow with the page");
    assert!((1..=4).contains(&full), "{full} statements");
    let posts = |n: usize| {
        format!("query($id: ID!) {{ thread(id: $id) {{ id title postCount posts(first: {n}) {{ totalCount edges {{ node {{ id body createdAt author {{ handle displayName }} }} }} }} }} }}")
    };
    let (small, _) = statements_for(&app, &posts(3), json!({"id": first})).await;
    let (full, v) = statements_for(&app, &posts(13), json!({"id": first})).await;
    assert_eq!(v["thread"]["posts"]["edges"].as_array().unwrap().len(), 13);
    assert_eq!(small, full, "statements grow with the page");
    // The thread, COUNT, the page's keys, their rows, their authors.
    assert!((1..=5).contains(&full), "{full} statements");
    // Once its rows are kept (`domain::shared_rows`), a member's page reads the count and the
    // keys: the thread, the posts, the authors and the member's own row come from memory.
    let before = app.state.statements.get();
    let v = app.ok(&posts(13), json!({"id": first}), Some(&alice.access)).await;
    assert_eq!(v["thread"]["posts"]["edges"].as_array().unwrap().len(), 13);
    assert_eq!(app.state.statements.get() - before, 2);
}

async fn signed_in_posts(app: &TestApp, who: &Account, thread: &str) -> (u64, Value) {
    let q = "query($id: ID!) { thread(id: $id) { title postCount posts(first: 10) { totalCount edges { cursor node { id body deleted author { username } } } } } }";
    let before = app.state.statements.get();
    let v = app.ok(q, json!({"id": thread}), Some(&who.access)).await;
    (app.state.statements.get() - before, v["thread"].clone())
}

/// A thread and its posts are read by id from the shared rows once kept: a reply, an edit, a
/// deletion, a rename and hiding the thread are seen at once, by every member.
#[tokio::test]
async fn a_threads_kept_posts_show_every_change_at_once() {
    let app = spawn_app().await;
    let admin = app.admin("steward").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let community = group_id(&app, "community").await;
    let thread = create_thread(&app, &alice, &community, "Kept", "Opening").await;
    let b1 = reply(&app, &bob, &thread, None, "First reply").await["data"]["reply"]["id"].as_str().unwrap().to_string();
    let (_, t) = signed_in_posts(&app, &carol, &thread).await;
    assert_eq!(t["posts"]["totalCount"], 2);
    // Bob's page is read from what Carol's kept, but for the count and the keys.
    let (n, t) = signed_in_posts(&app, &bob, &thread).await;
    assert_eq!(n, 2, "{t}");
    assert_eq!(t["posts"]["edges"][1]["node"]["body"], "<p>First reply</p>\n");
    let edit = "mutation($id: ID!, $b: String!) { editPost(id: $id, body: $b) { id } }";
    app.ok(edit, json!({"id": b1, "b": "First reply, edited"}), Some(&bob.access)).await;
    let (_, t) = signed_in_posts(&app, &carol, &thread).await;
    assert_eq!(t["posts"]["edges"][1]["node"]["body"], "<p>First reply, edited</p>\n");
    let c1 =
        reply(&app, &carol, &thread, Some(&b1), "Carol's").await["data"]["reply"]["id"].as_str().unwrap().to_string();
    let (_, t) = signed_in_posts(&app, &alice, &thread).await;
    assert_eq!((t["postCount"].clone(), t["posts"]["totalCount"].clone()), (json!(3), json!(3)));
    assert_eq!(t["posts"]["edges"][2]["node"]["id"], c1.as_str());
    app.ok("mutation($id: ID!) { deletePost(id: $id) { id } }", json!({"id": b1}), Some(&bob.access)).await;
    let (_, t) = signed_in_posts(&app, &carol, &thread).await;
    let gone = &t["posts"]["edges"][1]["node"];
    assert_eq!(
        (gone["deleted"].clone(), gone["body"].clone(), gone["author"].clone()),
        (json!(true), json!(""), Value::Null)
    );
    let update = "mutation($id: ID!, $i: UpdateThreadInput!) { updateThread(id: $id, input: $i) { id } }";
    app.ok(update, json!({"id": thread, "i": {"title": "Kept, renamed"}}), Some(&alice.access)).await;
    assert_eq!(signed_in_posts(&app, &carol, &thread).await.1["title"], "Kept, renamed");
    app.ok(update, json!({"id": thread, "i": {"hidden": true}}), Some(&admin.access)).await;
    assert!(signed_in_posts(&app, &carol, &thread).await.1.is_null(), "hidden from members at once");
    assert_eq!(signed_in_posts(&app, &admin, &thread).await.1["posts"]["totalCount"], 3);
}

/// The fields of a list's rows load together (`graphql::in_place`): loaders that no list primes
/// (a thread's library entry, its event) run one statement each for the whole page, whichever
/// rows have one.
#[tokio::test]
async fn a_lists_unprimed_loads_batch_across_the_page() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let circle = create_group(&app, &alice, "circle").await;
    let input =
        json!({"groupId": circle, "title": "Guide", "kind": "TOOLKIT", "url": "https://toolkits.example/guide"});
    let resource = create_resource(&app, &alice, input).await["data"]["createResource"]["id"].clone();
    let mut events = vec![];
    for title in ["Circle", "Lab"] {
        let i = json!({"groupId": circle, "title": title, "timezone": "UTC", "location": {"mode": "ONLINE"},
            "sessions": [{"startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T10:00:00Z"}]});
        let v = app.ok(
            "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
            json!({"i": i}),
            Some(&alice.access),
        );
        events.push(v.await["createEvent"]["id"].clone());
    }
    let create = "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }";
    // The second event only on a row that also has a library entry: in a row whose fields
    // waited for each other, its load would start after the entries' batch, as a batch of its own.
    for (n, (e, r)) in
        [(None, None), (Some(&events[0]), None), (None, Some(&resource)), (Some(&events[1]), Some(&resource))]
            .into_iter()
            .enumerate()
    {
        let i = json!({"groupId": circle, "title": format!("Thread {n}"), "body": "Hi", "eventId": e, "resourceId": r});
        app.ok(create, json!({"i": i}), Some(&alice.access)).await;
    }
    let page = "{ threads(first: 20) { edges { node { title resource { id } event { id } } } } }";
    let (n, v) = statements_for(&app, page, json!({})).await;
    let edges = v["threads"]["edges"].as_array().unwrap();
    assert_eq!(edges.iter().filter(|e| e["node"]["event"]["id"] != Value::Null).count(), 2, "{v}");
    assert!(edges.iter().filter(|e| e["node"]["resource"]["id"] == resource).count() >= 2, "{v}");
    // The page, the library entries, the events.
    assert_eq!(n, 3, "{v}");
}
