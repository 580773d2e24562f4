//! Reading and counting follows, and removing an actor's.
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::db::enums::FollowState;
use crate::db::{follow, group, member};
use crate::domain::actors::{ActorKind, ApActor};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::error::AppResult;

pub(super) async fn find_pair<C: ConnectionTrait>(
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
