//! Federation between real instances: each test starts two or three Weave servers on
//! loopback (debug mode: http, `localhost:PORT` domains), and they sign and verify each
//! other's requests. Delivery queues are drained by calling the worker, never by sleeping.
use serde_json::{json, Value};

use crate::helpers::{code, spawn_app, TestApp};

const AP: &str = "application/activity+json";

async fn get_json(app: &TestApp, path: &str, accept: &str) -> (u16, Value) {
    let resp = app.client.get(format!("{}{}", app.address, path)).header("accept", accept).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

const FOLLOW: &str = "mutation($h:String!){ follow(handle:$h){ id target accepted } }";
const GROUP: &str = "query($h:String!){ group(handle:$h){ id handle name summary local url followersCount } }";

async fn my_follow_accepted(app: &TestApp, token: &str, handle: &str) -> bool {
    // Following again answers the existing follow.
    app.ok(FOLLOW, json!({"h": handle}), Some(token)).await["follow"]["accepted"].as_bool().unwrap()
}

#[tokio::test]
async fn webfinger_actor_documents_and_nodeinfo() {
    let app = spawn_app().await;
    app.register("alice").await;
    let domain = app.domain().to_string();

    let (status, wf) =
        get_json(&app, &format!("/.well-known/webfinger?resource=acct:community@{domain}"), "application/jrd+json")
            .await;
    assert_eq!(status, 200);
    assert_eq!(wf["subject"], format!("acct:community@{domain}"));
    let group_url = format!("http://{domain}/groups/community");
    assert_eq!(wf["aliases"][0], group_url);
    let links = wf["links"].as_array().unwrap();
    assert!(links.iter().any(|l| l["rel"] == "self" && l["type"] == AP && l["href"] == group_url));
    assert!(links.iter().any(|l| l["rel"] == "http://webfinger.net/rel/profile-page" && l["href"] == group_url));
    let (status, _) = get_json(&app, &format!("/.well-known/webfinger?resource=acct:nobody@{domain}"), "*/*").await;
    assert_eq!(status, 404);
    let (status, _) = get_json(&app, "/.well-known/webfinger?resource=acct:alice@elsewhere.example", "*/*").await;
    assert_eq!(status, 404);

    let (status, group) = get_json(&app, "/groups/community", AP).await;
    assert_eq!(status, 200);
    assert_eq!(group["type"], "Group");
    assert_eq!(group["id"], group_url);
    assert_eq!(group["preferredUsername"], "community");
    assert_eq!(group["inbox"], format!("{group_url}/inbox"));
    assert_eq!(group["outbox"], format!("{group_url}/outbox"));
    assert_eq!(group["followers"], format!("{group_url}/followers"));
    assert_eq!(group["endpoints"]["sharedInbox"], format!("http://{domain}/inbox"));
    assert_eq!(group["publicKey"]["owner"], group_url);
    assert_eq!(group["publicKey"]["id"], format!("{group_url}#main-key"));
    assert!(group["publicKey"]["publicKeyPem"].as_str().unwrap().contains("BEGIN PUBLIC KEY"));
    assert!(group["@context"].is_array());

    let (status, person) =
        get_json(&app, "/members/alice", "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
            .await;
    assert_eq!(status, 200);
    assert_eq!(person["type"], "Person");
    assert_eq!(person["preferredUsername"], "alice");
    // The key is stable between fetches.
    let (_, again) = get_json(&app, "/members/alice", AP).await;
    assert_eq!(person["publicKey"], again["publicKey"]);

    // People get a page.
    let html =
        app.client.get(format!("{}/groups/community", app.address)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(html.status(), 200);
    assert!(html.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let body = html.text().await.unwrap();
    assert!(body.contains("og:title") && body.contains(&format!("@community@{domain}")));

    let (status, _) = get_json(&app, "/members/nobody", AP).await;
    assert_eq!(status, 404);

    let (status, links) = get_json(&app, "/.well-known/nodeinfo", "application/json").await;
    assert_eq!(status, 200);
    let href = links["links"][0]["href"].as_str().unwrap().to_string();
    assert!(href.ends_with("/nodeinfo/2.1"));
    let (status, info) = get_json(&app, "/nodeinfo/2.1", "application/json").await;
    assert_eq!(status, 200);
    assert_eq!(info["software"]["name"], "weave");
    assert_eq!(info["protocols"], json!(["activitypub"]));
    assert_eq!(info["usage"]["users"]["total"], 1);

    let (status, outbox) = get_json(&app, "/groups/community/outbox", AP).await;
    assert_eq!(status, 200);
    assert_eq!(outbox["type"], "OrderedCollection");
    let (status, followers) = get_json(&app, "/groups/community/followers", AP).await;
    assert_eq!(status, 200);
    assert_eq!(followers["totalItems"], 0);
    let (status, actor) = get_json(&app, "/actor", AP).await;
    assert_eq!(status, 200);
    assert_eq!(actor["type"], "Application");
}

#[tokio::test]
async fn partner_instances_follow_each_other_and_hear_updates() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let admin = a.admin("root_admin").await;
    let alice = b.register("alice").await;
    let community_a = format!("community@{}", a.domain());

    // B resolves A's group on demand.
    let remote = b.ok(GROUP, json!({"h": community_a}), Some(&alice.access)).await["group"].clone();
    assert_eq!(remote["local"], false);
    assert_eq!(remote["name"], "Community");
    assert_eq!(remote["handle"], community_a);
    assert_eq!(remote["url"], format!("http://{}/groups/community", a.domain()));

    let f = b.ok(FOLLOW, json!({"h": community_a}), Some(&alice.access)).await["follow"].clone();
    assert_eq!(f["accepted"], false);
    assert_eq!(f["target"], community_a);

    // B sends the signed Follow; A accepts it and sends a signed Accept back.
    assert_eq!(b.deliver().await.sent, 1);
    let g = a.ok(GROUP, json!({"h": "community"}), None).await["group"].clone();
    assert_eq!(g["followersCount"], 1);
    // Lists count followers too (batched).
    let list = a.ok("{ groups { edges { node { handle followersCount } } } }", json!({}), None).await;
    assert_eq!(list["groups"]["edges"][0]["node"], json!({"handle": "community", "followersCount": 1}));
    assert_eq!(a.deliver().await.sent, 1);
    assert!(my_follow_accepted(&b, &alice.access, &community_a).await);

    // A's group changes; B's copy follows.
    let gid = g["id"].as_str().unwrap();
    a.ok(
        "mutation($g:ID!){ updateGroup(groupId:$g, input:{name:\"Community of Practice\", summary:\"We *learn* together\"}){ name } }",
        json!({"g": gid}),
        Some(&admin.access),
    )
    .await;
    assert_eq!(a.deliver().await.sent, 1);
    let remote = b.ok(GROUP, json!({"h": community_a}), None).await["group"].clone();
    assert_eq!(remote["name"], "Community of Practice");
    // The Update is public: it is in A's outbox.
    let (_, page) = get_json(&a, "/groups/community/outbox?page=true", AP).await;
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["orderedItems"][0]["type"], "Update");
    assert_eq!(page["orderedItems"][0]["object"]["name"], "Community of Practice");
    let queue = a.ok("{ deliveryQueue { pending failed deadServers } }", json!({}), Some(&admin.access)).await;
    assert_eq!(queue["deliveryQueue"], json!({"pending": 0, "failed": 0, "deadServers": []}));
    assert!(remote["summary"].as_str().unwrap().contains("<em>learn</em>"));

    // Unfollow: an Undo reaches A.
    let undone =
        b.ok("mutation($h:String!){ unfollow(handle:$h) }", json!({"h": community_a}), Some(&alice.access)).await;
    assert_eq!(undone["unfollow"], true);
    assert_eq!(b.deliver().await.sent, 1);
    assert_eq!(a.ok(GROUP, json!({"h": "community"}), None).await["group"]["followersCount"], 0);
    // Updates no longer go to B.
    a.ok(
        "mutation($g:ID!){ updateGroup(groupId:$g, input:{name:\"Again\"}){ name } }",
        json!({"g": gid}),
        Some(&admin.access),
    )
    .await;
    assert_eq!(a.deliver().await.total(), 0);
}

#[tokio::test]
async fn members_are_followable_and_profile_updates_federate() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let bob = a.register("bob").await;
    let alice = b.register("alice").await;
    let bob_handle = format!("bob@{}", a.domain());
    // Anonymous callers see only what is cached; signed-in ones may look actors up elsewhere.
    let anon = b.ok("query($h:String!){ member(handle:$h){ handle } }", json!({"h": bob_handle}), None).await;
    assert!(anon["member"].is_null());
    // Handles are case-insensitive: WebFinger is asked in the case typed, and answers in it.
    let m = b
        .ok(
            "query($h:String!){ member(handle:$h){ handle username local url } }",
            json!({"h": format!("@BOB@{}", a.domain())}),
            Some(&alice.access),
        )
        .await;
    assert_eq!(m["member"]["handle"], bob_handle);
    assert_eq!(m["member"]["local"], false);
    assert_eq!(m["member"]["username"], "bob");
    b.ok(FOLLOW, json!({"h": bob_handle}), Some(&alice.access)).await;
    b.deliver().await;
    a.deliver().await;
    assert!(my_follow_accepted(&b, &alice.access, &bob_handle).await);
    assert_eq!(
        a.ok("{ member(handle:\"bob\"){ followersCount } }", json!({}), None).await["member"]["followersCount"],
        1
    );

    a.ok(
        "mutation { updateProfile(input:{displayName:\"Bob Builder\", bio:\"Builds **networks**\"}){ displayName } }",
        json!({}),
        Some(&bob.access),
    )
    .await;
    assert_eq!(a.deliver().await.sent, 1);
    let m = b.ok("query($h:String!){ member(handle:$h){ displayName bio } }", json!({"h": bob_handle}), None).await;
    assert_eq!(m["member"]["displayName"], "Bob Builder");
    assert!(m["member"]["bio"].as_str().unwrap().contains("<strong>networks</strong>"));
}

#[tokio::test]
async fn groups_can_approve_followers_by_hand() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let owner = a.register("owner").await;
    let gid = a
        .ok(
            "mutation { createGroup(input:{slug:\"circle\", name:\"Inner Circle\", manuallyApprovesFollowers:true}){ id } }",
            json!({}),
            Some(&owner.access),
        )
        .await["createGroup"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, actor) = get_json(&a, "/groups/circle", AP).await;
    assert_eq!(actor["manuallyApprovesFollowers"], true);

    let alice = b.register("alice").await;
    let carol = b.register("carol").await;
    let circle = format!("circle@{}", a.domain());
    b.ok(FOLLOW, json!({"h": circle}), Some(&alice.access)).await;
    b.ok(FOLLOW, json!({"h": circle}), Some(&carol.access)).await;
    assert_eq!(b.deliver().await.sent, 2, "two Follow activities, one delivery each to the shared inbox");
    let requests_q = "query($g:ID!){ followRequests(groupId:$g){ totalCount edges { node { id followerHandle } } } }";
    let reqs = a.ok(requests_q, json!({"g": gid}), Some(&owner.access)).await["followRequests"].clone();
    assert_eq!(reqs["totalCount"], 2);
    // Nothing was accepted yet.
    assert_eq!(a.deliver().await.total(), 0);
    // Others may not see or answer them.
    let stranger = a.register("stranger").await;
    assert_eq!(code(&a.gql(requests_q, json!({"g": gid}), Some(&stranger.access)).await), "FORBIDDEN");

    let edges = reqs["edges"].as_array().unwrap();
    let id_of = |who: &str| {
        edges.iter().find(|e| e["node"]["followerHandle"].as_str().unwrap().starts_with(who)).unwrap()["node"]["id"]
            .clone()
    };
    let v = a
        .gql("mutation($id:ID!){ acceptFollowRequest(id:$id) }", json!({"id": id_of("alice")}), Some(&stranger.access))
        .await;
    assert_eq!(code(&v), "FORBIDDEN");
    a.ok("mutation($id:ID!){ acceptFollowRequest(id:$id) }", json!({"id": id_of("alice")}), Some(&owner.access)).await;
    a.ok("mutation($id:ID!){ rejectFollowRequest(id:$id) }", json!({"id": id_of("carol")}), Some(&owner.access)).await;
    assert_eq!(a.deliver().await.sent, 2);
    assert!(my_follow_accepted(&b, &alice.access, &circle).await);
    // Carol's follow was rejected and is gone: following again starts a new request.
    assert!(!my_follow_accepted(&b, &carol.access, &circle).await);
    assert_eq!(a.ok(GROUP, json!({"h": "circle"}), None).await["group"]["followersCount"], 1);
}

