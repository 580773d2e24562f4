//! Profiles and the member directory.
use serde_json::json;

use crate::helpers::{code, spawn_app};

const UPDATE: &str = "mutation($i:UpdateProfileInput!){ updateProfile(input:$i){ displayName bio bioHtml sector organization country pronouns interests links } }";

#[tokio::test]
async fn profile_update_sets_and_clears_every_field() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let input = json!({
        "displayName": "Alice Doe",
        "bio": "I weave **networks** <script>alert(1)</script>",
        "sector": "FUNDER",
        "organization": "The Systems Sanctuary",
        "country": "CA",
        "pronouns": "she/her",
        "interests": ["learning infrastructure", "DEI", "dei", " "],
        "links": ["https://example.org/alice"]
    });
    let p = app.ok(UPDATE, json!({"i": input}), Some(&alice.access)).await["updateProfile"].clone();
    assert_eq!(p["displayName"], "Alice Doe");
    assert_eq!(p["sector"], "FUNDER");
    assert_eq!(p["organization"], "The Systems Sanctuary");
    assert_eq!(p["country"], "CA");
    assert_eq!(p["pronouns"], "she/her");
    assert_eq!(p["interests"], json!(["learning infrastructure", "DEI"]));
    assert_eq!(p["links"], json!(["https://example.org/alice"]));
    let html = p["bioHtml"].as_str().unwrap();
    assert!(html.contains("<strong>networks</strong>") && !html.contains("<script"), "{html}");

    // Others see it too.
    let seen = app.ok("{ member(handle:\"alice\"){ displayName sector email accountStatus } }", json!({}), None).await;
    assert_eq!(seen["member"]["displayName"], "Alice Doe");
    assert!(seen["member"]["email"].is_null(), "email is private");
    assert!(seen["member"]["accountStatus"].is_null());

    // Omitted fields stay, empty strings and null clear.
    let p = app.ok(UPDATE, json!({"i": {"organization": "", "sector": null}}), Some(&alice.access)).await
        ["updateProfile"]
        .clone();
    assert!(p["organization"].is_null());
    assert!(p["sector"].is_null());
    assert_eq!(p["displayName"], "Alice Doe");
}

