//! What a members' app builds its screens from: the Markdown as written and the buttons a
//! viewer may press (`…Source`, `viewerCan…`) decided by the same rules the mutations ask,
//! hosts-only fields that answer null to others instead of failing a shared fragment, "my"
//! registrations and memberships, discovery filters, passwords changed and reset, and
//! `node(id)`. Both engines.
use serde_json::{json, Value};

use crate::helpers::{code, spawn_app, TestApp};

async fn community(app: &TestApp) -> String {
    app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn event(app: &TestApp, token: &str, group: &str, title: &str, start: &str, location: Value) -> String {
    let end = start.replace("T09:", "T11:");
    app.ok(
        "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
        json!({"i": {"groupId": group, "title": title, "timezone": "UTC", "description": "We *meet*.",
            "sessions": [{"startsAt": start, "endsAt": end}], "location": location, "visibility": "PUBLIC",
            "capacity": 1, "waitlist": false}}),
        Some(token),
    )
    .await["createEvent"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn edit_screens_get_sources_and_buttons_from_the_same_rules_as_the_mutations() {
    let app = spawn_app().await;
    let steward = app.admin("steward").await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let g = community(&app).await;
    let online = json!({"mode": "ONLINE", "onlineUrl": "https://meet.example/x"});
    let e = event(&app, &steward.access, &g, "Weaving networks", "2031-05-01T09:00:00Z", online).await;
    let ev = "query($id: ID!) { event(id: $id) { descriptionSource viewerCanEdit viewerCanManage viewerCanRegister
        registrations { totalCount } } }";
    // A member: no source, no host buttons, may register; the hosts-only list is null, not an error.
    let v = app.gql(ev, json!({"id": e}), Some(&ada.access)).await;
    assert!(v.get("errors").is_none(), "{v}");
    assert_eq!(
        v["data"]["event"],
        json!({"descriptionSource": null, "viewerCanEdit": false, "viewerCanManage": false, "viewerCanRegister": true,
            "registrations": null})
    );
    app.ok("mutation($e: ID!) { rsvp(eventId: $e) { status } }", json!({"e": e}), Some(&ada.access)).await;
    let mine = "query($id: ID!) { event(id: $id) { viewerCanRegister seatsLeft myRegistration { status } } }";
    assert_eq!(
        app.ok(mine, json!({"id": e}), Some(&ada.access)).await["event"],
        json!({"viewerCanRegister": false, "seatsLeft": 0, "myRegistration": {"status": "GOING"}})
    );
    // The one seat is taken and there is no waitlist: Bob cannot register, and rsvp agrees.
    assert_eq!(app.ok(ev, json!({"id": e}), Some(&bob.access)).await["event"]["viewerCanRegister"], false);
    let full = app.gql("mutation($e: ID!) { rsvp(eventId: $e) { status } }", json!({"e": e}), Some(&bob.access)).await;
    assert_eq!(code(&full), "CONFLICT");
    assert_eq!(app.ok(ev, json!({"id": e}), None).await["event"]["viewerCanRegister"], false);
    let host = app.ok(ev, json!({"id": e}), Some(&steward.access)).await["event"].clone();
    assert_eq!(
        host,
        json!({"descriptionSource": "We *meet*.", "viewerCanEdit": true, "viewerCanManage": true,
            "viewerCanRegister": false, "registrations": {"totalCount": 1}})
    );

    // Threads and posts: the author edits, moderators manage, others see neither.
    let t = app
        .ok(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
            json!({"i": {"groupId": g, "title": "DEI", "body": "How *are* we doing?"}}),
            Some(&ada.access),
        )
        .await["createThread"]["id"]
        .clone();
    let p = app
        .ok(
            "mutation($i: ReplyInput!) { reply(input: $i) { id } }",
            json!({"i": {"threadId": t, "body": "Better, **slowly**."}}),
            Some(&bob.access),
        )
        .await["reply"]["id"]
        .clone();
    let th = "query($t: ID!, $p: ID!) { thread(id: $t) { bodySource viewerCanEdit viewerCanManage }
        post(id: $p) { bodySource viewerCanEdit } }";
    let seen = |v: Value| (v["thread"].clone(), v["post"].clone());
    assert_eq!(
        seen(app.ok(th, json!({"t": t, "p": p}), Some(&ada.access)).await),
        (
            json!({"bodySource": "How *are* we doing?", "viewerCanEdit": true, "viewerCanManage": false}),
            json!({"bodySource": null, "viewerCanEdit": false})
        )
    );
    assert_eq!(
        seen(app.ok(th, json!({"t": t, "p": p}), Some(&bob.access)).await),
        (
            json!({"bodySource": null, "viewerCanEdit": false, "viewerCanManage": false}),
            json!({"bodySource": "Better, **slowly**.", "viewerCanEdit": true})
        )
    );
    assert_eq!(
        seen(app.ok(th, json!({"t": t, "p": p}), Some(&steward.access)).await),
        (
            json!({"bodySource": "How *are* we doing?", "viewerCanEdit": true, "viewerCanManage": true}),
            json!({"bodySource": "Better, **slowly**.", "viewerCanEdit": false})
        )
    );
    // What the buttons say is what the mutations do.
    let lock = "mutation($t: ID!) { updateThread(id: $t, input: {locked: true}) { locked } }";
    assert_eq!(code(&app.gql(lock, json!({"t": t}), Some(&ada.access)).await), "FORBIDDEN");
    let edit = "mutation($p: ID!) { editPost(id: $p, body: \"x\") { id } }";
    assert_eq!(code(&app.gql(edit, json!({"p": p}), Some(&steward.access)).await), "FORBIDDEN");

    // Library entries and groups.
    let r = app
        .ok(
            "mutation($i: CreateResourceInput!) { createResource(input: $i) { id } }",
            json!({"i": {"groupId": g, "title": "Toolkit", "kind": "TOOLKIT", "description": "Use *this*."}}),
            Some(&ada.access),
        )
        .await["createResource"]["id"]
        .clone();
    let rs = "query($r: ID!) { resource(id: $r) { descriptionSource viewerCanEdit } group(handle: \"community\") { viewerCanManage } }";
    let v = app.ok(rs, json!({"r": r}), Some(&ada.access)).await;
    assert_eq!(
        (v["resource"].clone(), v["group"]["viewerCanManage"].clone()),
        (json!({"descriptionSource": "Use *this*.", "viewerCanEdit": true}), json!(false))
    );
    let v = app.ok(rs, json!({"r": r}), Some(&bob.access)).await;
    assert_eq!(v["resource"], json!({"descriptionSource": null, "viewerCanEdit": false}));
    assert_eq!(app.ok(rs, json!({"r": r}), Some(&steward.access)).await["group"]["viewerCanManage"], true);
    assert_eq!(app.ok(rs, json!({"r": r}), None).await["group"]["viewerCanManage"], false);
}