#[tokio::test]
async fn deleting_an_account_tells_followers_and_leaves_a_tombstone() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    let bob = a.register("bob").await;
    let alice = b.register("alice").await;
    let bob_handle = format!("bob@{}", a.domain());
    b.ok(FOLLOW, json!({"h": bob_handle}), Some(&alice.access)).await;
    b.deliver().await;
    a.deliver().await;

    let del = "mutation($p:String!){ deleteAccount(password:$p) }";
    assert_eq!(code(&a.gql(del, json!({"p": "wrong password"}), Some(&bob.access)).await), "BAD_USER_INPUT");
    assert_eq!(a.ok(del, json!({"p": "correct horse battery"}), Some(&bob.access)).await["deleteAccount"], true);
    // The actor is gone for everyone: 410 for ActivityPub, no WebFinger, no profile, no sign-in.
    let (status, tomb) = get_json(&a, "/members/bob", AP).await;
    assert_eq!(status, 410);
    assert_eq!(tomb["type"], "Tombstone");
    let (status, _) = get_json(&a, &format!("/.well-known/webfinger?resource=acct:bob@{}", a.domain()), "*/*").await;
    assert_eq!(status, 404);
    assert!(a.ok("{ member(handle:\"bob\"){ id } }", json!({}), None).await["member"].is_null());
    assert_eq!(code(&a.gql("{ me { id } }", json!({}), Some(&bob.access)).await), "UNAUTHENTICATED");
    // The name stays taken, so nobody can impersonate bob.
    let v = a
        .gql("mutation { register(input:{username:\"bob\", email:\"new@example.org\", password:\"long enough pw\"}){ member { id } } }", json!({}), None)
        .await;
    assert_eq!(code(&v), "CONFLICT");

    // B hears the signed Delete and forgets bob.
    assert_eq!(a.deliver().await.sent, 1);
    let m = b.ok("query($h:String!){ member(handle:$h){ id } }", json!({"h": bob_handle}), None).await;
    assert!(m["member"].is_null(), "{m}");
}

