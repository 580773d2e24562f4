//! Reading and counting follows, and removing an actor's.
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::db::enums::FollowState;
use crate::db::{actor, follow};
use crate::domain::actors::ApActor;
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::error::AppResult;

pub(super) async fn find_pair<C: ConnectionTrait>(
    conn: &C,
    follower: &ApActor,
    target: &ApActor,
) -> AppResult<Option<follow::Model>> {
    Ok(follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(follower.row_id))
        .filter(follow::Column::TargetId.eq(target.row_id))
        .one(conn)
        .await?)
}

/// Accepted followers of an actor.
pub async fn followers_count<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<u64> {
    Ok(follow::Entity::find()
        .filter(follow::Column::TargetId.eq(id))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .count(conn)
        .await?)
}

/// A page of an actor's accepted followers' ActivityPub ids, oldest follow first.
pub async fn follower_ids<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    page: PageRequest,
) -> AppResult<Page<(Uuid, String)>> {
    let rows = keyset(
        conn,
        follow::Entity::find()
            .filter(follow::Column::TargetId.eq(id))
            .filter(follow::Column::State.eq(FollowState::Accepted)),
        follow::Column::Id,
        page,
    )
    .await?;
    let ids: Vec<Uuid> = rows.items.iter().map(|f| f.follower_id).collect();
    let ap_ids: std::collections::HashMap<Uuid, String> = actor::Entity::find()
        .select_only()
        .column(actor::Column::Id)
        .column(actor::Column::ApId)
        .filter(actor::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let items = rows.items.iter().filter_map(|f| ap_ids.get(&f.follower_id).map(|a| (f.id, a.clone()))).collect();
    Ok(Page { items, has_next: rows.has_next, total: rows.total })
}

/// Accepted follows made by an actor.
pub async fn following_count<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<u64> {
    Ok(follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(id))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .count(conn)
        .await?)
}

/// Accepted followers of many actors, in one grouped query.
pub async fn followers_counts<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, u64>> {
    use sea_orm::sea_query::{Expr, Func};
    let rows: Vec<(Uuid, i64)> = follow::Entity::find()
        .select_only()
        .column(follow::Column::TargetId)
        .column_as(Expr::expr(Func::count(Expr::col(follow::Column::Id))), "n")
        .filter(follow::Column::TargetId.is_in(ids.iter().copied()))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .group_by(follow::Column::TargetId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (id, u64::try_from(n).unwrap_or(0))).collect())
}

/// Removes every follow from or to an actor.
pub async fn delete_all_of<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<()> {
    follow::Entity::delete_many()
        .filter(Condition::any().add(follow::Column::FollowerId.eq(id)).add(follow::Column::TargetId.eq(id)))
        .exec(conn)
        .await?;
    Ok(())
}

/// Whether someone here follows this remote actor (accepted): only then do we take what it
/// announces or publishes to its followers.
pub async fn is_followed_here<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<bool> {
    Ok(followers_count(conn, id).await? > 0)
}

/// Whether a local group follows another group (accepted).
pub async fn follows_group<C: ConnectionTrait>(conn: &C, follower: Uuid, target: Uuid) -> AppResult<bool> {
    Ok(follow::Entity::find()
        .filter(follow::Column::FollowerId.eq(follower))
        .filter(follow::Column::TargetId.eq(target))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .count(conn)
        .await?
        > 0)
}
