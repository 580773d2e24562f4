//! Learning questions: made by a group's moderators, kept current by their owner.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::{question_url, MAX_TEXT};
use crate::db::enums::{QuestionStatus, RecordVisibility};
use crate::db::{self, learning_question, reflection, reflection_question};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::domain::visibility::RecordScope;
use crate::domain::{groups, markdown, publishing, search, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A review rhythm from one day to a year.
const MAX_REVIEW_DAYS: i32 = 366;

pub struct NewQuestion {
    pub group_id: Uuid,
    pub title: String,
    pub why_it_matters: Option<String>,
    pub owner_handle: Option<String>,
    pub review_every_days: Option<i32>,
    pub visibility: Option<RecordVisibility>,
}

#[derive(Default)]
pub struct QuestionChanges {
    pub title: Option<String>,
    pub why_it_matters: Option<String>,
    pub owner_handle: Option<String>,
    pub status: Option<QuestionStatus>,
    /// `Some(None)` stops the reviews.
    pub review_every_days: Option<Option<i32>>,
    pub understanding: Option<String>,
    pub visibility: Option<RecordVisibility>,
}

fn review_days(days: Option<i32>) -> AppResult<Option<i32>> {
    match days {
        Some(d) if !(1..=MAX_REVIEW_DAYS).contains(&d) => {
            Err(AppError::bad_input("reviewEveryDays", format!("a review rhythm is 1 to {MAX_REVIEW_DAYS} days")))
        }
        other => Ok(other),
    }
}

fn next_review(days: Option<i32>, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    days.map(|d| from + Duration::days(i64::from(d)))
}

/// Who may change a question: the group's moderators anything; its owner and author, while
/// members of the group, all but who owns it and who sees it.
enum Right {
    Moderator,
    Keeper,
    None,
}

async fn right<C: ConnectionTrait>(conn: &C, viewer: &Viewer, q: &learning_question::Model) -> AppResult<Right> {
    let me = viewer.active_member()?;
    if groups::moderates(groups::role_in(conn, viewer, q.group_id).await?) {
        return Ok(Right::Moderator);
    }
    let keeps = q.owner_id == Some(me.id) || q.author_id == Some(me.id);
    Ok(if keeps && groups::is_member(conn, q.group_id, me.id).await? { Right::Keeper } else { Right::None })
}

/// A group commits to a question: its moderators ask it, for a member to own.
pub async fn create_question(
    state: &AppState,
    viewer: &Viewer,
    input: NewQuestion,
) -> AppResult<learning_question::Model> {
    let me = viewer.active_member()?;
    let g =
        groups::get(&state.db, input.group_id).await.map_err(|_| AppError::bad_input("groupId", "no such group"))?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "questions are asked in local groups"));
    }
    if !groups::moderates(groups::role_in(&state.db, viewer, g.id).await?) {
        return Err(AppError::forbidden("only the group's moderators may commit it to a question"));
    }
    let title = validate::required_text("title", &input.title, 300)?;
    let why = validate::text("whyItMatters", input.why_it_matters.as_deref(), MAX_TEXT)?;
    let owner_id = match input.owner_handle.as_deref() {
        Some(h) if !h.trim().is_empty() => super::owner_in(&state.db, g.id, h).await?,
        _ => me.id,
    };
    let days = review_days(input.review_every_days)?;
    let visibility = input.visibility.unwrap_or(RecordVisibility::Group);
    if super::federation::shared(visibility) {
        publishing::prepare(state, None, &g, None).await?;
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let txn = db::begin_write(&state.db).await?;
    let q = learning_question::ActiveModel {
        id: Set(id),
        ap_id: Set(question_url(state, id)),
        local: Set(true),
        group_id: Set(g.id),
        author_id: Set(Some(me.id)),
        owner_id: Set(Some(owner_id)),
        title: Set(title),
        why_it_matters_html: Set(why.as_deref().map(markdown::render)),
        why_it_matters: Set(why),
        status: Set(QuestionStatus::Open),
        review_every_days: Set(days),
        next_review_at: Set(next_review(days, now)),
        understanding: Set(None),
        understanding_updated_at: Set(None),
        visibility: Set(visibility),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    search::index_question(&txn, &q).await?;
    super::federation::publish_question(&txn, state, &q, None).await?;
    txn.commit().await?;
    Ok(q)
}

/// Changes a question: title, why, owner, status, rhythm, visibility and the current
/// understanding (which restarts the review rhythm: the owner has just reviewed it).
pub async fn update_question(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    c: QuestionChanges,
) -> AppResult<learning_question::Model> {
    let q = get_question(state, viewer, id).await?;
    if !q.local {
        return Err(AppError::bad_input("id", "this question lives on another server"));
    }
    match right(&state.db, viewer, &q).await? {
        Right::Moderator => {}
        Right::Keeper if c.owner_handle.is_none() && c.visibility.is_none() => {}
        Right::Keeper => {
            return Err(AppError::forbidden("only the group's moderators change who owns or sees a question"));
        }
        Right::None => {
            return Err(AppError::forbidden(
                "only the question's owner, author or the group's moderators may change it",
            ))
        }
    }
    let now = Utc::now();
    let mut row: learning_question::ActiveModel = q.clone().into();
    if let Some(title) = c.title {
        row.title = Set(validate::required_text("title", &title, 300)?);
    }
    if let Some(why) = c.why_it_matters {
        let why = validate::text("whyItMatters", Some(&why), MAX_TEXT)?;
        row.why_it_matters_html = Set(why.as_deref().map(markdown::render));
        row.why_it_matters = Set(why);
    }
    if let Some(handle) = c.owner_handle {
        row.owner_id = Set(Some(super::owner_in(&state.db, q.group_id, &handle).await?));
    }
    if let Some(status) = c.status {
        row.status = Set(status);
    }
    let mut reviewed = false;
    if let Some(days) = c.review_every_days {
        let days = review_days(days)?;
        row.review_every_days = Set(days);
        reviewed = true;
    }
    if let Some(understanding) = c.understanding {
        row.understanding = Set(validate::text("understanding", Some(&understanding), MAX_TEXT)?);
        row.understanding_updated_at = Set(Some(now));
        reviewed = true;
    }
    if reviewed {
        let days = match &row.review_every_days {
            sea_orm::ActiveValue::Set(d) | sea_orm::ActiveValue::Unchanged(d) => *d,
            sea_orm::ActiveValue::NotSet => q.review_every_days,
        };
        row.next_review_at = Set(next_review(days, now));
    }
    if let Some(v) = c.visibility {
        row.visibility = Set(v);
    }
    if super::federation::shared(c.visibility.unwrap_or(q.visibility)) {
        publishing::prepare(state, None, &groups::get(&state.db, q.group_id).await?, None).await?;
    }
    row.updated_at = Set(now);
    let was = q.visibility;
    let txn = db::begin_write(&state.db).await?;
    let q = row.update(&txn).await?;
    cap_answers(&txn, state, &q).await?;
    search::index_question(&txn, &q).await?;
    super::federation::publish_question(&txn, state, &q, Some(was)).await?;
    txn.commit().await?;
    Ok(q)
}

/// A question's answers are no more visible than it is: each above it is lowered and, where it
/// was out there, withdrawn from those who may no longer see it. For questions changed here and
/// received alike.
pub(super) async fn cap_answers<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    q: &learning_question::Model,
) -> AppResult<()> {
    let above: &[RecordVisibility] = match q.visibility {
        RecordVisibility::Group => &[RecordVisibility::Partners, RecordVisibility::Public],
        RecordVisibility::Partners => &[RecordVisibility::Public],
        RecordVisibility::Public => return Ok(()),
    };
    let answering = sea_orm::sea_query::Query::select()
        .column(reflection_question::Column::ReflectionId)
        .from(reflection_question::Entity)
        .and_where(reflection_question::Column::QuestionId.eq(q.id))
        .to_owned();
    let lowered = reflection::Entity::find()
        .filter(reflection::Column::Id.in_subquery(answering))
        .filter(reflection::Column::Visibility.is_in(above.iter().copied()))
        .all(conn)
        .await?;
    for r in lowered {
        // It answered this question while the question was shared (else it could not be above it).
        let was = Some(r.visibility).filter(|v| super::federation::shared(*v));
        let mut row: reflection::ActiveModel = r.into();
        row.visibility = Set(q.visibility);
        let r = row.update(conn).await?;
        super::federation::publish_reflection(conn, state, &r, was, false).await?;
    }
    Ok(())
}

