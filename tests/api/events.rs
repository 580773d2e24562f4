//! Events with registration: the two seed events end to end, seats, waitlist, held seats,
//! visibility, privacy, calendars and the demo community.
use serde_json::{json, Value};

use crate::helpers::{code, next_message, spawn_app, subscribe, Account, Socket, TestApp};

const EVENT_FIELDS: &str = "id title summary description timezone startsAt endsAt
  sessions { startsAt endsAt title }
  location { mode venue address city country onlineUrl }
  status visibility capacity heldSeats seatsTaken seatsLeft soldOut waitlistCount refundPolicy
  agenda { position title description startsAt } faq { question answer }
  group { handle } organizer { username } hosts { handle } tags
  myRegistration { status waitlistPosition } local url icalUrl
  externalRegistrationUrl price { amount currency } paymentUrl
  facilitators { name role member { username } }
  attendance { going byCountry { key count } bySector { key count } } requestCount";

fn event_query() -> String {
    format!("query($id: ID!) {{ event(id: $id) {{ {EVENT_FIELDS} }} }}")
}

/// The seed events as shipped with the demo (`src/demo/community.json`): the same inputs.
fn seed(n: usize) -> Value {
    let community: Value = serde_json::from_str(weave::demo::COMMUNITY).unwrap();
    community["events"][n].clone()
}

async fn create_group(app: &TestApp, owner: &Account, slug: &str, name: &str) -> String {
    let v = app
        .ok(
            "mutation($s:String!,$n:String!){ createGroup(input:{slug:$s,name:$n}){ id } }",
            json!({"s": slug, "n": name}),
            Some(&owner.access),
        )
        .await;
    v["createGroup"]["id"].as_str().unwrap().to_string()
}

async fn create_event(app: &TestApp, who: &Account, group_id: &str, mut input: Value) -> Value {
    input["groupId"] = json!(group_id);
    let q = format!("mutation($input: CreateEventInput!) {{ createEvent(input: $input) {{ {EVENT_FIELDS} }} }}");
    app.ok(&q, json!({"input": input}), Some(&who.access)).await["createEvent"].clone()
}

async fn event(app: &TestApp, id: &str, who: Option<&Account>) -> Value {
    app.ok(&event_query(), json!({"id": id}), who.map(|a| a.access.as_str())).await["event"].clone()
}

async fn rsvp(app: &TestApp, id: &str, who: &Account) -> Value {
    let v = app
        .gql(
            "mutation($id:ID!){ rsvp(eventId:$id){ id status waitlistPosition } }",
            json!({"id": id}),
            Some(&who.access),
        )
        .await;
    if v.get("errors").is_some() {
        return v;
    }
    v["data"]["rsvp"].clone()
}

/// A small event in `group_id` for the registration tests.
fn small(capacity: i64, held: i64) -> Value {
    json!({
        "title": "Peer learning circle",
        "timezone": "Europe/London",
        "sessions": [{ "startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T10:00:00Z" }],
        "location": { "mode": "ONLINE", "onlineUrl": "https://meet.example.org/circle" },
        "capacity": capacity,
        "heldSeats": held
    })
}

#[tokio::test]
async fn seed_000_the_online_course_reads_back_field_by_field() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    app.register("rachel").await;
    app.register("tatiana").await;
    let group = create_group(&app, &ann, "systems_sanctuary", "The Systems Sanctuary").await;
    let seed = seed(0);
    let input = &seed["input"];
    let created = create_event(&app, &ann, &group, input.clone()).await;
    let id = created["id"].as_str().unwrap();
    let e = event(&app, id, None).await;

    assert_eq!(e["title"], "Course: Learning infrastructure for systemic change");
    assert_eq!(e["summary"], "How to build learning across your network or ecosystem project.");
    let description = e["description"].as_str().unwrap();
    assert!(description.contains("<li>Make sense of where you are"), "{description}");
    assert!(description.contains("how are we doing at DEI?"));
    assert_eq!(e["timezone"], "America/Los_Angeles");
    // Thursday, 19 September, 9am–12pm PDT; one registration covers two sessions on two days.
    assert_eq!(e["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(e["startsAt"], "2030-09-19T16:00:00+00:00");
    assert_eq!(e["endsAt"], "2030-09-26T19:00:00+00:00");
    assert_eq!(e["sessions"][1]["startsAt"], "2030-09-26T16:00:00+00:00");
    assert_eq!(e["location"]["mode"], "ONLINE");
    assert!(e["location"]["onlineUrl"].is_null(), "the link is for registrants only");
    assert_eq!(e["refundPolicy"], "No Refunds");
    assert_eq!(e["price"], json!({"amount": "350.00", "currency": "USD"}));
    assert_eq!(e["paymentUrl"], input["paymentUrl"]);
    let agenda = e["agenda"].as_array().unwrap();
    assert_eq!(agenda.len(), 5);
    assert_eq!(agenda[0]["title"], "Learning as a Theory of Change");
    assert_eq!(agenda[4]["position"], 5);
    assert_eq!(agenda[1]["description"], "Introduction to theoretical frameworks underlying collective learning.");
    let faq = e["faq"].as_array().unwrap();
    assert_eq!(faq.len(), 4);
    assert!(faq[2]["answer"].as_str().unwrap().starts_with("No. One fee covers both days."));
    let facilitators = e["facilitators"].as_array().unwrap();
    assert_eq!(facilitators.len(), 2);
    assert_eq!(facilitators[0]["member"]["username"], "rachel");
    assert_eq!(facilitators[0]["name"], "rachel", "a member facilitator is named after the member");
    assert_eq!(facilitators[1]["role"], "Facilitator and coach");
    assert_eq!(e["group"]["handle"], "systems_sanctuary");
    assert_eq!(e["organizer"]["username"], "ann");
    assert_eq!(e["hosts"], json!([{"handle": "systems_sanctuary"}]));
    assert_eq!(e["tags"], json!(["learning", "systems change", "course"]));
    assert_eq!((e["status"].as_str(), e["visibility"].as_str()), (Some("PUBLISHED"), Some("PUBLIC")));
    assert_eq!(
        (e["capacity"].as_i64(), e["seatsLeft"].as_i64(), e["soldOut"].as_bool()),
        (Some(30), Some(30), Some(false))
    );
    assert_eq!(e["local"], true);
    assert_eq!(e["url"], format!("{}/events/{id}", app.state.base_url()));
    assert_eq!(e["icalUrl"], format!("{}/events/{id}.ics", app.state.base_url()));
    assert!(e["attendance"].is_null());
    // The host sees the online link.
    let as_host = event(&app, id, Some(&ann)).await;
    assert_eq!(as_host["location"]["onlineUrl"], input["location"]["onlineUrl"]);

    // Its HTML page is what a Mastodon user clicks.
    let page = app.client.get(format!("{}/events/{id}", app.address)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<meta property=\"og:title\" content=\"Course: Learning infrastructure for systemic change\">")
    );
    assert!(html.contains("Thursday, 19 September 2030, 09:00–12:00 PDT"), "{html}");
    assert!(html.contains("No Refunds") && html.contains("Gettings started on implementation"));
}

