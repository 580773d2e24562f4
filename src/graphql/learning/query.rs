//! Learning questions, reflections, harvests and the viewer's notifications.
use async_graphql::{Context, Object, ID};
use uuid::Uuid;

use super::harvests::{Harvest, ReportLink};
use super::inputs::ReflectionFilter;
use super::types::{LearningQuestion, LearningQuestionStatus, Notification, Reflection};
use crate::domain::pagination::{Page, PageRequest};
use crate::domain::{groups, learning, members};
use crate::error::AppError;
use crate::graphql::types::{connection, optional_id, parse_id, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

/// A group by handle; `None` when there is no such group (its lists are empty).
async fn group_id(ctx: &Context<'_>, handle: &str) -> Result<Option<Uuid>> {
    let key = handle.trim().trim_start_matches('@').to_lowercase();
    Ok(groups::find_by_handle(&ctx.state().db, &key).await?.map(|g| g.id))
}

fn empty<T>() -> Page<T> {
    Page { items: vec![], has_next: false, total: 0 }
}

/// `None` when it is not there or not the viewer's to see.
fn found<T>(r: std::result::Result<T, AppError>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[derive(Default)]
pub struct LearningQuery;

#[Object]
impl LearningQuery {
    /// A learning question the viewer may see; null otherwise.
    async fn learning_question(&self, ctx: &Context<'_>, id: ID) -> Result<Option<LearningQuestion>> {
        let id = parse_id("id", &id)?;
        Ok(found(learning::get_question(ctx.state(), ctx.viewer(), id).await)?.map(LearningQuestion))
    }

    /// The learning questions the viewer may see, of one group and status if given, oldest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn learning_questions(
        &self,
        ctx: &Context<'_>,
        group_handle: Option<String>,
        status: Option<LearningQuestionStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<LearningQuestion>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let group = match group_handle.as_deref() {
            Some(h) => match group_id(ctx, h).await? {
                Some(g) => Some(g),
                None => {
                    return Ok(connection(empty(), |q: &crate::db::learning_question::Model| q.id, LearningQuestion))
                }
            },
            None => None,
        };
        let page = learning::questions(ctx.state(), ctx.viewer(), group, status.map(Into::into), page).await?;
        Ok(connection(page, |q| q.id, LearningQuestion))
    }

    /// The reflections the viewer may see, oldest first: by group, question, event (and
    /// session), member or kind of value.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn reflections(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReflectionFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Reflection>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let f = filter.unwrap_or_default();
        let none = || Ok(connection(empty(), |r: &crate::db::reflection::Model| r.id, Reflection));
        let group_id = match f.group_handle.as_deref() {
            Some(h) => match group_id(ctx, h).await? {
                Some(g) => Some(g),
                None => return none(),
            },
            None => None,
        };
        let author_id = match f.member_handle.as_deref() {
            Some(h) => match members::find_by_handle(&ctx.state().db, &h.trim().trim_start_matches('@').to_lowercase())
                .await?
            {
                Some(m) => Some(m.id),
                None => return none(),
            },
            None => None,
        };
        let filter = learning::ReflectionFilter {
            group_id,
            question_id: optional_id("questionId", f.question_id.as_ref())?,
            event_id: optional_id("eventId", f.event_id.as_ref())?,
            session_index: f.session_index,
            author_id,
            value: f.value.map(Into::into),
        };
        let page = learning::reflections(ctx.state(), ctx.viewer(), filter, page).await?;
        Ok(connection(page, |r| r.id, Reflection))
    }

    /// A harvest, for its group's members and its event's hosts; null otherwise.
    async fn harvest(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Harvest>> {
        let id = parse_id("id", &id)?;
        Ok(found(learning::get_harvest(ctx.state(), ctx.viewer(), id).await)?.map(Harvest))
    }

    /// A group's harvests, oldest first (empty for those outside the group).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn harvests(
        &self,
        ctx: &Context<'_>,
        group_handle: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Harvest>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let page = match group_id(ctx, &group_handle).await? {
            Some(g) => learning::harvests(ctx.state(), ctx.viewer(), g, page).await?,
            None => empty(),
        };
        Ok(connection(page, |h| h.id, Harvest))
    }

    /// The viewer's notifications, newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Notification>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let page = learning::notifications(ctx.state(), ctx.viewer(), page).await?;
        Ok(connection(page, |n| n.id, Notification))
    }

    /// A group's share links to its report, newest first (its moderators).
    async fn report_links(&self, ctx: &Context<'_>, group_id: ID) -> Result<Vec<ReportLink>> {
        let group = parse_id("groupId", &group_id)?;
        let links = learning::report::links(ctx.state(), ctx.viewer(), group).await?;
        Ok(links.into_iter().map(|link| ReportLink { link, url: None }).collect())
    }

    /// How many of the viewer's notifications are unread.
    async fn unread_notifications(&self, ctx: &Context<'_>) -> Result<i32> {
        let n = learning::unread_count(ctx.state(), ctx.viewer()).await?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
