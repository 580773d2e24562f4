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
    GroupInvitationStatus => DbStatus { Invited, Accepted, Declined }
);

/// An invitation to join a group, seen by its member and the group's moderators.
pub struct GroupInvitation(pub group_invitation::Model);

#[Object]
impl GroupInvitation {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        loaded(ctx.loaders().groups.load_one(self.0.group_id).await)?
            .map(Group)
            .ok_or_else(|| AppError::not_found("group").into())
    }
    /// Who is invited.
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, Some(self.0.member_id)).await
    }
    async fn invited_by(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.invited_by).await
    }
    async fn status(&self) -> GroupInvitationStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
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