#[tokio::test]
async fn seed_003_held_seats_are_requested_and_granted_by_the_hosts() {
    let app = spawn_app().await;
    let sam = app.register("sam_ssc").await;
    let partner = app.register("partner").await;
    let grace = app.register("grace").await;
    let liam = app.register("liam").await;
    let group = create_group(&app, &sam, "school_of_system_change", "School of System Change").await;
    let seed = seed(1);
    let co_hosts = seed["input"]["coHosts"].as_array().unwrap().clone();
    let mut co_host_ids = Vec::new();
    for h in &co_hosts {
        co_host_ids.push(create_group(&app, &partner, h.as_str().unwrap(), h.as_str().unwrap()).await);
    }
    let created = create_event(&app, &sam, &group, seed["input"].clone()).await;
    let id = created["id"].as_str().unwrap();
    // The partner networks are invited; each becomes a host when its admin accepts.
    let invited = "query($id:ID!){ event(id:$id){ hosts { handle } invitedHosts { handle } } }";
    let v = app.ok(invited, json!({"id": id}), None).await;
    assert_eq!(v["event"]["hosts"], json!([{"handle": "school_of_system_change"}]));
    assert_eq!(v["event"]["invitedHosts"].as_array().unwrap().len(), co_hosts.len());
    let answer = "mutation($e:ID!,$g:ID!){ answerCoHostInvitation(eventId:$e, groupId:$g, accept:true){ id } }";
    for g in &co_host_ids {
        app.ok(answer, json!({"e": id, "g": g}), Some(&partner.access)).await;
    }
    let e = event(&app, id, Some(&grace)).await;
    assert_eq!(e["timezone"], "Europe/London");
    assert_eq!(e["startsAt"], "2030-04-11T09:00:00+00:00", "10am BST");
    assert_eq!(e["location"]["mode"], "IN_PERSON");
    assert_eq!(e["location"]["venue"], "Wesley Memorial, Main Hall");
    assert_eq!(e["location"]["city"], "Oxford");
    let hosts: Vec<&str> = e["hosts"].as_array().unwrap().iter().map(|h| h["handle"].as_str().unwrap()).collect();
    assert_eq!(hosts.len(), 7);
    assert_eq!(hosts[0], "school_of_system_change");
    assert_eq!(hosts[1..], co_hosts.iter().map(|h| h.as_str().unwrap()).collect::<Vec<_>>()[..]);
    assert_eq!(e["externalRegistrationUrl"], seed["input"]["externalRegistrationUrl"]);
    // Sold out on the festival site: only the seats the hosts hold are left.
    assert_eq!(
        (e["seatsLeft"].as_i64(), e["soldOut"].as_bool(), e["heldSeats"].as_i64()),
        (Some(0), Some(true), Some(8))
    );
    // ActivityPub clients get the Mobilizon-shaped Event at the same URL; its summary carries
    // the readable date, time and place, which is what Mastodon shows.
    let ap = app
        .client
        .get(format!("{}/events/{id}", app.address))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert!(ap.headers()["content-type"].to_str().unwrap().starts_with("application/activity+json"));
    let ap: Value = ap.json().await.unwrap();
    assert_eq!(ap["type"], "Event");
    assert_eq!(ap["id"], e["url"]);
    assert_eq!(ap["name"], e["title"]);
    assert_eq!(ap["startTime"], "2030-04-11T09:00:00+00:00");
    assert_eq!(ap["timezone"], "Europe/London");
    assert_eq!(ap["location"]["type"], "Place");
    assert_eq!(ap["location"]["address"]["addressLocality"], "Oxford");
    assert_eq!(ap["joinMode"], "restricted");
    assert_eq!(ap["remainingAttendeeCapacity"], 0);
    assert_eq!(ap["attributedTo"], format!("{}/groups/school_of_system_change", app.state.base_url()));
    let summary = ap["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Thursday, 11 April 2030, 10:00–13:00 BST · Wesley Memorial, Main Hall, Oxford"),
        "{summary}"
    );
    // A co-host's page lists the event too.
    let v = app.ok("{ group(handle:\"norrag\"){ events { edges { node { id } } } } }", json!({}), None).await;
    assert_eq!(v["group"]["events"]["edges"][0]["node"]["id"], id);

    // People let the hosts know they plan to join.
    let r = app
        .ok(
            "mutation($id:ID!,$m:String){ rsvp(eventId:$id, message:$m){ id status message } }",
            json!({"id": id, "m": "I work with parliamentarians."}),
            Some(&grace.access),
        )
        .await["rsvp"]
        .clone();
    assert_eq!(r["status"], "REQUESTED");
    let liam_r = rsvp(&app, id, &liam).await;
    assert_eq!(liam_r["status"], "REQUESTED");
    // Hosts see the requests; others see none.
    assert_eq!(event(&app, id, Some(&sam)).await["requestCount"], 2);
    assert_eq!(event(&app, id, Some(&grace)).await["requestCount"], 0);
    let regs = "query($id:ID!){ event(id:$id){ registrations(status: REQUESTED){ totalCount edges { node { message member { username } } } } } }";
    let v = app.ok(regs, json!({"id": id}), Some(&sam.access)).await;
    assert_eq!(v["event"]["registrations"]["totalCount"], 2);
    assert_eq!(v["event"]["registrations"]["edges"][0]["node"]["message"], "I work with parliamentarians.");
    // Others get null (a shared event fragment still works for them).
    let v = app.ok(regs, json!({"id": id}), Some(&grace.access)).await;
    assert_eq!(v["event"]["registrations"], Value::Null);
    // Only hosts answer requests.
    let review = "mutation($r:ID!,$g:Boolean!){ reviewSeatRequest(registrationId:$r, grant:$g){ status } }";
    let v = app.gql(review, json!({"r": r["id"], "g": true}), Some(&grace.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");
    let v = app.ok(review, json!({"r": r["id"], "g": true}), Some(&sam.access)).await;
    assert_eq!(v["reviewSeatRequest"]["status"], "GOING");
    let v = app.ok(review, json!({"r": liam_r["id"], "g": false}), Some(&sam.access)).await;
    assert_eq!(v["reviewSeatRequest"]["status"], "DECLINED");
    let v = app.gql(review, json!({"r": liam_r["id"], "g": true}), Some(&sam.access)).await;
    assert_eq!(code(&v), "CONFLICT", "answered once");
    let e = event(&app, id, Some(&grace)).await;
    assert_eq!((e["heldSeats"].as_i64(), e["seatsTaken"].as_i64()), (Some(7), Some(1)));
    assert_eq!(e["myRegistration"]["status"], "GOING");
}

#[tokio::test]
async fn the_waitlist_is_promoted_in_order() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    let mut people = Vec::new();
    for n in ["amy", "ben", "cat", "dan", "eve"] {
        people.push(app.register(n).await);
    }
    let e = create_event(&app, &host, &group, small(2, 0)).await;
    let id = e["id"].as_str().unwrap();
    assert_eq!(rsvp(&app, id, &people[0]).await["status"], "GOING");
    assert_eq!(rsvp(&app, id, &people[1]).await["status"], "GOING");
    let cat = rsvp(&app, id, &people[2]).await;
    assert_eq!((cat["status"].as_str(), cat["waitlistPosition"].as_i64()), (Some("WAITLISTED"), Some(1)));
    let dan = rsvp(&app, id, &people[3]).await;
    assert_eq!(dan["waitlistPosition"], 2);
    // Registering again answers the same registration.
    assert_eq!(rsvp(&app, id, &people[3]).await["id"], dan["id"]);
    // Amy cancels: Cat takes her seat, Dan moves up.
    let v = app
        .ok("mutation($id:ID!){ cancelRsvp(eventId:$id){ status } }", json!({"id": id}), Some(&people[0].access))
        .await;
    assert_eq!(v["cancelRsvp"]["status"], "CANCELLED");
    assert_eq!(event(&app, id, Some(&people[2])).await["myRegistration"]["status"], "GOING");
    let mine = event(&app, id, Some(&people[3])).await["myRegistration"].clone();
    assert_eq!((mine["status"].as_str(), mine["waitlistPosition"].as_i64()), (Some("WAITLISTED"), Some(1)));
    // Hosts add a seat and hold one back: no seat opens; Eve's request waits for the hosts.
    let update = "mutation($id:ID!,$c:Int,$h:Int){ updateEvent(id:$id, input:{capacity:$c, heldSeats:$h}){ seatsLeft heldSeats waitlistCount } }";
    let v = app.ok(update, json!({"id": id, "c": 3, "h": 1}), Some(&host.access)).await;
    assert_eq!(v["updateEvent"], json!({"seatsLeft": 0, "heldSeats": 1, "waitlistCount": 1}));
    assert_eq!(rsvp(&app, id, &people[4]).await["status"], "REQUESTED");
    // Releasing the held seat promotes the waitlist.
    let v = app.ok(update, json!({"id": id, "c": 3, "h": 0}), Some(&host.access)).await;
    assert_eq!(v["updateEvent"], json!({"seatsLeft": 0, "heldSeats": 0, "waitlistCount": 0}));
    assert_eq!(event(&app, id, Some(&people[3])).await["myRegistration"]["status"], "GOING");
    // The capacity cannot drop below the seats taken.
    let v = app.gql(update, json!({"id": id, "c": 2, "h": 0}), Some(&host.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT");
    assert_eq!(v["errors"][0]["extensions"]["field"], "capacity");
    // A member who deletes their account gives their seat to the waitlist: Eve's request
    // aside, Dan (GOING) leaves, and nobody is waiting, so a seat opens.
    let del = "mutation($p:String!){ deleteAccount(password:$p) }";
    app.ok(del, json!({"p": "correct horse battery"}), Some(&people[3].access)).await;
    let v = event(&app, id, Some(&host)).await;
    assert_eq!((v["seatsTaken"].as_i64(), v["seatsLeft"].as_i64()), (Some(2), Some(1)));
    // Without a waitlist a full event refuses.
    let e2 = create_event(
        &app,
        &host,
        &group,
        json!({
            "title": "Tiny", "timezone": "UTC", "waitlist": false, "capacity": 1,
            "sessions": [{ "startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T10:00:00Z" }],
            "location": { "mode": "ONLINE" }
        }),
    )
    .await;
    let id2 = e2["id"].as_str().unwrap();
    assert_eq!(rsvp(&app, id2, &people[0]).await["status"], "GOING");
    assert_eq!(code(&rsvp(&app, id2, &people[1]).await), "CONFLICT");
}

#[tokio::test]
async fn closed_and_cancelled_events_refuse_registrations() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let amy = app.register("amy").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    let mut closed = small(10, 0);
    closed["registrationClosesAt"] = json!("2020-01-01T00:00:00Z");
    let e = create_event(&app, &host, &group, closed).await;
    let v = rsvp(&app, e["id"].as_str().unwrap(), &amy).await;
    assert_eq!(code(&v), "CONFLICT");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("closed"));

    let e = create_event(&app, &host, &group, small(10, 0)).await;
    let id = e["id"].as_str().unwrap();
    let v = app
        .gql(
            "mutation($id:ID!){ cancelEvent(id:$id, reason:\"venue flooded\"){ status } }",
            json!({"id": id}),
            Some(&amy.access),
        )
        .await;
    assert_eq!(code(&v), "FORBIDDEN");
    let v = app
        .ok(
            "mutation($id:ID!){ cancelEvent(id:$id, reason:\"venue flooded\"){ status } }",
            json!({"id": id}),
            Some(&host.access),
        )
        .await;
    assert_eq!(v["cancelEvent"]["status"], "CANCELLED");
    let v = rsvp(&app, id, &amy).await;
    assert_eq!(code(&v), "CONFLICT");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("cancelled"));
}