#[tokio::test]
async fn production_mode_refuses_loopback_and_plain_http_peers() {
    let target = spawn_app().await;
    target.register("alice").await;
    let prod = crate::helpers::spawn_with(|c| c.federation_debug = false).await;
    let me = prod.register("prodmember").await;
    for handle in [format!("alice@{}", target.domain()), "alice@localhost".to_string(), "alice@127.0.0.1".to_string()] {
        let v = prod.gql("query($h:String!){ member(handle:$h){ id } }", json!({"h": handle}), Some(&me.access)).await;
        let c = code(&v);
        assert!(c == "BAD_USER_INPUT" || c == "NOT_FOUND", "{handle}: {v}");
        assert!(v["data"]["member"].is_null());
    }
    // Nothing was stored about the loopback peer (the one member is ours).
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(weave::db::member::Entity::find().count(&prod.state.db).await.unwrap(), 1);
}

#[tokio::test]
async fn a_partner_network_group_follows_another_network() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    a.admin("root_admin").await;
    let lead = b.register("lead").await;
    let outsider = b.register("outsider").await;
    let network = b
        .ok(
            "mutation { createGroup(input:{slug:\"partners\", name:\"Partner Network\"}){ id } }",
            json!({}),
            Some(&lead.access),
        )
        .await["createGroup"]["id"]
        .clone();
    let community_a = format!("community@{}", a.domain());
    let q = "mutation($h:String!,$g:ID){ follow(handle:$h, asGroup:$g){ accepted } }";
    // Only the group's owners and admins may follow in its name.
    assert_eq!(code(&b.gql(q, json!({"h": community_a, "g": network}), Some(&outsider.access)).await), "FORBIDDEN");
    b.ok(q, json!({"h": community_a, "g": network}), Some(&lead.access)).await;
    b.deliver().await;
    a.deliver().await;
    assert_eq!(b.ok(q, json!({"h": community_a, "g": network}), Some(&lead.access)).await["follow"]["accepted"], true);
    assert_eq!(a.ok(GROUP, json!({"h": "community"}), None).await["group"]["followersCount"], 1);
    // A sees the follower as the partner group.
    let (_, followers) = get_json(&a, "/groups/community/followers", AP).await;
    assert_eq!(followers["totalItems"], 1);
}

