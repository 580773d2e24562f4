//! Retraction and trust (issue 18, items 8, 9, 12, 13 and 16): a thread joins a remote group only
//! when that group (or its server) puts it there; a hidden thread takes no replies and is
//! withdrawn from those who had it; outboxes serve what was published as it is now; search
//! forgets text that changed; a retraction goes to the audience its object had. Hostile remote
//! documents are signed by real actors of other instances (`peer`) and run through the inbox.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use crate::helpers::{code, spawn_app, Account, TestApp};
use crate::peer::{actor_key, post_signed, Tamper};

const AP: &str = "application/activity+json";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

async fn community_id(app: &TestApp) -> String {
    app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `who` on `follower` follows `origin`'s default group, and the follow is accepted.
async fn follow_community(origin: &TestApp, follower: &TestApp, who: &Account) -> String {
    let handle = format!("community@{}", origin.domain());
    follower.ok("mutation($h: String!) { follow(handle: $h) { id } }", json!({"h": handle}), Some(&who.access)).await;
    follower.deliver().await;
    origin.deliver().await;
    handle
}

async fn start_thread(app: &TestApp, who: &Account, title: &str, body: &str) -> Value {
    let g = community_id(app).await;
    app.ok(
        "mutation($i: CreateThreadInput!) { createThread(input: $i) { id url } }",
        json!({"i": {"groupId": g, "title": title, "body": body}}),
        Some(&who.access),
    )
    .await["createThread"]
        .clone()
}

async fn reply(app: &TestApp, who: &Account, thread: &str, body: &str) -> Value {
    app.ok(
        "mutation($i: ReplyInput!) { reply(input: $i) { id url } }",
        json!({"i": {"threadId": thread, "body": body}}),
        Some(&who.access),
    )
    .await["reply"]
        .clone()
}

async fn threads_of(app: &TestApp, handle: &str) -> i64 {
    app.ok("query($h: String!) { threads(filter: {groupHandle: $h}) { totalCount } }", json!({"h": handle}), None).await
        ["threads"]["totalCount"]
        .as_i64()
        .unwrap()
}

fn create(id: &str, actor: &str, object: Value) -> Value {
    json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Create", "actor": actor,
        "to": [PUBLIC], "object": object})
}

/// The activities `app` queued, oldest first: (kind, listed publicly, payload).
async fn queued(app: &TestApp) -> Vec<(String, bool, Value)> {
    use weave::db::outbound_activity as oa;
    oa::Entity::find()
        .order_by_asc(oa::Column::Id)
        .filter(oa::Column::Kind.is_not_in(["Follow", "Accept"]))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.kind.clone(), a.public, serde_json::from_str(&a.payload).unwrap()))
        .collect()
}

async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let resp = app.client.get(format!("{}{path}", app.address)).header("accept", AP).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[tokio::test]
async fn a_remote_thread_joins_a_partner_group_only_when_the_group_announced_it_or_its_server_names_it_as_audience() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let c = spawn_app().await;
    let bob = a.register("bob").await;
    b.register("rosa").await;
    c.register("mallory").await;
    // A follows B's group.
    let handle = follow_community(&b, &a, &bob).await;
    let group = format!("http://{}/groups/community", b.domain());
    let inbox = format!("http://{}/inbox", a.domain());
    let (mallory, mallory_key) = actor_key(&c, &format!("http://{}/members/mallory", c.domain())).await;
    let (rosa, rosa_key) = actor_key(&b, &format!("http://{}/members/rosa", b.domain())).await;

    // A stranger on a third server names B's group everywhere it can: refused quietly.
    let page = |id: String, author: &str, audience: Value, cc: Value| {
        json!({"id": id, "type": "Page", "attributedTo": author, "name": "Buy cheap watches",
            "content": "<p>spam</p>", "audience": audience, "to": [PUBLIC, group], "cc": cc})
    };
    let spam = page(format!("{mallory}/pages/1"), &mallory, json!(group), json!([group]));
    assert_eq!(
        post_signed(
            &inbox,
            &mallory,
            &mallory_key,
            &create(&format!("{mallory}/a/1"), &mallory, spam),
            Tamper::default()
        )
        .await,
        202
    );
    assert_eq!(threads_of(&a, &handle).await, 0, "a foreign server's thread does not enter B's group");
    // A member of B who only addresses the group in `to`/`cc` does not put a thread in it.
    let addressed = page(format!("{rosa}/pages/1"), &rosa, Value::Null, json!([group]));
    assert_eq!(
        post_signed(&inbox, &rosa, &rosa_key, &create(&format!("{rosa}/a/1"), &rosa, addressed), Tamper::default())
            .await,
        202
    );
    assert_eq!(threads_of(&a, &handle).await, 0);

    // A thread on the group's own server that names it as its audience belongs to it.
    let own = page(format!("{rosa}/pages/2"), &rosa, json!(group), json!([]));
    assert_eq!(
        post_signed(&inbox, &rosa, &rosa_key, &create(&format!("{rosa}/a/2"), &rosa, own), Tamper::default()).await,
        202
    );
    assert_eq!(threads_of(&a, &handle).await, 1);

    // And so does one the group announced (B's member writes it; B's group shares it).
    let b_admin = b.admin("steward").await;
    start_thread(&b, &b_admin, "From the group", "Announced by the group.").await;
    b.deliver().await;
    assert_eq!(threads_of(&a, &handle).await, 2);
}

