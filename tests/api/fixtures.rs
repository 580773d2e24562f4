//! Parse tests over documents shaped like those Mastodon and Mobilizon send (our own samples
//! in `tests/fixtures/`), and ingestion of remote actors from them.
use serde_json::Value;
use weave::ap::actor::ActorJson;
use weave::ap::inbound::Object;
use weave::domain::actors::{ActorSource, ApActor};
use weave::federation::activities::{Answer, Create, Inbound};

use crate::helpers::spawn_app;

/// What the inbox and remote look-ups do with a fetched actor document: the vocabulary's
/// checks, then the domain's upsert.
async fn upsert_remote(state: &weave::state::AppState, local_domain: &str, json: ActorJson) -> Result<ApActor, String> {
    let remote = json.into_remote(local_domain).map_err(|e| e.to_string())?;
    weave::domain::actors::upsert_remote(state, remote).await.map_err(|e| format!("{e:?}"))
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn actors_parse() {
    let person: ActorJson = serde_json::from_value(fixture("mastodon_person.json")).unwrap();
    assert_eq!(person.kind, "Person");
    assert_eq!(person.preferred_username, "Rosa");
    assert_eq!(person.endpoints.unwrap().shared_inbox.unwrap().as_str(), "https://social.example/inbox");
    assert_eq!(person.public_key.owner, person.id);
    assert_eq!(person.icon.unwrap().url.as_str(), "https://files.social.example/avatars/rosa.png");

    let group: ActorJson = serde_json::from_value(fixture("mobilizon_group.json")).unwrap();
    assert_eq!(group.kind, "Group");
    assert_eq!(group.manually_approves_followers, Some(true));
    assert_eq!(group.followers.unwrap().as_str(), "https://events.example/@learning_network/followers");
}

#[test]
fn activities_parse() {
    for (file, kind, object) in [
        ("mastodon_follow.json", "Follow", "https://weave.example/groups/community"),
        ("mastodon_undo_follow.json", "Undo", "https://social.example/3b1e8e6a-0c3e-4a4f-9f8c-1c2d3e4f5a6b"),
        (
            "mastodon_accept.json",
            "Accept",
            "https://weave.example/activities/follow/0193a1b2-0000-7000-8000-000000000001",
        ),
        (
            "mobilizon_accept_by_reference.json",
            "Accept",
            "https://weave.example/activities/follow/0193a1b2-0000-7000-8000-000000000002",
        ),
        ("mastodon_delete_actor.json", "Delete", "https://social.example/users/Rosa"),
        ("mastodon_delete_note_tombstone.json", "Delete", "https://social.example/users/Rosa/statuses/1"),
    ] {
        let a: Inbound = serde_json::from_value(fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(a.kind(), kind, "{file}");
        assert_eq!(a.object_id().unwrap().as_str(), object, "{file}");
    }
}

/// What a fixture parses into: an activity of one of the types the inbox takes, or an object.
#[derive(Debug, PartialEq, Eq)]
enum Typed {
    Follow,
    Accept(Option<&'static str>),
    Undo(&'static str),
    Create(&'static str),
    Delete(Option<&'static str>),
    Join,
    Text(&'static str),
    Event,
    Actor(&'static str),
    /// A report, with how many objects it names.
    Flag(usize),
}

fn kind_of(o: &Object) -> Option<&'static str> {
    // The types the fixtures hold, as static names.
    const NAMES: [&str; 7] = ["Follow", "Note", "Page", "Tombstone", "Person", "Group", "Event"];
    o.kind().and_then(|k| NAMES.iter().copied().find(|n| *n == k))
}

/// Every fixture parses into its typed form: activities into the variant the inbox handles
/// them with (their object typed as well), objects into the type we publish the same kind in.
#[test]
fn every_fixture_parses_into_its_typed_variant() {
    let expected = [
        ("lemmy_note.json", Typed::Text("Note")),
        ("lemmy_page.json", Typed::Text("Page")),
        ("mastodon_accept.json", Typed::Accept(Some("Follow"))),
        ("mastodon_create_reply.json", Typed::Create("Note")),
        ("mastodon_delete_actor.json", Typed::Delete(None)),
        ("mastodon_delete_note_tombstone.json", Typed::Delete(Some("Tombstone"))),
        ("mastodon_flag.json", Typed::Flag(2)),
        ("mastodon_follow.json", Typed::Follow),
        ("mastodon_person.json", Typed::Actor("Person")),
        ("mastodon_undo_follow.json", Typed::Undo("Follow")),
        ("mastodon_vote.json", Typed::Create("Note")),
        ("mobilizon_accept_by_reference.json", Typed::Accept(None)),
        ("mobilizon_event.json", Typed::Event),
        ("mobilizon_group.json", Typed::Actor("Group")),
        ("mobilizon_join.json", Typed::Join),
    ];
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    let named: Vec<&str> = expected.iter().map(|(f, _)| *f).collect();
    assert_eq!(files, named, "every fixture has its expected variant here");
    for (file, want) in expected {
        let doc = fixture(file);
        let typed = if doc.get("actor").is_some() && !matches!(want, Typed::Text(_) | Typed::Event) {
            match serde_json::from_value::<Inbound>(doc).unwrap_or_else(|e| panic!("{file}: {e}")) {
                Inbound::Follow(_) => Typed::Follow,
                Inbound::Answer(Answer { accepted: true, activity }) => Typed::Accept(kind_of(&activity.object)),
                Inbound::Undo(u) => Typed::Undo(kind_of(&u.0.object).unwrap_or("?")),
                Inbound::Create(Create(c)) => match &c.object {
                    Object::Text(_) => Typed::Create(kind_of(&c.object).unwrap_or("?")),
                    other => panic!("{file}: {other:?}"),
                },
                Inbound::Delete(d) => Typed::Delete(kind_of(&d.0.object)),
                Inbound::Join(_) => Typed::Join,
                Inbound::Flag(f) => Typed::Flag(f.0.object.len()),
                other => panic!("{file}: {other:?}"),
            }
        } else {
            match Object::read(doc) {
                o @ Object::Text(_) => Typed::Text(kind_of(&o).unwrap_or("?")),
                Object::Event(_) => Typed::Event,
                o @ Object::Actor(_) => Typed::Actor(kind_of(&o).unwrap_or("?")),
                other => panic!("{file}: {other:?}"),
            }
        };
        assert_eq!(typed, want, "{file}");
    }
}

/// Hostile variants of the fixtures are refused where the inbox refuses them: an activity
/// whose id or actor is not a web link does not parse at all (400); an object whose id is not
/// one is read as malformed (the activity that carries it answers 400); a link field that is
/// not one is not read.
#[test]
fn hostile_fixture_variants_are_refused() {
    use serde_json::json;
    for bad in HOSTILE_LINKS {
        for file in
            ["mastodon_follow.json", "mastodon_create_reply.json", "mobilizon_join.json", "mastodon_accept.json"]
        {
            for field in ["id", "actor"] {
                let mut doc = fixture(file);
                doc[field] = json!(bad);
                assert!(serde_json::from_value::<Inbound>(doc).is_err(), "{file} {field} = {bad}");
            }
        }
        let mut create = fixture("mastodon_create_reply.json");
        create["object"]["id"] = json!(bad);
        let Ok(Inbound::Create(Create(c))) = serde_json::from_value::<Inbound>(create) else { panic!("a Create") };
        assert!(matches!(c.object, Object::Malformed { id: None, .. }), "object id {bad}");
        let mut event = fixture("mobilizon_event.json");
        event["id"] = json!(bad);
        assert!(!matches!(Object::read(event), Object::Event(_) | Object::Text(_)), "event id {bad}");
        let mut person = fixture("mastodon_person.json");
        person["inbox"] = json!(bad);
        assert!(!matches!(Object::read(person), Object::Actor(_)), "inbox {bad}");
        let mut join = fixture("mobilizon_join.json");
        join["object"] = json!(bad);
        let Ok(join) = serde_json::from_value::<Inbound>(join) else { panic!("a Join") };
        assert!(join.object_id().is_none(), "Join object {bad}");
    }
    // Control characters are taken out of every string before anything reads it.
    let mut follow = fixture("mastodon_follow.json");
    follow["type"] = json!("Fol\u{0}low");
    assert_eq!(serde_json::from_value::<Inbound>(follow).unwrap().kind(), "Follow");
}

#[tokio::test]
async fn remote_actors_are_ingested_sanitised_and_upserted() {
    let app = spawn_app().await;
    let json: ActorJson = serde_json::from_value(fixture("mastodon_person.json")).unwrap();
    let actor = upsert_remote(&app.state, app.domain(), json.clone()).await.unwrap();
    let ActorSource::Member(m) = &actor.source else { panic!("a Person is a member") };
    assert_eq!(m.handle, "rosa@social.example");
    assert!(!m.local);
    assert!(m.bio.as_deref().unwrap().contains("DEI") && !m.bio.as_deref().unwrap().contains("<script"));
    assert_eq!(actor.row.shared_inbox_url.as_deref(), Some("https://social.example/inbox"));
    // Upserting again updates the same row.
    let mut renamed = json;
    renamed.name = Some("Rosa P.".into());
    let again = upsert_remote(&app.state, app.domain(), renamed).await.unwrap();
    assert_eq!(again.row_id, actor.row_id);
    let shown = app
        .ok("{ member(handle:\"rosa@social.example\"){ displayName local url } }", serde_json::json!({}), None)
        .await;
    assert_eq!(shown["member"]["displayName"], "Rosa P.");
    assert_eq!(shown["member"]["local"], false);

    let group: ActorJson = serde_json::from_value(fixture("mobilizon_group.json")).unwrap();
    let g = upsert_remote(&app.state, app.domain(), group).await.unwrap();
    assert!(matches!(g.source, ActorSource::Group(_)));
    let shown = app
        .ok("{ group(handle:\"learning_network@events.example\"){ name local } }", serde_json::json!({}), None)
        .await;
    assert_eq!(shown["group"]["name"], "Learning Network");

    // A shared inbox on another server is not believed (it would aim our deliveries there).
    let mut elsewhere: ActorJson = serde_json::from_value(fixture("mastodon_person.json")).unwrap();
    elsewhere.endpoints =
        serde_json::from_value(serde_json::json!({"sharedInbox": "https://victim.example/inbox"})).unwrap();
    let a = upsert_remote(&app.state, app.domain(), elsewhere).await.unwrap();
    assert!(a.shared_inbox.is_none());
    assert_eq!(a.delivery_inbox().as_str(), "https://social.example/users/Rosa/inbox");
    // Handles are made only of characters a handle can have.
    let mut odd: ActorJson = serde_json::from_value(fixture("mastodon_person.json")).unwrap();
    odd.preferred_username = "admin@bank.example".into();
    assert!(upsert_remote(&app.state, app.domain(), odd).await.is_err());
    // A Person does not turn into a Group under the same id.
    let mut turned: ActorJson = serde_json::from_value(fixture("mastodon_person.json")).unwrap();
    turned.kind = "Group".into();
    assert!(upsert_remote(&app.state, app.domain(), turned).await.is_err());

    // A document claiming to be one of ours is refused.
    let mut spoof: ActorJson = serde_json::from_value(fixture("mastodon_person.json")).unwrap();
    spoof.id = url::Url::parse(&format!("http://{}/members/alice", app.domain())).unwrap();
    assert!(upsert_remote(&app.state, app.domain(), spoof).await.is_err());
}

#[test]
fn threads_and_replies_parse() {
    use weave::ap::content::ObjectJson;
    let page: ObjectJson = serde_json::from_value(fixture("lemmy_page.json")).unwrap();
    assert_eq!(page.kind, "Page");
    assert_eq!(page.name.as_deref(), Some("What makes a network a system weaver?"));
    assert_eq!(page.author().unwrap().as_str(), "https://lemmy.example/u/weaver");
    assert!(page.in_reply_to().is_none());
    assert!(page.audience_ids().iter().any(|u| u.as_str() == "https://lemmy.example/c/practice"));
    assert!(page.is_public());
    assert_eq!(page.comments_enabled, Some(true));
    assert!(page.check_authored_by(&url::Url::parse("https://lemmy.example/u/weaver").unwrap()).is_ok());

    let note: ObjectJson = serde_json::from_value(fixture("lemmy_note.json")).unwrap();
    assert_eq!(note.in_reply_to().unwrap().as_str(), "https://lemmy.example/post/4127");
    assert_eq!(note.author().unwrap().as_str(), "https://lemmy.example/u/steward");

    let create: Inbound = serde_json::from_value(fixture("mastodon_create_reply.json")).unwrap();
    assert_eq!(create.kind(), "Create");
    let Inbound::Create(Create(create)) = create else { panic!("a Create") };
    let Object::Text(reply) = create.object else { panic!("a Note") };
    assert_eq!(reply.kind, "Note");
    assert_eq!(
        reply.in_reply_to().unwrap().as_str(),
        "https://weave.example/threads/0193a1b2-0000-7000-8000-00000000000a"
    );
    assert_eq!(reply.hashtags(), vec!["dei"]);
    let rosa = url::Url::parse("https://social.example/users/Rosa").unwrap();
    assert!(reply.check_authored_by(&rosa).is_ok());
    // Another account cannot send it as its own.
    assert!(reply.check_authored_by(&url::Url::parse("https://social.example/users/Mallory").unwrap()).is_err());
    // Sanitised on the way in: what the domain stores.
    let clean = weave::domain::markdown::sanitize(reply.content.as_deref().unwrap());
    assert!(clean.contains("DEI") && !clean.contains("script") && !clean.contains("steal"));
}

#[test]
fn mobilizon_events_and_joins_parse() {
    use weave::ap::participation::EventJson;
    let e: EventJson = serde_json::from_value(fixture("mobilizon_event.json")).unwrap();
    assert_eq!(e.kind, "Event");
    assert_eq!(e.name.as_deref(), Some("Learning infrastructure for systemic change"));
    assert_eq!(e.group().unwrap().as_str(), "https://events.example/@learning_network");
    assert_eq!(e.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!((e.maximum_attendee_capacity, e.remaining_attendee_capacity), (Some(60), Some(12)));
    assert!(e.online() && e.is_public() && !e.cancelled());
    assert_eq!(e.venue().unwrap().locality.as_deref(), Some("Los Angeles"));
    assert_eq!(e.hashtags(), vec!["learning"]);
    assert_eq!(e.page().as_str(), "https://events.example/events/5a1c3d2e-7f00-4c1b-9d7e-2b5f0e6a9c11");

    let join: Inbound = serde_json::from_value(fixture("mobilizon_join.json")).unwrap();
    assert_eq!(join.kind(), "Join");
    assert_eq!(join.object_id().unwrap().as_str(), "https://weave.example/events/0193a1b2-0000-7000-8000-0000000000e1");
}

#[test]
fn mastodon_votes_parse() {
    let create: Inbound = serde_json::from_value(fixture("mastodon_vote.json")).unwrap();
    assert_eq!(create.kind(), "Create");
    let Inbound::Create(Create(create)) = create else { panic!("a Create") };
    let Object::Text(vote) = create.object else { panic!("a Note") };
    // A vote is a Note with the option as its name, no content, answering the poll.
    assert_eq!(vote.kind, "Note");
    assert_eq!(vote.name.as_deref(), Some("Going"));
    assert!(vote.content.is_none());
    assert!(vote.in_reply_to().unwrap().path().ends_with("/poll"));
    assert!(vote.check_authored_by(&url::Url::parse("https://social.example/users/Rosa").unwrap()).is_ok());
    // Mastodon addresses votes to the poll's author only: not public.
    assert!(!vote.is_public());
}

/// Values that must never be taken as links: script and data schemes, local files, a
/// scheme-relative host, and credentials.
const HOSTILE_LINKS: &[&str] = &[
    "javascript:alert(1)",
    "javascript://social.example/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x",
    "https://user:pw@social.example/x",
];

#[test]
fn every_link_field_of_every_fixture_passes_the_link_rule() {
    use serde_json::json;
    use weave::ap::content::ObjectJson;
    use weave::ap::participation::EventJson;
    for bad in HOSTILE_LINKS {
        // Ids refuse the whole document.
        for (file, field) in [
            ("mobilizon_event.json", "id"),
            ("lemmy_page.json", "id"),
            ("lemmy_note.json", "id"),
            ("mastodon_person.json", "id"),
            ("mastodon_person.json", "inbox"),
            ("mobilizon_group.json", "id"),
            ("mobilizon_group.json", "inbox"),
        ] {
            let mut doc = fixture(file);
            doc[field] = json!(bad);
            let refused = match file {
                "mobilizon_event.json" => serde_json::from_value::<EventJson>(doc).is_err(),
                "mastodon_person.json" | "mobilizon_group.json" => serde_json::from_value::<ActorJson>(doc).is_err(),
                _ => serde_json::from_value::<ObjectJson>(doc).is_err(),
            };
            assert!(refused, "{file} {field} = {bad}");
        }
        let mut inbound = fixture("mastodon_follow.json");
        inbound["id"] = json!(bad);
        assert!(serde_json::from_value::<Inbound>(inbound).is_err(), "activity id {bad}");

        // Event: its page falls back to its id, its registration link and group are dropped.
        let mut e = fixture("mobilizon_event.json");
        e["url"] = json!(bad);
        e["externalParticipationUrl"] = json!(bad);
        e["attributedTo"] = json!(bad);
        let e: EventJson = serde_json::from_value(e).unwrap();
        assert_eq!(e.page(), e.id, "{bad}");
        assert!(e.external_participation_url.is_none() && e.group().is_none(), "{bad}");
        let mut e = fixture("mobilizon_event.json");
        e["url"] = json!([{"type": "Link", "href": bad}]);
        let e: EventJson = serde_json::from_value(e).unwrap();
        assert_eq!(e.page(), e.id, "{bad}");

        // Page, Note, Document: links, authors, threads and audiences that are not web links
        // are not read.
        for file in ["lemmy_page.json", "lemmy_note.json"] {
            let mut o = fixture(file);
            for field in ["attributedTo", "inReplyTo", "context", "audience"] {
                o[field] = json!(bad);
            }
            o["to"] = json!([bad]);
            o["cc"] = json!([{"id": bad}]);
            o["url"] = json!({"type": "Link", "href": bad});
            let o: ObjectJson = serde_json::from_value(o).unwrap();
            assert!(o.author().is_none() && o.in_reply_to().is_none() && o.context().is_none(), "{file} {bad}");
            assert!(o.audience_ids().is_empty() && o.link().is_none(), "{file} {bad}");
        }
        let mut d = fixture("lemmy_page.json");
        d["type"] = json!("Document");
        d["url"] = json!([{"type": "Link", "href": bad}, bad]);
        let d: ObjectJson = serde_json::from_value(d).unwrap();
        assert!(d.link().is_none(), "Document {bad}");

        // Person and Group: optional links read as absent, the profile link is dropped.
        for file in ["mastodon_person.json", "mobilizon_group.json"] {
            let mut a = fixture(file);
            for field in ["outbox", "followers", "following", "url"] {
                a[field] = json!(bad);
            }
            a["endpoints"] = json!({"sharedInbox": bad});
            a["icon"] = json!({"type": "Image", "url": bad});
            let a: ActorJson = serde_json::from_value(a).unwrap();
            assert!(a.outbox.is_none() && a.followers.is_none() && a.following.is_none(), "{file} {bad}");
            assert!(a.profile_url().is_none() && a.icon.is_none(), "{file} {bad}");
            assert!(a.endpoints.and_then(|e| e.shared_inbox).is_none(), "{file} {bad}");
        }
    }
}
