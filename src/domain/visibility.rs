//! Who may be shown, decided once for every front door: the GraphQL look-ups and directory,
//! WebFinger, actor URLs and HTML pages all ask here.
//!
//! Where each object kind's rule is:
//! - members: [`member_visible`], [`member_public`], [`member_directory`]; their account
//!   details [`member_account_visible`], their private profile fields
//!   [`member_private_visible`]; signing in [`may_sign_in`];
//! - groups: shown to everyone; the directory is [`group_directory`];
//! - local actors (URLs, outboxes, collections): [`actor_public`];
//! - events: [`events::may_view`](crate::domain::events::may_view) (next to the rest of the events' rules); their online
//!   link: [`online_link_visible`];
//! - threads: [`thread_visible`] (one), [`threads_visible`] (a list's condition) and
//!   [`thread_public`] (what other servers are sent and served);
//! - posts: [`post_visible`] (as their thread);
//! - resources: as public as their group, so shown to everyone (`resources::get` asks
//!   nothing more);
//! - learning records (questions, reflections): [`RecordScope`] (one record:
//!   [`RecordScope::sees`]; a list's condition: [`RecordScope::condition`]); harvests and
//!   notifications are their group's and their member's (`domain::learning`).
//!
//! The rules:
//! - PENDING, SUSPENDED and DELETED members are hidden from everyone but admins (and a pending
//!   member sees themself); so are their outboxes, collections and published activities.
//! - `discoverable: false` keeps a member out of the directory and search, not out of reach by
//!   handle.
//! - Remote actors are listed in the directory only once verified (`verified_at`).
//! - A member's e-mail address and account status are shown to themself and instance admins;
//!   their private profile fields (the secret calendar address) to themself alone.
//! - An event's online link is shown to its GOING registrants and its hosts (who
//!   [`events::manages`](crate::domain::events::manages) it); never on public pages or feeds.
//! - Local ACTIVE and PENDING members may sign in and keep using their tokens; SUSPENDED and
//!   DELETED ones may not.
//! - Hidden threads, and their posts, are shown only to the group's moderators (and instance
//!   admins); every other thread and post to everyone.
//! - A learning record is PUBLIC (everyone), PARTNERS (its group's members and the members of
//!   its partner groups: groups that follow it and that it follows, both accepted) or GROUP (its
//!   group's members); instance admins see every one.
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait};

use crate::db::enums::{FollowState, MemberStatus, RecordVisibility, RegistrationStatus, Role};
use crate::db::{actor, follow, group, member, membership, post, thread};
use crate::domain::actors::{ActorSource, ApActor};
use crate::domain::groups;
use crate::domain::viewer::Viewer;
use crate::error::AppResult;
use uuid::Uuid;

/// Whether `viewer` may see this member at all (by handle, id or URL).
pub fn member_visible(m: &member::Model, viewer: &Viewer) -> bool {
    match m.status {
        MemberStatus::Active => true,
        MemberStatus::Deleted => viewer.is_admin(),
        MemberStatus::Pending | MemberStatus::Suspended => viewer.is_admin() || viewer.is(m.id),
    }
}

/// Whether anyone, signed in or not, may see this member: what federation endpoints and
/// public pages show.
pub fn member_public(m: &member::Model) -> bool {
    member_visible(m, &Viewer::Anonymous)
}

/// Whether anyone may see a local actor: its URL, outbox, followers and following collections
/// and the activities it published. Members as [`member_public`]; groups and the instance
/// always.
pub fn actor_public(a: &ApActor) -> bool {
    match &a.source {
        ActorSource::Member(m) => member_public(m),
        _ => true,
    }
}

/// The members listed in the directory and found by search.
pub fn member_directory() -> Condition {
    Condition::all()
        .add(member::Column::Status.eq(MemberStatus::Active))
        .add(member::Column::Discoverable.eq(true))
        .add(
            Condition::any().add(member::Column::Local.eq(true)).add(member::Column::Id.in_subquery(verified_actors())),
        )
}

/// The groups listed in the directory and found by search.
pub fn group_directory() -> Condition {
    Condition::any().add(group::Column::Local.eq(true)).add(group::Column::Id.in_subquery(verified_actors()))
}

/// Remote actors that proved who they are (see `actors::mark_verified`).
fn verified_actors() -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(actor::Column::Id)
        .from(actor::Entity)
        .and_where(actor::Column::VerifiedAt.is_not_null())
        .to_owned()
}

/// Whether `viewer` may see a member's account details (`email`, `accountStatus`): the member
/// themself and instance admins. A bad token is an error, as wherever identity matters.
pub fn member_account_visible(m: &member::Model, viewer: &Viewer) -> AppResult<bool> {
    Ok(viewer.is(m.id) || viewer.optional()?.is_some_and(|me| me.is_admin))
}

