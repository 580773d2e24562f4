//! Groups, memberships and roles.
use serde_json::json;

use crate::helpers::{code, spawn_app, spawn_with};

const CREATE: &str = "mutation($i:CreateGroupInput!){ createGroup(input:$i){ id handle name summary local url requiresApproval members { totalCount edges { node { role member { username } } } } } }";
const JOIN: &str = "mutation($g:ID!){ joinGroup(groupId:$g){ id role member { username } group { handle } } }";
const LEAVE: &str = "mutation($g:ID!){ leaveGroup(groupId:$g) }";
const SET_ROLE: &str =
    "mutation($g:ID!,$m:ID!,$r:MembershipRole!){ setMemberRole(groupId:$g, memberId:$m, role:$r){ role } }";

#[tokio::test]
async fn fresh_instance_has_the_community_group_and_new_members_join_it() {
    let app = spawn_app().await;
    let g = app
        .ok("{ group(handle:\"community\"){ handle name local url members { totalCount } } }", json!({}), None)
        .await;
    assert_eq!(g["group"]["handle"], "community");
    assert_eq!(g["group"]["local"], true);
    assert_eq!(g["group"]["url"], format!("http://{}/groups/community", app.state.config.domain));
    assert_eq!(g["group"]["members"]["totalCount"], 0);
    app.register("alice").await;
    let g = app
        .ok(
            "{ group(handle:\"community\"){ members { totalCount edges { node { role member { username } } } } } }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(g["group"]["members"]["totalCount"], 1);
    assert_eq!(g["group"]["members"]["edges"][0]["node"]["role"], "MEMBER");
}

#[tokio::test]
async fn create_join_leave() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let created = app
        .ok(
            CREATE,
            json!({"i": {"slug": "funders", "name": "Funders Circle", "summary": "Funders learning together"}}),
            Some(&alice.access),
        )
        .await["createGroup"]
        .clone();
    assert_eq!(created["handle"], "funders");
    assert_eq!(created["members"]["edges"][0]["node"]["role"], "OWNER");
    assert_eq!(created["members"]["edges"][0]["node"]["member"]["username"], "alice");
    let gid = created["id"].as_str().unwrap();

    let joined = app.ok(JOIN, json!({"g": gid}), Some(&bob.access)).await;
    assert_eq!(joined["joinGroup"]["role"], "MEMBER");
    assert_eq!(joined["joinGroup"]["group"]["handle"], "funders");
    // Joining again is idempotent.
    let again = app.ok(JOIN, json!({"g": gid}), Some(&bob.access)).await;
    assert_eq!(again["joinGroup"]["id"], joined["joinGroup"]["id"]);

    let groups = app.ok("{ groups { totalCount edges { node { handle } } } }", json!({}), None).await;
    assert_eq!(groups["groups"]["totalCount"], 2);

    assert_eq!(app.ok(LEAVE, json!({"g": gid}), Some(&bob.access)).await["leaveGroup"], true);
    assert_eq!(code(&app.gql(LEAVE, json!({"g": gid}), Some(&bob.access)).await), "NOT_FOUND");
    // The last owner cannot leave.
    assert_eq!(code(&app.gql(LEAVE, json!({"g": gid}), Some(&alice.access)).await), "CONFLICT");

    // Duplicate slug, and a slug that is a username.
    assert_eq!(
        code(&app.gql(CREATE, json!({"i": {"slug": "funders", "name": "Again"}}), Some(&bob.access)).await),
        "CONFLICT"
    );
    assert_eq!(
        code(&app.gql(CREATE, json!({"i": {"slug": "bob", "name": "Bob"}}), Some(&bob.access)).await),
        "CONFLICT"
    );
    let bad = app.gql(CREATE, json!({"i": {"slug": "Bad Slug", "name": "x"}}), Some(&bob.access)).await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    assert_eq!(bad["errors"][0]["extensions"]["field"], "slug");
    assert_eq!(code(&app.gql(CREATE, json!({"i": {"slug": "anon", "name": "x"}}), None).await), "UNAUTHENTICATED");
    assert_eq!(
        code(&app.gql(JOIN, json!({"g": "0190b5a4-0000-7000-8000-000000000000"}), Some(&bob.access)).await),
        "NOT_FOUND"
    );
    assert_eq!(code(&app.gql(JOIN, json!({"g": "nope"}), Some(&bob.access)).await), "BAD_USER_INPUT");
}