#[tokio::test]
async fn a_members_home_screen_lists_their_events_groups_and_finds_events_by_place_and_order() {
    let app = spawn_app().await;
    let steward = app.admin("steward").await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let g = community(&app).await;
    let online = json!({"mode": "ONLINE", "onlineUrl": "https://meet.example/x"});
    let lisbon = json!({"mode": "IN_PERSON", "venue": "Hub", "city": "Lisbon", "country": "PT"});
    let first = event(&app, &steward.access, &g, "Online first", "2031-05-01T09:00:00Z", online).await;
    let second = event(&app, &steward.access, &g, "Lisbon gathering", "2031-06-01T09:00:00Z", lisbon).await;
    app.ok("mutation($e: ID!) { rsvp(eventId: $e) { status } }", json!({"e": second}), Some(&ada.access)).await;

    let home = "{ me { registrations(upcoming: true) { totalCount edges { node { status event { title } } } }
        memberships { edges { node { role group { handle } } } } } }";
    let me = app.ok(home, json!({}), Some(&ada.access)).await["me"].clone();
    assert_eq!(me["registrations"]["totalCount"], 1);
    assert_eq!(
        me["registrations"]["edges"][0]["node"],
        json!({"status": "GOING", "event": {"title": "Lisbon gathering"}})
    );
    assert_eq!(me["memberships"]["edges"][0]["node"], json!({"role": "MEMBER", "group": {"handle": "community"}}));
    let past = "{ me { registrations(upcoming: false) { totalCount } } }";
    assert_eq!(app.ok(past, json!({}), Some(&ada.access)).await["me"]["registrations"]["totalCount"], 0);
    // Someone else's are null, not an error; admins see them.
    let hers = "{ member(handle: \"ada\") { registrations { totalCount } memberships { totalCount } } }";
    assert_eq!(
        app.ok(hers, json!({}), Some(&bob.access)).await["member"],
        json!({"registrations": null, "memberships": null})
    );
    assert_eq!(app.ok(hers, json!({}), Some(&steward.access)).await["member"]["registrations"]["totalCount"], 1);

    let titles = |v: Value| -> Vec<String> {
        v["events"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap().to_string())
            .collect()
    };
    let list = "query($f: EventFilter) { events(filter: $f) { edges { node { title } } } }";
    let ask = |f: Value, token: Option<String>| {
        let app = &app;
        async move { titles(app.ok(list, json!({"f": f}), token.as_deref()).await) }
    };
    let ada_t = Some(ada.access.clone());
    assert_eq!(ask(json!({"registered": true}), ada_t.clone()).await, vec!["Lisbon gathering"]);
    assert_eq!(ask(json!({"registered": false}), ada_t.clone()).await, vec!["Online first"]);
    assert_eq!(ask(json!({"registered": true}), None).await, Vec::<String>::new());
    assert_eq!(ask(json!({"registered": false}), None).await, vec!["Online first", "Lisbon gathering"]);
    assert_eq!(
        ask(json!({"mode": "IN_PERSON", "city": "lisbon", "country": "pt"}), None).await,
        vec!["Lisbon gathering"]
    );
    assert_eq!(ask(json!({"city": "Porto"}), None).await, Vec::<String>::new());
    assert_eq!(ask(json!({"order": "DESC"}), None).await, vec!["Lisbon gathering", "Online first"]);
    // Newest first pages on with its cursor.
    let paged =
        "query($a: String) { events(first: 1, after: $a, filter: {order: DESC}) { edges { cursor node { title } } } }";
    let p1 = app.ok(paged, json!({"a": null}), None).await;
    let cursor = p1["events"]["edges"][0]["cursor"].clone();
    let p2 = app.ok(paged, json!({"a": cursor}), None).await;
    assert_eq!(p2["events"]["edges"][0]["node"]["title"], "Online first");
    let _ = first;

    // Join requests: for the group's moderators only.
    let jr = "{ group(handle: \"community\") { joinRequests { totalCount } } }";
    assert_eq!(app.ok(jr, json!({}), Some(&steward.access)).await["group"]["joinRequests"]["totalCount"], 0);
    assert_eq!(app.ok(jr, json!({}), Some(&ada.access)).await["group"]["joinRequests"], Value::Null);
}

