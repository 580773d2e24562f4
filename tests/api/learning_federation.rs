//! Learning records across servers: three real instances. A's group and B's group are partners
//! (each follows the other); a member on C only follows A's group. A PARTNERS question reaches
//! B alone, a PUBLIC one reaches both; B's members answer the shared question from their own
//! server and their reflections arrive in its evidence; A's members' reflections reach B and
//! never C or the public outbox; a Mastodon-shaped reply to the PUBLIC question becomes a
//! reflection, while one to the PARTNERS question from a server with no partner group is
//! refused.
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{spawn_app, Account, TestApp};
use crate::peer::{actor_key, post_signed, Tamper};

const AP: &str = "application/activity+json";

async fn group_id(app: &TestApp, handle: &str) -> String {
    app.ok("query($h: String!) { group(handle: $h) { id } }", json!({"h": handle}), None).await["group"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `who` on `from` has `as_group` (or themself) follow `handle`, and every delivery is made.
async fn follow(from: &TestApp, to: &TestApp, who: &Account, handle: &str, as_group: Option<&str>) {
    from.ok(
        "mutation($h: String!, $g: ID) { follow(handle: $h, asGroup: $g) { id } }",
        json!({"h": handle, "g": as_group}),
        Some(&who.access),
    )
    .await;
    from.deliver().await;
    to.deliver().await;
}

/// The domains an activity about `object` was queued for, on `app`.
async fn delivered_to(app: &TestApp, object: &str) -> Vec<String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let acts = weave::db::outbound_activity::Entity::find()
        .filter(weave::db::outbound_activity::Column::Payload.contains(object))
        .all(&app.state.db)
        .await
        .unwrap();
    let mut out = vec![];
    for a in acts {
        let ds = weave::db::delivery::Entity::find()
            .filter(weave::db::delivery::Column::ActivityId.eq(a.id))
            .all(&app.state.db)
            .await
            .unwrap();
        out.extend(ds.into_iter().map(|d| d.domain));
    }
    out.sort();
    out.dedup();
    out
}

const QUESTIONS: &str = "query($h: String) { learningQuestions(groupHandle: $h) { edges { node { id title
    visibility local whyItMatters status reviewEveryDays understanding url } } } }";
const REFLECTIONS: &str = "query($q: ID!) { reflections(filter: {questionId: $q}) { totalCount edges { node {
    id bodySource body kind visibility local intended nextTime values author { handle } } } } }";

