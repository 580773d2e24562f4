//! Follows between actors, local or remote: following partner networks from here, accepting
//! (or, where approval is manual, reviewing) followers from elsewhere, and the activities
//! each step publishes. GraphQL mutations and inbox handlers both end here.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    Set,
};
use uuid::Uuid;

use crate::ap::activities::{self, FollowAnswer};
use crate::db::enums::FollowState;
use crate::db::{self, follow, group, member};
use crate::domain::actors::{ensure_keys, ActorKind, ApActor};
use crate::domain::groups;
use crate::domain::outbox::{self, Outgoing};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

async fn find_pair<C: ConnectionTrait>(
    conn: &C,
    follower: &ApActor,
    target: &ApActor,
) -> AppResult<Option<follow::Model>> {
    Ok(follow::Entity::find()
        .filter(follow::Column::FollowerKind.eq(follower.kind))
        .filter(follow::Column::FollowerId.eq(follower.row_id))
        .filter(follow::Column::TargetKind.eq(target.kind))
        .filter(follow::Column::TargetId.eq(target.row_id))
        .one(conn)
        .await?)
}

/// Who follows: the signed-in member, or a local group they own or administer (a partner
/// network following another network).
pub async fn follower_for(state: &AppState, viewer: &Viewer, as_group: Option<Uuid>) -> AppResult<ApActor> {
    let me = viewer.active_member()?;
    match as_group {
        None => ApActor::from_member(me.clone()),
        Some(group_id) => {
            let g = groups::get(&state.db, group_id).await?;
            if !g.local {
                return Err(AppError::bad_input("asGroup", "only local groups can follow from here"));
            }
            let actor = ApActor::from_group(g)?;
            may_review(state, viewer, &actor).await?;
            Ok(actor)
        }
    }
}