const POSTS: &str = "query($id: ID!) { thread(id: $id) { hidden postCount posts { edges { node { id deleted } } } } }";

#[tokio::test]
async fn a_hidden_thread_takes_no_replies_federates_nothing_and_is_withdrawn_from_those_who_had_it() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let admin = a.admin("steward").await;
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    b.register("rosa").await;
    let handle = follow_community(&a, &b, &bob).await;
    let t = start_thread(&a, &alice, "Soon hidden", "Words for the partner.").await;
    let (id, url) = (t["id"].as_str().unwrap().to_string(), t["url"].as_str().unwrap().to_string());
    a.deliver().await;
    assert_eq!(threads_of(&b, &handle).await, 1, "the partner had it");

    // Hiding it tells those who had it: a Delete of the thread, addressed as it was published.
    let before = queued(&a).await.len();
    a.ok(
        "mutation($id: ID!) { updateThread(id: $id, input: {hidden: true}) { hidden } }",
        json!({"id": id}),
        Some(&admin.access),
    )
    .await;
    let sent = queued(&a).await;
    let retractions: Vec<&(String, bool, Value)> = sent[before..].iter().collect();
    assert!(!retractions.is_empty(), "hiding sends something");
    for (kind, _, payload) in &retractions {
        let deleted = if kind == "Announce" { &payload["object"] } else { payload };
        assert_eq!(deleted["type"], "Delete", "{payload:#}");
        assert_eq!(deleted["object"]["id"], url.as_str());
        assert_eq!(deleted["object"]["type"], "Tombstone");
    }
    a.deliver().await;
    assert_eq!(threads_of(&b, &handle).await, 0, "the partner no longer shows it");

    // A remote reply to the hidden thread is refused like one to a locked thread, and nothing
    // is re-shared.
    let (rosa, rosa_key) = actor_key(&b, &format!("http://{}/members/rosa", b.domain())).await;
    let note = json!({"id": format!("{rosa}/statuses/1"), "type": "Note", "attributedTo": rosa, "inReplyTo": url,
        "content": "<p>Still here?</p>", "to": [PUBLIC]});
    let inbox = format!("http://{}/inbox", a.domain());
    let before = queued(&a).await.len();
    assert_eq!(
        post_signed(
            &inbox,
            &rosa,
            &rosa_key,
            &create(&format!("{rosa}/statuses/1/activity"), &rosa, note),
            Tamper::default()
        )
        .await,
        409
    );
    let v = a.ok(POSTS, json!({"id": id}), Some(&admin.access)).await;
    assert_eq!(v["thread"]["postCount"], 1);
    // A local reply (by a moderator, who still sees it) is refused too, and edits go nowhere.
    let v = a
        .gql(
            "mutation($i: ReplyInput!) { reply(input: $i) { id } }",
            json!({"i": {"threadId": id, "body": "Moderator note"}}),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&v), "CONFLICT");
    a.ok(
        "mutation($id: ID!) { updateThread(id: $id, input: {title: \"Renamed while hidden\"}) { id } }",
        json!({"id": id}),
        Some(&admin.access),
    )
    .await;
    assert_eq!(queued(&a).await.len(), before, "a hidden thread federates nothing");

    // Shown again, it is published again, as it is now.
    a.ok(
        "mutation($id: ID!) { updateThread(id: $id, input: {hidden: false}) { hidden } }",
        json!({"id": id}),
        Some(&admin.access),
    )
    .await;
    a.deliver().await;
    let v = b
        .ok(
            "query($h: String!) { threads(filter: {groupHandle: $h}) { edges { node { title } } } }",
            json!({"h": handle}),
            None,
        )
        .await;
    assert_eq!(v["threads"]["edges"][0]["node"]["title"], "Renamed while hidden");
}