#[tokio::test]
async fn passwords_are_changed_and_reset_once_and_every_sign_in_ends() {
    let app = spawn_app().await;
    let steward = app.admin("steward").await;
    let ada = app.register("ada").await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let wrong = app.gql(change, json!({"c": "not my password", "n": "a brand new secret"}), Some(&ada.access)).await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT");
    let short = app.gql(change, json!({"c": "correct horse battery", "n": "short"}), Some(&ada.access)).await;
    assert_eq!(code(&short), "BAD_USER_INPUT");
    app.ok(change, json!({"c": "correct horse battery", "n": "a brand new secret"}), Some(&ada.access)).await;
    // The old sign-in's refresh token no longer works; the new password signs in.
    let refresh = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }";
    assert_eq!(code(&app.gql(refresh, json!({"r": ada.refresh}), None).await), "UNAUTHENTICATED");
    let ada = app.login("ada", "a brand new secret").await;

    // An admin makes a reset link; it opens a form, sets a password once.
    let make = "mutation($m: ID!) { createPasswordResetLink(memberId: $m) }";
    assert_eq!(code(&app.gql(make, json!({"m": ada.id}), Some(&ada.access)).await), "FORBIDDEN");
    let link = app.ok(make, json!({"m": ada.id}), Some(&steward.access)).await["createPasswordResetLink"]
        .as_str()
        .unwrap()
        .to_string();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let page = reqwest::get(link.clone()).await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("form-action 'self'") && csp.contains("script-src 'none'"), "{csp}");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"token\"") && html.contains(&token), "{html}");
    let reset = "mutation($t: String!, $n: String!) { resetPassword(token: $t, newPassword: $n) }";
    app.ok(reset, json!({"t": token, "n": "set by the link"}), None).await;
    assert_eq!(code(&app.gql(reset, json!({"t": token, "n": "set by the link again"}), None).await), "BAD_USER_INPUT");
    assert_eq!(code(&app.gql(refresh, json!({"r": ada.refresh}), None).await), "UNAUTHENTICATED");
    let ada = app.login("ada", "set by the link").await;

    // The form posts to the same address and takes the same path.
    let link = app.ok(make, json!({"m": ada.id}), Some(&steward.access)).await["createPasswordResetLink"]
        .as_str()
        .unwrap()
        .to_string();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let form = reqwest::Client::new()
        .post(format!("{}/reset-password", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("token", &token)
                .append_pair("password", "chosen in the browser")
                .finish(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains("Your password is set"));
    app.login("ada", "chosen in the browser").await;
    // Asking by email answers the same for everyone.
    let ask = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    for email in ["ada@example.org", "nobody@example.org"] {
        assert_eq!(app.ok(ask, json!({"e": email}), None).await["requestPasswordReset"], true);
    }
}

#[tokio::test]
async fn any_object_is_found_by_its_id_as_the_viewer_may_see_it() {
    let app = spawn_app().await;
    let steward = app.admin("steward").await;
    let ada = app.register("ada").await;
    let g = community(&app).await;
    let online = json!({"mode": "ONLINE", "onlineUrl": "https://meet.example/x"});
    let e = event(&app, &steward.access, &g, "Weaving networks", "2031-05-01T09:00:00Z", online).await;
    let inner = app
        .ok(
            "mutation { createGroup(input: {slug: \"stewards\", name: \"Stewards\"}) { id } }",
            json!({}),
            Some(&steward.access),
        )
        .await["createGroup"]["id"]
        .clone();
    let q = app
        .ok(
            "mutation($i: CreateLearningQuestionInput!) { createLearningQuestion(input: $i) { id } }",
            json!({"i": {"groupId": inner, "title": "Are we learning?", "visibility": "GROUP"}}),
            Some(&steward.access),
        )
        .await["createLearningQuestion"]["id"]
        .clone();
    let node = "query($id: ID!) { node(id: $id) { __typename id ... on Event { title } ... on Member { username }
        ... on Group { handle } ... on LearningQuestion { title } } }";
    let v = app.ok(node, json!({"id": e}), None).await["node"].clone();
    assert_eq!(v, json!({"__typename": "Event", "id": e, "title": "Weaving networks"}));
    assert_eq!(app.ok(node, json!({"id": ada.id}), None).await["node"]["username"], "ada");
    assert_eq!(app.ok(node, json!({"id": g}), None).await["node"]["handle"], "community");
    // A GROUP question: its group's members see it, nobody else (null, as for no such id).
    assert_eq!(app.ok(node, json!({"id": q}), Some(&steward.access)).await["node"]["title"], "Are we learning?");
    assert_eq!(app.ok(node, json!({"id": q}), Some(&ada.access)).await["node"], Value::Null);
    assert_eq!(app.ok(node, json!({"id": "not-an-id"}), None).await["node"], Value::Null);
    assert_eq!(app.ok(node, json!({"id": uuid::Uuid::now_v7().to_string()}), None).await["node"], Value::Null);
    // Every object with an id implements Node.
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schema.graphql")).unwrap();
    for t in ["Event", "Member", "Group", "Thread", "Post", "Resource", "Registration", "Reflection"] {
        assert!(sdl.contains(&format!("type {t} implements Node")), "{t}");
    }
}