/// A question the viewer may see (NOT_FOUND otherwise, as for one that does not exist).
pub async fn get_question(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<learning_question::Model> {
    let q = learning_question::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("learning question"))?;
    let scope = RecordScope::of(&state.db, viewer).await?;
    if !scope.sees(q.group_id, q.visibility) {
        return Err(AppError::not_found("learning question"));
    }
    Ok(q)
}

/// Questions by id, in one statement (for the GraphQL loaders; the caller asks who sees them).
pub async fn load_questions<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<learning_question::Model>> {
    Ok(learning_question::Entity::find()
        .filter(learning_question::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?)
}

/// A page of the questions the viewer may see, of one group and status if given, oldest first.
pub async fn questions(
    state: &AppState,
    viewer: &Viewer,
    group_id: Option<Uuid>,
    status: Option<QuestionStatus>,
    page: PageRequest,
) -> AppResult<Page<learning_question::Model>> {
    let scope = RecordScope::of(&state.db, viewer).await?;
    let mut query = learning_question::Entity::find()
        .filter(scope.condition(learning_question::Column::GroupId, learning_question::Column::Visibility));
    if let Some(g) = group_id {
        query = query.filter(learning_question::Column::GroupId.eq(g));
    }
    if let Some(s) = status {
        query = query.filter(learning_question::Column::Status.eq(s));
    }
    keyset(&state.db, query, learning_question::Column::Id, page).await
}

/// How many reflections answer each question (all of them: counts, not contents), in one
/// grouped statement.
pub async fn evidence_counts<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, u64>> {
    use sea_orm::sea_query::{Expr, Func};
    let rows: Vec<(Uuid, i64)> = reflection_question::Entity::find()
        .select_only()
        .column(reflection_question::Column::QuestionId)
        .column_as(Expr::expr(Func::count(Expr::col(reflection_question::Column::ReflectionId))), "n")
        .filter(reflection_question::Column::QuestionId.is_in(ids.iter().copied()))
        .group_by(reflection_question::Column::QuestionId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (id, u64::try_from(n).unwrap_or(0))).collect())
}