#[tokio::test]
async fn bad_times_name_their_field() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    let q = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }";
    let cases = [
        (json!({"timezone": "Mars/Olympus"}), "timezone"),
        (json!({"sessions": []}), "sessions"),
        (json!({"sessions": [{ "startsAt": "2031-05-01T10:00:00Z", "endsAt": "2031-05-01T09:00:00Z" }]}), "sessions"),
        (json!({"sessions": [{ "startsAt": "2031-05-01T10:00:00Z", "endsAt": "2031-05-01T10:00:00Z" }]}), "sessions"),
        (
            json!({"sessions": [
                { "startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T11:00:00Z" },
                { "startsAt": "2031-05-01T10:00:00Z", "endsAt": "2031-05-01T12:00:00Z" }
            ]}),
            "sessions",
        ),
        (json!({"price": {"amount": "12,50", "currency": "EUR"}}), "price"),
        (json!({"heldSeats": 11}), "capacity"),
        (json!({"location": {"mode": "ONLINE", "onlineUrl": "javascript:alert(1)"}}), "location"),
    ];
    for (change, field) in cases {
        let mut input = small(10, 0);
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        input["groupId"] = json!(group);
        let v = app.gql(q, json!({"input": input}), Some(&host.access)).await;
        assert_eq!(code(&v), "BAD_USER_INPUT", "{change}: {v}");
        assert_eq!(v["errors"][0]["extensions"]["field"], field, "{change}");
    }
    let v = app.ok("{ events { totalCount } }", json!({}), Some(&host.access)).await;
    assert_eq!(v["events"]["totalCount"], 0, "nothing half-written");
}