#[tokio::test]
async fn profile_update_validates_and_writes_nothing_on_error() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let v = app
        .gql(UPDATE, json!({"i": {"displayName": "New Name", "links": ["javascript:alert(1)"]}}), Some(&alice.access))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    assert_eq!(v["errors"][0]["extensions"]["field"], "links");
    let v = app.gql(UPDATE, json!({"i": {"displayName": "x".repeat(101)}}), Some(&alice.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    let v = app.gql(UPDATE, json!({"i": {"sector": "ASTRONAUT"}}), Some(&alice.access)).await;
    assert!(v["errors"].is_array());
    let me = app.ok("{ me { displayName links } }", json!({}), Some(&alice.access)).await;
    assert!(me["me"]["displayName"].is_null());
    assert_eq!(me["me"]["links"], json!([]));
    // Anonymous cannot update.
    assert_eq!(code(&app.gql(UPDATE, json!({"i": {"displayName": "x"}}), None).await), "UNAUTHENTICATED");
}

#[tokio::test]
async fn member_lookup_and_search_with_pagination() {
    let app = spawn_app().await;
    for name in ["alice", "bob", "carol", "dave", "erin"] {
        app.register(name).await;
    }
    let found = app
        .ok("{ member(handle:\"@Carol\"){ username } missing: member(handle:\"zed\"){ id } }", json!({}), None)
        .await;
    assert_eq!(found["member"]["username"], "carol");
    assert!(found["missing"].is_null());

    let q = "query($s:String,$f:Int,$a:String){ members(search:$s, first:$f, after:$a){ totalCount pageInfo { hasNextPage endCursor } edges { cursor node { username } } } }";
    let page1 = app.ok(q, json!({"f": 2}), None).await["members"].clone();
    assert_eq!(page1["totalCount"], 5);
    assert_eq!(page1["pageInfo"]["hasNextPage"], true);
    let names: Vec<_> = page1["edges"].as_array().unwrap().iter().map(|e| e["node"]["username"].clone()).collect();
    assert_eq!(names, vec![json!("alice"), json!("bob")]);
    let mut seen = names;
    let mut after = page1["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    loop {
        let page = app.ok(q, json!({"f": 2, "a": after}), None).await["members"].clone();
        seen.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"]["username"].clone()));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    }
    assert_eq!(seen.len(), 5);

    // Full-text: words that start with the query's words, any case.
    let search = app.ok(q, json!({"s": "CAR"}), None).await["members"].clone();
    assert_eq!(search["totalCount"], 1);
    assert_eq!(search["edges"][0]["node"]["username"], "carol");

    assert_eq!(code(&app.gql(q, json!({"a": "not-a-cursor"}), None).await), "BAD_USER_INPUT");
}

#[tokio::test]
async fn search_finds_members_and_groups_here_and_elsewhere() {
    let app = spawn_app().await;
    let other = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    app.ok(
        "mutation { createGroup(input:{slug:\"dei_learning\", name:\"DEI learning circle\", summary:\"How are we doing at DEI?\"}){ id } }",
        json!({}),
        Some(&alice.access),
    )
    .await;
    other.register("rosa").await;
    let q = "query($q:String!,$f:Int){ search(query:$q, first:$f){ members { handle local } groups { handle name } } }";
    let r = app.ok(q, json!({"q": "dei"}), None).await["search"].clone();
    assert_eq!(r["groups"][0]["handle"], "dei_learning");
    assert_eq!(r["members"], json!([]));
    let r = app.ok(q, json!({"q": "ALI"}), None).await["search"].clone();
    assert_eq!(r["members"][0]["handle"], "alice");
    // A handle on another server is looked up there.
    // Anonymous searches see what is cached; signed-in ones look the handle up there.
    let r = app.ok(q, json!({"q": format!("@rosa@{}", other.domain())}), None).await["search"].clone();
    assert_eq!(r["members"], json!([]));
    let r = app.ok(q, json!({"q": format!("@rosa@{}", other.domain())}), Some(&alice.access)).await["search"].clone();
    assert_eq!(r["members"][0]["handle"], format!("rosa@{}", other.domain()));
    assert_eq!(r["members"][0]["local"], false);
    assert_eq!(code(&app.gql(q, json!({"q": "  "}), None).await), "BAD_USER_INPUT");
    assert_eq!(code(&app.gql(q, json!({"q": "a", "f": 101}), None).await), "BAD_USER_INPUT");
}

#[tokio::test]
async fn huge_label_lists_are_refused_quickly() {
    let app = crate::helpers::spawn_with(|c| c.max_body_bytes = 4 * 1024 * 1024).await;
    let alice = app.register("alice").await;
    // Distinct values: de-duplicating them pairwise would take seconds.
    let many: Vec<String> = (0..100_000).map(|i| format!("i{i}")).collect();
    for field in ["interests", "links"] {
        let started = std::time::Instant::now();
        let v = app.gql(UPDATE, json!({"i": {field: many}}), Some(&alice.access)).await;
        assert_eq!(code(&v), "BAD_USER_INPUT", "{field}");
        assert_eq!(v["errors"][0]["extensions"]["field"], field);
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{field}: {:?}", started.elapsed());
    }
    // The limit is on the list as sent.
    let v = app.gql(UPDATE, json!({"i": {"interests": vec!["same"; 31]}}), Some(&alice.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    let p = app.ok(UPDATE, json!({"i": {"interests": vec!["same"; 30]}}), Some(&alice.access)).await;
    assert_eq!(p["updateProfile"]["interests"], json!(["same"]));
}

#[tokio::test]
async fn each_kind_of_search_answer_pages_on_from_its_own_cursor() {
    let app = spawn_app().await;
    for n in 1..=7 {
        app.register(&format!("weaver{n}")).await;
    }
    let q = "query($a: String, $k: SearchKind) { search(query: \"weaver\", first: 3, after: $a, kind: $k) {
        members { username } groups { handle } next { members groups events } } }";
    let mut seen = vec![];
    let mut after: Option<String> = None;
    for page in 0..3 {
        let v = app.ok(q, json!({"a": after}), None).await["search"].clone();
        let names: Vec<String> =
            v["members"].as_array().unwrap().iter().map(|m| m["username"].as_str().unwrap().to_string()).collect();
        assert_eq!(names.len(), if page < 2 { 3 } else { 1 }, "{v}");
        seen.extend(names);
        assert_eq!(v["next"]["groups"], json!(null));
        after = v["next"]["members"].as_str().map(str::to_string);
        assert_eq!(after.is_some(), page < 2, "{v}");
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7, "every match once: {seen:?}");
    // One kind alone; a cursor is of one kind only; a made-up cursor is refused.
    let v = app.ok(q, json!({"k": "GROUPS"}), None).await;
    assert_eq!(v["search"]["members"], json!([]));
    let first = app.ok(q, json!({}), None).await["search"]["next"]["members"].clone();
    let v = app.gql(q, json!({"a": first, "k": "GROUPS"}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    let v = app.gql(q, json!({"a": "bm90IGEgY3Vyc29y"}), None).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
}

#[tokio::test]
async fn members_take_their_data_with_them() {
    let app = spawn_app().await;
    let steward = app.admin("steward").await;
    let ada = app.register("ada").await;
    let g = app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"].clone();
    let e = app
        .ok(
            "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
            json!({"i": {"groupId": g, "title": "Harvest day", "timezone": "UTC", "visibility": "PUBLIC",
                "sessions": [{"startsAt": "2031-06-01T09:00:00Z", "endsAt": "2031-06-01T10:00:00Z"}],
                "location": {"mode": "ONLINE", "onlineUrl": "https://meet.example/h"}}}),
            Some(&steward.access),
        )
        .await["createEvent"]["id"]
        .clone();
    app.ok("mutation($e: ID!) { rsvp(eventId: $e) { status } }", json!({"e": e}), Some(&ada.access)).await;
    app.ok("mutation($g: ID!) { joinGroup(groupId: $g) { role } }", json!({"g": g}), Some(&ada.access)).await;
    app.ok(
        "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
        json!({"i": {"groupId": g, "title": "What we learnt", "body": "Seeds *need* time."}}),
        Some(&ada.access),
    )
    .await;

    let get = |path: &str, token: Option<&str>| {
        let mut req = app.client.get(format!("{}{path}", app.address));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    assert_eq!(get("/me/export", None).await.unwrap().status(), 401);
    assert_eq!(get("/me/export", Some("not-a-token")).await.unwrap().status(), 401);
    let resp = get("/me/export", Some(&ada.access)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let doc: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(doc["profile"]["username"], "ada");
    assert_eq!(doc["profile"]["email"], "ada@example.org");
    assert_eq!(doc["registrations"][0]["event"]["title"], "Harvest day");
    assert_eq!(doc["registrations"][0]["status"], "GOING");
    assert_eq!(doc["posts"][0]["body"], "Seeds *need* time.");
    assert_eq!(doc["outbox"]["type"], "OrderedCollection");
    assert_eq!(doc["outbox"]["orderedItems"][0]["type"], "Create");
    assert_eq!(doc["outbox"]["orderedItems"][0]["object"]["attributedTo"], doc["profile"]["id"]);
    // Only her own: the steward's event is in it as what she registered for, nothing of his.
    assert!(!doc.to_string().contains("steward@example.org"));
    let csv = get("/me/export/following.csv", Some(&ada.access)).await.unwrap().text().await.unwrap();
    assert_eq!(csv, "Account address,Show boosts,Notify on new posts,Languages\n");

    // Someone on another server who follows the group takes that follow to Mastodon.
    let b = spawn_app().await;
    let bob = b.register("bob").await;
    let handle = format!("community@{}", app.domain());
    b.ok("mutation($h: String!) { follow(handle: $h) { id } }", json!({"h": handle}), Some(&bob.access)).await;
    b.deliver().await;
    app.deliver().await;
    let csv = b.client.get(format!("{}/me/export/following.csv", b.address)).bearer_auth(&bob.access).send().await;
    let csv = csv.unwrap().text().await.unwrap();
    assert_eq!(csv, format!("Account address,Show boosts,Notify on new posts,Languages\n{handle},true,false,\n"));
    let doc: serde_json::Value = b
        .client
        .get(format!("{}/me/export", b.address))
        .bearer_auth(&bob.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["following"][0]["handle"], handle.as_str());
}

/// The directory reads its page's ids, then the rows by id through the shared rows: a second
/// viewer's page costs the count and the ids alone, in sign-up order, and a changed profile
/// (or a suspension) shows at once.
#[tokio::test]
async fn the_directory_reads_rows_by_id_and_shows_changes_at_once() {
    let app = spawn_app().await;
    let admin = app.admin("steward").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let page = "{ members(first: 3) { totalCount pageInfo { hasNextPage } edges { node { username displayName } } } }";
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["members"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["username"].as_str().unwrap().into())
            .collect()
    };
    app.new_data_version().await;
    let before = app.state.statements.get();
    let v = app.ok(page, json!({}), Some(&alice.access)).await;
    let first = app.state.statements.get() - before;
    assert_eq!(names(&v), ["steward", "alice", "bob"]);
    assert_eq!(
        (v["members"]["totalCount"].as_i64(), v["members"]["pageInfo"]["hasNextPage"].as_bool()),
        (Some(4), Some(true))
    );
    assert!(first >= 3, "{first} statements: the count, the ids, the rows");
    // Another viewer: the rows (and the viewer's own) are kept.
    let before = app.state.statements.get();
    let again = app.ok(page, json!({}), Some(&bob.access)).await;
    assert_eq!(app.state.statements.get() - before, 2, "the count and the ids");
    assert_eq!(again, v);
    // A change is seen at once.
    app.ok(UPDATE, json!({"i": {"displayName": "Bobby"}}), Some(&bob.access)).await;
    let v = app.ok(page, json!({}), Some(&carol.access)).await;
    assert_eq!(v["members"]["edges"][2]["node"]["displayName"], "Bobby");
    // A suspended member leaves the directory.
    let id = app.ok("{ member(handle: \"bob\") { id } }", json!({}), Some(&admin.access)).await["member"]["id"].clone();
    app.ok("mutation($id: ID!) { suspendMember(memberId: $id) { id } }", json!({"id": id}), Some(&admin.access)).await;
    let v = app.ok(page, json!({}), Some(&carol.access)).await;
    assert_eq!(names(&v), ["steward", "alice", "carol"]);
    assert_eq!(v["members"]["totalCount"], 3);
}
