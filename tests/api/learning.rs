//! Learning records through the API: questions (who asks, who owns, reviews), reflections
//! (who may write them, who sees them at each visibility, what they answer), resonance,
//! harvests with themes and actions, and prompts after events and when reviews are due, each
//! made once. Both engines.
use serde_json::{json, Value};

use crate::helpers::{code, spawn_app, Account, TestApp};

const QUESTION: &str = "mutation($i: CreateLearningQuestionInput!) { createLearningQuestion(input: $i) {
    id title whyItMatters whyItMattersSource status owner { username } reviewEveryDays nextReviewAt
    visibility evidenceCount group { handle } } }";
const REFLECT: &str = "mutation($i: ReflectInput!) { reflect(input: $i) {
    id kind visibility body bodySource intended happened why nextTime values questions { title }
    author { username } group { handle } event { title } sessionIndex resonanceCount viewerResonates } }";
const SEE_QUESTION: &str = "query($id: ID!) { learningQuestion(id: $id) { title evidenceCount
    reflections(first: 10) { totalCount edges { node { bodySource } } } } }";

async fn group(app: &TestApp, owner: &Account, slug: &str) -> String {
    let v = app
        .ok(
            "mutation($s: String!) { createGroup(input: {slug: $s, name: $s}) { id } }",
            json!({"s": slug}),
            Some(&owner.access),
        )
        .await;
    v["createGroup"]["id"].as_str().unwrap().to_string()
}

async fn join(app: &TestApp, who: &Account, group: &str) {
    app.ok("mutation($g: ID!) { joinGroup(groupId: $g) { role } }", json!({"g": group}), Some(&who.access)).await;
}

async fn question(app: &TestApp, who: &Account, group: &str, title: &str, visibility: &str) -> String {
    let v = app
        .ok(QUESTION, json!({"i": {"groupId": group, "title": title, "visibility": visibility}}), Some(&who.access))
        .await;
    v["createLearningQuestion"]["id"].as_str().unwrap().to_string()
}

async fn reflect(app: &TestApp, who: &Account, input: Value) -> Value {
    app.ok(REFLECT, json!({"i": input}), Some(&who.access)).await["reflect"].clone()
}

/// An online event of `group` by `who`, with one session per `(start, end)`; its id.
async fn event(app: &TestApp, who: &Account, group: &Value, title: &str, sessions: &[(&str, &str)]) -> String {
    let sessions: Vec<Value> = sessions.iter().map(|(s, e)| json!({"startsAt": s, "endsAt": e})).collect();
    let v = app
        .ok(
            "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
            json!({"i": {"groupId": group, "title": title, "timezone": "UTC", "sessions": sessions,
                "location": {"mode": "ONLINE"}, "visibility": "PUBLIC"}}),
            Some(&who.access),
        )
        .await;
    v["createEvent"]["id"].as_str().unwrap().to_string()
}

const MAY_FIRST: (&str, &str) = ("2031-05-01T09:00:00Z", "2031-05-01T10:00:00Z");

/// The bodies of the reflections `who` finds with `filter`, in order.
async fn bodies(app: &TestApp, who: Option<&Account>, filter: Value) -> Vec<String> {
    let v = app
        .ok(
            "query($f: ReflectionFilter) { reflections(filter: $f, first: 50) { edges { node { bodySource } } } }",
            json!({"f": filter}),
            who.map(|a| a.access.as_str()),
        )
        .await;
    v["reflections"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["bodySource"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_group_asks_a_question_and_its_owner_keeps_its_understanding_on_a_rhythm() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bea = app.register("bea").await;
    let out = app.register("out").await;
    let circle = group(&app, &ann, "circle").await;
    join(&app, &bea, &circle).await;

    // Members reflect; moderators commit the group to questions.
    let input = json!({"groupId": circle, "title": "How are we doing at DEI?", "whyItMatters": "Because *it matters*.",
        "ownerHandle": "bea", "reviewEveryDays": 30});
    let v = app.gql(QUESTION, json!({"i": input}), Some(&bea.access)).await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    let v = app
        .gql(QUESTION, json!({"i": {"groupId": circle, "title": "Q", "ownerHandle": "out"}}), Some(&ann.access))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "an owner outside the group: {v}");
    let v = app
        .gql(QUESTION, json!({"i": {"groupId": circle, "title": "Q", "reviewEveryDays": 0}}), Some(&ann.access))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let q = app.ok(QUESTION, json!({"i": input}), Some(&ann.access)).await["createLearningQuestion"].clone();
    assert_eq!(q["owner"]["username"], "bea");
    assert_eq!(q["status"], "OPEN");
    assert_eq!(q["visibility"], "GROUP");
    assert_eq!(q["whyItMattersSource"], "Because *it matters*.");
    assert!(q["whyItMatters"].as_str().unwrap().contains("<em>it matters</em>"));
    let due: chrono::DateTime<chrono::Utc> = q["nextReviewAt"].as_str().unwrap().parse().unwrap();
    assert!((due - chrono::Utc::now() - chrono::Duration::days(30)).num_minutes().abs() < 5);
    let id = q["id"].as_str().unwrap();

    // GROUP: its members see it, nobody else does.
    assert_eq!(
        app.ok(SEE_QUESTION, json!({"id": id}), Some(&bea.access)).await["learningQuestion"]["title"],
        "How are we doing at DEI?"
    );
    assert!(app.ok(SEE_QUESTION, json!({"id": id}), Some(&out.access)).await["learningQuestion"].is_null());
    assert!(app.ok(SEE_QUESTION, json!({"id": id}), None).await["learningQuestion"].is_null());
    let listed =
        "query($g: String) { learningQuestions(groupHandle: $g, first: 10) { totalCount edges { node { title } } } }";
    assert_eq!(app.ok(listed, json!({"g": "circle"}), Some(&bea.access)).await["learningQuestions"]["totalCount"], 1);
    assert_eq!(app.ok(listed, json!({"g": "circle"}), Some(&out.access)).await["learningQuestions"]["totalCount"], 0);
    assert_eq!(app.ok(listed, json!({"g": "nowhere"}), Some(&bea.access)).await["learningQuestions"]["totalCount"], 0);

    // The owner writes down what the group understands: the next review is a rhythm away.
    let update = "mutation($id: ID!, $i: UpdateLearningQuestionInput!) { updateLearningQuestion(id: $id, input: $i) {
        status understanding understandingUpdatedAt reviewEveryDays nextReviewAt visibility } }";
    let v = app.gql(update, json!({"id": id, "i": {"understanding": "x"}}), Some(&out.access)).await;
    assert_eq!(code(&v), "NOT_FOUND", "outsiders do not see it: {v}");
    let v = app.gql(update, json!({"id": id, "i": {"visibility": "PUBLIC"}}), Some(&bea.access)).await;
    assert_eq!(code(&v), "FORBIDDEN", "owners keep the understanding, moderators decide who sees it: {v}");
    let v = app
        .ok(
            update,
            json!({"id": id, "i": {"understanding": "We listen better.", "reviewEveryDays": 7}}),
            Some(&bea.access),
        )
        .await["updateLearningQuestion"]
        .clone();
    assert_eq!(v["understanding"], "We listen better.");
    let due: chrono::DateTime<chrono::Utc> = v["nextReviewAt"].as_str().unwrap().parse().unwrap();
    assert!((due - chrono::Utc::now() - chrono::Duration::days(7)).num_minutes().abs() < 5);
    let v = app
        .ok(
            update,
            json!({"id": id, "i": {"status": "ANSWERED", "reviewEveryDays": null, "visibility": "PUBLIC"}}),
            Some(&ann.access),
        )
        .await["updateLearningQuestion"]
        .clone();
    assert_eq!(v["status"], "ANSWERED");
    assert!(v["reviewEveryDays"].is_null() && v["nextReviewAt"].is_null(), "{v}");
    assert_eq!(
        app.ok(SEE_QUESTION, json!({"id": id}), None).await["learningQuestion"]["title"],
        "How are we doing at DEI?"
    );
    let by_status = "{ learningQuestions(status: OPEN) { totalCount } }";
    assert_eq!(app.ok(by_status, json!({}), Some(&ann.access)).await["learningQuestions"]["totalCount"], 0);
}