#[tokio::test]
async fn outboxes_serve_what_was_published_as_it_is_now_and_follow_the_actors_visibility() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let admin = a.admin("steward").await;
    let alice = a.register("alice").await;
    let carol = a.register("carol").await;
    let bob = b.register("bob").await;
    follow_community(&a, &b, &bob).await;
    // Bob follows alice and carol too, so their own outboxes have something.
    for who in ["alice", "carol"] {
        b.ok(
            "mutation($h: String!) { follow(handle: $h) { id } }",
            json!({"h": format!("{who}@{}", a.domain())}),
            Some(&bob.access),
        )
        .await;
    }
    b.deliver().await;
    a.deliver().await;

    let t = start_thread(&a, &alice, "Open thread", "The opening words.").await;
    let thread = t["id"].as_str().unwrap();
    let gone = reply(&a, &alice, thread, "Words to be deleted.").await;
    let edited = reply(&a, &alice, thread, "Words before the edit.").await;
    let hidden = start_thread(&a, &carol, "A thread to hide", "Words of a hidden thread.").await;
    let g = community_id(&a).await;
    let event = a
        .ok(
            "mutation($i: CreateEventInput!) { createEvent(input: $i) { id url } }",
            json!({"i": {"groupId": g, "title": "Soon members only", "timezone": "UTC", "visibility": "PUBLIC",
                "sessions": [{"startsAt": "2030-09-19T09:00:00Z", "endsAt": "2030-09-19T12:00:00Z"}],
                "location": {"mode": "ONLINE"}}}),
            Some(&admin.access),
        )
        .await["createEvent"]
        .clone();
    a.deliver().await;

    let bio = "mutation($b: String!) { updateProfile(input: {bio: $b}) { id } }";
    a.ok(bio, json!({"b": "Bio before the change."}), Some(&alice.access)).await;

    // Then: a reply deleted, one edited, a thread hidden, the event made MEMBERS-only, the
    // profile changed.
    a.ok(bio, json!({"b": "Bio after the change."}), Some(&alice.access)).await;
    a.ok("mutation($id: ID!) { deletePost(id: $id) { id } }", json!({"id": gone["id"]}), Some(&alice.access)).await;
    a.ok(
        "mutation($id: ID!) { editPost(id: $id, body: \"Words after the edit.\") { id } }",
        json!({"id": edited["id"]}),
        Some(&alice.access),
    )
    .await;
    a.ok(
        "mutation($id: ID!) { updateThread(id: $id, input: {hidden: true}) { hidden } }",
        json!({"id": hidden["id"]}),
        Some(&admin.access),
    )
    .await;
    a.ok(
        "mutation($id: ID!) { updateEvent(id: $id, input: {visibility: MEMBERS}) { id } }",
        json!({"id": event["id"]}),
        Some(&admin.access),
    )
    .await;
    a.deliver().await;

    let event_url = event["url"].as_str().unwrap();
    for outbox in ["/groups/community/outbox?page=true", "/members/alice/outbox?page=true"] {
        let (status, body) = get(&a, outbox).await;
        assert_eq!(status, 200, "{outbox}");
        for stale in [
            "Words to be deleted",
            "Words before the edit",
            "Words of a hidden thread",
            "Soon members only",
            "Bio before the change",
        ] {
            assert!(!body.contains(stale), "{outbox} still serves {stale:?}: {body}");
        }
        assert!(body.contains("Words after the edit"), "{outbox}: {body}");
        if outbox.starts_with("/members") {
            assert!(body.contains("Bio after the change"), "{outbox}: {body}");
        }
        let page: Value = serde_json::from_str(&body).unwrap();
        let items = page["orderedItems"].as_array().unwrap();
        // The deleted reply is a Tombstone wherever it was carried.
        let carried: Vec<&Value> = items
            .iter()
            .map(|i| if i["object"]["type"] == "Create" { &i["object"]["object"] } else { &i["object"] })
            .filter(|o| o["id"] == gone["url"])
            .collect();
        assert!(!carried.is_empty(), "{outbox}: {body}");
        for o in carried {
            assert!(o["type"] == "Tombstone" || o.is_string(), "{o:#}");
        }
        // Nothing about the event, which is no longer public (its poll neither), except
        // retractions.
        for i in items.iter().filter(|i| i.to_string().contains(event_url)) {
            assert_eq!(i["type"], "Delete", "{i:#}");
        }
    }
    // An activity fetched by id is served the same way.
    let (_, _, create_event) = queued(&a)
        .await
        .into_iter()
        .find(|(k, _, p)| k == "Create" && p["object"]["type"] == "Event")
        .expect("the event went out");
    let path = create_event["id"].as_str().unwrap().replacen(&format!("http://{}", a.domain()), "", 1);
    assert_eq!(get(&a, &path).await.0, 404);

    // A suspended member's outbox and collections are hidden like their actor URL; a deleted
    // member's are gone.
    let carol_id = carol.id.clone();
    a.ok("mutation($id: ID!) { suspendMember(memberId: $id) { id } }", json!({"id": carol_id}), Some(&admin.access))
        .await;
    for path in
        ["/members/carol", "/members/carol/outbox", "/members/carol/outbox?page=true", "/members/carol/followers"]
    {
        assert_eq!(get(&a, path).await.0, 404, "{path}");
    }
    a.ok("mutation { deleteAccount(password: \"correct horse battery\") }", json!({}), Some(&alice.access)).await;
    for path in ["/members/alice", "/members/alice/outbox?page=true", "/members/alice/following"] {
        assert_eq!(get(&a, path).await.0, 410, "{path}");
    }
}