/// Whether `viewer` may see a member's private profile fields (the secret address of their
/// calendar): the member themself only, admins included.
pub fn member_private_visible(m: &member::Model, viewer: &Viewer) -> bool {
    viewer.is(m.id)
}

/// Whether a reader may see an event's online link, given their registration's status (if
/// any) and whether they manage the event: GOING registrants and hosts. Anonymous readers
/// (public pages, the event's and groups' `.ics`) are `(None, false)`.
pub fn online_link_visible(my_status: Option<RegistrationStatus>, manages: bool) -> bool {
    my_status == Some(RegistrationStatus::Going) || manages
}

/// Whether this account may sign in, refresh its session and act with its access token:
/// local members who are ACTIVE or PENDING (a pending one signs in to wait for approval).
pub fn may_sign_in(m: &member::Model) -> bool {
    m.local && matches!(m.status, MemberStatus::Active | MemberStatus::Pending)
}

/// Whether the viewer may see the thread: hidden ones only the group's moderators (and
/// instance admins).
pub async fn thread_visible<C: ConnectionTrait>(conn: &C, viewer: &Viewer, t: &thread::Model) -> AppResult<bool> {
    if thread_public(t) {
        return Ok(true);
    }
    Ok(groups::moderates(groups::role_in(conn, viewer, t.group_id).await?))
}

/// Whether anyone, signed in or not, may see the thread and its posts: what is published to
/// other servers and served to them (a hidden thread is withdrawn). Not hidden.
pub fn thread_public(t: &thread::Model) -> bool {
    !t.hidden
}

/// Threads a list may show the viewer, as [`thread_visible`]: all but hidden ones, which the
/// group's moderators (and instance admins) see too. Memberships are a subquery: no extra
/// statement.
pub fn threads_visible(viewer: &Viewer) -> AppResult<Condition> {
    let shown = Condition::all().add(thread::Column::Hidden.eq(false));
    let Some(me) = viewer.optional()? else { return Ok(shown) };
    if me.is_admin {
        return Ok(Condition::all());
    }
    Ok(Condition::any().add(shown).add(
        thread::Column::GroupId.in_subquery(
            Query::select()
                .column(membership::Column::GroupId)
                .from(membership::Entity)
                .and_where(Expr::col(membership::Column::MemberId).eq(me.id))
                .and_where(Expr::col(membership::Column::Role).is_in([Role::Moderator, Role::Admin, Role::Owner]))
                .to_owned(),
        ),
    ))
}

