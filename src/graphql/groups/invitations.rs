//! `GroupInvitation` and the mutations that make and answer one.
use async_graphql::{Context, Object, ID};

use super::types::Group;
use crate::db::enums::InvitationStatus as DbStatus;
use crate::db::group_invitation;
use crate::domain::groups;
use crate::error::AppError;
use crate::graphql::members::{visible_member, Member};
use crate::graphql::types::{loaded, parse_id, Result};
use crate::graphql::ContextExt as _;

mirror_enum!(
    /// INVITED waits for the member's answer.
    GroupInvitationStatus => DbStatus {
        /// Waits for the member's answer.
        Invited,
        /// The member joined the group.
        Accepted,
        /// The member said no; a new invitation reopens it.
        Declined,
    }
);

pub struct GroupInvitation(pub group_invitation::Model);

/// An invitation to join a group, seen by its member and the group's moderators.
#[Object]
impl GroupInvitation {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The group the member is invited to.
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        loaded(ctx.loaders().groups.load_one(self.0.group_id).await)?
            .map(Group)
            .ok_or_else(|| AppError::not_found("group").into())
    }
    /// Who is invited.
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, Some(self.0.member_id)).await
    }
    /// The moderator who invited them; null when unknown or hidden from the viewer.
    async fn invited_by(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.invited_by).await
    }
    /// Whether it waits for an answer, was accepted or was declined.
    async fn status(&self) -> GroupInvitationStatus {
        self.0.status.into()
    }
    /// When the member was invited.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When the member answered; null while INVITED.
    async fn answered_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.answered_at
    }
}

#[derive(Default)]
pub struct InvitationMutation;

#[Object]
impl InvitationMutation {
    /// The group's moderators invite a member here (`memberHandle`); they join by accepting,
    /// whatever the group's join mode. Inviting someone who asked to join approves them
    /// (ACCEPTED at once); someone already in the group: CONFLICT.
    async fn invite_to_group(&self, ctx: &Context<'_>, group_id: ID, member_handle: String) -> Result<GroupInvitation> {
        let group = parse_id("groupId", &group_id)?;
        Ok(GroupInvitation(groups::invite(ctx.state(), ctx.viewer(), group, &member_handle).await?))
    }
    /// The invited member joins the group as a MEMBER.
    async fn accept_group_invitation(&self, ctx: &Context<'_>, id: ID) -> Result<GroupInvitation> {
        let id = parse_id("id", &id)?;
        Ok(GroupInvitation(groups::answer_invitation(ctx.state(), ctx.viewer(), id, true).await?))
    }
    /// The invited member says no.
    async fn decline_group_invitation(&self, ctx: &Context<'_>, id: ID) -> Result<GroupInvitation> {
        let id = parse_id("id", &id)?;
        Ok(GroupInvitation(groups::answer_invitation(ctx.state(), ctx.viewer(), id, false).await?))
    }
}
