//! Events across servers: a partner instance lists a followed group's events and hears of new
//! dates and cancellations; remote people join and leave through signed `Join`/`Leave`, taking
//! seats exactly as local registrations do.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Account, TestApp};
use crate::peer::{actor_key, post_signed, Tamper};

async fn community_id(app: &TestApp) -> String {
    app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn event_input(group: &str, title: &str, visibility: &str, capacity: Option<i32>) -> Value {
    json!({"groupId": group, "title": title, "timezone": "Europe/London", "visibility": visibility,
        "capacity": capacity, "waitlist": false,
        "sessions": [{"startsAt": "2030-09-19T09:00:00Z", "endsAt": "2030-09-19T12:00:00Z"}],
        "location": {"mode": "IN_PERSON", "venue": "Wesley Memorial, Main Hall", "city": "Oxford", "country": "GB"},
        "tags": ["weaving"]})
}

async fn create_event(app: &TestApp, who: &Account, input: Value) -> String {
    app.ok("mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }", json!({"i": input}), Some(&who.access))
        .await["createEvent"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The kinds of the activities `app` queued, oldest first.
async fn sent_kinds(app: &TestApp) -> Vec<(String, Value)> {
    use weave::db::outbound_activity as oa;
    oa::Entity::find()
        .order_by_asc(oa::Column::CreatedAt)
        .filter(oa::Column::Kind.is_not_in(["Follow", "Accept"]))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.kind.clone(), serde_json::from_str(&a.payload).unwrap()))
        .collect()
}

const REMOTE_EVENTS: &str = "{ events(filter: {includeRemote: true}) { totalCount edges { node { id title local status startsAt capacity seatsTaken seatsLeft url location { mode venue city } group { handle } } } } }";

#[tokio::test]
async fn a_partner_lists_followed_events_and_hears_of_new_dates_and_cancellations() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let host = a.admin("steward").await;
    let bob = b.register("bob").await;
    let handle = format!("community@{}", a.domain());
    b.ok("mutation($h: String!) { follow(handle: $h) { id } }", json!({"h": handle}), Some(&bob.access)).await;
    b.deliver().await;
    a.deliver().await;

    let g = community_id(&a).await;
    let public = create_event(&a, &host, event_input(&g, "Networks as system weavers", "PUBLIC", Some(40))).await;
    create_event(&a, &host, event_input(&g, "Members' circle", "MEMBERS", None)).await;
    let mut draft = event_input(&g, "Not yet", "PUBLIC", None);
    draft["status"] = json!("DRAFT");
    create_event(&a, &host, draft).await;
    // Only the public event leaves A, with its RSVP poll: MEMBERS events and drafts are never
    // sent.
    let report = a.deliver().await;
    assert_eq!((report.sent, report.failed), (2, 0));
    let sent = sent_kinds(&a).await;
    let kinds: Vec<(String, String)> =
        sent.iter().map(|(k, v)| (k.clone(), v["object"]["type"].as_str().unwrap().to_string())).collect();
    assert_eq!(kinds, vec![("Create".into(), "Event".into()), ("Create".into(), "Question".into())]);
    assert_eq!(sent[0].1["to"][0], "https://www.w3.org/ns/activitystreams#Public");
    assert!(sent[0].1["object"]["summary"].as_str().unwrap().contains("Oxford"));
    let poll = &sent[1].1["object"];
    assert_eq!(poll["oneOf"][0]["name"], "Going");
    assert_eq!(poll["oneOf"][1]["name"], "Not going");
    assert_eq!(poll["endTime"], "2030-09-19T12:00:00+00:00");

    let v = b.ok(REMOTE_EVENTS, json!({}), None).await;
    assert_eq!(v["events"]["totalCount"], 1);
    let e = &v["events"]["edges"][0]["node"];
    assert_eq!(e["title"], "Networks as system weavers");
    assert_eq!(e["local"], false);
    assert_eq!(e["capacity"], 40);
    assert_eq!(e["location"]["venue"], "Wesley Memorial, Main Hall");
    assert_eq!(e["group"]["handle"], handle.as_str());
    assert_eq!(e["url"], format!("http://{}/events/{public}", a.domain()));
    // Its own events only, unless asked.
    assert_eq!(b.ok("{ events { totalCount } }", json!({}), None).await["events"]["totalCount"], 0);

    // A new date: an Update, and a Note for Mastodon (which ignores Updates of events).
    a.ok(
        "mutation($id: ID!) { updateEvent(id: $id, input: {sessions: [{startsAt: \"2030-09-26T09:00:00Z\", endsAt: \"2030-09-26T12:00:00Z\"}]}) { id } }",
        json!({"id": public}),
        Some(&host.access),
    )
    .await;
    assert_eq!(a.deliver().await.sent, 3);
    let sent = sent_kinds(&a).await;
    let kinds: Vec<(String, String)> =
        sent[2..].iter().map(|(k, v)| (k.clone(), v["object"]["type"].as_str().unwrap().to_string())).collect();
    assert_eq!(
        kinds,
        vec![("Update".into(), "Event".into()), ("Update".into(), "Question".into()), ("Create".into(), "Note".into())]
    );
    assert!(sent[4].1["object"]["content"].as_str().unwrap().contains("New date"));
    let v = b.ok(REMOTE_EVENTS, json!({}), None).await;
    assert_eq!(v["events"]["edges"][0]["node"]["startsAt"], "2030-09-26T09:00:00+00:00");
    assert_eq!(v["events"]["totalCount"], 1, "updated in place");

    // B's member registers for the remote event: a Join goes to A, whose Accept settles it.
    let remote_id = v["events"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    let rsvp = "mutation($id: ID!) { rsvp(eventId: $id) { status } }";
    assert_eq!(b.ok(rsvp, json!({"id": remote_id}), Some(&bob.access)).await["rsvp"]["status"], "REQUESTED");
    assert_eq!(b.deliver().await.sent, 1);
    assert_eq!(seats(&a, &public).await["seatsTaken"], 1);
    a.deliver().await;
    let mine = format!("{{ event(id: \"{remote_id}\") {{ myRegistration {{ status }} }} }}");
    assert_eq!(b.ok(&mine, json!({}), Some(&bob.access)).await["event"]["myRegistration"]["status"], "GOING");
    // And cancels: a Leave frees the seat on A.
    let cancel = "mutation($id: ID!) { cancelRsvp(eventId: $id) { status } }";
    assert_eq!(b.ok(cancel, json!({"id": remote_id}), Some(&bob.access)).await["cancelRsvp"]["status"], "CANCELLED");
    b.deliver().await;
    assert_eq!(seats(&a, &public).await["seatsTaken"], 0);
    a.deliver().await;

    // Cancelled: B shows it cancelled.
    a.ok(
        "mutation($id: ID!) { cancelEvent(id: $id, reason: \"Venue flooded\") { id } }",
        json!({"id": public}),
        Some(&host.access),
    )
    .await;
    a.deliver().await;
    let v = b.ok(REMOTE_EVENTS, json!({}), None).await;
    assert_eq!(v["events"]["edges"][0]["node"]["status"], "CANCELLED");
    let sent = sent_kinds(&a).await;
    assert!(sent.last().unwrap().1["object"]["content"].as_str().unwrap().contains("Venue flooded"));
}

#[tokio::test]
async fn remote_people_join_and_leave_and_a_full_event_rejects_them() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let host = a.admin("steward").await;
    b.register("rosa").await;
    b.register("mallory").await;
    let g = community_id(&a).await;
    let id = create_event(&a, &host, event_input(&g, "Small room", "PUBLIC", Some(1))).await;
    let event_url = format!("http://{}/events/{id}", a.domain());
    let inbox = format!("http://{}/inbox", a.domain());
    let (rosa, rosa_key) = actor_key(&b, &format!("http://{}/members/rosa", b.domain())).await;
    let (mallory, mallory_key) = actor_key(&b, &format!("http://{}/members/mallory", b.domain())).await;
    let join = |id: &str, actor: &str| json!({"id": id, "type": "Join", "actor": actor, "object": event_url});

    assert_eq!(
        post_signed(&inbox, &rosa, &rosa_key, &join(&format!("{rosa}/join/1"), &rosa), Tamper::default()).await,
        202
    );
    assert_eq!(seats(&a, &id).await, json!({"seatsTaken": 1, "seatsLeft": 0, "soldOut": true}));
    // Full, no waitlist: Mallory's Join is rejected.
    assert_eq!(
        post_signed(&inbox, &mallory, &mallory_key, &join(&format!("{mallory}/join/1"), &mallory), Tamper::default())
            .await,
        202
    );
    assert_eq!(seats(&a, &id).await["seatsTaken"], 1);
    let answers: Vec<(String, Value)> =
        answers(&a).await.into_iter().filter(|(k, _)| k == "Accept" || k == "Reject").collect();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0].0, "Accept");
    assert_eq!(answers[0].1["object"]["id"], format!("{rosa}/join/1"));
    assert_eq!(answers[0].1["weave:status"], "GOING");
    assert_eq!(answers[1].0, "Reject");
    assert_eq!(answers[1].1["to"][0], mallory.as_str());
    // The answers reach B.
    let report = a.deliver().await;
    assert_eq!((report.sent, report.failed), (2, 0));
    // The host sees the remote registrant like any other.
    let v = a
        .ok(
            &format!(
                "{{ event(id: \"{id}\") {{ registrations {{ edges {{ node {{ status member {{ handle }} }} }} }} }} }}"
            ),
            json!({}),
            Some(&host.access),
        )
        .await;
    assert_eq!(v["event"]["registrations"]["edges"][0]["node"]["member"]["handle"], format!("rosa@{}", b.domain()));

    // Rosa leaves (as Mobilizon does, with Undo(Join)); the seat is free again.
    let undo = json!({"id": format!("{rosa}/undo/1"), "type": "Undo", "actor": rosa, "object": join(&format!("{rosa}/join/1"), &rosa)});
    assert_eq!(post_signed(&inbox, &rosa, &rosa_key, &undo, Tamper::default()).await, 202);
    assert_eq!(seats(&a, &id).await["seatsTaken"], 0);
    // Mallory tries again and gets it; then Leave.
    assert_eq!(
        post_signed(&inbox, &mallory, &mallory_key, &join(&format!("{mallory}/join/2"), &mallory), Tamper::default())
            .await,
        202
    );
    assert_eq!(seats(&a, &id).await["seatsTaken"], 1);
    let leave = json!({"id": format!("{mallory}/leave/1"), "type": "Leave", "actor": mallory, "object": event_url});
    assert_eq!(post_signed(&inbox, &mallory, &mallory_key, &leave, Tamper::default()).await, 202);
    assert_eq!(seats(&a, &id).await["seatsTaken"], 0);
}