#[tokio::test]
async fn reflections_answer_questions_and_are_seen_as_their_visibility_says() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bea = app.register("bea").await;
    let pat = app.register("pat").await;
    let out = app.register("out").await;
    let circle = group(&app, &ann, "circle").await;
    join(&app, &bea, &circle).await;
    let partner = group(&app, &pat, "partner").await;
    // Partners: each group follows the other.
    let follow = "mutation($h: String!, $g: ID!) { follow(handle: $h, asGroup: $g) { accepted } }";
    assert_eq!(
        app.ok(follow, json!({"h": "partner", "g": circle}), Some(&ann.access)).await["follow"]["accepted"],
        true
    );
    assert_eq!(
        app.ok(follow, json!({"h": "circle", "g": partner}), Some(&pat.access)).await["follow"]["accepted"],
        true
    );

    let group_q = question(&app, &ann, &circle, "Is our strategy systemic?", "GROUP").await;
    let shared_q = question(&app, &ann, &circle, "How are we doing at DEI?", "PARTNERS").await;
    let public_q = question(&app, &ann, &circle, "What do newcomers need?", "PUBLIC").await;

    // An after-action review, as visible as its question by default.
    let r = reflect(
        &app,
        &bea,
        json!({"questionIds": [shared_q], "intended": "Bring in new voices", "happened": "Three spoke first",
               "why": "Small rooms", "nextTime": "Keep the rooms small", "body": "Rooms *work*.",
               "values": ["APPLIED", "IMMEDIATE", "APPLIED"]}),
    )
    .await;
    assert_eq!(r["kind"], "AFTER_ACTION");
    assert_eq!(r["visibility"], "PARTNERS");
    assert_eq!(r["values"], json!(["IMMEDIATE", "APPLIED"]));
    assert_eq!(r["questions"], json!([{"title": "How are we doing at DEI?"}]));
    assert_eq!(r["group"]["handle"], "circle");
    assert!(r["body"].as_str().unwrap().contains("<em>work</em>"));
    reflect(&app, &bea, json!({"questionIds": [group_q], "body": "inner"})).await;
    let public = reflect(&app, &ann, json!({"questionIds": [public_q], "body": "open", "kind": "STORY"})).await;
    assert_eq!(public["visibility"], "PUBLIC");
    assert_eq!(public["kind"], "STORY");

    // Refused: more visible than its question, about nothing, saying nothing, by outsiders.
    let v = app
        .gql(REFLECT, json!({"i": {"questionIds": [group_q], "body": "x", "visibility": "PUBLIC"}}), Some(&bea.access))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let v = app.gql(REFLECT, json!({"i": {"body": "about nothing"}}), Some(&bea.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let elsewhere = event(&app, &pat, &json!(partner), "Partner day", &[MAY_FIRST]).await;
    let v = app
        .gql(REFLECT, json!({"i": {"questionIds": [group_q], "eventId": elsewhere, "body": "x"}}), Some(&ann.access))
        .await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "an event of another group: {v}");
    let v = app.gql(REFLECT, json!({"i": {"questionIds": [group_q]}}), Some(&bea.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let v = app.gql(REFLECT, json!({"i": {"questionIds": [group_q], "body": "x"}}), Some(&out.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "an outsider does not see the question: {v}");
    let v = app.gql(REFLECT, json!({"i": {"questionIds": [shared_q], "body": "x"}}), Some(&out.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let v = app.gql(REFLECT, json!({"i": {"questionIds": [group_q], "body": "x"}}), None).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "{v}");
    // A partner's member reflects on the shared question; anyone signed in on the public one.
    reflect(&app, &pat, json!({"questionIds": [shared_q], "body": "from the partner"})).await;
    reflect(&app, &out, json!({"questionIds": [public_q], "body": "from outside"})).await;
    let v = app.gql(REFLECT, json!({"i": {"questionIds": [group_q], "body": "x"}}), Some(&pat.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "partners do not see GROUP questions: {v}");

    // Who sees what.
    let all = json!({"groupHandle": "circle"});
    assert_eq!(
        bodies(&app, Some(&bea), all.clone()).await,
        vec!["Rooms *work*.", "inner", "open", "from the partner", "from outside"]
    );
    assert_eq!(
        bodies(&app, Some(&pat), all.clone()).await,
        vec!["Rooms *work*.", "open", "from the partner", "from outside"]
    );
    assert_eq!(bodies(&app, Some(&out), all.clone()).await, vec!["open", "from outside"]);
    assert_eq!(bodies(&app, None, all.clone()).await, vec!["open", "from outside"]);
    assert_eq!(
        bodies(&app, Some(&bea), json!({"questionId": shared_q})).await,
        vec!["Rooms *work*.", "from the partner"]
    );
    assert_eq!(bodies(&app, Some(&bea), json!({"value": "APPLIED"})).await, vec!["Rooms *work*."]);
    assert_eq!(bodies(&app, Some(&bea), json!({"memberHandle": "pat"})).await, vec!["from the partner"]);
    // Search finds the records the viewer may see, and no others.
    let search = "query($q: String!) { search(query: $q) { learningQuestions { title } reflections { bodySource } } }";
    let found = |who: Option<&Account>, q: &str| {
        let token = who.map(|a| a.access.clone());
        let q = q.to_string();
        let app = &app;
        async move { app.ok(search, json!({"q": q}), token.as_deref()).await["search"].clone() }
    };
    assert_eq!(
        found(Some(&bea), "systemic strat").await["learningQuestions"],
        json!([{"title": "Is our strategy systemic?"}])
    );
    assert_eq!(found(Some(&pat), "systemic").await["learningQuestions"], json!([]));
    assert_eq!(found(Some(&pat), "rooms spoke").await["reflections"], json!([{"bodySource": "Rooms *work*."}]));
    assert_eq!(found(None, "rooms").await["reflections"], json!([]));
    assert_eq!(found(None, "newcomers").await["learningQuestions"], json!([{"title": "What do newcomers need?"}]));
    assert_eq!(found(Some(&bea), "inner").await["reflections"], json!([{"bodySource": "inner"}]));
    assert_eq!(found(Some(&out), "inner").await["reflections"], json!([]));
    // The evidence counts every reflection; the list shows those the viewer may see.
    let v = app.ok(SEE_QUESTION, json!({"id": shared_q}), Some(&pat.access)).await["learningQuestion"].clone();
    assert_eq!(v["evidenceCount"], 2);
    assert_eq!(v["reflections"]["totalCount"], 2);
    assert!(app.ok(SEE_QUESTION, json!({"id": shared_q}), None).await["learningQuestion"].is_null());

    // Its author edits it (what is left out stays); others may not; moderators may delete it.
    let id = r["id"].as_str().unwrap();
    let edit = "mutation($id: ID!, $i: ReflectInput!) { editReflection(id: $id, input: $i) { bodySource happened values questions { title } } }";
    let v = app.gql(edit, json!({"id": id, "i": {"body": "mine now"}}), Some(&ann.access)).await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    let v = app.ok(edit, json!({"id": id, "i": {"body": "Rooms work, mostly."}}), Some(&bea.access)).await
        ["editReflection"]
        .clone();
    assert_eq!(v["bodySource"], "Rooms work, mostly.");
    assert_eq!(v["happened"], "Three spoke first");
    assert_eq!(v["values"], json!(["IMMEDIATE", "APPLIED"]));
    assert_eq!(v["questions"], json!([{"title": "How are we doing at DEI?"}]));
    let delete = "mutation($id: ID!) { deleteReflection(id: $id) }";
    let v = app.gql(delete, json!({"id": id}), Some(&pat.access)).await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    assert_eq!(app.ok(delete, json!({"id": id}), Some(&ann.access)).await["deleteReflection"], true);
    let v = app.ok(SEE_QUESTION, json!({"id": shared_q}), Some(&pat.access)).await["learningQuestion"].clone();
    assert_eq!(v["evidenceCount"], 1);
    // A partner who keeps a reflection to the group still sees, edits and deletes what they wrote.
    let mine =
        reflect(&app, &pat, json!({"questionIds": [shared_q], "body": "for the group", "visibility": "GROUP"})).await;
    assert_eq!(
        bodies(&app, Some(&pat), json!({"memberHandle": "pat"})).await,
        vec!["from the partner", "for the group"]
    );
    assert_eq!(bodies(&app, Some(&out), json!({"memberHandle": "pat"})).await, Vec::<String>::new());
    let v = app.ok(edit, json!({"id": mine["id"], "i": {"body": "for the group, edited"}}), Some(&pat.access)).await;
    assert_eq!(v["editReflection"]["bodySource"], "for the group, edited");
    assert_eq!(app.ok(delete, json!({"id": mine["id"]}), Some(&pat.access)).await["deleteReflection"], true);
    // A question made less visible takes its answers with it.
    let narrow = "mutation($id: ID!) { updateLearningQuestion(id: $id, input: {visibility: GROUP}) { visibility } }";
    app.ok(narrow, json!({"id": public_q}), Some(&ann.access)).await;
    assert_eq!(bodies(&app, None, json!({"groupHandle": "circle"})).await, Vec::<String>::new());
    assert_eq!(
        bodies(&app, Some(&out), json!({"groupHandle": "circle"})).await,
        vec!["from outside"],
        "its author still sees it"
    );
}

#[tokio::test]
async fn members_mark_what_resonates_and_only_counts_are_shown() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bea = app.register("bea").await;
    let cyd = app.register("cyd").await;
    let circle = group(&app, &ann, "circle").await;
    join(&app, &bea, &circle).await;
    join(&app, &cyd, &circle).await;
    let q = question(&app, &ann, &circle, "What works?", "GROUP").await;
    let r = reflect(&app, &ann, json!({"questionIds": [q], "body": "Small rooms"})).await;
    let id = r["id"].as_str().unwrap();
    let resonate = "mutation($id: ID!) { resonate(reflectionId: $id) { resonanceCount viewerResonates } }";
    let unresonate = "mutation($id: ID!) { unresonate(reflectionId: $id) { resonanceCount viewerResonates } }";
    assert_eq!(
        app.ok(resonate, json!({"id": id}), Some(&bea.access)).await["resonate"],
        json!({"resonanceCount": 1, "viewerResonates": true})
    );
    // Again: no change.
    assert_eq!(app.ok(resonate, json!({"id": id}), Some(&bea.access)).await["resonate"]["resonanceCount"], 1);
    assert_eq!(app.ok(resonate, json!({"id": id}), Some(&cyd.access)).await["resonate"]["resonanceCount"], 2);
    let see =
        "query($f: ReflectionFilter) { reflections(filter: $f) { edges { node { resonanceCount viewerResonates } } } }";
    let v = app.ok(see, json!({"f": {"questionId": q}}), Some(&ann.access)).await;
    assert_eq!(v["reflections"]["edges"][0]["node"], json!({"resonanceCount": 2, "viewerResonates": false}));
    assert_eq!(
        app.ok(unresonate, json!({"id": id}), Some(&bea.access)).await["unresonate"],
        json!({"resonanceCount": 1, "viewerResonates": false})
    );
    let out = app.register("out").await;
    let v = app.gql(resonate, json!({"id": id}), Some(&out.access)).await;
    assert_eq!(code(&v), "NOT_FOUND", "{v}");
}

#[tokio::test]
async fn hosts_harvest_reflections_into_themes_with_next_actions() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bea = app.register("bea").await;
    let out = app.register("out").await;
    let circle = group(&app, &ann, "circle").await;
    join(&app, &bea, &circle).await;
    let q = question(&app, &ann, &circle, "What works?", "GROUP").await;
    let a = reflect(&app, &bea, json!({"questionIds": [q], "body": "Small rooms"})).await["id"].clone();
    let b = reflect(&app, &ann, json!({"questionIds": [q], "body": "Silence first"})).await["id"].clone();
    let c = reflect(&app, &bea, json!({"questionIds": [q], "body": "Snacks"})).await["id"].clone();
    let other = group(&app, &out, "other").await;
    let q2 = question(&app, &out, &other, "Elsewhere?", "PUBLIC").await;
    let foreign = reflect(&app, &out, json!({"questionIds": [q2], "body": "not theirs"})).await["id"].clone();

    let create = "mutation($i: CreateHarvestInput!) { createHarvest(input: $i) { id title understanding } }";
    let input = json!({"groupId": circle, "title": "Spring harvest", "from": "2026-03-01T00:00:00Z",
        "to": "2026-06-01T00:00:00Z", "understanding": "We *listen* better."});
    let v = app.gql(create, json!({"i": input}), Some(&bea.access)).await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    let mut backwards = input.clone();
    backwards["to"] = json!("2026-01-01T00:00:00Z");
    let v = app.gql(create, json!({"i": backwards}), Some(&ann.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let h = app.ok(create, json!({"i": input}), Some(&ann.access)).await["createHarvest"].clone();
    // An event's hosts harvest it for its own groups only.
    let theirs = event(&app, &out, &json!(other), "Theirs", &[MAY_FIRST]).await;
    let mut elsewhere = input.clone();
    elsewhere["eventId"] = json!(theirs);
    let v = app.gql(create, json!({"i": elsewhere}), Some(&out.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "a harvest in someone else's group: {v}");
    let id = h["id"].as_str().unwrap();
    assert!(h["understanding"].as_str().unwrap().contains("<em>listen</em>"));

    let add = "mutation($h: ID!, $r: [ID!]!, $t: String) { addToHarvest(harvestId: $h, reflectionIds: $r, theme: $t) { id } }";
    app.ok(add, json!({"h": id, "r": [a, b], "t": "Space"}), Some(&ann.access)).await;
    app.ok(add, json!({"h": id, "r": [c]}), Some(&ann.access)).await;
    // Moved to another theme.
    app.ok(add, json!({"h": id, "r": [b], "t": "Time"}), Some(&ann.access)).await;
    let v = app.gql(add, json!({"h": id, "r": [foreign], "t": "x"}), Some(&ann.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "another group's reflection: {v}");

    let action =
        "mutation($i: CreateActionInput!) { createAction(input: $i) { id title status dueAt owner { username } } }";
    let v =
        app.gql(action, json!({"i": {"harvestId": id, "title": "x", "ownerHandle": "out"}}), Some(&ann.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let act = app
        .ok(action, json!({"i": {"harvestId": id, "title": "Book small rooms", "ownerHandle": "bea", "dueAt": "2026-07-01T00:00:00Z"}}), Some(&ann.access))
        .await["createAction"]
        .clone();
    assert_eq!(act["status"], "OPEN");
    assert_eq!(act["owner"]["username"], "bea");
    // Its owner moves its status, and nothing else.
    let update =
        "mutation($id: ID!, $i: UpdateActionInput!) { updateAction(id: $id, input: $i) { title status dueAt } }";
    let act_id = act["id"].as_str().unwrap();
    let v = app.gql(update, json!({"id": act_id, "i": {"title": "Mine"}}), Some(&bea.access)).await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    let v =
        app.ok(update, json!({"id": act_id, "i": {"status": "DONE"}}), Some(&bea.access)).await["updateAction"].clone();
    assert_eq!(v["status"], "DONE");
    let v =
        app.ok(update, json!({"id": act_id, "i": {"dueAt": null}}), Some(&ann.access)).await["updateAction"].clone();
    assert!(v["dueAt"].is_null());

    let see = "query($id: ID!) { harvest(id: $id) { title from to themes { name reflections { bodySource } }
        actions { title status owner { username } } } }";
    let v = app.ok(see, json!({"id": id}), Some(&bea.access)).await["harvest"].clone();
    assert_eq!(
        v["themes"],
        json!([
            {"name": "Space", "reflections": [{"bodySource": "Small rooms"}]},
            {"name": null, "reflections": [{"bodySource": "Snacks"}]},
            {"name": "Time", "reflections": [{"bodySource": "Silence first"}]},
        ])
    );
    assert_eq!(v["actions"], json!([{"title": "Book small rooms", "status": "DONE", "owner": {"username": "bea"}}]));
    assert!(app.ok(see, json!({"id": id}), Some(&out.access)).await["harvest"].is_null());
    let list = "query($g: String!) { harvests(groupHandle: $g) { totalCount edges { node { title } } } }";
    assert_eq!(app.ok(list, json!({"g": "circle"}), Some(&bea.access)).await["harvests"]["totalCount"], 1);
    assert_eq!(app.ok(list, json!({"g": "circle"}), Some(&out.access)).await["harvests"]["totalCount"], 0);
}

#[tokio::test]
async fn prompts_reach_those_who_went_and_hosted_once_and_owners_when_reviews_are_due() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bea = app.register("bea").await;
    let cyd = app.register("cyd").await;
    let circle = group(&app, &ann, "circle").await;
    join(&app, &cyd, &circle).await;
    let e = event(
        &app,
        &ann,
        &json!(circle),
        "Peer circle",
        &[MAY_FIRST, ("2031-05-02T09:00:00Z", "2031-05-02T10:00:00Z")],
    )
    .await;
    app.ok("mutation($id: ID!) { rsvp(eventId: $id) { status } }", json!({"id": e}), Some(&bea.access)).await;

    let notes = "{ unreadNotifications notifications(first: 10) { totalCount edges { node { kind read event { title } question { title } } } } }";
    let prompted = |at: &str| weave::domain::learning::prompt_once(&app.state, at.parse().unwrap());
    // After the first session only: nothing yet.
    assert_eq!(prompted("2031-05-01T11:00:00Z").await.unwrap(), 0);
    // After the last: Bea (going) and Ann (the host), not Cy (a member who did not come).
    assert_eq!(prompted("2031-05-02T11:00:00Z").await.unwrap(), 2);
    assert_eq!(prompted("2031-05-02T12:00:00Z").await.unwrap(), 0, "once");
    let v = app.ok(notes, json!({}), Some(&bea.access)).await;
    assert_eq!(v["unreadNotifications"], 1);
    assert_eq!(
        v["notifications"]["edges"][0]["node"],
        json!({"kind": "REFLECTION_PROMPT", "read": false, "event": {"title": "Peer circle"}, "question": null})
    );
    assert_eq!(app.ok(notes, json!({}), Some(&cyd.access)).await["unreadNotifications"], 0);
    // Reflecting on the prompt: one mutation, about the event's last session.
    let r = reflect(&app, &bea, json!({"eventId": e, "sessionIndex": 1, "body": "Good pace"})).await;
    assert_eq!(r["event"]["title"], "Peer circle");
    assert_eq!(r["sessionIndex"], 1);
    // Edited: left out keeps the link, null removes it (and the session with it).
    let edit = "mutation($id: ID!, $i: ReflectInput!) { editReflection(id: $id, input: $i) { event { title } sessionIndex bodySource } }";
    let v = app.ok(edit, json!({"id": r["id"], "i": {"body": "Good pace, really"}}), Some(&bea.access)).await;
    assert_eq!(
        v["editReflection"],
        json!({"event": {"title": "Peer circle"}, "sessionIndex": 1, "bodySource": "Good pace, really"})
    );
    let v = app.ok(edit, json!({"id": r["id"], "i": {"eventId": null}}), Some(&bea.access)).await;
    assert_eq!(v["editReflection"], json!({"event": null, "sessionIndex": null, "bodySource": "Good pace, really"}));
    let v = app.gql(REFLECT, json!({"i": {"eventId": e, "sessionIndex": 2, "body": "x"}}), Some(&bea.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    // Those who did not come may not reflect on the event (unless members of its group).
    let dan = app.register("dan").await;
    let v = app.gql(REFLECT, json!({"i": {"eventId": e, "body": "x"}}), Some(&dan.access)).await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");

    // A restart does not prompt again.
    let app = app.stop().await.start().await;
    assert_eq!(
        weave::domain::learning::prompt_once(&app.state, "2031-05-03T09:00:00Z".parse().unwrap()).await.unwrap(),
        0
    );

    // A review due reminds the owner, once per review.
    let q = app
        .ok(
            QUESTION,
            json!({"i": {"groupId": circle, "title": "What works?", "reviewEveryDays": 7}}),
            Some(&ann.access),
        )
        .await["createLearningQuestion"]["id"]
        .clone();
    let soon = chrono::Utc::now() + chrono::Duration::days(8);
    assert_eq!(weave::domain::learning::prompt_once(&app.state, soon).await.unwrap(), 1);
    assert_eq!(weave::domain::learning::prompt_once(&app.state, soon).await.unwrap(), 0);
    let v = app.ok(notes, json!({}), Some(&ann.access)).await;
    assert_eq!(v["unreadNotifications"], 2);
    assert_eq!(v["notifications"]["edges"][0]["node"]["kind"], "REVIEW_DUE", "newest first");
    assert_eq!(v["notifications"]["edges"][0]["node"]["question"]["title"], "What works?");
    let _ = q;
    let read = "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }";
    assert_eq!(app.ok(read, json!({"ids": null}), Some(&ann.access)).await["markNotificationsRead"], 2);
    assert_eq!(app.ok(read, json!({"ids": null}), Some(&ann.access)).await["markNotificationsRead"], 0);
    assert_eq!(app.ok(notes, json!({}), Some(&ann.access)).await["unreadNotifications"], 0);
    let v = app.gql(notes, json!({}), None).await;
    assert_eq!(code(&v), "UNAUTHENTICATED", "{v}");
}

/// The headings and table rows of a Markdown document, as text.
fn markdown_outline(md: &str) -> (Vec<String>, Vec<Vec<String>>) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let (mut headings, mut rows) = (vec![], vec![]);
    let (mut in_heading, mut row, mut cell): (bool, Option<Vec<String>>, String) = (false, None, String::new());
    for e in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match e {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                headings.push(String::new());
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Start(Tag::TableRow | Tag::TableHead) => row = Some(vec![]),
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => rows.extend(row.take()),
            Event::End(TagEnd::TableCell) => {
                if let Some(r) = row.as_mut() {
                    r.push(std::mem::take(&mut cell));
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if in_heading {
                    headings.last_mut().unwrap().push_str(&t);
                } else if row.is_some() {
                    cell.push_str(&t);
                }
            }
            _ => {}
        }
    }
    (headings, rows)
}

#[tokio::test]
async fn the_progress_report_reads_back_in_every_format_and_share_links_open_it_until_revoked() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bea = app.register("bea").await;
    let out = app.register("out").await;
    let circle = group(&app, &ann, "circle").await;
    join(&app, &bea, &circle).await;
    let q = question(&app, &ann, &circle, "How are we doing at DEI, really?", "PUBLIC").await;
    question(&app, &ann, &circle, "Inner question", "GROUP").await;
    let open =
        reflect(&app, &bea, json!({"questionIds": [q], "body": "Open rooms, \"small\" rooms"})).await["id"].clone();
    let inner = reflect(&app, &ann, json!({"questionIds": [q], "body": "Inner doubts", "visibility": "GROUP"})).await
        ["id"]
        .clone();
    for who in [&ann, &bea] {
        app.ok("mutation($id: ID!) { resonate(reflectionId: $id) { id } }", json!({"id": inner}), Some(&who.access))
            .await;
    }
    let soon = chrono::Utc::now() + chrono::Duration::days(20);
    let (start, end) = (soon.to_rfc3339(), (soon + chrono::Duration::hours(1)).to_rfc3339());
    let e = event(&app, &ann, &json!(circle), "Spring circle", &[(&start, &end)]).await;
    for who in [&ann, &bea] {
        app.ok("mutation($id: ID!) { rsvp(eventId: $id) { status } }", json!({"id": e}), Some(&who.access)).await;
    }
    app.ok(
        "mutation($i: CreateResourceInput!) { createResource(input: $i) { id } }",
        json!({"i": {"groupId": circle, "title": "=cmd|' /C calc'!A0", "kind": "LINK", "url": "https://example.org/g"}}),
        Some(&ann.access),
    )
    .await;
    let h = app
        .ok(
            "mutation($i: CreateHarvestInput!) { createHarvest(input: $i) { id } }",
            json!({"i": {"groupId": circle, "title": "Spring harvest", "from": chrono::Utc::now().to_rfc3339(),
                "to": soon.to_rfc3339(), "understanding": "We listen better."}}),
            Some(&ann.access),
        )
        .await["createHarvest"]["id"]
        .clone();
    app.ok(
        "mutation($h: ID!, $r: [ID!]!) { addToHarvest(harvestId: $h, reflectionIds: $r, theme: \"Space\") { id } }",
        json!({"h": h, "r": [open, inner]}),
        Some(&ann.access),
    )
    .await;
    app.ok(
        "mutation($i: CreateActionInput!) { createAction(input: $i) { id } }",
        json!({"i": {"harvestId": h, "title": "Book rooms", "ownerHandle": "bea"}}),
        Some(&ann.access),
    )
    .await;

    let from = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let to = (soon + chrono::Duration::days(2)).to_rfc3339();
    let get = |query: Vec<(&'static str, String)>, token: Option<&str>| {
        let mut req = app.client.get(format!("{}/groups/circle/report", app.address)).query(&query);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let period = |format: &str| vec![("from", from.clone()), ("to", to.clone()), ("format", format.to_string())];

    // JSON, for a member.
    let res = get(period("json"), Some(&bea.access)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    assert_eq!(res.headers()["x-robots-tag"], "noindex");
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["group"]["handle"], "circle");
    assert_eq!(r["questions"].as_array().unwrap().len(), 2, "members see the GROUP question too");
    let question = &r["questions"][0];
    assert_eq!(question["title"], "How are we doing at DEI, really?");
    assert_eq!(question["evidence"], 2);
    assert_eq!(question["top_reflections"][0]["text"], "Inner doubts", "the one that resonated most first");
    assert_eq!(question["top_reflections"][0]["resonance"], 2);
    assert_eq!(r["harvests"][0]["themes"], json!([{"name": "Space", "reflections": 2}]));
    assert_eq!(r["harvests"][0]["actions"][0]["title"], "Book rooms");
    assert_eq!(
        r["events"],
        json!([{"title": "Spring circle", "starts_at": r["events"][0]["starts_at"], "ends_at": r["events"][0]["ends_at"], "going": 2}])
    );
    assert_eq!(r["resources"].as_array().unwrap().len(), 1);
    let weeks = r["weeks"].as_array().unwrap();
    assert_eq!(weeks.iter().map(|w| w["reflections"].as_u64().unwrap()).sum::<u64>(), 2);
    assert_eq!(weeks.iter().map(|w| w["attendance"].as_i64().unwrap()).sum::<i64>(), 2);

    // Markdown: its headings and the events table.
    let md = get(period("md"), Some(&bea.access)).await.unwrap().text().await.unwrap();
    let (headings, rows) = markdown_outline(&md);
    assert_eq!(headings[0], "circle: progress report");
    assert!(headings.contains(&"How are we doing at DEI, really? (OPEN, 2 reflections)".to_string()), "{headings:?}");
    assert!(
        headings.contains(&"Spring harvest".to_string()) || headings.iter().any(|h| h.starts_with("Spring harvest")),
        "{headings:?}"
    );
    assert_eq!(rows[1][0], "Spring circle");
    assert_eq!(rows[1][2], "2");

    // CSV: one table, quoted where needed, no formulas.
    let text = get(period("csv"), Some(&bea.access)).await.unwrap().text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["section", "title", "date", "count", "status", "detail"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let section = |s: &str| rows.iter().filter(|r| &r[0] == s).cloned().collect::<Vec<_>>();
    assert_eq!(&section("question")[0][1], "How are we doing at DEI, really?");
    assert_eq!(&section("question")[0][3], "2");
    assert_eq!(section("reflection").len(), 2);
    assert!(section("reflection").iter().any(|r| &r[5] == "Open rooms, \"small\" rooms"));
    assert_eq!(&section("resource")[0][1], "'=cmd|' /C calc'!A0", "a formula is kept as text");
    assert_eq!(section("week").iter().map(|r| r[3].parse::<u64>().unwrap()).sum::<u64>(), 2);

    // HTML: the page with its chart, and no script.
    let res = get(vec![("from", from.clone()), ("to", to.clone())], Some(&bea.access)).await.unwrap();
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'none'"));
    let page = res.text().await.unwrap();
    assert!(page.contains("<svg") && page.contains("How are we doing at DEI, really?"));
    assert!(!page.contains("<script"));

    // Nobody else reads it without a link.
    assert_eq!(get(period("json"), None).await.unwrap().status(), 401);
    assert_eq!(get(period("json"), Some(&out.access)).await.unwrap().status(), 404);
    assert_eq!(get(period("json"), Some("not-a-token")).await.unwrap().status(), 401);

    // A share link: made by moderators, opens without a sign-in, shows PUBLIC texts only.
    let make = "mutation($g: ID!, $f: DateTime, $t: DateTime) { createReportLink(groupId: $g, from: $f, to: $t) { id url from to } }";
    let v = app.gql(make, json!({"g": circle, "f": from, "t": to}), Some(&bea.access)).await;
    assert_eq!(code(&v), "FORBIDDEN", "{v}");
    let link =
        app.ok(make, json!({"g": circle, "f": from, "t": to}), Some(&ann.access)).await["createReportLink"].clone();
    let url = link["url"].as_str().unwrap().to_string();
    let shared = app.client.get(format!("{url}&format=json")).send().await.unwrap();
    assert_eq!(shared.status(), 200);
    let r: Value = shared.json().await.unwrap();
    assert_eq!(r["questions"].as_array().unwrap().len(), 1, "a link shows PUBLIC questions only");
    assert_eq!(r["questions"][0]["evidence"], 2, "counts are whole");
    assert_eq!(r["harvests"][0]["actions"][0]["title"], "Book rooms");
    assert!(r["harvests"][0]["actions"][0]["owner"].is_null(), "no one's name leaves through a link");
    assert_eq!(r["questions"][0]["top_reflections"].as_array().unwrap().len(), 1);
    assert_eq!(r["questions"][0]["top_reflections"][0]["text"], "Open rooms, \"small\" rooms");
    assert!(app.client.get(&url).send().await.unwrap().text().await.unwrap().contains("<svg"));
    let wrong = url.replace("token=", "token=x");
    assert_eq!(app.client.get(&wrong).send().await.unwrap().status(), 404);
    // Moderators list the links (without their tokens); a link that expired stops working.
    let list = "query($g: ID!) { reportLinks(groupId: $g) { id url expiresAt revokedAt } }";
    let v = app.ok(list, json!({"g": circle}), Some(&ann.access)).await["reportLinks"].clone();
    assert_eq!(v, json!([{"id": link["id"], "url": null, "expiresAt": null, "revokedAt": null}]));
    assert_eq!(code(&app.gql(list, json!({"g": circle}), Some(&bea.access)).await), "FORBIDDEN");
    let past = "mutation($g: ID!, $e: DateTime) { createReportLink(groupId: $g, expiresAt: $e) { url } }";
    let v = app.gql(past, json!({"g": circle, "e": "2020-01-01T00:00:00Z"}), Some(&ann.access)).await;
    assert_eq!(code(&v), "BAD_USER_INPUT", "{v}");
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let expiring = app.ok(past, json!({"g": circle, "e": soon}), Some(&ann.access)).await["createReportLink"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.client.get(&expiring).send().await.unwrap().status(), 200);
    {
        use sea_orm::{sea_query::Expr, EntityTrait as _};
        weave::db::report_link::Entity::update_many()
            .col_expr(
                weave::db::report_link::Column::ExpiresAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
            )
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    assert_eq!(app.client.get(&expiring).send().await.unwrap().status(), 404);
    let revoke = "mutation($id: ID!) { revokeReportLink(id: $id) }";
    let v = app.gql(revoke, json!({"id": link["id"]}), Some(&out.access)).await;
    assert_eq!(code(&v), "NOT_FOUND", "{v}");
    assert_eq!(app.ok(revoke, json!({"id": link["id"]}), Some(&ann.access)).await["revokeReportLink"], true);
    assert_eq!(app.client.get(format!("{url}&format=json")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn the_notifications_subscription_brings_each_new_prompt_to_its_member_only() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bea = app.register("bea").await;
    let circle = group(&app, &ann, "circle").await;
    let e = event(&app, &ann, &json!(circle), "Peer circle", &[MAY_FIRST]).await;
    app.ok("mutation($id: ID!) { rsvp(eventId: $id) { status } }", json!({"id": e}), Some(&bea.access)).await;
    let query = "subscription { notifications { kind read event { title } } }";
    let mut bea_ws = crate::helpers::subscribe(&app, &bea, query, json!({})).await;
    let outsider = app.register("out").await;
    let mut out_ws = crate::helpers::subscribe(&app, &outsider, query, json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        weave::domain::learning::prompt_once(&app.state, "2031-05-01T11:00:00Z".parse().unwrap()).await.unwrap(),
        2
    );
    let msg = crate::helpers::next_message(&mut bea_ws).await;
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(
        msg["payload"]["data"]["notifications"],
        json!({"kind": "REFLECTION_PROMPT", "read": false, "event": {"title": "Peer circle"}})
    );
    // Nothing for someone who was not there.
    use futures_util::StreamExt as _;
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(500), out_ws.next()).await;
    assert!(quiet.is_err(), "{quiet:?}");
}

#[tokio::test]
async fn people_who_voted_from_mastodon_are_asked_after_the_event_and_their_replies_become_reflections() {
    use crate::peer::{actor_key, post_signed, Tamper};
    let a = spawn_app().await;
    let b = spawn_app().await;
    let host = a.admin("steward").await;
    b.register("rosa").await;
    b.register("mallory").await;
    let community = a.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"].clone();
    let id = event(&a, &host, &community, "Networks as system weavers", &[MAY_FIRST]).await;
    let inbox = format!("http://{}/inbox", a.domain());
    let group = format!("http://{}/groups/community", a.domain());
    let (rosa, rosa_key) = actor_key(&b, &format!("http://{}/members/rosa", b.domain())).await;
    let (mallory, mallory_key) = actor_key(&b, &format!("http://{}/members/mallory", b.domain())).await;
    let poll = format!("http://{}/events/{id}/poll", a.domain());
    let vote = json!({"id": format!("{rosa}/statuses/1/activity"), "type": "Create", "actor": rosa, "to": [group],
        "object": {"id": format!("{rosa}/statuses/1"), "type": "Note", "name": "Going", "attributedTo": rosa,
            "inReplyTo": poll, "to": [group]}});
    assert_eq!(post_signed(&inbox, &rosa, &rosa_key, &vote, Tamper::default()).await, 202);

    // After the event: the host here is notified, Rosa is asked on her server, once.
    let after = "2031-05-01T11:00:00Z".parse().unwrap();
    assert_eq!(weave::domain::learning::prompt_once(&a.state, after).await.unwrap(), 2);
    assert_eq!(weave::domain::learning::prompt_once(&a.state, after).await.unwrap(), 0);
    use sea_orm::{EntityTrait as _, QueryOrder as _};
    let sent: Vec<Value> = weave::db::outbound_activity::Entity::find()
        .order_by_asc(weave::db::outbound_activity::Column::Id)
        .all(&a.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|x| serde_json::from_str::<Value>(&x.payload).unwrap()["object"].clone())
        .filter(|o| o["content"].as_str().is_some_and(|c| c.contains("How did it go?")))
        .collect();
    assert_eq!(sent.len(), 1);
    let prompt = sent[0]["id"].as_str().unwrap().to_string();
    assert_eq!(sent[0]["to"], json!([rosa]));
    assert_eq!(sent[0]["tag"][0]["href"], rosa.as_str());
    assert!(sent[0]["content"].as_str().unwrap().contains("Networks as system weavers"));
    assert_eq!(a.deliver().await.failed, 0);

    // Her reply, as Mastodon sends one, is a reflection on the event; sent twice, it is one.
    let reply = |actor: &str, n: u32, text: &str| {
        json!({"id": format!("{actor}/statuses/{n}/activity"), "type": "Create", "actor": actor, "to": [group],
            "object": {"id": format!("{actor}/statuses/{n}"), "type": "Note", "attributedTo": actor,
                "content": format!("<p>{text}</p><script>x</script>"), "inReplyTo": prompt, "to": [group]}})
    };
    for _ in 0..2 {
        assert_eq!(
            post_signed(&inbox, &rosa, &rosa_key, &reply(&rosa, 2, "Small rooms worked"), Tamper::default()).await,
            202
        );
    }
    // Mallory was not asked: her answer to Rosa's prompt is no reflection.
    assert_eq!(
        post_signed(&inbox, &mallory, &mallory_key, &reply(&mallory, 1, "Me too"), Tamper::default()).await,
        202
    );
    let see = "query($e: ID!) { reflections(filter: {eventId: $e}) { totalCount edges { node { body local visibility
        author { handle } event { title } } } } }";
    let v = a.ok(see, json!({"e": id}), Some(&host.access)).await["reflections"].clone();
    assert_eq!(v["totalCount"], 1, "{v}");
    let node = &v["edges"][0]["node"];
    assert_eq!(node["body"], "<p>Small rooms worked</p>");
    assert_eq!(node["local"], false);
    assert_eq!(node["visibility"], "GROUP");
    assert_eq!(node["author"]["handle"], format!("rosa@{}", b.domain()));
    assert_eq!(node["event"]["title"], "Networks as system weavers");
    // GROUP: not shown to people outside the group.
    assert_eq!(a.ok(see, json!({"e": id}), None).await["reflections"]["totalCount"], 0);
    // She deletes her reply: the reflection goes.
    let delete = json!({"id": format!("{rosa}/statuses/2#delete"), "type": "Delete", "actor": rosa,
        "object": {"id": format!("{rosa}/statuses/2"), "type": "Tombstone"}});
    assert_eq!(post_signed(&inbox, &rosa, &rosa_key, &delete, Tamper::default()).await, 202);
    assert_eq!(a.ok(see, json!({"e": id}), Some(&host.access)).await["reflections"]["totalCount"], 0);
}