/// `follower` (from [`follower_for`]) follows `target` (resolved by the caller). Remote targets
/// get a `Follow` and the follow stays PENDING until their `Accept`; local targets are followed
/// at once (or PENDING where they approve followers by hand). Following again answers the
/// existing follow.
pub async fn follow(state: &AppState, follower: ApActor, target: ApActor) -> AppResult<follow::Model> {
    if target.kind == ActorKind::Instance || !target.is_active() {
        return Err(AppError::bad_input("handle", "this actor cannot be followed"));
    }
    if target.kind == follower.kind && target.row_id == follower.row_id {
        return Err(AppError::bad_input("handle", "an actor cannot follow itself"));
    }
    if let Some(existing) = find_pair(&state.db, &follower, &target).await? {
        return Ok(existing);
    }
    // Keys first: on SQLite a write outside the transaction below would wait on it.
    let follower = if target.local { follower } else { ensure_keys(state, follower).await? };
    let txn = db::begin_write(&state.db).await?;
    let ap_id = outbox::activity_id(state, "Follow");
    let now = Utc::now();
    let follow_state = if target.local && !target.manually_approves_followers() {
        FollowState::Accepted
    } else {
        FollowState::Pending
    };
    let row = follow::ActiveModel {
        id: Set(Uuid::now_v7()),
        ap_id: Set(ap_id.clone()),
        follower_kind: Set(follower.kind),
        follower_id: Set(follower.row_id),
        target_kind: Set(target.kind),
        target_id: Set(target.row_id),
        state: Set(follow_state),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    if !target.local {
        outbox::enqueue(
            &txn,
            state,
            Outgoing {
                actor_kind: follower.kind,
                actor_id: follower.row_id,
                payload: activities::follow(&ap_id, follower.id.as_str(), target.id.as_str()),
                ap_id,
                kind: "Follow",
                public: false,
                inboxes: vec![target.delivery_inbox()],
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(row)
}

/// Stops following; remote targets get an `Undo`. Answers whether there was a follow.
pub async fn unfollow(state: &AppState, follower: ApActor, target: ApActor) -> AppResult<bool> {
    let Some(existing) = find_pair(&state.db, &follower, &target).await? else { return Ok(false) };
    let follower = if target.local { follower } else { ensure_keys(state, follower).await? };
    let txn = db::begin_write(&state.db).await?;
    follow::Entity::delete_by_id(existing.id).exec(&txn).await?;
    if !target.local {
        let ap_id = outbox::activity_id(state, "Undo");
        outbox::enqueue(
            &txn,
            state,
            Outgoing {
                actor_kind: follower.kind,
                actor_id: follower.row_id,
                payload: activities::undo_follow(&ap_id, follower.id.as_str(), &existing.ap_id, target.id.as_str()),
                ap_id,
                kind: "Undo",
                public: false,
                inboxes: vec![target.delivery_inbox()],
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// A remote actor asks to follow a local one. Accepted at once (with a signed `Accept`) unless
/// the target approves followers by hand. A repeated `Follow` (Mastodon retries) re-sends the
/// `Accept` of an accepted follow.
pub async fn receive_follow(
    state: &AppState,
    follower: &ApActor,
    target: &ApActor,
    follow_ap_id: &str,
) -> AppResult<()> {
    let target = ensure_keys(state, target.clone()).await?;
    let manual = target.manually_approves_followers();
    let txn = db::begin_write(&state.db).await?;
    let now = Utc::now();
    let row = match find_pair(&txn, follower, &target).await? {
        Some(existing) => {
            let mut row: follow::ActiveModel = existing.into();
            row.ap_id = Set(follow_ap_id.to_string());
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            follow::ActiveModel {
                id: Set(Uuid::now_v7()),
                ap_id: Set(follow_ap_id.to_string()),
                follower_kind: Set(follower.kind),
                follower_id: Set(follower.row_id),
                target_kind: Set(target.kind),
                target_id: Set(target.row_id),
                state: Set(if manual { FollowState::Pending } else { FollowState::Accepted }),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    if row.state == FollowState::Accepted {
        enqueue_response(&txn, state, &target, follower, &row.ap_id, true).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn enqueue_response<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    target: &ApActor,
    follower: &ApActor,
    follow_ap_id: &str,
    accept: bool,
) -> AppResult<()> {
    let answer = if accept { FollowAnswer::Accept } else { FollowAnswer::Reject };
    let kind = answer.as_str();
    let ap_id = outbox::activity_id(state, kind);
    outbox::enqueue(
        conn,
        state,
        Outgoing {
            actor_kind: target.kind,
            actor_id: target.row_id,
            payload: activities::respond_to_follow(
                answer,
                &ap_id,
                target.id.as_str(),
                follow_ap_id,
                follower.id.as_str(),
            ),
            ap_id,
            kind,
            public: false,
            inboxes: vec![follower.delivery_inbox()],
        },
    )
    .await?;
    Ok(())
}

/// A remote actor accepted or rejected one of our follows.
pub async fn receive_response(
    state: &AppState,
    responder: &ApActor,
    follow_ap_id: &str,
    accepted: bool,
) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let Some(row) = follow::Entity::find().filter(follow::Column::ApId.eq(follow_ap_id)).one(&txn).await? else {
        return Ok(());
    };
    // Only the followed actor may answer.
    if row.target_kind != responder.kind || row.target_id != responder.row_id {
        return Err(AppError::forbidden("only the followed actor may answer a follow"));
    }
    if accepted {
        let mut active: follow::ActiveModel = row.into();
        active.state = Set(FollowState::Accepted);
        active.updated_at = Set(Utc::now());
        active.update(&txn).await?;
    } else {
        follow::Entity::delete_by_id(row.id).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A remote follower stopped following.
pub async fn receive_undo(
    state: &AppState,
    follower: &ApActor,
    follow_ap_id: &str,
    target: Option<&str>,
) -> AppResult<()> {
    let mut cond = Condition::any().add(follow::Column::ApId.eq(follow_ap_id));
    if let Some(target) = target {
        if let Some(t) = ApActor::by_ap_id(state, target).await? {
            cond = cond.add(
                Condition::all().add(follow::Column::TargetKind.eq(t.kind)).add(follow::Column::TargetId.eq(t.row_id)),
            );
        }
    }
    follow::Entity::delete_many()
        .filter(follow::Column::FollowerKind.eq(follower.kind))
        .filter(follow::Column::FollowerId.eq(follower.row_id))
        .filter(cond)
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Accepted followers of an actor.
pub async fn followers_count<C: ConnectionTrait>(conn: &C, kind: ActorKind, id: Uuid) -> AppResult<u64> {
    Ok(follow::Entity::find()
        .filter(follow::Column::TargetKind.eq(kind))
        .filter(follow::Column::TargetId.eq(id))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .count(conn)
        .await?)
}

/// A page of an actor's accepted followers' ActivityPub ids, oldest follow first.
pub async fn follower_ids<C: ConnectionTrait>(
    conn: &C,
    kind: ActorKind,
    id: Uuid,
    page: PageRequest,
) -> AppResult<Page<(Uuid, String)>> {
    let rows = keyset(
        conn,
        follow::Entity::find()
            .filter(follow::Column::TargetKind.eq(kind))
            .filter(follow::Column::TargetId.eq(id))
            .filter(follow::Column::State.eq(FollowState::Accepted)),
        follow::Column::Id,
        page,
    )
    .await?;
    let members: Vec<Uuid> =
        rows.items.iter().filter(|f| f.follower_kind == ActorKind::Member).map(|f| f.follower_id).collect();
    let groups_: Vec<Uuid> =
        rows.items.iter().filter(|f| f.follower_kind == ActorKind::Group).map(|f| f.follower_id).collect();
    let mut ap_ids = std::collections::HashMap::new();
    for m in member::Entity::find().filter(member::Column::Id.is_in(members)).all(conn).await? {
        ap_ids.insert(m.id, m.ap_id);
    }
    for g in group::Entity::find().filter(group::Column::Id.is_in(groups_)).all(conn).await? {
        ap_ids.insert(g.id, g.ap_id);
    }
    let items = rows.items.iter().filter_map(|f| ap_ids.get(&f.follower_id).map(|a| (f.id, a.clone()))).collect();
    Ok(Page { items, has_next: rows.has_next, total: rows.total })
}

/// Accepted follows made by an actor.
pub async fn following_count<C: ConnectionTrait>(conn: &C, kind: ActorKind, id: Uuid) -> AppResult<u64> {
    Ok(follow::Entity::find()
        .filter(follow::Column::FollowerKind.eq(kind))
        .filter(follow::Column::FollowerId.eq(id))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .count(conn)
        .await?)
}

/// Accepted followers of many actors of one kind, in one grouped query.
pub async fn followers_counts<C: ConnectionTrait>(
    conn: &C,
    kind: ActorKind,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, u64>> {
    use sea_orm::sea_query::{Expr, Func};
    let rows: Vec<(Uuid, i64)> = follow::Entity::find()
        .select_only()
        .column(follow::Column::TargetId)
        .column_as(Expr::expr(Func::count(Expr::col(follow::Column::Id))), "n")
        .filter(follow::Column::TargetKind.eq(kind))
        .filter(follow::Column::TargetId.is_in(ids.iter().copied()))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .group_by(follow::Column::TargetId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (id, u64::try_from(n).unwrap_or(0))).collect())
}

/// May the viewer decide on follow requests to (or follow in the name of) this actor? The
/// member themselves, or a group's owners and admins (and instance admins).
async fn may_review(state: &AppState, viewer: &Viewer, target: &ApActor) -> AppResult<()> {
    let me = viewer.active_member()?;
    if !target.local {
        return Err(AppError::forbidden("only local actors' followers can be reviewed here"));
    }
    let allowed = match target.kind {
        ActorKind::Member => target.row_id == me.id,
        ActorKind::Group => groups::administers(groups::acting_role(&state.db, viewer, target.row_id).await?),
        ActorKind::Instance => false,
    };
    if !allowed {
        return Err(AppError::forbidden("only the group's owners and admins may review its followers"));
    }
    Ok(())
}

/// Follow requests awaiting a decision, for a local group.
pub async fn pending_requests(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<follow::Model>> {
    let g = groups::get(&state.db, group_id).await?;
    let target = ApActor::from_group(g)?;
    may_review(state, viewer, &target).await?;
    let filter = Condition::all()
        .add(follow::Column::TargetKind.eq(ActorKind::Group))
        .add(follow::Column::TargetId.eq(group_id))
        .add(follow::Column::State.eq(FollowState::Pending));
    keyset(&state.db, follow::Entity::find().filter(filter), follow::Column::Id, page).await
}

/// Accepts or rejects a pending follow request; the follower's server hears a signed answer.
pub async fn review(
    state: &AppState,
    viewer: &Viewer,
    follow_id: Uuid,
    accept: bool,
) -> AppResult<Option<follow::Model>> {
    let row = follow::Entity::find_by_id(follow_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("follow request"))?;
    let target = ApActor::by_row(&state.db, state, row.target_kind, row.target_id)
        .await?
        .ok_or_else(|| AppError::not_found("actor"))?;
    may_review(state, viewer, &target).await?;
    if row.state != FollowState::Pending {
        return Err(AppError::conflict("this follow request was already answered"));
    }
    let follower = ApActor::by_row(&state.db, state, row.follower_kind, row.follower_id)
        .await?
        .ok_or_else(|| AppError::not_found("follower"))?;
    let target = ensure_keys(state, target).await?;
    let txn = db::begin_write(&state.db).await?;
    // Only a still-pending request may be answered, once: concurrent answers race on this row.
    let answered = if accept {
        follow::Entity::update_many()
            .col_expr(follow::Column::State, sea_orm::sea_query::Expr::value(FollowState::Accepted))
            .col_expr(follow::Column::UpdatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(follow::Column::Id.eq(row.id))
            .filter(follow::Column::State.eq(FollowState::Pending))
            .exec(&txn)
            .await?
            .rows_affected
    } else {
        follow::Entity::delete_many()
            .filter(follow::Column::Id.eq(row.id))
            .filter(follow::Column::State.eq(FollowState::Pending))
            .exec(&txn)
            .await?
            .rows_affected
    };
    if answered != 1 {
        return Err(AppError::conflict("this follow request was already answered or withdrawn"));
    }
    let result = if accept { follow::Entity::find_by_id(row.id).one(&txn).await? } else { None };
    if !follower.local {
        enqueue_response(&txn, state, &target, &follower, &row.ap_id, accept).await?;
    }
    txn.commit().await?;
    Ok(result)
}

/// Removes every follow from or to an actor.
pub async fn delete_all_of<C: ConnectionTrait>(conn: &C, kind: ActorKind, id: Uuid) -> AppResult<()> {
    follow::Entity::delete_many()
        .filter(
            Condition::any()
                .add(Condition::all().add(follow::Column::FollowerKind.eq(kind)).add(follow::Column::FollowerId.eq(id)))
                .add(Condition::all().add(follow::Column::TargetKind.eq(kind)).add(follow::Column::TargetId.eq(id))),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// Whether someone here follows this remote actor (accepted): only then do we take what it
/// announces or publishes to its followers.
pub async fn is_followed_here<C: ConnectionTrait>(conn: &C, kind: ActorKind, id: Uuid) -> AppResult<bool> {
    Ok(followers_count(conn, kind, id).await? > 0)
}

/// Whether a local group follows another group (accepted).
pub async fn follows_group<C: ConnectionTrait>(conn: &C, follower: Uuid, target: Uuid) -> AppResult<bool> {
    Ok(follow::Entity::find()
        .filter(follow::Column::FollowerKind.eq(ActorKind::Group))
        .filter(follow::Column::FollowerId.eq(follower))
        .filter(follow::Column::TargetKind.eq(ActorKind::Group))
        .filter(follow::Column::TargetId.eq(target))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .count(conn)
        .await?
        > 0)
}