#[tokio::test]
async fn visibility_drafts_members_and_unlisted() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let member = app.register("member").await;
    let outsider = app.register("outsider").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    app.ok("mutation($g:ID!){ joinGroup(groupId:$g){ role } }", json!({"g": group}), Some(&member.access)).await;
    let mut ids = Vec::new();
    for (status, visibility) in
        [("DRAFT", "PUBLIC"), ("PUBLISHED", "MEMBERS"), ("PUBLISHED", "UNLISTED"), ("PUBLISHED", "PUBLIC")]
    {
        let mut input = small(10, 0);
        input["status"] = json!(status);
        input["visibility"] = json!(visibility);
        ids.push(create_event(&app, &host, &group, input).await["id"].as_str().unwrap().to_string());
    }
    let seen = |who: Option<&Account>| {
        let token = who.map(|a| a.access.clone());
        let app = &app;
        async move {
            let v = app.ok("{ events(first: 50) { edges { node { id } } } }", json!({}), token.as_deref()).await;
            v["events"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let (draft, members_only, unlisted, public) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    assert_eq!(seen(None).await, vec![public.clone()]);
    assert_eq!(seen(Some(&outsider)).await, vec![public.clone()]);
    assert_eq!(seen(Some(&member)).await, vec![members_only.clone(), public.clone()]);
    assert_eq!(seen(Some(&host)).await, vec![draft.clone(), members_only.clone(), public.clone()]);
    for (id, anonymous, outsider_sees, member_sees) in [
        (draft, false, false, false),
        (members_only, false, false, true),
        (unlisted, true, true, true),
        (public, true, true, true),
    ] {
        assert_eq!(!event(&app, id, None).await.is_null(), anonymous, "{id} anonymous");
        assert_eq!(!event(&app, id, Some(&outsider)).await.is_null(), outsider_sees, "{id} outsider");
        assert_eq!(!event(&app, id, Some(&member)).await.is_null(), member_sees, "{id} member");
        assert!(!event(&app, id, Some(&host)).await.is_null());
    }
    // A hidden event cannot be registered for either.
    assert_eq!(code(&rsvp(&app, draft, &member).await), "NOT_FOUND");
    // Its page and calendar are not there for the public.
    let status = app.client.get(format!("{}/events/{draft}", app.address)).send().await.unwrap().status();
    assert_eq!(status.as_u16(), 404);
}

#[tokio::test]
async fn the_online_link_is_for_going_registrants_and_hosts_and_attendance_needs_five() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    let e = create_event(&app, &host, &group, small(5, 0)).await;
    let id = e["id"].as_str().unwrap();
    let mut people = Vec::new();
    for (n, country) in
        ["amy", "ben", "cat", "dan", "eve", "fay"].iter().zip(["Canada", "Canada", "Chile", "Kenya", "Kenya", "Kenya"])
    {
        let a = app.register(n).await;
        app.ok(
            "mutation($c:String!){ updateProfile(input:{country:$c, sector: FUNDER}){ id } }",
            json!({"c": country}),
            Some(&a.access),
        )
        .await;
        people.push(a);
    }
    let url = |v: &Value| v["location"]["onlineUrl"].clone();
    assert!(url(&event(&app, id, Some(&people[0])).await).is_null(), "not registered");
    for p in &people[..4] {
        rsvp(&app, id, p).await;
    }
    assert_eq!(url(&event(&app, id, Some(&people[0])).await), "https://meet.example.org/circle");
    assert!(event(&app, id, None).await["attendance"].is_null(), "four going: no breakdown");
    rsvp(&app, id, &people[4]).await;
    assert_eq!(rsvp(&app, id, &people[5]).await["status"], "WAITLISTED");
    assert!(url(&event(&app, id, Some(&people[5])).await).is_null(), "waitlisted");
    let a = event(&app, id, None).await["attendance"].clone();
    assert_eq!(a["going"], 5);
    assert_eq!(a["byCountry"], json!([{"key": "OTHER", "count": 5}]), "no country of fewer than five is named");
    assert_eq!(a["bySector"], json!([{"key": "FUNDER", "count": 5}]));
    assert!(!a.to_string().contains("amy"), "never names anyone");
}

#[tokio::test]
async fn concurrent_rsvps_never_oversell() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    let e = create_event(&app, &host, &group, small(20, 0)).await;
    let id = e["id"].as_str().unwrap().to_string();
    let hash = weave::auth::hash_password("irrelevant password".into()).await.unwrap();
    let mut tokens = Vec::new();
    for n in 0..200 {
        let name = format!("person{n:03}");
        let m = weave::domain::members::create_demo_member(
            &app.state,
            weave::domain::members::DemoAccount {
                username: &name,
                display_name: &name,
                organization: None,
                country: None,
                sector: None,
                bio: None,
                password_hash: hash.clone(),
                is_admin: false,
            },
        )
        .await
        .unwrap();
        tokens.push(app.state.jwt.issue(m.id).unwrap());
    }
    let sends = tokens
        .iter()
        .map(|t| app.gql("mutation($id:ID!){ rsvp(eventId:$id){ status } }", json!({"id": id}), Some(t.as_str())));
    let answers = futures_util::future::join_all(sends).await;
    let status = |s: &str| answers.iter().filter(|a| a["data"]["rsvp"]["status"] == s).count();
    assert_eq!(
        (status("GOING"), status("WAITLISTED")),
        (20, 180),
        "{:?}",
        answers.iter().find(|a| a.get("errors").is_some())
    );
    let e = event(&app, &id, Some(&host)).await;
    assert_eq!(
        (e["seatsTaken"].as_i64(), e["waitlistCount"].as_i64(), e["seatsLeft"].as_i64()),
        (Some(20), Some(180), Some(0))
    );
}

fn parse_ics(body: &str) -> ical::parser::ical::component::IcalCalendar {
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(body.as_bytes()));
    let cal = calendars.next().expect("one calendar").expect("valid iCalendar");
    assert!(calendars.next().is_none());
    cal
}

