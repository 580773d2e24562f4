//! Reports and the moderation queue: members report what they see, group moderators and
//! instance admins act on what they handle (never on reports about themselves), every
//! decision is logged, reporters hear the outcome and the reported never learn who reported.
//! Across servers: a Mastodon-shaped `Flag` joins the queue attributed to its server, and a
//! forwarded report reaches the other server's queue as a `Flag` from the instance actor.
use serde_json::{json, Value};

use crate::helpers::{code, spawn_app, Account, TestApp};
use crate::peer::{actor_key, post_signed, Tamper};

const REPORT: &str = "mutation($i: ReportInput!) { report(input: $i) { id status subjectKind reporter { id } } }";
const RESOLVE: &str =
    "mutation($i: ResolveReportInput!) { resolveReport(input: $i) { id status action resolvedBy { id } resolutionNote } }";
const QUEUE: &str = "{ reports { totalCount edges { node { id subjectKind fromServer comment reporter { id }
    subject { __typename ... on Post { id deleted } ... on Member { id } } } } } }";

async fn community(app: &TestApp) -> String {
    app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"].as_str().unwrap().into()
}

async fn thread_with_reply(app: &TestApp, g: &str, author: &Account) -> (String, String) {
    let t = app
        .ok(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
            json!({"i": {"groupId": g, "title": "Offers", "body": "Cheap watches"}}),
            Some(&author.access),
        )
        .await["createThread"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = app
        .ok(
            "mutation($i: ReplyInput!) { reply(input: $i) { id } }",
            json!({"i": {"threadId": t, "body": "Buy now at spam.example"}}),
            Some(&author.access),
        )
        .await["reply"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (t, p)
}

fn report_input(subject: &str, reason: &str) -> Value {
    json!({"i": {"subjectId": subject, "reason": reason, "comment": "please look"}})
}

#[tokio::test]
async fn reports_reach_the_queue_and_moderators_act_on_them() {
    let app = spawn_app().await;
    let ann = app.admin("ann").await;
    let mia = app.register("mia").await;
    let bob = app.register("bob").await;
    let carl = app.register("carl").await;
    let g = community(&app).await;
    app.ok(
        "mutation($g: ID!, $m: ID!) { setMemberRole(groupId: $g, memberId: $m, role: MODERATOR) { role } }",
        json!({"g": g, "m": mia.id}),
        Some(&ann.access),
    )
    .await;
    let (_, post) = thread_with_reply(&app, &g, &bob).await;

    // Carl reports Bob's post; the same report again answers the first.
    let r = app.ok(REPORT, report_input(&post, "SPAM"), Some(&carl.access)).await["report"].clone();
    assert_eq!((r["status"].as_str(), r["subjectKind"].as_str()), (Some("OPEN"), Some("POST")));
    assert_eq!(r["reporter"]["id"], json!(carl.id));
    let again = app.ok(REPORT, report_input(&post, "OTHER"), Some(&carl.access)).await["report"].clone();
    assert_eq!(again["id"], r["id"]);
    let person = app.ok(REPORT, report_input(&bob.id, "HARASSMENT"), Some(&carl.access)).await["report"].clone();

    // Bad input and strangers get clear errors.
    assert_eq!(code(&app.gql(REPORT, report_input(&post, "SPAM"), Some(&bob.access)).await), "BAD_USER_INPUT");
    assert_eq!(code(&app.gql(REPORT, report_input(&post, "SPAM"), None).await), "UNAUTHENTICATED");
    let nowhere = report_input("01937f4e-7a3b-7cc2-8d3e-1c2b3a4d5e6f", "SPAM");
    assert_eq!(code(&app.gql(REPORT, nowhere, Some(&carl.access)).await), "NOT_FOUND");
    let long = json!({"i": {"subjectId": post, "reason": "SPAM", "comment": "x".repeat(1001)}});
    assert_eq!(code(&app.gql(REPORT, long, Some(&carl.access)).await), "BAD_USER_INPUT");

    // The admin and the group's moderator are told of the post's report; the reported is not.
    let filed = "{ notifications { edges { node { kind report { id } } } } }";
    let told = |v: Value| {
        v["notifications"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["node"]["kind"] == "REPORT_FILED" && e["node"]["report"]["id"] == r["id"])
            .count()
    };
    assert_eq!(told(app.ok(filed, json!({}), Some(&mia.access)).await), 1);
    assert_eq!(told(app.ok(filed, json!({}), Some(&ann.access)).await), 1);
    let bobs = app.ok(filed, json!({}), Some(&bob.access)).await;
    let any_filed =
        bobs["notifications"]["edges"].as_array().unwrap().iter().any(|e| e["node"]["kind"] == "REPORT_FILED");
    assert!(!any_filed, "the reported member hears nothing of the report");

    // The reported member sees no queue, and not the report by id.
    assert_eq!(code(&app.gql(QUEUE, json!({}), Some(&bob.access)).await), "FORBIDDEN");
    let node = "query($id: ID!) { node(id: $id) { id } }";
    assert!(app.ok(node, json!({"id": r["id"]}), Some(&bob.access)).await["node"].is_null());

    // The group's moderator handles the post; the report of a member is the admins'.
    let q = app.ok(QUEUE, json!({}), Some(&mia.access)).await["reports"].clone();
    assert_eq!(q["totalCount"], 1);
    let item = &q["edges"][0]["node"];
    assert_eq!((item["subject"]["__typename"].as_str(), item["subject"]["id"].as_str()), (Some("Post"), Some(&*post)));
    assert_eq!((item["reporter"]["id"].as_str(), item["comment"].as_str()), (Some(&*carl.id), Some("please look")));
    assert_eq!(app.ok(QUEUE, json!({}), Some(&ann.access)).await["reports"]["totalCount"], 2);

    // Actions must fit the subject, and moderators may only do what they may do anywhere else.
    let resolve = |action: &str, note: &str| json!({"i": {"reportId": r["id"], "action": action, "note": note}});
    assert_eq!(code(&app.gql(RESOLVE, resolve("HIDE", ""), Some(&mia.access)).await), "BAD_USER_INPUT");
    assert_eq!(code(&app.gql(RESOLVE, resolve("SUSPEND_MEMBER", ""), Some(&mia.access)).await), "FORBIDDEN");
    assert_eq!(code(&app.gql(RESOLVE, resolve("DELETE", ""), Some(&carl.access)).await), "FORBIDDEN");
    assert_eq!(app.ok(QUEUE, json!({}), Some(&mia.access)).await["reports"]["totalCount"], 1, "still open");

    let done = app.ok(RESOLVE, resolve("DELETE", "spam links"), Some(&mia.access)).await["resolveReport"].clone();
    assert_eq!(
        done,
        json!({"id": r["id"], "status": "RESOLVED", "action": "DELETE", "resolvedBy": {"id": mia.id},
            "resolutionNote": "spam links"})
    );
    let deleted = app.ok("query($p: ID!) { post(id: $p) { deleted } }", json!({"p": post}), None).await;
    assert_eq!(deleted["post"]["deleted"], true);
    assert_eq!(code(&app.gql(RESOLVE, resolve("DISMISS", ""), Some(&mia.access)).await), "CONFLICT");
    assert_eq!(app.ok(QUEUE, json!({}), Some(&mia.access)).await["reports"]["totalCount"], 0);

    // Carl hears the outcome, without who decided or their note.
    let heard = app
        .ok(
            "{ notifications { edges { node { kind report { id status action resolvedBy { id } resolutionNote } } } } }",
            json!({}),
            Some(&carl.access),
        )
        .await;
    let outcome = &heard["notifications"]["edges"][0]["node"];
    assert_eq!(outcome["kind"], "REPORT_RESOLVED");
    assert_eq!(
        outcome["report"],
        json!({"id": r["id"], "status": "RESOLVED", "action": "DELETE", "resolvedBy": null, "resolutionNote": null})
    );

    // The admin suspends Bob from the report of him; the log keeps both decisions.
    let suspend = json!({"i": {"reportId": person["id"], "action": "SUSPEND_MEMBER", "note": "repeated"}});
    app.ok(RESOLVE, suspend, Some(&ann.access)).await;
    let status = app.ok("{ member(handle: \"bob\") { accountStatus } }", json!({}), Some(&ann.access)).await;
    assert_eq!(status["member"]["accountStatus"], "SUSPENDED");
    let log = "{ moderationLog { totalCount edges { node { action note moderator { id } report { id } } } } }";
    let all = app.ok(log, json!({}), Some(&ann.access)).await["moderationLog"].clone();
    assert_eq!(all["totalCount"], 2);
    assert_eq!(all["edges"][0]["node"]["action"], "SUSPEND_MEMBER", "newest first");
    let mine = app.ok(log, json!({}), Some(&mia.access)).await["moderationLog"].clone();
    assert_eq!(
        mine["edges"],
        json!([{"node": {"action": "DELETE", "note": "spam links", "moderator": {"id": mia.id}, "report": {"id": r["id"]}}}])
    );
    assert_eq!(code(&app.gql(log, json!({}), Some(&carl.access)).await), "FORBIDDEN");
    let my = app.ok("{ myReports { totalCount } }", json!({}), Some(&carl.access)).await;
    assert_eq!(my["myReports"]["totalCount"], 2);
}

#[tokio::test]
async fn moderators_never_handle_reports_about_themselves() {
    let app = spawn_app().await;
    let ann = app.admin("ann").await;
    let mia = app.register("mia").await;
    let carl = app.register("carl").await;
    let g = community(&app).await;
    app.ok(
        "mutation($g: ID!, $m: ID!) { setMemberRole(groupId: $g, memberId: $m, role: MODERATOR) { role } }",
        json!({"g": g, "m": mia.id}),
        Some(&ann.access),
    )
    .await;
    let (thread, _) = thread_with_reply(&app, &g, &mia).await;
    let r = app.ok(REPORT, report_input(&thread, "RULE_VIOLATION"), Some(&carl.access)).await["report"].clone();
    assert_eq!(app.ok(QUEUE, json!({}), Some(&mia.access)).await["reports"]["totalCount"], 0);
    let lock = json!({"i": {"reportId": r["id"], "action": "LOCK_THREAD"}});
    assert_eq!(code(&app.gql(RESOLVE, lock.clone(), Some(&mia.access)).await), "NOT_FOUND");
    assert_eq!(app.ok(RESOLVE, lock, Some(&ann.access)).await["resolveReport"]["action"], "LOCK_THREAD");
    let t = app.ok("query($t: ID!) { thread(id: $t) { locked } }", json!({"t": thread}), None).await;
    assert_eq!(t["thread"]["locked"], true);
}

#[tokio::test]
async fn a_mastodon_flag_joins_the_queue_and_a_forwarded_report_reaches_the_other_server() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let ann = a.admin("ann").await;
    let bob = a.register("bob").await;
    let g = community(&a).await;
    let (_, post) = thread_with_reply(&a, &g, &bob).await;
    let post_url =
        a.ok("query($p: ID!) { post(id: $p) { url } }", json!({"p": post}), None).await["post"]["url"].clone();

    // B's instance actor sends a Flag shaped as Mastodon's.
    let (server_actor, key) = actor_key(&b, &format!("http://{}/actor", b.domain())).await;
    let mut flag: Value =
        serde_json::from_str(include_str!("../fixtures/mastodon_flag.json")).expect("the fixture is JSON");
    flag["id"] = json!(format!("http://{}/flags/1", b.domain()));
    flag["actor"] = json!(server_actor);
    flag["object"] = json!([format!("http://{}/members/bob", a.domain()), post_url]);
    let inbox = format!("http://{}/inbox", a.domain());
    assert_eq!(post_signed(&inbox, &server_actor, &key, &flag, Tamper::default()).await, 202);
    let queue = a.ok(QUEUE, json!({}), Some(&ann.access)).await["reports"].clone();
    assert_eq!(queue["totalCount"], 1, "the account named beside its post is its author: one report");
    let item = &queue["edges"][0]["node"];
    assert_eq!(item["subjectKind"], "POST");
    assert_eq!(item["fromServer"], json!(b.domain()));
    assert_eq!(item["reporter"], Value::Null);
    assert_eq!(item["comment"], "Spam links in every reply; see the post.");
    // The same report again, under a new id, files nothing; nor does one of nothing we know.
    flag["id"] = json!(format!("http://{}/flags/2", b.domain()));
    assert_eq!(post_signed(&inbox, &server_actor, &key, &flag, Tamper::default()).await, 202);
    flag["id"] = json!(format!("http://{}/flags/3", b.domain()));
    flag["object"] = json!([format!("http://{}/posts/nothing", a.domain())]);
    assert_eq!(post_signed(&inbox, &server_actor, &key, &flag, Tamper::default()).await, 202);
    assert_eq!(a.ok(QUEUE, json!({}), Some(&ann.access)).await["reports"]["totalCount"], 1);

    // Forwarding: a member of B reports Bob (remote to B) and asks for it to be forwarded.
    let rosa = b.register("rosa").await;
    let bob_handle = format!("bob@{}", a.domain());
    let found = b.ok("query($h: String!) { member(handle: $h) { id } }", json!({"h": bob_handle}), Some(&rosa.access));
    let remote_bob = found.await["member"]["id"].clone();
    let fwd = json!({"i": {"subjectId": remote_bob, "reason": "HARASSMENT", "comment": "rude", "forward": true}});
    let made = b.ok("mutation($i: ReportInput!) { report(input: $i) { forwarded } }", fwd, Some(&rosa.access)).await;
    assert_eq!(made["report"]["forwarded"], true);
    b.deliver().await;
    let queue = a.ok(QUEUE, json!({}), Some(&ann.access)).await["reports"].clone();
    assert_eq!(queue["totalCount"], 2);
    let forwarded = &queue["edges"][1]["node"];
    assert_eq!(
        (forwarded["subjectKind"].as_str(), forwarded["subject"]["id"].as_str()),
        (Some("MEMBER"), Some(&*bob.id))
    );
    assert_eq!(forwarded["fromServer"], json!(b.domain()));
    assert_eq!(forwarded["reporter"], Value::Null, "the reporter is never named to the other server");
    assert_eq!(forwarded["comment"], "rude");
}