async fn found_threads(app: &TestApp, q: &str) -> Vec<String> {
    app.ok("query($q: String!) { search(query: $q) { threads { title } } }", json!({"q": q}), None).await["search"]
        ["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn deleting_or_editing_text_rewrites_its_search_entry() {
    let a = spawn_app().await;
    let alice = a.register("alice").await;
    let t = start_thread(&a, &alice, "Quarterly review", "Zanzibar marmalade.").await;
    let v = a.ok(POSTS, json!({"id": t["id"]}), None).await;
    let opening = v["thread"]["posts"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    let r = reply(&a, &alice, t["id"].as_str().unwrap(), "Persimmon chutney.").await;
    assert_eq!(found_threads(&a, "zanzibar").await, vec!["Quarterly review"]);
    assert_eq!(found_threads(&a, "persimmon").await, vec!["Quarterly review"]);

    // Edits: the old words are no longer found, the new ones are.
    let edit = "mutation($id: ID!, $b: String!) { editPost(id: $id, body: $b) { id } }";
    a.ok(edit, json!({"id": opening, "b": "Kumquat preserve."}), Some(&alice.access)).await;
    a.ok(edit, json!({"id": r["id"], "b": "Quince jelly."}), Some(&alice.access)).await;
    assert!(found_threads(&a, "zanzibar").await.is_empty());
    assert!(found_threads(&a, "persimmon").await.is_empty());
    assert_eq!(found_threads(&a, "kumquat").await, vec!["Quarterly review"]);
    assert_eq!(found_threads(&a, "quince").await, vec!["Quarterly review"]);

    // Deletes: the opening post's text leaves the thread's entry (its title stays), a reply's
    // its own.
    let delete = "mutation($id: ID!) { deletePost(id: $id) { id } }";
    a.ok(delete, json!({"id": opening}), Some(&alice.access)).await;
    a.ok(delete, json!({"id": r["id"]}), Some(&alice.access)).await;
    assert!(found_threads(&a, "kumquat").await.is_empty(), "the deleted opening post is not found");
    assert!(found_threads(&a, "quince").await.is_empty());
    assert_eq!(found_threads(&a, "quarterly").await, vec!["Quarterly review"]);

    // A deleted account's profile text leaves the index.
    let carol = a.register("carol").await;
    a.ok(
        "mutation { updateProfile(input: {bio: \"Xylophonist and beekeeper\"}) { id } }",
        json!({}),
        Some(&carol.access),
    )
    .await;
    use weave::domain::search::{matching, Kind};
    assert_eq!(matching(&a.state.db, Kind::Member, "xylophonist", 10).await.unwrap().len(), 1);
    a.ok("mutation { deleteAccount(password: \"correct horse battery\") }", json!({}), Some(&carol.access)).await;
    assert!(matching(&a.state.db, Kind::Member, "xylophonist", 10).await.unwrap().is_empty());
}

async fn create_event(app: &TestApp, who: &Account, title: &str, visibility: &str) -> String {
    let g = community_id(app).await;
    app.ok(
        "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
        json!({"i": {"groupId": g, "title": title, "timezone": "UTC", "visibility": visibility,
            "sessions": [{"startsAt": "2030-09-19T09:00:00Z", "endsAt": "2030-09-19T12:00:00Z"}],
            "location": {"mode": "ONLINE"}}}),
        Some(&who.access),
    )
    .await["createEvent"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Remote events `app` keeps, listed or not.
async fn remote_events(app: &TestApp) -> usize {
    use weave::db::event;
    event::Entity::find().filter(event::Column::Local.eq(false)).all(&app.state.db).await.unwrap().len()
}

#[tokio::test]
async fn a_retraction_goes_to_the_audience_its_object_had_and_an_unlisted_one_never_to_the_public_outbox() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let host = a.admin("steward").await;
    let bob = b.register("bob").await;
    follow_community(&a, &b, &bob).await;
    let followers = format!("http://{}/groups/community/followers", a.domain());
    let members_only = "mutation($id: ID!) { updateEvent(id: $id, input: {visibility: MEMBERS}) { id } }";

    // UNLISTED, then MEMBERS: the followers who had it hear it is gone, and nobody else.
    let unlisted = create_event(&a, &host, "Unlisted circle", "UNLISTED").await;
    a.deliver().await;
    assert_eq!(remote_events(&b).await, 1, "the partner has it (unlisted: not in its lists)");
    let before = queued(&a).await.len();
    a.ok(members_only, json!({"id": unlisted}), Some(&host.access)).await;
    let sent = queued(&a).await.split_off(before);
    assert_eq!(sent.len(), 1, "one Delete, of the event only (its poll never went out): {sent:#?}");
    let (kind, public, payload) = &sent[0];
    assert_eq!(kind, "Delete");
    assert!(!public, "not listed in the public outbox");
    assert_eq!(payload["to"], json!([followers]));
    assert!(!payload.to_string().contains(PUBLIC), "{payload:#}");
    assert!(!payload.to_string().contains("/poll"), "{payload:#}");
    a.deliver().await;
    assert_eq!(remote_events(&b).await, 0);
    let (_, outbox) = get(&a, "/groups/community/outbox?page=true").await;
    assert!(!outbox.contains(&unlisted), "{outbox}");

    // PUBLIC, then MEMBERS: the event and its poll are retracted publicly, as they were sent.
    let public = create_event(&a, &host, "Open circle", "PUBLIC").await;
    a.deliver().await;
    let before = queued(&a).await.len();
    a.ok(members_only, json!({"id": public}), Some(&host.access)).await;
    let sent = queued(&a).await.split_off(before);
    let mut deleted: Vec<String> =
        sent.iter().map(|(_, _, p)| p["object"]["id"].as_str().unwrap().to_string()).collect();
    deleted.sort();
    assert_eq!(deleted.len(), 2, "{sent:#?}");
    assert!(deleted[0].ends_with(&public) && deleted[1].ends_with(&format!("{public}/poll")), "{deleted:?}");
    for (kind, listed, payload) in &sent {
        assert_eq!(kind, "Delete");
        assert!(listed);
        assert_eq!(payload["to"], json!([PUBLIC]));
        assert_eq!(payload["cc"], json!([followers]));
    }
}