fn prop<'a>(props: &'a [ical::property::Property], name: &str) -> &'a ical::property::Property {
    props.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no {name}"))
}

#[tokio::test]
async fn calendars_parse_with_a_third_party_parser() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    app.register("rachel").await;
    app.register("tatiana").await;
    let group = create_group(&app, &ann, "systems_sanctuary", "The Systems Sanctuary").await;
    let e = create_event(&app, &ann, &group, seed(0)["input"].clone()).await;
    let id = e["id"].as_str().unwrap();
    let get = |url: String| {
        let client = app.client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
            r.text().await.unwrap()
        }
    };
    let body = get(format!("{}/events/{id}.ics", app.address)).await;
    assert!(body.lines().all(|l| l.len() <= 76), "folded lines");
    let cal = parse_ics(&body);
    assert_eq!(cal.timezones.len(), 1);
    assert_eq!(prop(&cal.timezones[0].properties, "TZID").value.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(cal.events.len(), 2, "one VEVENT per session");
    let first = &cal.events[0].properties;
    let start = prop(first, "DTSTART");
    assert_eq!(start.value.as_deref(), Some("20300919T090000"), "9am local");
    assert_eq!(start.params.as_ref().unwrap()[0], ("TZID".to_string(), vec!["America/Los_Angeles".to_string()]));
    assert_eq!(prop(first, "STATUS").value.as_deref(), Some("CONFIRMED"));
    assert_eq!(prop(first, "SEQUENCE").value.as_deref(), Some("0"));
    let uid = prop(first, "UID").value.clone();
    assert!(!body.contains("meet.systemsanctuary"), "no online link in public feeds");

    // A change bumps SEQUENCE and keeps the UID; cancelling marks it CANCELLED.
    app.ok(
        "mutation($id:ID!){ updateEvent(id:$id, input:{title:\"Renamed\"}){ id } }",
        json!({"id": id}),
        Some(&ann.access),
    )
    .await;
    app.ok("mutation($id:ID!){ cancelEvent(id:$id){ id } }", json!({"id": id}), Some(&ann.access)).await;
    let cal = parse_ics(&get(format!("{}/events/{id}.ics", app.address)).await);
    let first = &cal.events[0].properties;
    assert_eq!(prop(first, "UID").value, uid);
    assert_eq!(prop(first, "SEQUENCE").value.as_deref(), Some("2"));
    assert_eq!(prop(first, "STATUS").value.as_deref(), Some("CANCELLED"));

    // The group's feed.
    let cal = parse_ics(&get(format!("{}/groups/systems_sanctuary/events.ics", app.address)).await);
    assert_eq!(cal.events.len(), 2);
}

#[tokio::test]
async fn the_personal_calendar_lists_going_events_and_rotates() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let amy = app.register("amy").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    let e = create_event(&app, &host, &group, small(5, 0)).await;
    let _other = create_event(&app, &host, &group, small(5, 0)).await;
    rsvp(&app, e["id"].as_str().unwrap(), &amy).await;
    let me = "{ me { calendarUrl } }";
    let url = app.ok(me, json!({}), Some(&amy.access)).await["me"]["calendarUrl"].as_str().unwrap().to_string();
    assert_eq!(app.ok(me, json!({}), Some(&amy.access)).await["me"]["calendarUrl"], url.as_str(), "stable");
    let v = app.ok("{ member(handle:\"amy\"){ calendarUrl } }", json!({}), Some(&host.access)).await;
    assert!(v["member"]["calendarUrl"].is_null(), "only for the member themself");
    let local = url.replacen(&app.state.base_url(), &app.address, 1);
    let body = app.client.get(&local).send().await.unwrap().text().await.unwrap();
    let cal = parse_ics(&body);
    assert_eq!(cal.events.len(), 1);
    assert!(body.contains("meet.example.org/circle"), "the registrant's own feed has the link");
    let v = app.ok("mutation { rotateCalendarUrl }", json!({}), Some(&amy.access)).await;
    assert_ne!(v["rotateCalendarUrl"], url.as_str());
    assert_eq!(app.client.get(&local).send().await.unwrap().status().as_u16(), 404, "the old address stops working");
}

