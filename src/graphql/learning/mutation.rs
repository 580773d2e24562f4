//! Asking, reflecting, resonating, harvesting, and reading notifications.
use async_graphql::{Context, MaybeUndefined, Object, ID};

use super::harvests::{Harvest, HarvestAction, ReportLink};
use super::inputs::{
    CreateActionInput, CreateHarvestInput, CreateLearningQuestionInput, ReflectInput, UpdateActionInput,
    UpdateHarvestInput, UpdateLearningQuestionInput,
};
use super::types::{LearningQuestion, Reflection};
use crate::domain::learning::{
    self, ActionChanges, HarvestChanges, NewAction, NewHarvest, NewQuestion, QuestionChanges, ReflectionInput,
};
use crate::graphql::types::{optional_id, parse_id, Result};
use crate::graphql::ContextExt as _;

fn ids(field: &str, ids: Option<Vec<ID>>) -> Result<Option<Vec<uuid::Uuid>>> {
    Ok(ids
        .map(|ids| ids.iter().map(|id| parse_id(field, id)).collect::<std::result::Result<Vec<_>, _>>())
        .transpose()?)
}

fn reflection_input(i: ReflectInput) -> Result<ReflectionInput> {
    Ok(ReflectionInput {
        question_ids: ids("questionIds", i.question_ids)?,
        event_id: link("eventId", i.event_id)?,
        session_index: maybe(i.session_index),
        thread_id: link("threadId", i.thread_id)?,
        resource_id: link("resourceId", i.resource_id)?,
        kind: i.kind.map(Into::into),
        visibility: i.visibility.map(Into::into),
        body: i.body,
        intended: i.intended,
        happened: i.happened,
        why: i.why,
        next_time: i.next_time,
        values: i.values.map(|v| v.into_iter().map(Into::into).collect()),
    })
}

/// A link argument: left out (`None`), null (`Some(None)`) or an id.
fn link(field: &str, v: MaybeUndefined<ID>) -> Result<Option<Option<uuid::Uuid>>> {
    Ok(match maybe(v) {
        Some(Some(id)) => Some(Some(parse_id(field, &id)?)),
        Some(None) => Some(None),
        None => None,
    })
}

