//! The `Node` interface (every object with an `id`) and `node(id)`, so client caches can key
//! and refetch objects by id alone. Ids are UUIDs, unique across kinds; `node` looks one up in
//! each kind a client opens by id, through the same look-ups (and visibility rules) as the
//! kind's own query, and answers null for what the viewer may not see or that does not exist.
use async_graphql::{Context, Interface, Object, ID};
use uuid::Uuid;

use crate::domain::{events::registrations, learning, resources, threads};
use crate::error::AppError;
use crate::graphql::events::{visible_event, Event, Registration};
use crate::graphql::federation::{Follow, FollowRequest};
use crate::graphql::groups::{Group, GroupInvitation, Membership};
use crate::graphql::learning::{Harvest, HarvestAction, LearningQuestion, Notification, Reflection, ReportLink};
use crate::graphql::members::{visible_member, Member};
use crate::graphql::resources::Resource;
use crate::graphql::threads::{Post, Thread};
use crate::graphql::types::{loaded, Result};
use crate::graphql::ContextExt as _;

/// An object with a stable id.
// One value per `node` answer, moved once: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Unique across every kind of object."))]
pub enum Node {
    Member(Member),
    Group(Group),
    Membership(Membership),
    Event(Event),
    Registration(Registration),
    Thread(Thread),
    Post(Post),
    Resource(Resource),
    LearningQuestion(LearningQuestion),
    Reflection(Reflection),
    Harvest(Harvest),
    HarvestAction(HarvestAction),
    Notification(Notification),
    ReportLink(ReportLink),
    Follow(Follow),
    FollowRequest(FollowRequest),
    GroupInvitation(GroupInvitation),
    Media(crate::graphql::media::Media),
    Report(crate::graphql::reports::Report),
}

/// A look-up's answer, with "not found" (or not for the viewer) as `None`.
fn found<T>(r: std::result::Result<T, AppError>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The object with this id, as the viewer may see it: a member, group, event, registration
/// (theirs, or of an event they host), group invitation, thread, post, library entry, learning question,
/// reflection or harvest. Other kinds are reached through their parents.
pub(crate) async fn lookup(ctx: &Context<'_>, id: Uuid) -> Result<Option<Node>> {
    let (state, viewer) = (ctx.state(), ctx.viewer());
    if let Some(m) = visible_member(ctx, Some(id)).await? {
        return Ok(Some(Node::Member(m)));
    }
    if let Some(g) = loaded(ctx.loaders().groups.load_one(id).await)? {
        return Ok(Some(Node::Group(Group(g))));
    }
    if let Some(e) = visible_event(ctx, Some(id)).await? {
        return Ok(Some(Node::Event(e)));
    }
    if let Some(t) = found(threads::get(&state.db, viewer, id).await)? {
        return Ok(Some(Node::Thread(Thread::from(t))));
    }
    if let Some(p) = found(threads::get_post(&state.db, viewer, id).await)? {
        return Ok(Some(Node::Post(Post::from(p))));
    }
    if let Some(r) = resources::find(state, id).await? {
        return Ok(Some(Node::Resource(Resource(r))));
    }
    if let Some(q) = found(learning::get_question(state, viewer, id).await)? {
        return Ok(Some(Node::LearningQuestion(LearningQuestion(q))));
    }
    if let Some(r) = found(learning::get_reflection(state, viewer, id).await)? {
        return Ok(Some(Node::Reflection(Reflection(r))));
    }
    if let Some(h) = found(learning::get_harvest(state, viewer, id).await)? {
        return Ok(Some(Node::Harvest(Harvest(h))));
    }
    if let Some(r) = registrations::find_visible(state, viewer, id).await? {
        return Ok(Some(Node::Registration(Registration(r))));
    }
    if let Some(i) = found(crate::domain::groups::get_invitation(state, viewer, id).await)? {
        return Ok(Some(Node::GroupInvitation(GroupInvitation(i))));
    }
    if let Some(r) = found(crate::domain::reports::get(state, viewer, id).await)? {
        return Ok(Some(Node::Report(crate::graphql::reports::Report(r))));
    }
    // Pictures are public, as their files are.
    if let Some(m) = crate::domain::media::find(&state.db, id).await? {
        return Ok(Some(Node::Media(crate::graphql::media::Media(m))));
    }
    Ok(None)
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its id, when the viewer may see it (null otherwise, as for an id that does
    /// not exist). Costs 20: one look-up may try each kind in turn.
    #[graphql(complexity = "20 + child_complexity")]
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let Ok(id) = Uuid::parse_str(id.as_str()) else { return Ok(None) };
        lookup(ctx, id).await
    }
}