#[tokio::test]
async fn the_demo_loads_into_an_empty_database_only() {
    let app = spawn_app().await;
    let loaded = weave::demo::load(&app.state, &app.federation).await.unwrap();
    assert_eq!(loaded, weave::demo::Loaded { members: 10, groups: 8, events: 2 });
    let v = app
        .ok(
            "{ events { totalCount edges { node { title seatsTaken heldSeats attendance { going } } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(v["events"]["totalCount"], 2);
    let marmalade = &v["events"]["edges"][0]["node"];
    assert!(marmalade["title"].as_str().unwrap().starts_with("Marmalade Festival Session"));
    assert_eq!((marmalade["seatsTaken"].as_i64(), marmalade["heldSeats"].as_i64()), (Some(1), Some(7)));
    assert_eq!(v["events"]["edges"][1]["node"]["attendance"]["going"], 6);
    // Demo accounts sign in.
    let rachel = app.login("rachel", "weave demo password").await;
    // The seed course's practice: two questions with their evidence, reflections after both
    // events, a harvest with themes and actions, and a report with content.
    let v = app
        .ok(
            "{ learningQuestions(groupHandle: \"systems_sanctuary\") { edges { node { title evidenceCount owner { username } } } }
               harvests(groupHandle: \"systems_sanctuary\") { edges { node { title themes { name } actions { title } } } }
               reflections { totalCount } }",
            json!({}),
            Some(&rachel.access),
        )
        .await;
    assert_eq!(
        v["learningQuestions"]["edges"],
        json!([
            {"node": {"title": "How are we doing at DEI?", "evidenceCount": 2, "owner": {"username": "rachel"}}},
            {"node": {"title": "Is our strategy really systemic?", "evidenceCount": 1, "owner": {"username": "ann"}}},
        ])
    );
    assert_eq!(v["reflections"]["totalCount"], 5);
    let harvest = &v["harvests"]["edges"][0]["node"];
    assert_eq!(harvest["themes"], json!([{"name": "Who gets heard"}, {"name": "Rhythm over events"}]));
    assert_eq!(harvest["actions"].as_array().unwrap().len(), 2);
    let anonymous = app.ok("{ reflections { totalCount } }", json!({}), None).await;
    assert_eq!(
        anonymous["reflections"]["totalCount"], 3,
        "the PUBLIC ones: on the public question and after the festival"
    );
    let report = app
        .client
        .get(format!(
            "{}/groups/systems_sanctuary/report?format=json&from=2030-01-01T00:00:00Z&to=2031-01-01T00:00:00Z",
            app.address
        ))
        .bearer_auth(&rachel.access)
        .send()
        .await
        .unwrap();
    let report: Value = report.json().await.unwrap();
    assert_eq!(report["events"][0]["going"], 6);
    assert_eq!(report["harvests"][0]["actions"][0]["owner"], "Rachel");
    // A second load is refused and changes nothing.
    assert!(matches!(weave::demo::load(&app.state, &app.federation).await, Err(weave::demo::DemoError::NotEmpty)));
    let v = app.ok("{ events { totalCount } }", json!({}), None).await;
    assert_eq!(v["events"]["totalCount"], 2);
}

/// Opens a graphql-transport-ws connection as `who` and subscribes to `eventChanged`.
async fn subscribe_event(app: &TestApp, who: &Account, event_id: &str) -> Socket {
    let query = "subscription($id: ID!) { eventChanged(eventId: $id) { id seatsTaken seatsLeft status myRegistration { status } } }";
    subscribe(app, who, query, json!({"id": event_id})).await
}

#[tokio::test]
async fn subscribers_see_seat_changes_made_by_others() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let amy = app.register("amy").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    let e = create_event(&app, &host, &group, small(5, 0)).await;
    let id = e["id"].as_str().unwrap();
    let mut ws = subscribe_event(&app, &host, id).await;
    // Give the subscription a moment to be registered before the change.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(rsvp(&app, id, &amy).await["status"], "GOING");
    let msg = next_message(&mut ws).await;
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(msg["payload"]["data"]["eventChanged"]["seatsTaken"], 1);
    assert_eq!(msg["payload"]["data"]["eventChanged"]["seatsLeft"], 4);
    // Details and status too.
    app.ok("mutation($id:ID!){ cancelEvent(id:$id){ id } }", json!({"id": id}), Some(&host.access)).await;
    let msg = next_message(&mut ws).await;
    assert_eq!(msg["payload"]["data"]["eventChanged"]["status"], "CANCELLED");
    // A hidden event cannot be subscribed to.
    let mut draft = small(5, 0);
    draft["status"] = json!("DRAFT");
    let d = create_event(&app, &host, &group, draft).await;
    let mut ws = subscribe_event(&app, &amy, d["id"].as_str().unwrap()).await;
    let msg = next_message(&mut ws).await;
    assert_eq!(msg["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND", "{msg}");
    assert!(msg["payload"]["data"].is_null());
}

#[tokio::test]
async fn subscribers_on_one_replica_see_changes_made_on_another() {
    let app = spawn_app().await;
    if app.state.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        // Replicas share one PostgreSQL database; SQLite is a single process's.
        return;
    }
    let other = app.replica().await;
    let host = app.register("host").await;
    let amy = app.register("amy").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    let e = create_event(&app, &host, &group, small(5, 0)).await;
    let id = e["id"].as_str().unwrap();
    let mut ws = subscribe_event(&app, &host, id).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Amy registers through the other replica.
    assert_eq!(rsvp(&other, id, &amy).await["status"], "GOING");
    let msg = next_message(&mut ws).await;
    assert_eq!(msg["payload"]["data"]["eventChanged"]["seatsTaken"], 1, "{msg}");
}

/// Statements the server runs for one GraphQL request, at the data version as it is.
async fn statements_now(app: &TestApp, query: &str, token: Option<&str>) -> (u64, Value) {
    let before = app.state.statements.get();
    let v = app.ok(query, json!({}), token).await;
    (app.state.statements.get() - before, v)
}

/// Statements the server runs for one GraphQL request, at a new data version (so none of its
/// rows come from an earlier request's: `domain::shared_rows`).
async fn statements_for(app: &TestApp, query: &str, token: Option<&str>) -> (u64, Value) {
    app.new_data_version().await;
    let before = app.state.statements.get();
    let v = app.ok(query, json!({}), token).await;
    (app.state.statements.get() - before, v)
}

#[tokio::test]
async fn an_events_page_runs_a_fixed_number_of_statements() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let amy = app.register("amy").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    create_group(&app, &host, "partner", "Partner").await;
    for n in 0..50 {
        let mut input = small(10, 0);
        input["title"] = json!(format!("Circle {n}"));
        input["coHosts"] = json!(["partner"]);
        let e = create_event(&app, &host, &group, input).await;
        if n % 2 == 0 {
            rsvp(&app, e["id"].as_str().unwrap(), &amy).await;
        }
    }
    let page = |first: usize| {
        format!(
            "{{ events(first: {first}) {{ totalCount edges {{ node {{ id title startsAt sessions {{ startsAt endsAt }}
               seatsTaken seatsLeft soldOut group {{ handle name }} organizer {{ username }}
               hosts {{ handle }} myRegistration {{ status }} location {{ mode onlineUrl }} }} }} }} }}"
        )
    };
    for token in [None, Some(amy.access.as_str()), Some(host.access.as_str())] {
        let (small_page, v) = statements_for(&app, &page(5), token).await;
        assert_eq!(v["events"]["edges"].as_array().unwrap().len(), 5);
        let (full_page, v) = statements_for(&app, &page(50), token).await;
        assert_eq!(v["events"]["edges"].as_array().unwrap().len(), 50);
        assert_eq!(v["events"]["edges"][0]["node"]["hosts"], json!([{"handle": "circle"}, {"handle": "partner"}]));
        assert_eq!(small_page, full_page, "the statement count does not grow with the page ({token:?})");
        // Viewer, COUNT, the page's ids, their rows, hosts (with their groups), organisers,
        // registrations, roles.
        assert!((1..=8).contains(&full_page), "{full_page} statements ({token:?})");
    }
    // The contract's page: group, organizer, hosts, sessions, seats and myRegistration.
    let contract = "{ events(first: 50) { totalCount edges { node { id group { handle } organizer { username }
        hosts { handle } sessions { startsAt } seatsLeft soldOut myRegistration { status } } } } }";
    let (n, _) = statements_for(&app, contract, Some(&amy.access)).await;
    assert!((1..=7).contains(&n), "{n} statements");
    // Once its rows are kept (`domain::shared_rows`), another member's page reads the count,
    // the ids and their own registrations.
    let (n, v) = statements_now(&app, contract, Some(&host.access)).await;
    assert_eq!(v["events"]["edges"].as_array().unwrap().len(), 50);
    assert!((1..=4).contains(&n), "{n} statements");
    // The side-by-side benchmark's events page fits the cost budget.
    let bench = "query EventsPage { events(first: 50) { totalCount pageInfo { hasNextPage endCursor }
        edges { node { id title timezone startsAt endsAt status sessions { startsAt endsAt }
        location { mode venue city } group { handle name } organizer { handle displayName }
        hosts { handle name } capacity seatsTaken seatsLeft soldOut waitlistCount url } } } }";
    let (n, v) = statements_for(&app, bench, None).await;
    assert_eq!(v["events"]["edges"].as_array().unwrap().len(), 50);
    assert!((1..=5).contains(&n), "{n} statements");
    // Without totalCount there is no COUNT: the ids, then their rows.
    let (without, _) = statements_for(&app, "{ events(first: 50) { edges { node { id } } } }", None).await;
    assert_eq!(without, 2);
}

