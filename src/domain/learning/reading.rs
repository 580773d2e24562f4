//! Reading reflections: one the viewer may see, many by id, a filtered page; what each answers
//! and describes; and "resonates", counted, never named.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::db::enums::ValueKind;
use crate::db::{self, reflection, reflection_question, reflection_value, resonance};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::domain::visibility::RecordScope;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A reflection the viewer may see (NOT_FOUND otherwise).
pub async fn get_reflection(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<reflection::Model> {
    let r =
        reflection::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("reflection"))?;
    let scope = RecordScope::of(&state.db, viewer).await?;
    if !scope.sees_written(r.group_id, r.visibility, r.author_id) {
        return Err(AppError::not_found("reflection"));
    }
    Ok(r)
}

/// Reflections by id, in one statement (for loaders; the caller asks who sees them).
pub async fn load_reflections<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<reflection::Model>> {
    Ok(reflection::Entity::find().filter(reflection::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}

/// Which reflections a list shows (every part optional).
#[derive(Default)]
pub struct ReflectionFilter {
    pub group_id: Option<Uuid>,
    pub question_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub session_index: Option<i32>,
    pub author_id: Option<Uuid>,
    pub value: Option<ValueKind>,
}

/// A page of the reflections the viewer may see, oldest first.
pub async fn reflections(
    state: &AppState,
    viewer: &Viewer,
    f: ReflectionFilter,
    page: PageRequest,
) -> AppResult<Page<reflection::Model>> {
    let scope = RecordScope::of(&state.db, viewer).await?;
    let mut query = reflection::Entity::find().filter(scope.written_condition(
        reflection::Column::GroupId,
        reflection::Column::Visibility,
        reflection::Column::AuthorId,
    ));
    if let Some(g) = f.group_id {
        query = query.filter(reflection::Column::GroupId.eq(g));
    }
    if let Some(q) = f.question_id {
        let answering = Query::select()
            .column(reflection_question::Column::ReflectionId)
            .from(reflection_question::Entity)
            .and_where(reflection_question::Column::QuestionId.eq(q))
            .to_owned();
        query = query.filter(reflection::Column::Id.in_subquery(answering));
    }
    if let Some(e) = f.event_id {
        query = query.filter(reflection::Column::EventId.eq(e));
    }
    if let Some(i) = f.session_index {
        query = query.filter(reflection::Column::SessionIndex.eq(i));
    }
    if let Some(a) = f.author_id {
        query = query.filter(reflection::Column::AuthorId.eq(a));
    }
    if let Some(v) = f.value {
        let valued = Query::select()
            .column(reflection_value::Column::ReflectionId)
            .from(reflection_value::Entity)
            .and_where(reflection_value::Column::Value.eq(v))
            .to_owned();
        query = query.filter(reflection::Column::Id.in_subquery(valued));
    }
    keyset(&state.db, query, reflection::Column::Id, page).await
}

/// Marks a reflection the viewer may see as resonating with them (again: no change).
pub async fn resonate(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<reflection::Model> {
    let me = viewer.active_member()?;
    let r = get_reflection(state, viewer, id).await?;
    let txn = db::begin_write(&state.db).await?;
    resonance::Entity::insert(resonance::ActiveModel {
        reflection_id: Set(r.id),
        member_id: Set(me.id),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([resonance::Column::ReflectionId, resonance::Column::MemberId]).do_nothing().to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(r)
}

pub async fn unresonate(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<reflection::Model> {
    let me = viewer.active_member()?;
    let r = get_reflection(state, viewer, id).await?;
    let txn = db::begin_write(&state.db).await?;
    resonance::Entity::delete_many()
        .filter(resonance::Column::ReflectionId.eq(r.id))
        .filter(resonance::Column::MemberId.eq(me.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(r)
}

/// For each reflection: how many it resonates with, and whether with `me`; two statements.
pub async fn resonance<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
    me: Option<Uuid>,
) -> AppResult<HashMap<Uuid, (u64, bool)>> {
    use sea_orm::sea_query::{Expr, Func};
    let counts: Vec<(Uuid, i64)> = resonance::Entity::find()
        .select_only()
        .column(resonance::Column::ReflectionId)
        .column_as(Expr::expr(Func::count(Expr::col(resonance::Column::MemberId))), "n")
        .filter(resonance::Column::ReflectionId.is_in(ids.iter().copied()))
        .group_by(resonance::Column::ReflectionId)
        .into_tuple()
        .all(conn)
        .await?;
    let mine: Vec<Uuid> = match me {
        Some(me) => {
            resonance::Entity::find()
                .select_only()
                .column(resonance::Column::ReflectionId)
                .filter(resonance::Column::ReflectionId.is_in(ids.iter().copied()))
                .filter(resonance::Column::MemberId.eq(me))
                .into_tuple()
                .all(conn)
                .await?
        }
        None => vec![],
    };
    let mut out: HashMap<Uuid, (u64, bool)> =
        counts.into_iter().map(|(id, n)| (id, (u64::try_from(n).unwrap_or(0), false))).collect();
    for id in mine {
        out.entry(id).or_insert((0, false)).1 = true;
    }
    Ok(out)
}

/// The questions each reflection answers, in one statement.
pub async fn questions_of<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    let rows = reflection_question::Entity::find()
        .filter(reflection_question::Column::ReflectionId.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in rows {
        out.entry(r.reflection_id).or_default().push(r.question_id);
    }
    Ok(out)
}

/// The values each reflection describes, in one statement.
pub async fn values_of<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Vec<ValueKind>>> {
    let rows = reflection_value::Entity::find()
        .filter(reflection_value::Column::ReflectionId.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let mut out: HashMap<Uuid, Vec<ValueKind>> = HashMap::new();
    for r in rows {
        out.entry(r.reflection_id).or_default().push(r.value);
    }
    Ok(out)
}
