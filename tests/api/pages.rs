//! The public pages show the community to a visitor (a Mastodon user clicking through to
//! `@group@domain`): the front page its description, upcoming public events and newest
//! discussions, a group's page its events, discussions, library and followers, a member's page
//! their public profile; ten to a section with a link to the next ten, through the API's
//! visibility rule, with OpenGraph tags.
use serde_json::json;

use crate::helpers::{spawn_app, Account, TestApp};

async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.client.get(format!("{}{path}", app.address)).header("accept", "text/html").send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn event(app: &TestApp, who: &Account, group: &str, title: &str, visibility: &str) {
    app.ok(
        "mutation($i: CreateEventInput!) { createEvent(input: $i) { id } }",
        json!({"i": {"groupId": group, "title": title, "timezone": "UTC", "visibility": visibility,
            "sessions": [{"startsAt": "2031-05-01T09:00:00Z", "endsAt": "2031-05-01T11:00:00Z"}],
            "location": {"mode": "ONLINE", "onlineUrl": "https://meet.example.org/x"}}}),
        Some(&who.access),
    )
    .await;
}

/// The `href` of the section's "More" link.
fn more_link(page: &str, param: &str) -> Option<String> {
    let at = page.find(&format!("href=\"?{param}="))?;
    let rest = &page[at + 6..];
    Some(rest[..rest.find('"')?].to_string())
}

#[tokio::test]
async fn public_pages_show_events_discussions_library_and_profiles() {
    let app = spawn_app().await;
    let ann = app.admin("ann").await;
    let g = app.ok("{ group(handle: \"community\") { id } }", json!({}), None).await["group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.ok(
        "mutation { updateInstance(input: {description: \"Practitioners **learning** together\", rules: [\"Be kind\"]}) { rules } }",
        json!({}),
        Some(&ann.access),
    )
    .await;
    event(&app, &ann, &g, "Open evaluation clinic", "PUBLIC").await;
    event(&app, &ann, &g, "Members-only retreat", "MEMBERS").await;
    for n in 1..=11 {
        app.ok(
            "mutation($i: CreateThreadInput!) { createThread(input: $i) { id } }",
            json!({"i": {"groupId": g, "title": format!("Question {n:02}"), "body": "How?"}}),
            Some(&ann.access),
        )
        .await;
    }
    app.ok(
        "mutation($i: CreateResourceInput!) { createResource(input: $i) { id } }",
        json!({"i": {"groupId": g, "title": "Mapping toolkit", "kind": "TOOLKIT", "url": "https://toolkits.example/m"}}),
        Some(&ann.access),
    )
    .await;

    // The front page: description, rules, the public event (not the members' one), the ten
    // newest discussions and a link to the rest.
    let (status, front) = html(&app, "/").await;
    assert_eq!(status, 200);
    assert!(front.contains("<strong>learning</strong>") && front.contains("Be kind"));
    assert!(front.contains("Open evaluation clinic"));
    assert!(!front.contains("Members-only retreat"));
    assert!(front.contains("Question 11") && !front.contains("Question 01"), "newest first, ten of them");
    assert!(front.contains("property=\"og:description\" content=\"Practitioners **learning** together\""));
    let next = more_link(&front, "threads").expect("a link to the next discussions");
    let (_, rest) = html(&app, &format!("/{next}")).await;
    assert!(rest.contains("Question 01") && !rest.contains("Question 11"));
    assert_eq!(html(&app, "/?threads=not-a-cursor").await.0, 404);

    // The group's page.
    let (status, group) = html(&app, "/groups/community").await;
    assert_eq!(status, 200);
    for part in
        ["0 followers", "Upcoming events", "Open evaluation clinic", "Discussions", "Question 11", "Mapping toolkit"]
    {
        assert!(group.contains(part), "{part}");
    }
    assert!(!group.contains("Members-only retreat"));
    assert!(group.contains("property=\"og:title\""));

    // A member's page: their public profile, never their email.
    let bob = app.register("bob").await;
    app.ok(
        "mutation { updateProfile(input: {pronouns: \"he/him\", organization: \"Learning Lab\",
            links: [\"https://bob.example/\"], interests: [\"evaluation\"]}) { id } }",
        json!({}),
        Some(&bob.access),
    )
    .await;
    let (status, profile) = html(&app, "/members/bob").await;
    assert_eq!(status, 200);
    for part in ["he/him", "Learning Lab", "href=\"https://bob.example/\"", "evaluation"] {
        assert!(profile.contains(part), "{part}");
    }
    assert!(!profile.contains("bob@example"), "no email");
}