/// Whether the viewer may see the post: as its thread ([`thread_visible`]); a post whose
/// thread is gone is not shown.
pub async fn post_visible<C: ConnectionTrait>(conn: &C, viewer: &Viewer, p: &post::Model) -> AppResult<bool> {
    match thread::Entity::find_by_id(p.thread_id).one(conn).await? {
        Some(t) => thread_visible(conn, viewer, &t).await,
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::online_link_visible;
    use crate::db::enums::RegistrationStatus as S;

    #[test]
    fn only_going_registrants_and_hosts_see_the_online_link() {
        assert!(online_link_visible(Some(S::Going), false));
        assert!(online_link_visible(None, true));
        assert!(online_link_visible(Some(S::Waitlisted), true));
        for status in [None, Some(S::Waitlisted), Some(S::Requested), Some(S::Cancelled), Some(S::Declined)] {
            assert!(!online_link_visible(status, false), "{status:?}");
        }
    }
}

/// The partners of each of `groups`, as `(group, partner)`: a partner is a group (here or on
/// another server; never a person) on the other end of an accepted follow each way. Who shares PARTNERS records
/// with whom is this rule's, whether a viewer reads them or a record is sent.
pub async fn partner_pairs<C: ConnectionTrait>(conn: &C, groups: &[Uuid]) -> AppResult<Vec<(Uuid, Uuid)>> {
    use sea_orm::{QueryFilter, QuerySelect};
    if groups.is_empty() {
        return Ok(vec![]);
    }
    // Groups only: a group that follows a person, and is followed back, has no partner in them.
    let group_actors = sea_orm::sea_query::Query::select()
        .column(crate::db::actor::Column::Id)
        .from(crate::db::actor::Entity)
        .and_where(crate::db::actor::Column::Kind.eq(crate::db::enums::ActorKind::Group))
        .to_owned();
    let pairs: Vec<(Uuid, Uuid)> = follow::Entity::find()
        .select_only()
        .column(follow::Column::FollowerId)
        .column(follow::Column::TargetId)
        .filter(follow::Column::State.eq(FollowState::Accepted))
        .filter(
            Condition::any()
                .add(follow::Column::FollowerId.is_in(groups.to_vec()))
                .add(follow::Column::TargetId.is_in(groups.to_vec())),
        )
        .filter(follow::Column::FollowerId.in_subquery(group_actors.clone()))
        .filter(follow::Column::TargetId.in_subquery(group_actors))
        .into_tuple()
        .all(conn)
        .await?;
    let set: std::collections::HashSet<(Uuid, Uuid)> = pairs.into_iter().collect();
    let mut out: Vec<(Uuid, Uuid)> =
        set.iter().filter(|(from, to)| groups.contains(from) && set.contains(&(*to, *from))).copied().collect();
    out.sort();
    Ok(out)
}

/// The partner groups of one group.
pub async fn partners_of<C: ConnectionTrait>(conn: &C, group_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(partner_pairs(conn, &[group_id]).await?.into_iter().map(|(_, p)| p).collect())
}

/// Whose learning records the viewer sees: the groups they are a member of (not pending) and
/// the partner groups of those (a follow each way, both accepted). Loaded once per request
/// (two statements), then asked for one record or turned into a list's condition.
#[derive(Clone, Debug, Default)]
pub struct RecordScope {
    pub admin: bool,
    /// The signed-in viewer: they see what they wrote, whatever its visibility.
    pub me: Option<Uuid>,
    pub member_of: Vec<Uuid>,
    pub partner_of: Vec<Uuid>,
}

impl RecordScope {
    pub async fn of<C: ConnectionTrait>(conn: &C, viewer: &Viewer) -> AppResult<RecordScope> {
        use sea_orm::{QueryFilter, QuerySelect};
        let Some(me) = viewer.optional()? else { return Ok(RecordScope::default()) };
        if me.is_admin {
            return Ok(RecordScope { admin: true, me: Some(me.id), ..Default::default() });
        }
        let member_of: Vec<Uuid> = membership::Entity::find()
            .select_only()
            .column(membership::Column::GroupId)
            .filter(membership::Column::MemberId.eq(me.id))
            .filter(membership::Column::Role.ne(Role::Pending))
            .into_tuple()
            .all(conn)
            .await?;
        if member_of.is_empty() {
            return Ok(RecordScope { me: Some(me.id), ..Default::default() });
        }
        let mut partner_of: Vec<Uuid> = partner_pairs(conn, &member_of)
            .await?
            .into_iter()
            .map(|(_, p)| p)
            .filter(|g| !member_of.contains(g))
            .collect();
        partner_of.sort();
        partner_of.dedup();
        Ok(RecordScope { admin: false, me: Some(me.id), member_of, partner_of })
    }

    /// Whether the viewer sees a record of `group_id` kept at `visibility`.
    pub fn sees(&self, group_id: Uuid, visibility: RecordVisibility) -> bool {
        self.admin
            || visibility == RecordVisibility::Public
            || self.member_of.contains(&group_id)
            || (visibility == RecordVisibility::Partners && self.partner_of.contains(&group_id))
    }

    /// [`Self::sees`] as a list's condition over a table's group and visibility columns.
    pub fn condition(&self, group: impl ColumnTrait + Copy, visibility: impl ColumnTrait + Copy) -> Condition {
        if self.admin {
            return Condition::all();
        }
        let mut any = Condition::any().add(visibility.eq(RecordVisibility::Public));
        if !self.member_of.is_empty() {
            any = any.add(group.is_in(self.member_of.clone()));
        }
        if !self.partner_of.is_empty() {
            any = any.add(
                Condition::all()
                    .add(visibility.eq(RecordVisibility::Partners))
                    .add(group.is_in(self.partner_of.clone())),
            );
        }
        any
    }

    /// [`Self::sees`] for a record written by `author`: its author always sees it.
    pub fn sees_written(&self, group_id: Uuid, visibility: RecordVisibility, author: Option<Uuid>) -> bool {
        (author.is_some() && author == self.me) || self.sees(group_id, visibility)
    }

    /// [`Self::sees_written`] as a list's condition.
    pub fn written_condition(
        &self,
        group: impl ColumnTrait + Copy,
        visibility: impl ColumnTrait + Copy,
        author: impl ColumnTrait,
    ) -> Condition {
        match self.me {
            Some(me) if !self.admin => Condition::any().add(self.condition(group, visibility)).add(author.eq(me)),
            _ => self.condition(group, visibility),
        }
    }

    /// Whether the viewer is a member of the group (not pending).
    pub fn member(&self, group_id: Uuid) -> bool {
        self.admin || self.member_of.contains(&group_id)
    }
}
