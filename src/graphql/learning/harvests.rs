//! Making sense and sharing it: `Harvest` (its themes and actions) and `ReportLink`.
use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::types::{visible_reflections, ActionStatus, Reflection};
use crate::db::{harvest, harvest_action, report_link};
use crate::domain::learning;
use crate::graphql::events::{visible_event, Event};
use crate::graphql::groups::{group_by_id, Group};
use crate::graphql::members::{visible_member, Member};
use crate::graphql::types::{loaded, Result};
use crate::graphql::ContextExt as _;

pub struct Harvest(pub harvest::Model);

pub struct HarvestTheme {
    name: Option<String>,
    reflections: Vec<Uuid>,
}

/// Reflections a harvest gathered under one theme.
#[Object]
impl HarvestTheme {
    /// Null for reflections gathered without a theme.
    async fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// Those the viewer may see.
    async fn reflections(&self, ctx: &Context<'_>) -> Result<Vec<Reflection>> {
        visible_reflections(ctx, &self.reflections).await
    }
}

/// A group making sense of a period's reflections: gathered into themes, with what it now
/// understands and its next actions.
#[Object]
impl Harvest {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Its name.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The group whose reflections it gathers.
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        group_by_id(ctx, self.0.group_id).await
    }
    /// The event it is about, when the viewer may see it.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        visible_event(ctx, self.0.event_id).await
    }
    /// The period it makes sense of.
    async fn from(&self) -> DateTime<Utc> {
        self.0.period_from
    }
    /// The end of the period.
    async fn to(&self) -> DateTime<Utc> {
        self.0.period_to
    }
    /// What the group now understands, as HTML.
    async fn understanding(&self) -> Option<&str> {
        self.0.understanding_html.as_deref()
    }
    /// The same, as the Markdown written.
    async fn understanding_source(&self) -> Option<&str> {
        self.0.understanding.as_deref()
    }
    /// The gathered reflections by theme, themes in the order first used.
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<HarvestTheme>> {
        let items = loaded(ctx.loaders().harvest_items.load_one(self.0.id).await)?.unwrap_or_default();
        Ok(learning::themes(items).into_iter().map(|(name, reflections)| HarvestTheme { name, reflections }).collect())
    }
    /// Next actions, oldest first.
    async fn actions(&self, ctx: &Context<'_>) -> Result<Vec<HarvestAction>> {
        let actions = loaded(ctx.loaders().harvest_actions.load_one(self.0.id).await)?.unwrap_or_default();
        Ok(actions.into_iter().map(HarvestAction).collect())
    }
    /// Who started it; null when unknown or hidden from the viewer.
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.created_by).await
    }
    /// When it was started.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed, reflections gathered included.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct HarvestAction(pub harvest_action::Model);

/// A next action a harvest records: what is to be done, by whom and when.
#[Object]
impl HarvestAction {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What is to be done.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Who does it; null when nobody does yet, or hidden from the viewer.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.owner_id).await
    }
    /// When it is due; null: no date.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    /// Where it stands.
    async fn status(&self) -> ActionStatus {
        self.0.status.into()
    }
    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct ReportLink {
    pub link: report_link::Model,
    /// With its token: known when the link is made, never again.
    pub url: Option<String>,
}

/// A share link to a group's progress report.
#[Object]
impl ReportLink {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.link.id.to_string())
    }
    /// The report's address with the link's token (HTML; add `&format=md`, `json` or `csv`):
    /// in `createReportLink`'s answer only (the token is not kept); null in lists.
    async fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
    /// The period it shows; null: whatever period the reader asks (90 days by default).
    async fn from(&self) -> Option<DateTime<Utc>> {
        self.link.period_from
    }
    /// The end of that period; null when `from` is.
    async fn to(&self) -> Option<DateTime<Utc>> {
        self.link.period_to
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.link.created_at
    }
    /// When it stops working; null: when revoked.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.link.expires_at
    }
    /// When it was revoked (it stopped working then); null unless revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.link.revoked_at
    }
}