async fn seats(app: &TestApp, id: &str) -> Value {
    let q = format!("{{ event(id: \"{id}\") {{ seatsTaken seatsLeft soldOut }} }}");
    app.ok(&q, json!({}), None).await["event"].clone()
}

/// Everything `app` queued, oldest first.
async fn answers(app: &TestApp) -> Vec<(String, Value)> {
    use weave::db::outbound_activity as oa;
    oa::Entity::find()
        .order_by_asc(oa::Column::CreatedAt)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.kind.clone(), serde_json::from_str(&a.payload).unwrap()))
        .collect()
}

#[tokio::test]
async fn mastodon_users_rsvp_by_voting_with_seats_and_a_waitlist() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let host = a.admin("steward").await;
    b.register("rosa").await;
    b.register("mallory").await;
    let g = community_id(&a).await;
    let mut input = event_input(&g, "Networks as system weavers", "PUBLIC", Some(1));
    input["waitlist"] = json!(true);
    let id = create_event(&a, &host, input).await;
    let poll = format!("http://{}/events/{id}/poll", a.domain());
    // The poll answers at its id, as Mastodon fetches it.
    let q: Value =
        a.client.get(&poll).header("accept", "application/activity+json").send().await.unwrap().json().await.unwrap();
    assert_eq!(q["type"], "Question");
    assert_eq!(q["oneOf"][0]["replies"]["totalItems"], 0);
    let inbox = format!("http://{}/inbox", a.domain());
    let (rosa, rosa_key) = actor_key(&b, &format!("http://{}/members/rosa", b.domain())).await;
    let (mallory, mallory_key) = actor_key(&b, &format!("http://{}/members/mallory", b.domain())).await;
    // A vote as Mastodon sends one: a Note with the option's name, no content.
    let vote = |actor: &str, n: u32, choice: &str| {
        json!({"id": format!("{actor}/statuses/{n}/activity"), "type": "Create", "actor": actor,
            "to": [format!("http://{}/groups/community", a.domain())],
            "object": {"id": format!("{actor}/statuses/{n}"), "type": "Note", "name": choice, "attributedTo": actor,
                "inReplyTo": poll, "to": [format!("http://{}/groups/community", a.domain())]}})
    };
    assert_eq!(post_signed(&inbox, &rosa, &rosa_key, &vote(&rosa, 1, "Going"), Tamper::default()).await, 202);
    assert_eq!(seats(&a, &id).await["seatsTaken"], 1);
    assert_eq!(post_signed(&inbox, &mallory, &mallory_key, &vote(&mallory, 1, "Going"), Tamper::default()).await, 202);
    let v = a.ok(&format!("{{ event(id: \"{id}\") {{ seatsTaken waitlistCount }} }}"), json!({}), None).await;
    assert_eq!(v["event"], json!({"seatsTaken": 1, "waitlistCount": 1}));
    // Each voter gets a direct note, and it reaches them.
    let notes: Vec<Value> = answers(&a)
        .await
        .into_iter()
        .filter(|(k, v)| k == "Create" && v["object"]["type"] == "Note")
        .map(|(_, v)| v["object"].clone())
        .collect();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["to"], json!([rosa]));
    assert!(notes[0]["content"].as_str().unwrap().contains("going to Networks as system weavers"));
    assert_eq!(notes[0]["tag"][0]["href"], rosa.as_str());
    assert_eq!(notes[1]["to"], json!([mallory]));
    assert!(notes[1]["content"].as_str().unwrap().contains("waitlist"));
    let report = a.deliver().await;
    assert_eq!(report.failed, 0);
    assert!(report.sent >= 2);
    // Rosa takes her vote back: her seat goes to Mallory.
    let undo = json!({"id": format!("{rosa}/statuses/1#undo"), "type": "Undo", "actor": rosa, "object": vote(&rosa, 1, "Going")});
    assert_eq!(post_signed(&inbox, &rosa, &rosa_key, &undo, Tamper::default()).await, 202);
    let v = a.ok(&format!("{{ event(id: \"{id}\") {{ seatsTaken waitlistCount }} }}"), json!({}), None).await;
    assert_eq!(v["event"], json!({"seatsTaken": 1, "waitlistCount": 0}));
    // "Not going" gives Mallory's seat back too.
    assert_eq!(
        post_signed(&inbox, &mallory, &mallory_key, &vote(&mallory, 2, "Not going"), Tamper::default()).await,
        202
    );
    assert_eq!(seats(&a, &id).await["seatsTaken"], 0);
    // Votes on a cancelled event are refused, with a note saying so.
    a.ok("mutation($id: ID!) { cancelEvent(id: $id) { id } }", json!({"id": id}), Some(&host.access)).await;
    assert_eq!(post_signed(&inbox, &rosa, &rosa_key, &vote(&rosa, 3, "Going"), Tamper::default()).await, 202);
    assert_eq!(seats(&a, &id).await["seatsTaken"], 0);
    let last = answers(&a).await.into_iter().rev().find(|(_, v)| v["object"]["type"] == "Note").unwrap().1;
    assert!(last["object"]["content"].as_str().unwrap().contains("cancelled"), "{last}");
}

