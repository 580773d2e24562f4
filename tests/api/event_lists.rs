//! The events list shows an event's long texts and documents (description, agenda, FAQ,
//! facilitators, tags, refund policy) in full, however the page asks for them (`edges.node`,
//! `nodes`, fragments), and a page without them still lists its events.
use serde_json::{json, Value};

use crate::helpers::spawn_app;

const LONG: &str = "title description refundPolicy agenda { title } faq { question } facilitators { role } tags";

#[tokio::test]
async fn a_list_shows_long_fields_in_full_however_it_asks_for_them() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    app.register("rachel").await;
    app.register("tatiana").await;
    let group = app
        .ok(
            "mutation { createGroup(input:{slug:\"sanctuary\",name:\"Sanctuary\"}){ id } }",
            json!({}),
            Some(&ann.access),
        )
        .await["createGroup"]["id"]
        .clone();
    let community: Value = serde_json::from_str(weave::demo::COMMUNITY).unwrap();
    let mut input = community["events"][0]["input"].clone();
    input["groupId"] = group;
    let one = format!("mutation($input: CreateEventInput!) {{ createEvent(input: $input) {{ id {LONG} }} }}");
    let created = app.ok(&one, json!({"input": input}), Some(&ann.access)).await["createEvent"].clone();
    assert_eq!(created["agenda"].as_array().map(Vec::len), Some(5), "{created}");

    // The same fields through the list, asked three ways, signed in and not.
    let pages = [
        format!("{{ events(first: 5) {{ edges {{ node {{ id {LONG} }} }} }} }}"),
        format!("{{ events(first: 5) {{ nodes {{ id {LONG} }} }} }}"),
        format!("{{ events(first: 5) {{ edges {{ node {{ ...Long }} }} }} }} fragment Long on Event {{ id {LONG} }}"),
    ];
    for page in &pages {
        for token in [None, Some(ann.access.as_str())] {
            let v = app.ok(page, json!({}), token).await;
            let list = &v["events"];
            let node = if list["nodes"].is_array() { &list["nodes"][0] } else { &list["edges"][0]["node"] };
            for field in ["description", "refundPolicy", "agenda", "faq", "facilitators", "tags"] {
                assert_eq!(node[field], created[field], "{field} through {page}");
            }
            assert!(!node["agenda"].as_array().unwrap().is_empty() && !node["tags"].as_array().unwrap().is_empty());
        }
    }

    // A page without them still lists the event, with what it shows.
    let v = app.ok("{ events(first: 5) { edges { node { id title sessions { startsAt } } } } }", json!({}), None).await;
    let node = &v["events"]["edges"][0]["node"];
    assert_eq!((&node["id"], &node["title"]), (&created["id"], &created["title"]));
    assert_eq!(node["sessions"].as_array().map(Vec::len), Some(2));
    // And the event itself, asked afterwards, is whole.
    let q = format!("query($id: ID!) {{ event(id: $id) {{ {LONG} }} }}");
    let e = app.ok(&q, json!({"id": created["id"]}), Some(&ann.access)).await["event"].clone();
    assert_eq!(e["agenda"], created["agenda"]);
}
