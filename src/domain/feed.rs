//! A member's home feed: what is new in their groups (those they belong to, join requests
//! aside) and the groups on other servers they follow, newest first. Events, threads, replies,
//! library entries and learning reflections, each shown as its own list would show it to the
//! viewer (one visibility rule per kind, asked here as each list asks it).
//!
//! Ids are UUIDv7, so newest first is id order across every kind: a page is one bounded
//! statement per kind (at most `first + 1` rows each, after the cursor's id), merged here. The
//! statement count does not depend on the page size.
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::db::enums::{ActorKind, EventStatus, FollowState, Role};
use crate::db::{actor, event, follow, membership, post, reflection, resource, thread};
use crate::domain::pagination::{keyset_newest, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::domain::visibility::{self, RecordScope};
use crate::error::AppResult;

/// One entry of the feed.
// A page holds at most a few dozen, each moved once into its answer.
#[allow(clippy::large_enum_variant)]
pub enum FeedEntry {
    Event(event::Model),
    Thread(thread::Model),
    Post(post::Model),
    Resource(resource::Model),
    Reflection(reflection::Model),
}

impl FeedEntry {
    pub fn id(&self) -> Uuid {
        match self {
            FeedEntry::Event(x) => x.id,
            FeedEntry::Thread(x) => x.id,
            FeedEntry::Post(x) => x.id,
            FeedEntry::Resource(x) => x.id,
            FeedEntry::Reflection(x) => x.id,
        }
    }
}

/// The groups a member's feed follows: theirs (not pending) and the groups elsewhere they
/// follow (accepted).
pub async fn groups_of<C: ConnectionTrait>(conn: &C, member_id: Uuid) -> AppResult<Vec<Uuid>> {
    let mut ids: Vec<Uuid> = membership::Entity::find()
        .select_only()
        .column(membership::Column::GroupId)
        .filter(membership::Column::MemberId.eq(member_id))
        .filter(membership::Column::Role.ne(Role::Pending))
        .into_tuple()
        .all(conn)
        .await?;
    let groups = Query::select()
        .column(actor::Column::Id)
        .from(actor::Entity)
        .and_where(actor::Column::Kind.eq(ActorKind::Group))
        .to_owned();
    let followed: Vec<Uuid> = follow::Entity::find()
        .select_only()
        .column(follow::Column::TargetId)
        .filter(follow::Column::FollowerId.eq(member_id))
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .filter(follow::Column::TargetId.in_subquery(groups))
        .into_tuple()
        .all(conn)
        .await?;
    ids.extend(followed);
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// A page of the signed-in viewer's feed, newest first.
pub async fn feed<C: ConnectionTrait>(conn: &C, viewer: &Viewer, page: PageRequest) -> AppResult<Page<FeedEntry>> {
    let me = viewer.member()?;
    let groups = groups_of(conn, me.id).await?;
    if groups.is_empty() {
        return Ok(Page { items: vec![], has_next: false, total: 0 });
    }
    let each = PageRequest { first: page.first, after: page.after, count_total: false };
    let in_groups = |c: thread::Column| c.is_in(groups.clone());
    // Events as lists show them, without drafts.
    let events = event::Entity::find()
        .filter(event::Column::GroupId.is_in(groups.clone()))
        .filter(event::Column::Status.ne(EventStatus::Draft))
        .filter(crate::domain::events::listable(viewer)?);
    let events = keyset_newest(conn, events, event::Column::Id, each).await?;
    let threads_shown = visibility::threads_visible(viewer)?;
    let threads = thread::Entity::find().filter(in_groups(thread::Column::GroupId)).filter(threads_shown.clone());
    let threads = keyset_newest(conn, threads, thread::Column::Id, each).await?;
    // Replies (not a thread's opening post, which is the thread), in threads shown.
    let shown_threads = Query::select()
        .column(thread::Column::Id)
        .from(thread::Entity)
        .cond_where(Condition::all().add(in_groups(thread::Column::GroupId)).add(threads_shown))
        .to_owned();
    let replies = post::Entity::find()
        .filter(post::Column::ThreadId.in_subquery(shown_threads))
        .filter(post::Column::Deleted.eq(false))
        .filter(Expr::cust(
            "EXISTS (SELECT 1 FROM post AS earlier WHERE earlier.thread_id = post.thread_id AND earlier.id < post.id)",
        ));
    let posts = keyset_newest(conn, replies, post::Column::Id, each).await?;
    let resources = resource::Entity::find().filter(resource::Column::GroupId.is_in(groups.clone()));
    let resources = keyset_newest(conn, resources, resource::Column::Id, each).await?;
    let scope = RecordScope::of(conn, viewer).await?;
    let reflections = reflection::Entity::find().filter(reflection::Column::GroupId.is_in(groups.clone())).filter(
        scope.written_condition(
            reflection::Column::GroupId,
            reflection::Column::Visibility,
            reflection::Column::AuthorId,
        ),
    );
    let reflections = keyset_newest(conn, reflections, reflection::Column::Id, each).await?;

    let mut all: Vec<FeedEntry> = Vec::new();
    all.extend(events.items.into_iter().map(FeedEntry::Event));
    all.extend(threads.items.into_iter().map(FeedEntry::Thread));
    all.extend(posts.items.into_iter().map(FeedEntry::Post));
    all.extend(resources.items.into_iter().map(FeedEntry::Resource));
    all.extend(reflections.items.into_iter().map(FeedEntry::Reflection));
    all.sort_by_key(|e| std::cmp::Reverse(e.id()));
    let more_in_kind =
        events.has_next || threads.has_next || posts.has_next || resources.has_next || reflections.has_next;
    let first = usize::try_from(page.first).unwrap_or(usize::MAX);
    let has_next = all.len() > first || more_in_kind;
    all.truncate(first);
    Ok(Page { items: all, has_next, total: 0 })
}

/// Whether a change on the bus concerns a group of the feed (for `feedChanged`): a new post
/// or thread, an event's change, a new library entry or reflection.
pub async fn concerns<C: ConnectionTrait>(conn: &C, change: &crate::bus::Change, groups: &[Uuid]) -> AppResult<bool> {
    use crate::bus::Change;
    let group = match change {
        Change::Post { thread, .. } => {
            thread::Entity::find_by_id(*thread).one(conn).await?.filter(|t| !t.hidden).map(|t| t.group_id)
        }
        Change::Event { id } => event::Entity::find_by_id(*id)
            .one(conn)
            .await?
            .filter(|e| e.status != EventStatus::Draft)
            .map(|e| e.group_id),
        Change::Shared { group } => Some(*group),
        Change::Notified { .. } => None,
    };
    Ok(group.is_some_and(|g| groups.contains(&g)))
}
