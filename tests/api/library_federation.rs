//! Threads, posts and library entries across servers: a partner instance lists what a followed
//! group shares, its members reply, and Mastodon-shaped replies (signed by a strict peer) join
//! threads, sanitised and checked against their authors.
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Account, TestApp};
use crate::library::{next_post, subscribe_posts};
use crate::peer::{actor_key, post_signed, Tamper};

const AP: &str = "application/activity+json";

async fn community_id(app: &TestApp) -> String {
    app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `who` on `b` follows A's default group, and the follow is accepted.
async fn follow_community(a: &TestApp, b: &TestApp, who: &Account) -> String {
    let handle = format!("community@{}", a.domain());
    b.ok("mutation($h: String!) { follow(handle: $h) { id } }", json!({"h": handle}), Some(&who.access)).await;
    assert_eq!(b.deliver().await.sent, 1);
    assert_eq!(a.deliver().await.sent, 1);
    handle
}

async fn start_thread(app: &TestApp, who: &Account, body: &str) -> Value {
    let g = community_id(app).await;
    app.ok(
        "mutation($i: CreateThreadInput!) { createThread(input: $i) { id url title } }",
        json!({"i": {"groupId": g, "title": "How are we doing at DEI?", "body": body, "kind": "REFLECTION"}}),
        Some(&who.access),
    )
    .await["createThread"]
        .clone()
}

const POSTS: &str = "query($id: ID!) { thread(id: $id) { title locked postCount posts { edges { node { id body local deleted url depth author { handle } parent { id } } } } } }";

#[tokio::test]
async fn a_partner_lists_a_followed_groups_threads_and_library_and_its_replies_come_back() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let admin = a.admin("steward").await;
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    let handle = follow_community(&a, &b, &bob).await;

    // A's member starts a thread and adds to the library; A's group shares both with B.
    let t = start_thread(&a, &alice, "What did the **funders** notice?").await;
    let thread_url = t["url"].as_str().unwrap().to_string();
    let g = community_id(&a).await;
    a.ok(
        "mutation($i: CreateResourceInput!) { createResource(input: $i) { id } }",
        json!({"i": {"groupId": g, "title": "Evaluation toolkit", "kind": "TOOLKIT", "url": "https://toolkits.example/eval",
            "tags": ["evaluation"], "folder": "Toolkits"}}),
        Some(&alice.access),
    )
    .await;
    let report = a.deliver().await;
    assert_eq!((report.sent, report.retried, report.failed, report.skipped), (2, 0, 0, 0));

    let v = b
        .ok(
            "query($h: String!) { threads(filter: {groupHandle: $h}) { totalCount edges { node { id title local url author { handle } group { handle } } } } }",
            json!({"h": handle}),
            None,
        )
        .await;
    assert_eq!(v["threads"]["totalCount"], 1);
    let remote = &v["threads"]["edges"][0]["node"];
    assert_eq!(remote["local"], false);
    assert_eq!(remote["url"], thread_url.as_str());
    assert_eq!(remote["author"]["handle"], format!("alice@{}", a.domain()));
    assert_eq!(remote["group"]["handle"], handle.as_str());
    let remote_id = remote["id"].as_str().unwrap().to_string();
    // This instance's own lists leave it out unless asked.
    assert_eq!(b.ok("{ threads { totalCount } }", json!({}), None).await["threads"]["totalCount"], 0);
    assert_eq!(
        b.ok("{ threads(filter: {includeRemote: true}) { totalCount } }", json!({}), None).await["threads"]
            ["totalCount"],
        1
    );
    let v = b
        .ok(
            "{ resources(filter: {includeRemote: true}) { edges { node { title kind url tags folder local group { handle } } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        v["resources"]["edges"][0]["node"],
        json!({"title": "Evaluation toolkit", "kind": "TOOLKIT", "url": "https://toolkits.example/eval",
            "tags": ["evaluation"], "folder": "Toolkits", "local": false, "group": {"handle": handle}})
    );
    let v = b.ok(POSTS, json!({"id": remote_id}), None).await;
    assert!(v["thread"]["posts"]["edges"][0]["node"]["body"].as_str().unwrap().contains("<strong>funders</strong>"));

    // Someone on A watches the thread.
    let local_id = t["id"].as_str().unwrap();
    let mut ws = subscribe_posts(&a, Some(&alice), local_id).await;
    // B's member replies there; the reply reaches A's thread (and A's group re-shares it).
    let body = format!("We saw *more* voices, @alice@{}.", a.domain());
    let r = b
        .ok(
            "mutation($i: ReplyInput!) { reply(input: $i) { id url local } }",
            json!({"i": {"threadId": remote_id, "body": body, "parentId": null}}),
            Some(&bob.access),
        )
        .await;
    let reply_url = r["reply"]["url"].as_str().unwrap().to_string();
    assert!(b.deliver().await.sent >= 1);
    let got = next_post(&mut ws).await;
    assert_eq!(got["local"], false);
    assert_eq!(got["author"]["username"], "bob");
    let v = a.ok(POSTS, json!({"id": local_id}), None).await;
    assert_eq!(v["thread"]["postCount"], 2);
    let arrived = &v["thread"]["posts"]["edges"][1]["node"];
    assert_eq!(arrived["url"], reply_url.as_str());
    assert_eq!(arrived["author"]["handle"], format!("bob@{}", b.domain()));
    assert!(arrived["body"].as_str().unwrap().contains("<em>more</em>"));
    // The echo from A's group does not duplicate it on B.
    a.deliver().await;
    assert_eq!(b.ok(POSTS, json!({"id": remote_id}), None).await["thread"]["postCount"], 2);

    // Its author edits it on B; A follows. Then deletes it; A keeps its place.
    let bob_post = b.ok(POSTS, json!({"id": remote_id}), None).await["thread"]["posts"]["edges"][1]["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    b.ok(
        "mutation($id: ID!) { editPost(id: $id, body: \"Edited on B\") { id } }",
        json!({"id": bob_post}),
        Some(&bob.access),
    )
    .await;
    b.deliver().await;
    let v = a.ok(POSTS, json!({"id": local_id}), None).await;
    assert!(v["thread"]["posts"]["edges"][1]["node"]["body"].as_str().unwrap().contains("Edited on B"));
    b.ok("mutation($id: ID!) { deletePost(id: $id) { id } }", json!({"id": bob_post}), Some(&bob.access)).await;
    b.deliver().await;
    let v = a.ok(POSTS, json!({"id": local_id}), None).await;
    assert_eq!(v["thread"]["posts"]["edges"][1]["node"]["deleted"], true);

    // A's moderators lock the thread: B hears it and refuses replies there too.
    a.ok(
        "mutation($id: ID!) { updateThread(id: $id, input: {locked: true}) { locked } }",
        json!({"id": local_id}),
        Some(&admin.access),
    )
    .await;
    a.deliver().await;
    assert_eq!(b.ok(POSTS, json!({"id": remote_id}), None).await["thread"]["locked"], true);
    let v = b
        .gql(
            "mutation($i: ReplyInput!) { reply(input: $i) { id } }",
            json!({"i": {"threadId": remote_id, "body": "Too late"}}),
            Some(&bob.access),
        )
        .await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "CONFLICT");

    // ActivityPub documents of the thread and the post, and their pages.
    let resp = a.client.get(&thread_url).header("accept", AP).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let page: Value = resp.json().await.unwrap();
    assert_eq!(page["type"], "Page");
    assert_eq!(page["name"], "How are we doing at DEI?");
    assert_eq!(page["audience"], format!("http://{}/groups/community", a.domain()));
    assert_eq!(page["commentsEnabled"], false);
    let html = a.client.get(&thread_url).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
    assert!(html.contains("og:title") && html.contains("How are we doing at DEI?"));
}