#[tokio::test]
async fn the_home_feed_shows_whats_new_in_my_groups_newest_first_and_says_when_more_arrives() {
    let app = spawn_app().await;
    let steward = app.admin("steward").await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let g = community(&app).await;
    let online = json!({"mode": "ONLINE", "onlineUrl": "https://meet.example/x"});
    event(&app, &steward.access, &g, "Weaving networks", "2031-05-01T09:00:00Z", online).await;
    let thread = |group: String, title: &'static str, token: String| {
        let app = &app;
        async move {
            app.ok(
                "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
                json!({"i": {"groupId": group, "title": title, "body": "Let us talk."}}),
                Some(&token),
            )
            .await["createThread"]["id"]
                .clone()
        }
    };
    let t = thread(g.clone(), "DEI", ada.access.clone()).await;
    app.ok(
        "mutation($i: ReplyInput!) { reply(input: $i) { id } }",
        json!({"i": {"threadId": t, "body": "Slowly better."}}),
        Some(&bob.access),
    )
    .await;
    app.ok(
        "mutation($i: CreateResourceInput!) { createResource(input: $i) { id } }",
        json!({"i": {"groupId": g, "title": "Toolkit", "kind": "TOOLKIT"}}),
        Some(&bob.access),
    )
    .await;
    // A group Ada is not in: none of it reaches her feed.
    let circle = app
        .ok(
            "mutation { createGroup(input: {slug: \"circle\", name: \"Circle\"}) { id } }",
            json!({}),
            Some(&steward.access),
        )
        .await["createGroup"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    thread(circle, "Stewards only", steward.access.clone()).await;

    let feed = "query($f: Int, $a: String) { feed(first: $f, after: $a) { pageInfo { hasNextPage endCursor }
        edges { node { __typename ... on Event { title } ... on Thread { title } ... on Post { body }
        ... on Resource { title } } } } }";
    let v = app.ok(feed, json!({"f": 10, "a": null}), Some(&ada.access)).await["feed"].clone();
    let kinds: Vec<&str> =
        v["edges"].as_array().unwrap().iter().map(|e| e["node"]["__typename"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["Resource", "Post", "Thread", "Event"], "{v}");
    assert_eq!(v["edges"][1]["node"]["body"], "<p>Slowly better.</p>\n");
    assert_eq!(v["pageInfo"]["hasNextPage"], false);
    // Pages of two, on with the cursor.
    let p1 = app.ok(feed, json!({"f": 2, "a": null}), Some(&ada.access)).await["feed"].clone();
    assert_eq!((p1["edges"].as_array().unwrap().len(), p1["pageInfo"]["hasNextPage"].as_bool()), (2, Some(true)));
    let p2 = app.ok(feed, json!({"f": 2, "a": p1["pageInfo"]["endCursor"]}), Some(&ada.access)).await["feed"].clone();
    assert_eq!(p2["edges"][0]["node"]["__typename"], "Thread");
    assert_eq!(p2["pageInfo"]["hasNextPage"], false);
    assert_eq!(code(&app.gql(feed, json!({"f": 2}), None).await), "UNAUTHENTICATED");

    // feedChanged: a new thread in her group tells Ada.
    let mut ws = crate::helpers::subscribe(&app, &ada, "subscription { feedChanged }", json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    thread(g.clone(), "Harvest", bob.access.clone()).await;
    let msg = crate::helpers::next_message(&mut ws).await;
    assert_eq!(msg["payload"]["data"]["feedChanged"], true, "{msg}");
    // And a new library entry.
    app.ok(
        "mutation($i: CreateResourceInput!) { createResource(input: $i) { id } }",
        json!({"i": {"groupId": g, "title": "Templates", "kind": "TEMPLATE"}}),
        Some(&bob.access),
    )
    .await;
    let msg = crate::helpers::next_message(&mut ws).await;
    assert_eq!(msg["payload"]["data"]["feedChanged"], true, "{msg}");
}

#[tokio::test]
async fn groups_invite_members_who_accept_or_decline_and_pending_is_no_role_to_give() {
    let app = spawn_app().await;
    let steward = app.admin("steward").await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let circle = app
        .ok(
            "mutation { createGroup(input: {slug: \"circle\", name: \"Circle\", requiresApproval: true}) { id } }",
            json!({}),
            Some(&steward.access),
        )
        .await["createGroup"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Found in the directory by its name.
    let find = "query($s: String) { groups(search: $s) { edges { node { handle } } } }";
    let handles = |v: Value| -> Vec<String> {
        v["groups"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["handle"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(handles(app.ok(find, json!({"s": "circle"}), None).await), vec!["circle"]);
    assert_eq!(handles(app.ok(find, json!({"s": "nothing like it"}), None).await), Vec::<String>::new());
    assert_eq!(handles(app.ok(find, json!({"s": null}), None).await).len(), 2);
    let join = "mutation($g: ID!) { joinGroup(groupId: $g) { role } }";
    assert_eq!(app.ok(join, json!({"g": circle}), Some(&ada.access)).await["joinGroup"]["role"], "PENDING");
    let invite = "mutation($g: ID!, $h: String!) { inviteToGroup(groupId: $g, memberHandle: $h) { id status
        group { handle } member { username } invitedBy { username } } }";
    assert_eq!(code(&app.gql(invite, json!({"g": circle, "h": "bob"}), Some(&ada.access)).await), "FORBIDDEN");
    assert_eq!(
        code(&app.gql(invite, json!({"g": circle, "h": "nobody"}), Some(&steward.access)).await),
        "BAD_USER_INPUT"
    );
    let set = "mutation($g: ID!, $m: ID!) { setMemberRole(groupId: $g, memberId: $m, role: PENDING) { role } }";
    assert_eq!(code(&app.gql(set, json!({"g": circle, "m": ada.id}), Some(&steward.access)).await), "BAD_USER_INPUT");

    let inv = app.ok(invite, json!({"g": circle, "h": "bob"}), Some(&steward.access)).await["inviteToGroup"].clone();
    assert_eq!(
        (inv["status"].as_str(), inv["group"]["handle"].as_str(), inv["invitedBy"]["username"].as_str()),
        (Some("INVITED"), Some("circle"), Some("steward"))
    );
    let mine = "{ me { invitations { id status group { handle } } } }";
    assert_eq!(app.ok(mine, json!({}), Some(&bob.access)).await["me"]["invitations"][0]["id"], inv["id"]);
    // Bob hears of it where he hears of everything.
    let told = "{ notifications(first: 5) { edges { node { kind invitation { id } } } } }";
    assert_eq!(
        app.ok(told, json!({}), Some(&bob.access)).await["notifications"]["edges"][0]["node"],
        json!({"kind": "GROUP_INVITATION", "invitation": {"id": inv["id"]}})
    );
    // Inviting again while it is open changes nothing and tells him nothing new.
    let again = app.ok(invite, json!({"g": circle, "h": "bob"}), Some(&steward.access)).await["inviteToGroup"].clone();
    assert_eq!(again["id"], inv["id"]);
    assert_eq!(app.ok(told, json!({}), Some(&bob.access)).await["notifications"]["edges"].as_array().unwrap().len(), 1);
    let hers = "{ member(handle: \"bob\") { invitations { id } } }";
    assert_eq!(app.ok(hers, json!({}), Some(&ada.access)).await["member"]["invitations"], Value::Null);
    // Found by id by the invitee and the group's moderators only.
    let node = "query($id: ID!) { node(id: $id) { __typename } }";
    assert_eq!(
        app.ok(node, json!({"id": inv["id"]}), Some(&bob.access)).await["node"]["__typename"],
        "GroupInvitation"
    );
    assert_eq!(app.ok(node, json!({"id": inv["id"]}), Some(&ada.access)).await["node"], Value::Null);
    // Only Bob answers; accepting makes him a member (the group approves members by hand).
    let accept = "mutation($id: ID!) { acceptGroupInvitation(id: $id) { status } }";
    assert_eq!(code(&app.gql(accept, json!({"id": inv["id"]}), Some(&carol.access)).await), "NOT_FOUND");
    assert_eq!(
        app.ok(accept, json!({"id": inv["id"]}), Some(&bob.access)).await["acceptGroupInvitation"]["status"],
        "ACCEPTED"
    );
    assert_eq!(code(&app.gql(accept, json!({"id": inv["id"]}), Some(&bob.access)).await), "CONFLICT");
    let role = "{ me { memberships { edges { node { role group { id } } } } } }";
    let roles = |v: Value, g: &str| {
        v["me"]["memberships"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["group"]["id"] == g)
            .map(|e| e["node"]["role"].clone())
    };
    assert_eq!(roles(app.ok(role, json!({}), Some(&bob.access)).await, &circle), Some(json!("MEMBER")));
    assert!(app.ok(mine, json!({}), Some(&bob.access)).await["me"]["invitations"].as_array().unwrap().is_empty());
    assert_eq!(code(&app.gql(invite, json!({"g": circle, "h": "bob"}), Some(&steward.access)).await), "CONFLICT");
    // Inviting someone who asked to join approves them.
    let approved = app.ok(invite, json!({"g": circle, "h": "ada"}), Some(&steward.access)).await;
    assert_eq!(approved["inviteToGroup"]["status"], "ACCEPTED");
    assert_eq!(roles(app.ok(role, json!({}), Some(&ada.access)).await, &circle), Some(json!("MEMBER")));
    // Declined, then invited again.
    let c =
        app.ok(invite, json!({"g": circle, "h": "carol"}), Some(&steward.access)).await["inviteToGroup"]["id"].clone();
    let decline = "mutation($id: ID!) { declineGroupInvitation(id: $id) { status } }";
    assert_eq!(
        app.ok(decline, json!({"id": c}), Some(&carol.access)).await["declineGroupInvitation"]["status"],
        "DECLINED"
    );
    assert_eq!(roles(app.ok(role, json!({}), Some(&carol.access)).await, &circle), None);
    let again =
        app.ok(invite, json!({"g": circle, "h": "carol"}), Some(&steward.access)).await["inviteToGroup"].clone();
    assert_eq!((again["id"].clone(), again["status"].as_str()), (c, Some("INVITED")));
}

#[tokio::test]
async fn a_members_home_screen_is_one_request_with_a_fixed_number_of_statements() {
    let app = spawn_app().await;
    let steward = app.admin("steward").await;
    let ada = app.register("ada").await;
    let g = community(&app).await;
    let online = json!({"mode": "ONLINE", "onlineUrl": "https://meet.example/x"});
    for n in 0..24 {
        let e = event(&app, &steward.access, &g, "Session", &format!("2031-05-{:02}T09:00:00Z", n + 1), online.clone())
            .await;
        app.ok("mutation($e: ID!) { rsvp(eventId: $e) { status } }", json!({"e": e}), Some(&ada.access)).await;
        let slug = format!("circle{n}");
        let group = app
            .ok(
                "mutation($s: String!) { createGroup(input: {slug: $s, name: $s}) { id } }",
                json!({"s": slug}),
                Some(&steward.access),
            )
            .await["createGroup"]["id"]
            .clone();
        app.ok("mutation($g: ID!) { joinGroup(groupId: $g) { role } }", json!({"g": group}), Some(&ada.access)).await;
        app.ok(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
            json!({"i": {"groupId": group, "title": format!("Thread {n}"), "body": "Hello."}}),
            Some(&steward.access),
        )
        .await;
    }
    let home = |n: usize| {
        format!(
            "{{ me {{ username registrations(upcoming: true, first: {n}) {{ edges {{ node {{ status event {{ title startsAt
                group {{ handle }} }} }} }} }} memberships(first: {n}) {{ edges {{ node {{ role group {{ handle name }} }} }} }} }}
              feed(first: {n}) {{ edges {{ node {{ __typename ... on Event {{ title }} ... on Thread {{ title author {{ username }}
                group {{ handle }} }} }} }} }}
              unreadNotifications }}"
        )
    };
    let count = |n: usize| {
        let app = &app;
        let token = ada.access.clone();
        async move {
            app.new_data_version().await;
            let before = app.state.statements.get();
            let v = app.ok(&home(n), json!({}), Some(&token)).await;
            (app.state.statements.get() - before, v)
        }
    };
    let (small, v) = count(3).await;
    assert_eq!(v["me"]["registrations"]["edges"].as_array().unwrap().len(), 3);
    assert_eq!(v["feed"]["edges"].as_array().unwrap().len(), 3);
    let (large, v) = count(20).await;
    assert_eq!(v["me"]["registrations"]["edges"].as_array().unwrap().len(), 20);
    assert_eq!(v["me"]["memberships"]["edges"].as_array().unwrap().len(), 20);
    assert_eq!(v["feed"]["edges"].as_array().unwrap().len(), 20);
    // The loaders batch what each level of the answer asks; whether two levels' keys meet in one
    // batch depends on timing (a busy machine splits one more), so the count may differ by a
    // statement or two, never by the page size (20 against 3 would be 17 more with N+1).
    assert!(
        large.abs_diff(small) <= 2,
        "the home screen's statement count does not grow with its pages: {small} for 3, {large} for 20"
    );
}