/// Rows that read the same whoever asks (members, groups, an event's hosts) are kept between
/// queries while the tables they were read from are unchanged: another member's next page
/// reads them from memory, also after a reply. A change to them is seen at once.
#[tokio::test]
async fn queries_share_rows_that_read_the_same_whoever_asks_until_the_data_changes() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let amy = app.register("amy").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    for n in 0..5 {
        let mut input = small(10, 0);
        input["title"] = json!(format!("Circle {n}"));
        create_event(&app, &host, &group, input).await;
    }
    let page = "{ events(first: 5) { edges { node { id organizer { displayName } hosts { handle name } } } } }";
    // Amy's page reads her own row, the events, their hosts and their organiser.
    let (first, _) = statements_for(&app, page, Some(&amy.access)).await;
    assert!(first >= 4, "{first} statements");
    // The host's page (the host is the organiser, so their row is kept too) reads the events.
    let before = app.state.statements.get();
    let v = app.ok(page, json!({}), Some(&host.access)).await;
    let second = app.state.statements.get() - before;
    assert_eq!(second, 1, "only the page's ids are read again");
    assert_eq!(v["events"]["edges"][4]["node"]["hosts"], json!([{"handle": "circle", "name": "Circle"}]));
    // A discussion changes none of the tables those rows were read from: they stay.
    let t = start_thread(&app, &host, &group).await;
    app.ok(
        "mutation($i: ReplyInput!) { reply(input: $i) { id } }",
        json!({"i": {"threadId": t, "body": "Seats."}}),
        Some(&host.access),
    )
    .await;
    let before = app.state.statements.get();
    app.ok(page, json!({}), Some(&amy.access)).await;
    assert_eq!(app.state.statements.get() - before, 1, "a reply retired the kept rows");
    // A change is seen at once, by everyone.
    app.ok(
        r#"mutation { updateProfile(input: {displayName: "Hostess"}) { displayName } }"#,
        json!({}),
        Some(&host.access),
    )
    .await;
    let v = app.ok(page, json!({}), Some(&amy.access)).await;
    assert_eq!(v["events"]["edges"][0]["node"]["organizer"]["displayName"], "Hostess");
    // An event's own change (its rows are kept too), and a cancelled event's status.
    let first = v["events"]["edges"][0]["node"]["id"].clone();
    let rename = "mutation($id: ID!) { updateEvent(id: $id, input: {title: \"Renamed\"}) { title } }";
    app.ok(rename, json!({"id": first}), Some(&host.access)).await;
    app.ok("mutation($id: ID!) { cancelEvent(id: $id) { status } }", json!({"id": first}), Some(&host.access)).await;
    let q = "{ events(first: 5) { edges { node { id title status } } } }";
    let v = app.ok(q, json!({}), Some(&amy.access)).await;
    assert_eq!(v["events"]["edges"][0]["node"], json!({"id": first, "title": "Renamed", "status": "CANCELLED"}));
    // A suspension too: the suspended member's next query is refused, kept row or not.
    let admin = app.admin("boss").await;
    app.ok("mutation($id: ID!) { suspendMember(memberId: $id) { id } }", json!({"id": amy.id}), Some(&admin.access))
        .await;
    let v = app.gql(page, json!({}), Some(&amy.access)).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{v}");
}

#[tokio::test]
async fn an_events_page_loads_the_invited_co_hosts_of_all_its_events_at_once() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let pat = app.register("pat").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    create_group(&app, &host, "partner", "Partner").await;
    // Pat's groups are invited: they co-host once Pat accepts.
    create_group(&app, &pat, "invited", "Invited").await;
    create_group(&app, &pat, "later", "Later").await;
    for n in 0..12 {
        let mut input = small(10, 0);
        input["title"] = json!(format!("Circle {n}"));
        input["coHosts"] = json!(["partner", "invited", "later"]);
        create_event(&app, &host, &group, input).await;
    }
    let page =
        |first: usize, fields: &str| format!("{{ events(first: {first}) {{ edges {{ node {{ id {fields} }} }} }} }}");
    let invited = json!([{"handle": "invited"}, {"handle": "later"}]);
    // Signed in, so that no answer comes from the anonymous cache.
    let (small_page, v) = statements_for(&app, &page(2, "invitedHosts { handle }"), Some(&pat.access)).await;
    assert_eq!(v["events"]["edges"].as_array().unwrap().len(), 2);
    let (full_page, v) = statements_for(&app, &page(12, "invitedHosts { handle }"), Some(&pat.access)).await;
    let edges = v["events"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 12);
    assert!(edges.iter().all(|e| e["node"]["invitedHosts"] == invited), "in the order invited: {v}");
    assert_eq!(small_page, full_page, "invitedHosts costs statements per event");
    // Viewer, the page's ids, their rows, and the host rows with their groups.
    assert!((1..=4).contains(&full_page), "{full_page} statements");
    // The hosts come with the invited groups, in the same statement.
    let (both, v) =
        statements_for(&app, &page(12, "hosts { handle } invitedHosts { handle }"), Some(&pat.access)).await;
    assert_eq!(v["events"]["edges"][11]["node"]["hosts"], json!([{"handle": "circle"}, {"handle": "partner"}]));
    assert_eq!(v["events"]["edges"][11]["node"]["invitedHosts"], invited);
    assert_eq!(both, full_page);
}

/// A thread opened by `who` in `group`: its id.
async fn start_thread(app: &TestApp, who: &Account, group: &str) -> Value {
    app.ok(
        "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
        json!({"i": {"groupId": group, "title": "Agenda", "body": "What should we cover?"}}),
        Some(&who.access),
    )
    .await["createThread"]["id"]
        .clone()
}