fn maybe<T>(v: MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[derive(Default)]
pub struct LearningMutation;

#[Object]
impl LearningMutation {
    /// Commits a group to a learning question (its moderators).
    async fn create_learning_question(
        &self,
        ctx: &Context<'_>,
        input: CreateLearningQuestionInput,
    ) -> Result<LearningQuestion> {
        let new = NewQuestion {
            group_id: parse_id("groupId", &input.group_id)?,
            title: input.title,
            why_it_matters: input.why_it_matters,
            owner_handle: input.owner_handle,
            review_every_days: input.review_every_days,
            visibility: input.visibility.map(Into::into),
        };
        Ok(LearningQuestion(learning::create_question(ctx.state(), ctx.viewer(), new).await?))
    }

    /// Its owner, author or the group's moderators change a question.
    async fn update_learning_question(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateLearningQuestionInput,
    ) -> Result<LearningQuestion> {
        let id = parse_id("id", &id)?;
        let changes = QuestionChanges {
            title: input.title,
            why_it_matters: input.why_it_matters,
            owner_handle: input.owner_handle,
            status: input.status.map(Into::into),
            review_every_days: maybe(input.review_every_days),
            understanding: input.understanding,
            visibility: input.visibility.map(Into::into),
        };
        Ok(LearningQuestion(learning::update_question(ctx.state(), ctx.viewer(), id, changes).await?))
    }

    /// Writes a reflection.
    async fn reflect(&self, ctx: &Context<'_>, input: ReflectInput) -> Result<Reflection> {
        Ok(Reflection(learning::reflect(ctx.state(), ctx.viewer(), reflection_input(input)?).await?))
    }

    /// Its author changes a reflection; what the input leaves out stays.
    async fn edit_reflection(&self, ctx: &Context<'_>, id: ID, input: ReflectInput) -> Result<Reflection> {
        let id = parse_id("id", &id)?;
        Ok(Reflection(learning::edit_reflection(ctx.state(), ctx.viewer(), id, reflection_input(input)?).await?))
    }

    /// Its author or the group's moderators delete a reflection.
    async fn delete_reflection(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        learning::delete_reflection(ctx.state(), ctx.viewer(), id).await?;
        Ok(true)
    }

    /// Marks a reflection as resonating with the viewer.
    async fn resonate(&self, ctx: &Context<'_>, reflection_id: ID) -> Result<Reflection> {
        let id = parse_id("reflectionId", &reflection_id)?;
        Ok(Reflection(learning::resonate(ctx.state(), ctx.viewer(), id).await?))
    }

    /// Takes back the viewer's resonance with a reflection.
    async fn unresonate(&self, ctx: &Context<'_>, reflection_id: ID) -> Result<Reflection> {
        let id = parse_id("reflectionId", &reflection_id)?;
        Ok(Reflection(learning::unresonate(ctx.state(), ctx.viewer(), id).await?))
    }

    /// Starts making sense of a period's reflections (the group's moderators, the event's hosts).
    async fn create_harvest(&self, ctx: &Context<'_>, input: CreateHarvestInput) -> Result<Harvest> {
        let new = NewHarvest {
            group_id: parse_id("groupId", &input.group_id)?,
            title: input.title,
            from: input.from,
            to: input.to,
            event_id: optional_id("eventId", input.event_id.as_ref())?,
            understanding: input.understanding,
        };
        Ok(Harvest(learning::create_harvest(ctx.state(), ctx.viewer(), new).await?))
    }

    /// Changes a harvest (the group's moderators, the event's hosts).
    async fn update_harvest(&self, ctx: &Context<'_>, id: ID, input: UpdateHarvestInput) -> Result<Harvest> {
        let id = parse_id("id", &id)?;
        let changes =
            HarvestChanges { title: input.title, from: input.from, to: input.to, understanding: input.understanding };
        Ok(Harvest(learning::update_harvest(ctx.state(), ctx.viewer(), id, changes).await?))
    }

    /// Gathers the group's reflections into a harvest under a theme.
    async fn add_to_harvest(
        &self,
        ctx: &Context<'_>,
        harvest_id: ID,
        reflection_ids: Vec<ID>,
        theme: Option<String>,
    ) -> Result<Harvest> {
        let id = parse_id("harvestId", &harvest_id)?;
        let reflections = ids("reflectionIds", Some(reflection_ids))?.unwrap_or_default();
        Ok(Harvest(learning::add_to_harvest(ctx.state(), ctx.viewer(), id, reflections, theme).await?))
    }

    /// Records a next action of a harvest.
    async fn create_action(&self, ctx: &Context<'_>, input: CreateActionInput) -> Result<HarvestAction> {
        let new = NewAction {
            harvest_id: parse_id("harvestId", &input.harvest_id)?,
            title: input.title,
            owner_handle: input.owner_handle,
            due_at: input.due_at,
            status: input.status.map(Into::into),
        };
        Ok(HarvestAction(learning::create_action(ctx.state(), ctx.viewer(), new).await?))
    }

    /// Changes a harvest's next action: its harvesters change anything, its owner its status.
    async fn update_action(&self, ctx: &Context<'_>, id: ID, input: UpdateActionInput) -> Result<HarvestAction> {
        let id = parse_id("id", &id)?;
        let changes = ActionChanges {
            title: input.title,
            owner_handle: input.owner_handle,
            due_at: maybe(input.due_at),
            status: input.status.map(Into::into),
        };
        Ok(HarvestAction(learning::update_action(ctx.state(), ctx.viewer(), id, changes).await?))
    }

    /// Makes a share link to the group's progress report, for funders and partners (the group's
    /// moderators). Without `from` and `to` the reader chooses the period; without `expiresAt`
    /// it works until revoked.
    async fn create_report_link(
        &self,
        ctx: &Context<'_>,
        group_id: ID,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<ReportLink> {
        let group = parse_id("groupId", &group_id)?;
        let made = learning::report::create_link(ctx.state(), ctx.viewer(), group, from, to, expires_at).await?;
        Ok(ReportLink { link: made.link, url: Some(made.url) })
    }

    /// Revokes a share link: it stops working at once.
    async fn revoke_report_link(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        learning::report::revoke_link(ctx.state(), ctx.viewer(), id).await?;
        Ok(true)
    }

    /// Marks the viewer's notifications read (these, or all); answers how many were unread.
    async fn mark_notifications_read(&self, ctx: &Context<'_>, ids: Option<Vec<ID>>) -> Result<i32> {
        let ids = self::ids("ids", ids)?;
        let n = learning::mark_read(ctx.state(), ctx.viewer(), ids).await?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