#[tokio::test]
async fn approval_groups_and_roles() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let mod_ = app.register("moddy").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let gid = app
        .ok(
            CREATE,
            json!({"i": {"slug": "researchers", "name": "Researchers", "requiresApproval": true}}),
            Some(&owner.access),
        )
        .await["createGroup"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    for who in [&mod_, &bob, &carol] {
        assert_eq!(app.ok(JOIN, json!({"g": gid}), Some(&who.access)).await["joinGroup"]["role"], "PENDING");
    }
    // Join requests are visible to moderators only.
    let members_q = "query($h:String!){ group(handle:$h){ members { totalCount } } }";
    assert_eq!(app.ok(members_q, json!({"h": "researchers"}), None).await["group"]["members"]["totalCount"], 1);
    assert_eq!(
        app.ok(members_q, json!({"h": "researchers"}), Some(&owner.access)).await["group"]["members"]["totalCount"],
        4
    );

    // A pending member (or a non-member) cannot change roles.
    let v = app.gql(SET_ROLE, json!({"g": gid, "m": carol.id, "r": "MEMBER"}), Some(&bob.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");
    let outsider = app.register("outsider").await;
    let v = app.gql(SET_ROLE, json!({"g": gid, "m": carol.id, "r": "MEMBER"}), Some(&outsider.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");

    // The owner makes a moderator; the moderator approves a request but cannot promote.
    app.ok(SET_ROLE, json!({"g": gid, "m": mod_.id, "r": "MODERATOR"}), Some(&owner.access)).await;
    let approved = app.ok(SET_ROLE, json!({"g": gid, "m": bob.id, "r": "MEMBER"}), Some(&mod_.access)).await;
    assert_eq!(approved["setMemberRole"]["role"], "MEMBER");
    let v = app.gql(SET_ROLE, json!({"g": gid, "m": bob.id, "r": "ADMIN"}), Some(&mod_.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");
    let v = app.gql(SET_ROLE, json!({"g": gid, "m": bob.id, "r": "MODERATOR"}), Some(&bob.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");

    // Declining a request removes it; the owner cannot be demoted while alone.
    let rm = "mutation($g:ID!,$m:ID!){ removeMember(groupId:$g, memberId:$m) }";
    assert_eq!(app.ok(rm, json!({"g": gid, "m": carol.id}), Some(&mod_.access)).await["removeMember"], true);
    let v = app.gql(rm, json!({"g": gid, "m": owner.id}), Some(&mod_.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");
    let v = app.gql(SET_ROLE, json!({"g": gid, "m": owner.id, "r": "MEMBER"}), Some(&owner.access)).await;
    assert_eq!(code(&v), "CONFLICT");
    // Handing ownership over, then stepping down, works.
    app.ok(SET_ROLE, json!({"g": gid, "m": bob.id, "r": "OWNER"}), Some(&owner.access)).await;
    app.ok(SET_ROLE, json!({"g": gid, "m": owner.id, "r": "MEMBER"}), Some(&owner.access)).await;
    let mine = app
        .ok(
            "query($h:String!){ group(handle:$h){ myMembership { role } } }",
            json!({"h": "researchers"}),
            Some(&owner.access),
        )
        .await;
    assert_eq!(mine["group"]["myMembership"]["role"], "MEMBER");
}

#[tokio::test]
async fn admins_can_restrict_group_creation() {
    let app = spawn_with(|c| c.group_creation = weave::config::GroupCreation::Admins).await;
    let alice = app.register("alice").await;
    let v = app.gql(CREATE, json!({"i": {"slug": "alices", "name": "Alice's"}}), Some(&alice.access)).await;
    assert_eq!(code(&v), "FORBIDDEN");
    let admin = app.admin("root_admin").await;
    app.ok(CREATE, json!({"i": {"slug": "official", "name": "Official"}}), Some(&admin.access)).await;
}

#[tokio::test]
async fn the_admin_owns_community() {
    let app = spawn_app().await;
    let admin = app.admin("root_admin").await;
    let g = app
        .ok("{ group(handle:\"community\"){ myMembership { role } } me { isAdmin } }", json!({}), Some(&admin.access))
        .await;
    assert_eq!(g["group"]["myMembership"]["role"], "OWNER");
    assert_eq!(g["me"]["isAdmin"], true);
    // Registering first does not make anyone admin.
    let first = app.register("early_bird").await;
    assert_eq!(app.ok("{ me { isAdmin } }", json!({}), Some(&first.access)).await["me"]["isAdmin"], false);
}

#[tokio::test]
async fn two_owners_stepping_down_at_once_leave_one_owner() {
    let app = spawn_app().await;
    let a = app.register("owner_a").await;
    let b = app.register("owner_b").await;
    for round in 0..4 {
        let slug = format!("circle_{round}");
        let gid = app.ok(CREATE, json!({"i": {"slug": slug, "name": "Circle"}}), Some(&a.access)).await["createGroup"]
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.ok(JOIN, json!({"g": gid}), Some(&b.access)).await;
        app.ok(SET_ROLE, json!({"g": gid, "m": b.id, "r": "OWNER"}), Some(&a.access)).await;
        let (ra, rb) = tokio::join!(
            app.gql(SET_ROLE, json!({"g": gid, "m": a.id, "r": "MEMBER"}), Some(&a.access)),
            app.gql(SET_ROLE, json!({"g": gid, "m": b.id, "r": "MEMBER"}), Some(&b.access)),
        );
        let ok = [&ra, &rb].iter().filter(|r| r.get("errors").is_none()).count();
        assert_eq!(ok, 1, "exactly one steps down: {ra} {rb}");
        let failed = if ra.get("errors").is_some() { &ra } else { &rb };
        assert_eq!(code(failed), "CONFLICT");
        let members = app
            .ok(
                "query($h:String!){ group(handle:$h){ members { edges { node { role } } } } }",
                json!({"h": format!("circle_{round}")}),
                None,
            )
            .await;
        let owners = members["group"]["members"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["node"]["role"] == "OWNER")
            .count();
        assert_eq!(owners, 1);
    }
}