fn titles(v: &Value) -> Vec<String> {
    let mut t: Vec<String> = v["learningQuestions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

fn question_id(v: &Value, title: &str) -> String {
    v["learningQuestions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["title"] == title)
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {title} in {v}"))
}

#[tokio::test]
async fn partner_networks_share_questions_and_reflect_on_them_from_their_own_servers() {
    let (a, b, c) = (spawn_app().await, spawn_app().await, spawn_app().await);
    let steward = a.admin("steward").await;
    let ada = a.register("ada").await;
    let lead = b.register("lead").await;
    let outsider = b.register("outsider").await;
    let fan = c.register("fan").await;
    let community = group_id(&a, "community").await;
    a.ok("mutation($g: ID!) { joinGroup(groupId: $g) { role } }", json!({"g": community}), Some(&ada.access)).await;
    let partners = b
        .ok(
            "mutation { createGroup(input: {slug: \"partners\", name: \"Partner Network\"}) { id } }",
            json!({}),
            Some(&lead.access),
        )
        .await["createGroup"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Partners: each group follows the other. C's member only follows A's group.
    let community_at_a = format!("community@{}", a.domain());
    follow(&b, &a, &lead, &community_at_a, Some(&partners)).await;
    follow(&a, &b, &steward, &format!("partners@{}", b.domain()), Some(&community)).await;
    follow(&c, &a, &fan, &community_at_a, None).await;

    // A shares one question with its partners and one with everyone.
    let ask = "mutation($i: CreateLearningQuestionInput!) { createLearningQuestion(input: $i) { id url } }";
    let dei = a
        .ok(
            ask,
            json!({"i": {"groupId": community, "title": "How are we doing at DEI?", "visibility": "PARTNERS",
            "whyItMatters": "Our funders *and* members ask.", "reviewEveryDays": 30}}),
            Some(&steward.access),
        )
        .await["createLearningQuestion"]
        .clone();
    let systemic = a
        .ok(
            ask,
            json!({"i": {"groupId": community, "title": "Is our strategy systemic?", "visibility": "PUBLIC"}}),
            Some(&steward.access),
        )
        .await["createLearningQuestion"]
        .clone();
    let (dei_url, systemic_url) = (dei["url"].as_str().unwrap(), systemic["url"].as_str().unwrap());
    assert_eq!(delivered_to(&a, dei_url).await, vec![b.domain().to_string()]);
    let mut both = vec![b.domain().to_string(), c.domain().to_string()];
    both.sort();
    assert_eq!(delivered_to(&a, systemic_url).await, both);
    assert_eq!(a.deliver().await.failed, 0);

    // B's members see both, with what makes them questions; B's others and C see only the public one.
    let on_b = b.ok(QUESTIONS, json!({"h": community_at_a}), Some(&lead.access)).await;
    assert_eq!(titles(&on_b), vec!["How are we doing at DEI?", "Is our strategy systemic?"]);
    let dei_b = on_b["learningQuestions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["title"] == "How are we doing at DEI?")
        .unwrap()
        .clone();
    assert_eq!(
        (dei_b["visibility"].as_str(), dei_b["local"].as_bool(), dei_b["reviewEveryDays"].as_i64()),
        (Some("PARTNERS"), Some(false), Some(30))
    );
    assert_eq!(dei_b["whyItMatters"], "<p>Our funders <em>and</em> members ask.</p>\n");
    assert_eq!(dei_b["url"], dei_url);
    for (app, who) in [(&b, Some(&outsider)), (&b, None), (&c, Some(&fan))] {
        let seen = app.ok(QUESTIONS, json!({"h": community_at_a}), who.map(|w| w.access.as_str())).await;
        assert_eq!(titles(&seen), vec!["Is our strategy systemic?"]);
    }
    // The PUBLIC question can be fetched; the PARTNERS one cannot.
    let get = |url: &str| reqwest::Client::new().get(url.to_string()).header("Accept", AP).send();
    let page: Value = get(systemic_url).await.unwrap().json().await.unwrap();
    assert_eq!((page["type"].as_str(), page["weave:record"].as_str()), (Some("Page"), Some("LearningQuestion")));
    assert_eq!(get(dei_url).await.unwrap().status(), 404);

    // Lead answers the DEI question from B; it arrives in its evidence on A, origin shown.
    let dei_on_b = question_id(&on_b, "How are we doing at DEI?");
    let reflect = "mutation($i: ReflectInput!) { reflect(input: $i) { id visibility local } }";
    let mine = b
        .ok(reflect, json!({"i": {"questionIds": [dei_on_b], "body": "Our *panel* was all one voice.",
            "intended": "Hear every region", "nextTime": "Invite the south first", "values": ["APPLIED", "REFRAMING"]}}),
            Some(&lead.access))
        .await["reflect"]
        .clone();
    assert_eq!((mine["visibility"].as_str(), mine["local"].as_bool()), (Some("PARTNERS"), Some(true)));
    // Only members of B's partner group may answer it.
    let refused = b.gql(reflect, json!({"i": {"questionIds": [dei_on_b], "body": "x"}}), Some(&outsider.access)).await;
    assert_eq!(crate::helpers::code(&refused), "BAD_USER_INPUT", "{refused}");
    assert_eq!(b.deliver().await.failed, 0);
    let dei_id = dei["id"].as_str().unwrap();
    let evidence = a.ok(REFLECTIONS, json!({"q": dei_id}), Some(&steward.access)).await["reflections"].clone();
    assert_eq!(evidence["totalCount"], 1, "{evidence}");
    let node = &evidence["edges"][0]["node"];
    assert_eq!(node["local"], false);
    assert_eq!(node["author"]["handle"], format!("lead@{}", b.domain()));
    assert_eq!(node["bodySource"], "Our *panel* was all one voice.");
    assert_eq!(node["body"], "<p>Our <em>panel</em> was all one voice.</p>\n");
    assert_eq!((node["kind"].as_str(), node["visibility"].as_str()), (Some("AFTER_ACTION"), Some("PARTNERS")));
    assert_eq!(
        (node["intended"].as_str(), node["nextTime"].as_str()),
        (Some("Hear every region"), Some("Invite the south first"))
    );
    assert_eq!(node["values"], json!(["APPLIED", "REFRAMING"]));
    assert_eq!(a.ok(REFLECTIONS, json!({"q": dei_id}), None).await["reflections"]["totalCount"], 0);

    // Ada answers on A: her reflection reaches B's partner group, not C, not the public outbox.
    let hers = a
        .ok(
            reflect,
            json!({"i": {"questionIds": [dei_id], "body": "We hired two facilitators from the south."}}),
            Some(&ada.access),
        )
        .await["reflect"]
        .clone();
    let hers_url = format!("http://{}/reflections/{}", a.domain(), hers["id"].as_str().unwrap());
    assert_eq!(delivered_to(&a, &hers_url).await, vec![b.domain().to_string()]);
    assert_eq!(a.deliver().await.failed, 0);
    let on_b = b.ok(REFLECTIONS, json!({"q": dei_on_b}), Some(&lead.access)).await["reflections"].clone();
    assert_eq!(on_b["totalCount"], 2, "{on_b}");
    assert_eq!(b.ok(REFLECTIONS, json!({"q": dei_on_b}), Some(&outsider.access)).await["reflections"]["totalCount"], 0);
    let outbox: Value =
        get(&format!("http://{}/groups/community/outbox?page=true", a.domain())).await.unwrap().json().await.unwrap();
    assert!(!outbox.to_string().contains(&hers_url), "{outbox}");
    assert!(!outbox.to_string().contains(dei_url), "{outbox}");
    // The public question is listed there as it reads now (not as a tombstone).
    let listed = outbox["orderedItems"].as_array().unwrap();
    let create = listed.iter().find(|a| a["object"]["id"] == systemic_url).unwrap_or_else(|| panic!("{outbox}"));
    assert_eq!((create["type"].as_str(), create["object"]["type"].as_str()), (Some("Create"), Some("Page")));

    // A Mastodon-shaped reply to the PUBLIC question is a public reflection on it.
    let inbox = format!("http://{}/inbox", a.domain());
    let (fan_id, fan_key) = actor_key(&c, &format!("http://{}/members/fan", c.domain())).await;
    let reply = |n: u32, to: &str, text: &str| {
        json!({"id": format!("{fan_id}/statuses/{n}/activity"), "type": "Create", "actor": fan_id,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{fan_id}/followers")],
            "object": {"id": format!("{fan_id}/statuses/{n}"), "type": "Note", "attributedTo": fan_id,
                "content": format!("<p>{text}</p><script>x</script>"), "inReplyTo": to,
                "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{fan_id}/followers")]}})
    };
    assert_eq!(
        post_signed(
            &inbox,
            &fan_id,
            &fan_key,
            &reply(1, systemic_url, "Only if we map the whole system"),
            Tamper::default()
        )
        .await,
        202
    );
    let public = a.ok(REFLECTIONS, json!({"q": systemic["id"]}), None).await["reflections"].clone();
    assert_eq!(public["totalCount"], 1, "{public}");
    let node = &public["edges"][0]["node"];
    assert_eq!(
        (node["body"].as_str(), node["visibility"].as_str()),
        (Some("<p>Only if we map the whole system</p>"), Some("PUBLIC"))
    );
    assert_eq!((node["kind"].as_str(), node["local"].as_bool()), (Some("OBSERVATION"), Some(false)));
    // The group shares it with its followers (not back to C, where it was written).
    assert_eq!(delivered_to(&a, &format!("{fan_id}/statuses/1")).await, vec![b.domain().to_string()]);
    // B fetches the reply from its own server to believe it; this peer is no real Mastodon and
    // keeps no statuses, so B refuses the Announce (a 4xx: not retried).
    let shared = a.deliver().await;
    assert_eq!((shared.sent, shared.failed), (0, 1));
    // C has no partner group of A's: its reply to the PARTNERS question is refused.
    assert_eq!(post_signed(&inbox, &fan_id, &fan_key, &reply(2, dei_url, "Let me in"), Tamper::default()).await, 403);
    assert_eq!(a.ok(REFLECTIONS, json!({"q": dei_id}), Some(&steward.access)).await["reflections"]["totalCount"], 2);

    // Lead deletes their reflection on B: it leaves A's evidence too.
    let mine_id = Uuid::parse_str(mine["id"].as_str().unwrap()).unwrap();
    b.ok("mutation($id: ID!) { deleteReflection(id: $id) }", json!({"id": mine_id}), Some(&lead.access)).await;
    assert_eq!(b.deliver().await.failed, 0);
    let left = a.ok(REFLECTIONS, json!({"q": dei_id}), Some(&steward.access)).await["reflections"].clone();
    assert_eq!(left["totalCount"], 1, "{left}");
    assert_eq!(left["edges"][0]["node"]["author"]["handle"], "ada");

    // Retiring the question to the group only withdraws it from B, with what B received for it.
    a.ok(
        "mutation($id: ID!) { updateLearningQuestion(id: $id, input: {visibility: GROUP}) { id } }",
        json!({"id": dei_id}),
        Some(&steward.access),
    )
    .await;
    assert_eq!(a.deliver().await.failed, 0);
    let on_b = b.ok(QUESTIONS, json!({"h": community_at_a}), Some(&lead.access)).await;
    assert_eq!(titles(&on_b), vec!["Is our strategy systemic?"]);
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(weave::db::reflection::Entity::find().count(&b.state.db).await.unwrap(), 0);
}