/// Every table has a change counter, so the response cache is on and sees every change.
#[tokio::test]
async fn every_table_has_a_change_counter() {
    let app = spawn_app().await;
    let untracked = migration::data_version::untracked(&app.state.db).await.unwrap();
    assert!(untracked.is_empty(), "tables without a counter: {untracked:?}");
    let tracked = migration::data_version::tracked(&app.state.db).await.unwrap();
    assert!(tracked.iter().any(|t| t == "post") && tracked.iter().any(|t| t == "event"), "{tracked:?}");
    assert!(app.state.data_version.is_some());
    // A counter whose trigger is gone (as when a migration makes a table again) counts as none.
    use sea_orm::ConnectionTrait as _;
    let drop = match app.state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "DROP TRIGGER data_version_post ON post",
        _ => "DROP TRIGGER data_version_post_u",
    };
    app.state.db.execute_unprepared(drop).await.unwrap();
    assert_eq!(migration::data_version::untracked(&app.state.db).await.unwrap(), vec!["post".to_string()]);
}

#[tokio::test]
async fn anonymous_answers_are_kept_only_while_the_data_is_unchanged() {
    let app = spawn_app().await;
    // A second instance on the same database: its writes come through another connection pool,
    // as those of another process or replica would.
    let other = app.replica().await;
    let host = app.register("host").await;
    let amy = app.register("amy").await;
    let group = create_group(&app, &host, "circle", "Circle").await;
    let page = "query Page { events(first: 10) { totalCount edges { node { title seatsTaken } } } }";

    let (first, v) = statements_now(&app, page, None).await;
    assert!(first > 0);
    assert_eq!(v["events"]["totalCount"], 0);
    let (again, same) = statements_now(&app, page, None).await;
    assert_eq!(same, v);
    assert_eq!(again, 0, "the unchanged answer is not computed again");
    // A signed-in viewer is never answered from the cache.
    let (signed_in, _) = statements_now(&app, page, Some(&host.access)).await;
    assert!(signed_in > 0);

    // Changes made on the other instance are seen at once.
    let e = create_event(&other, &host, &group, small(5, 0)).await;
    let (n, v) = statements_now(&app, page, None).await;
    assert!(n > 0);
    assert_eq!(v["events"]["totalCount"], 1, "{v}");
    statements_now(&app, page, None).await;

    // A discussion on the other instance changes no table the page read: it stays kept, while
    // the thread's own page shows the reply.
    let t = start_thread(&other, &host, &group).await;
    let posts = "query($t: ID!) { thread(id: $t) { posts(first: 10) { totalCount } } }";
    assert_eq!(app.ok(posts, json!({"t": t}), None).await["thread"]["posts"]["totalCount"], 1);
    other
        .ok(
            "mutation($i: ReplyInput!) { reply(input: $i) { id } }",
            json!({"i": {"threadId": t, "body": "Seats and waitlists."}}),
            Some(&host.access),
        )
        .await;
    let (n, same) = statements_now(&app, page, None).await;
    assert_eq!((n, &same["events"]["totalCount"]), (0, &json!(1)), "a reply retired the events page: {same}");
    assert_eq!(app.ok(posts, json!({"t": t}), None).await["thread"]["posts"]["totalCount"], 2, "the reply is seen");

    assert_eq!(rsvp(&other, e["id"].as_str().unwrap(), &amy).await["status"], "GOING");
    let v = app.ok(page, json!({}), None).await;
    assert_eq!(v["events"]["edges"][0]["node"]["seatsTaken"], 1, "{v}");

    // Nothing is kept for longer than a second, even when no data changes.
    app.ok(page, json!({}), None).await;
    tokio::time::sleep(weave::graphql::cache::MAX_AGE + std::time::Duration::from_millis(100)).await;
    let (n, _) = statements_now(&app, page, None).await;
    assert!(n > 0, "an answer older than a second is computed again");

    // Mutations are never kept, even anonymous ones: each login gets its own tokens.
    let login =
        "mutation { login(input: {usernameOrEmail: \"amy\", password: \"correct horse battery\"}) { refreshToken } }";
    let a = app.gql(login, json!({}), None).await;
    let b = app.gql(login, json!({}), None).await;
    assert!(a["data"]["login"]["refreshToken"].is_string(), "{a}");
    assert_ne!(a, b, "{a} {b}");
}

/// The events list shows each viewer what they may open: a co-hosting group's members see its
/// members-only events, its admins its drafts; before the co-host accepts, neither.
#[tokio::test]
async fn co_hosts_find_in_the_list_the_events_they_may_open() {
    let app = spawn_app().await;
    let host = app.register("host").await;
    let carol = app.register("carol").await;
    let mia = app.register("mia").await;
    let circle = create_group(&app, &host, "circle", "Circle").await;
    let partner = create_group(&app, &carol, "partner", "Partner").await;
    app.ok("mutation($g: ID!) { joinGroup(groupId: $g) { role } }", json!({"g": partner}), Some(&mia.access)).await;
    let mut ids = vec![];
    for (title, status) in [("Members only", "PUBLISHED"), ("Still a draft", "DRAFT")] {
        let mut input = small(10, 0);
        input["title"] = json!(title);
        input["visibility"] = json!("MEMBERS");
        input["status"] = json!(status);
        input["coHosts"] = json!(["partner"]);
        ids.push(create_event(&app, &host, &circle, input).await["id"].as_str().unwrap().to_string());
    }
    let listed = |who: &Account| {
        let token = who.access.clone();
        let app = &app;
        async move {
            let v = app.ok("{ events(first: 20) { edges { node { title } } } }", json!({}), Some(&token)).await;
            let mut titles: Vec<String> = v["events"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["title"].as_str().unwrap().to_string())
                .collect();
            titles.sort();
            titles
        }
    };
    let opened = |who: &Account, id: &str| {
        let token = who.access.clone();
        let id = id.to_string();
        let app = &app;
        async move {
            !app.ok("query($id: ID!) { event(id: $id) { id } }", json!({"id": id}), Some(&token)).await["event"]
                .is_null()
        }
    };
    // Invited only: nothing for the partner's people.
    assert!(listed(&carol).await.is_empty());
    assert!(listed(&mia).await.is_empty());
    let answer = "mutation($e: ID!, $g: ID!) { answerCoHostInvitation(eventId: $e, groupId: $g, accept: true) { id } }";
    for id in &ids {
        app.ok(answer, json!({"e": id, "g": partner}), Some(&carol.access)).await;
    }
    // Co-hosting: the list agrees with what each may open.
    assert_eq!(listed(&carol).await, vec!["Members only", "Still a draft"]);
    assert_eq!(listed(&mia).await, vec!["Members only"]);
    for who in [&carol, &mia] {
        let list = listed(who).await;
        for (id, title) in ids.iter().zip(["Members only", "Still a draft"]) {
            assert_eq!(opened(who, id).await, list.contains(&title.to_string()), "{title}");
        }
    }
    assert_eq!(listed(&host).await, vec!["Members only", "Still a draft"]);
}