#[tokio::test]
async fn mastodon_style_replies_are_sanitised_attached_and_held_to_their_authors() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let admin = a.admin("steward").await;
    let alice = a.register("alice").await;
    b.register("rosa").await;
    b.register("mallory").await;
    let t = start_thread(&a, &alice, "Share what you see.").await;
    let thread_url = t["url"].as_str().unwrap().to_string();
    let thread_id = t["id"].as_str().unwrap().to_string();
    let (rosa, rosa_key) = actor_key(&b, &format!("http://{}/members/rosa", b.domain())).await;
    let (mallory, mallory_key) = actor_key(&b, &format!("http://{}/members/mallory", b.domain())).await;
    let inbox = format!("http://{}/inbox", a.domain());
    let alice_url = format!("http://{}/members/alice", a.domain());

    // A reply shaped as Mastodon sends one: HTML, a mention, a hashtag, and things to remove.
    let note_id = format!("{rosa}/statuses/1");
    let note = json!({
        "id": note_id, "type": "Note", "attributedTo": rosa, "inReplyTo": thread_url,
        "published": "2030-01-01T10:00:00Z", "url": format!("{rosa}/1"),
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{rosa}/followers"), alice_url],
        "sensitive": false, "conversation": "tag:social.example,2030:objectId=1:objectType=Conversation",
        "content": "<p><span class=\"h-card\"><a href=\"http://x/@alice\" class=\"u-url mention\">@<span>alice</span></a></span> We keep a <a href=\"https://social.example/tags/dei\" class=\"mention hashtag\" rel=\"tag\">#<span>DEI</span></a> log.<script>alert(1)</script><style>p{}</style><img src=x onerror=alert(1)></p>",
        "tag": [{"type": "Mention", "href": alice_url, "name": "@alice"}, {"type": "Hashtag", "href": "https://social.example/tags/dei", "name": "#dei"}]
    });
    let create = |id: &str, actor: &str, object: Value| {
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Create", "actor": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": object})
    };
    let status = post_signed(
        &inbox,
        &rosa,
        &rosa_key,
        &create(&format!("{rosa}/statuses/1/activity"), &rosa, note.clone()),
        Tamper::default(),
    )
    .await;
    assert_eq!(status, 202);
    let v = a.ok(POSTS, json!({"id": thread_id}), None).await;
    assert_eq!(v["thread"]["postCount"], 2);
    let got = &v["thread"]["posts"]["edges"][1]["node"];
    assert_eq!(got["author"]["handle"], format!("rosa@{}", b.domain()));
    assert_eq!(got["local"], false);
    assert!(got["parent"].is_null());
    let body = got["body"].as_str().unwrap();
    assert!(body.contains("DEI") && body.contains("log."), "{body}");
    for bad in ["<script", "<style", "onerror", "alert(1)"] {
        assert!(!body.contains(bad), "{bad} in {body}");
    }
    // A reply to that post nests under it.
    let nested = json!({"id": format!("{rosa}/statuses/2"), "type": "Note", "attributedTo": rosa, "inReplyTo": note_id,
        "content": "<p>And a follow-up.</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"]});
    assert_eq!(
        post_signed(
            &inbox,
            &rosa,
            &rosa_key,
            &create(&format!("{rosa}/statuses/2/activity"), &rosa, nested),
            Tamper::default()
        )
        .await,
        202
    );
    let v = a.ok(POSTS, json!({"id": thread_id}), None).await;
    assert_eq!(v["thread"]["posts"]["edges"][2]["node"]["depth"], 1);

    // A reply signed by someone other than its author is refused.
    let forged = json!({"id": format!("{rosa}/statuses/3"), "type": "Note", "attributedTo": rosa, "inReplyTo": thread_url,
        "content": "<p>Not really Rosa.</p>"});
    assert_eq!(
        post_signed(
            &inbox,
            &mallory,
            &mallory_key,
            &create(&format!("{mallory}/a/3"), &mallory, forged),
            Tamper::default()
        )
        .await,
        403
    );
    // Update and Delete of Rosa's note: only from Rosa.
    let mut changed = note.clone();
    changed["content"] = json!("<p>Rewritten by Rosa.</p>");
    let update =
        |id: &str, actor: &str, object: Value| json!({"id": id, "type": "Update", "actor": actor, "object": object});
    assert_eq!(
        post_signed(
            &inbox,
            &mallory,
            &mallory_key,
            &update(&format!("{mallory}/u/1"), &mallory, changed.clone()),
            Tamper::default()
        )
        .await,
        403
    );
    assert_eq!(
        post_signed(&inbox, &rosa, &rosa_key, &update(&format!("{rosa}/u/1"), &rosa, changed), Tamper::default()).await,
        202
    );
    let v = a.ok(POSTS, json!({"id": thread_id}), None).await;
    assert!(v["thread"]["posts"]["edges"][1]["node"]["body"].as_str().unwrap().contains("Rewritten by Rosa."));
    let delete = |id: &str, actor: &str| json!({"id": id, "type": "Delete", "actor": actor, "object": {"id": note_id, "type": "Tombstone"}});
    assert_eq!(
        post_signed(&inbox, &mallory, &mallory_key, &delete(&format!("{mallory}/d/1"), &mallory), Tamper::default())
            .await,
        403
    );
    assert_eq!(
        post_signed(&inbox, &rosa, &rosa_key, &delete(&format!("{rosa}/d/1"), &rosa), Tamper::default()).await,
        202
    );
    let v = a.ok(POSTS, json!({"id": thread_id}), None).await;
    assert_eq!(v["thread"]["posts"]["edges"][1]["node"]["deleted"], true);
    assert_eq!(v["thread"]["posts"]["edges"][2]["node"]["deleted"], false);

    // A reply to nothing known here is accepted and ignored; one to a locked thread refused.
    let stray = json!({"id": format!("{rosa}/statuses/4"), "type": "Note", "attributedTo": rosa,
        "inReplyTo": "https://elsewhere.example/notes/1", "content": "<p>Hi</p>"});
    assert_eq!(
        post_signed(
            &inbox,
            &rosa,
            &rosa_key,
            &create(&format!("{rosa}/statuses/4/activity"), &rosa, stray),
            Tamper::default()
        )
        .await,
        202
    );
    a.ok(
        "mutation($id: ID!) { updateThread(id: $id, input: {locked: true}) { locked } }",
        json!({"id": thread_id}),
        Some(&admin.access),
    )
    .await;
    let late = json!({"id": format!("{rosa}/statuses/5"), "type": "Note", "attributedTo": rosa, "inReplyTo": thread_url,
        "content": "<p>Late</p>"});
    assert_eq!(
        post_signed(
            &inbox,
            &rosa,
            &rosa_key,
            &create(&format!("{rosa}/statuses/5/activity"), &rosa, late),
            Tamper::default()
        )
        .await,
        409
    );
    assert_eq!(a.ok(POSTS, json!({"id": thread_id}), None).await["thread"]["postCount"], 3);
}