#[tokio::test]
async fn a_partner_network_on_another_server_co_hosts_an_event() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let host = a.admin("steward").await;
    let keeper = b.admin("keeper").await;
    let partners = b
        .ok(
            "mutation { createGroup(input: {slug: \"partners\", name: \"Partner Network\"}) { id } }",
            json!({}),
            Some(&keeper.access),
        )
        .await["createGroup"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The partner network follows A's group (as a group): the partnership co-hosting rests on.
    b.ok(
        "mutation($h: String!, $g: ID) { follow(handle: $h, asGroup: $g) { id } }",
        json!({"h": format!("community@{}", a.domain()), "g": partners}),
        Some(&keeper.access),
    )
    .await;
    b.deliver().await;
    a.deliver().await;

    let g = community_id(&a).await;
    let mut input = event_input(&g, "Networks as system weavers", "PUBLIC", Some(40));
    input["coHosts"] = json!([format!("partners@{}", b.domain())]);
    let id = create_event(&a, &host, input).await;
    let hosts = format!("{{ event(id: \"{id}\") {{ hosts {{ handle local }} invitedHosts {{ handle }} }} }}");
    // Invited, not a host until it accepts.
    let v = a.ok(&hosts, json!({}), None).await;
    assert_eq!(v["event"]["hosts"], json!([{"handle": "community", "local": true}]));
    assert_eq!(v["event"]["invitedHosts"], json!([{"handle": format!("partners@{}", b.domain())}]));
    // A invites B's group (Offer), B accepts (Accept), A confirms.
    let report = a.deliver().await;
    assert_eq!(report.failed, 0);
    let offered: Vec<String> = answers(&a).await.into_iter().map(|(k, _)| k).collect();
    assert!(offered.contains(&"Offer".to_string()), "{offered:?}");
    let report = b.deliver().await;
    assert_eq!((report.sent, report.failed), (1, 0));
    let resp = a
        .client
        .get(format!("http://{}/events/{id}", a.domain()))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["contributors"], json!([format!("http://{}/groups/partners", b.domain())]));
    assert_eq!(
        a.ok(&hosts, json!({}), None).await["event"]["hosts"],
        json!([{"handle": "community", "local": true}, {"handle": format!("partners@{}", b.domain()), "local": false}])
    );
    // The event is on the partner group's page on B too.
    let v = b
        .ok(
            "{ group(handle: \"partners\") { events { totalCount edges { node { title local hosts { handle } } } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(v["group"]["events"]["totalCount"], 1);
    let e = &v["group"]["events"]["edges"][0]["node"];
    assert_eq!(e["title"], "Networks as system weavers");
    assert_eq!(e["local"], false);
    assert_eq!(e["hosts"][1]["handle"], "partners");
}