#[tokio::test]
async fn remote_look_ups_are_bounded_per_request() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    for name in ["user1", "user2", "user3", "user4"] {
        a.register(name).await;
    }
    let alice = b.register("alice").await;
    let d = a.domain();
    let q = format!(
        "{{ a1: member(handle:\"user1@{d}\"){{ id }} a2: member(handle:\"user2@{d}\"){{ id }} a3: member(handle:\"user3@{d}\"){{ id }} a4: member(handle:\"user4@{d}\"){{ id }} }}"
    );
    let v = b.gql(&q, json!({}), Some(&alice.access)).await;
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!(errors[0]["extensions"]["code"], "RATE_LIMITED");
    // The three allowed ones are cached now; a later request sees all four after one more fetch.
    let v = b.ok(&q, json!({}), Some(&alice.access)).await;
    assert!(["a1", "a2", "a3", "a4"].iter().all(|k| v[*k]["id"].is_string()), "{v}");
}

#[tokio::test]
async fn malformed_server_names_in_handles_are_bad_user_input() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bad = [
        "a@xn--invalid-.com",
        "a@xn--a.com",
        "a@xn--zz-zzzzzzzz.example",
        "a@ex ample.com",
        "a@-.com",
        "a@example-.com",
        "a@\u{0}.com",
        "a@exa\u{7}mple.com",
        "a@example.com:99999",
        "a@example.com:",
        "a@exam/ple.com",
        "a@[::1",
        "a@..",
        "a b@example.com",
        "a@\u{200b}.com",
    ];
    for handle in bad {
        for (query, token) in [
            ("mutation($h:String!){ follow(handle:$h){ id } }", Some(alice.access.as_str())),
            ("query($h:String!){ member(handle:$h){ id } }", Some(alice.access.as_str())),
            ("query($h:String!){ group(handle:$h){ id } }", None),
            ("mutation($h:String!){ unfollow(handle:$h) }", Some(alice.access.as_str())),
        ] {
            let v = app.gql(query, json!({"h": handle}), token).await;
            assert_eq!(code(&v), "BAD_USER_INPUT", "{handle:?} in {query}: {v}");
            assert_eq!(v["errors"][0]["extensions"]["field"], "handle", "{v}");
        }
        // Search treats it as text: no error at all.
        let v = app
            .gql("query($q:String!){ search(query:$q){ members { id } } }", json!({"q": handle}), Some(&alice.access))
            .await;
        let c = v["errors"][0]["extensions"]["code"].as_str().unwrap_or("none");
        assert!(c == "none" || c == "BAD_USER_INPUT", "{handle:?} in search: {v}");
    }
    // International names that are valid stay acceptable (no such server: nothing found, no error
    // about the handle).
    let v = app.gql("query($h:String!){ group(handle:$h){ id } }", json!({"h": "network@bücher.example"}), None).await;
    assert!(v.get("errors").is_none(), "{v}");
}
