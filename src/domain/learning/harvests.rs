//! Harvests: a group's hosts or facilitators gather reflections into themes, write what the
//! group now understands, and record next actions.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::MAX_TEXT;
use crate::db::enums::ActionStatus;
use crate::db::{self, harvest, harvest_action, harvest_item};
use crate::domain::pagination::{keyset, Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::domain::visibility::RecordScope;
use crate::domain::{events, groups, markdown, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Reflections one `addToHarvest` may gather.
const MAX_GATHERED: usize = 100;

pub struct NewHarvest {
    pub group_id: Uuid,
    pub title: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub event_id: Option<Uuid>,
    pub understanding: Option<String>,
}

#[derive(Default)]
pub struct HarvestChanges {
    pub title: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub understanding: Option<String>,
}

pub struct NewAction {
    pub harvest_id: Uuid,
    pub title: String,
    pub owner_handle: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: Option<ActionStatus>,
}

#[derive(Default)]
pub struct ActionChanges {
    pub title: Option<String>,
    pub owner_handle: Option<String>,
    /// `Some(None)` clears the due date.
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub status: Option<ActionStatus>,
}

/// Who makes sense of a group's reflections: its moderators, and the hosts of the event a
/// harvest is about.
async fn may_harvest(state: &AppState, viewer: &Viewer, group_id: Uuid, event_id: Option<Uuid>) -> AppResult<bool> {
    viewer.active_member()?;
    if groups::moderates(groups::role_in(&state.db, viewer, group_id).await?) {
        return Ok(true);
    }
    match event_id {
        Some(id) => match events::find(state, viewer, id).await? {
            Some(e) => events::may_manage(&state.db, viewer, &e).await,
            None => Ok(false),
        },
        None => Ok(false),
    }
}

fn period(from: DateTime<Utc>, to: DateTime<Utc>) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let from = validate::time("from", from)?;
    let to = validate::time("to", to)?;
    if to < from {
        return Err(AppError::bad_input("to", "a period ends after it starts"));
    }
    Ok((from, to))
}

pub async fn create_harvest(state: &AppState, viewer: &Viewer, input: NewHarvest) -> AppResult<harvest::Model> {
    let me = viewer.active_member()?;
    let g =
        groups::get(&state.db, input.group_id).await.map_err(|_| AppError::bad_input("groupId", "no such group"))?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "harvests are made in local groups"));
    }
    if let Some(e) = input.event_id {
        let e = events::get(state, viewer, e).await.map_err(|_| AppError::bad_input("eventId", "no such event"))?;
        // The event's hosts harvest it for one of its host groups, not for any group.
        if !events::host_ids(&state.db, &e).await?.contains(&g.id) {
            return Err(AppError::bad_input("eventId", "the event is not one of the group's"));
        }
    }
    if !may_harvest(state, viewer, g.id, input.event_id).await? {
        return Err(AppError::forbidden("only the group's moderators and the event's hosts harvest"));
    }
    let title = validate::required_text("title", &input.title, 300)?;
    let (from, to) = period(input.from, input.to)?;
    let understanding = validate::text("understanding", input.understanding.as_deref(), MAX_TEXT)?;
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    let h = harvest::ActiveModel {
        id: Set(Uuid::now_v7()),
        group_id: Set(g.id),
        event_id: Set(input.event_id),
        created_by: Set(Some(me.id)),
        title: Set(title),
        period_from: Set(from),
        period_to: Set(to),
        understanding_html: Set(understanding.as_deref().map(markdown::render)),
        understanding: Set(understanding),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(h)
}

/// A harvest for changing: it exists, the viewer sees it and may harvest.
async fn harvest_for_change(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<harvest::Model> {
    let h = get_harvest(state, viewer, id).await?;
    if !may_harvest(state, viewer, h.group_id, h.event_id).await? {
        return Err(AppError::forbidden("only the group's moderators and the event's hosts harvest"));
    }
    Ok(h)
}

pub async fn update_harvest(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    c: HarvestChanges,
) -> AppResult<harvest::Model> {
    let h = harvest_for_change(state, viewer, id).await?;
    let mut row: harvest::ActiveModel = h.clone().into();
    if let Some(title) = c.title {
        row.title = Set(validate::required_text("title", &title, 300)?);
    }
    let (from, to) = period(c.from.unwrap_or(h.period_from), c.to.unwrap_or(h.period_to))?;
    row.period_from = Set(from);
    row.period_to = Set(to);
    if let Some(u) = c.understanding {
        let u = validate::text("understanding", Some(&u), MAX_TEXT)?;
        row.understanding_html = Set(u.as_deref().map(markdown::render));
        row.understanding = Set(u);
    }
    row.updated_at = Set(Utc::now());
    let txn = db::begin_write(&state.db).await?;
    let h = row.update(&txn).await?;
    txn.commit().await?;
    Ok(h)
}

/// Gathers the group's reflections into the harvest under `theme` (moving those already in it).
pub async fn add_to_harvest(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    reflection_ids: Vec<Uuid>,
    theme: Option<String>,
) -> AppResult<harvest::Model> {
    let h = harvest_for_change(state, viewer, id).await?;
    let mut ids = reflection_ids;
    ids.sort();
    ids.dedup();
    if ids.len() > MAX_GATHERED {
        return Err(AppError::bad_input("reflectionIds", format!("at most {MAX_GATHERED} reflections at once")));
    }
    let theme = validate::text("theme", theme.as_deref(), 200)?.unwrap_or_default();
    let scope = RecordScope::of(&state.db, viewer).await?;
    let found = super::load_reflections(&state.db, &ids).await?;
    let usable = found
        .iter()
        .filter(|r| r.group_id == h.group_id && scope.sees_written(r.group_id, r.visibility, r.author_id))
        .count();
    if usable != ids.len() {
        return Err(AppError::bad_input("reflectionIds", "a harvest gathers its own group's reflections"));
    }
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    if !ids.is_empty() {
        let rows = ids.iter().map(|r| harvest_item::ActiveModel {
            harvest_id: Set(h.id),
            reflection_id: Set(*r),
            theme: Set(theme.clone()),
            created_at: Set(now),
        });
        harvest_item::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([harvest_item::Column::HarvestId, harvest_item::Column::ReflectionId])
                    .update_columns([harvest_item::Column::Theme, harvest_item::Column::CreatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    let mut row: harvest::ActiveModel = h.into();
    row.updated_at = Set(now);
    let h = row.update(&txn).await?;
    txn.commit().await?;
    Ok(h)
}

pub async fn create_action(state: &AppState, viewer: &Viewer, input: NewAction) -> AppResult<harvest_action::Model> {
    let h = harvest_for_change(state, viewer, input.harvest_id).await?;
    let title = validate::required_text("title", &input.title, 300)?;
    let owner = match input.owner_handle.as_deref() {
        Some(handle) if !handle.trim().is_empty() => Some(super::owner_in(&state.db, h.group_id, handle).await?),
        _ => None,
    };
    let due = input.due_at.map(|d| validate::time("dueAt", d)).transpose()?;
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    let a = harvest_action::ActiveModel {
        id: Set(Uuid::now_v7()),
        harvest_id: Set(h.id),
        title: Set(title),
        owner_id: Set(owner),
        due_at: Set(due),
        status: Set(input.status.unwrap_or(ActionStatus::Open)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(a)
}

/// The harvest's harvesters change an action; its owner moves its status.
pub async fn update_action(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    c: ActionChanges,
) -> AppResult<harvest_action::Model> {
    let me = viewer.active_member()?;
    let a =
        harvest_action::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("action"))?;
    let h = get_harvest(state, viewer, a.harvest_id).await.map_err(|_| AppError::not_found("action"))?;
    let harvester = may_harvest(state, viewer, h.group_id, h.event_id).await?;
    let owner_only = c.title.is_none() && c.owner_handle.is_none() && c.due_at.is_none();
    if !(harvester || (owner_only && a.owner_id == Some(me.id))) {
        return Err(AppError::forbidden("only the harvest's harvesters change an action (its owner moves its status)"));
    }
    let mut row: harvest_action::ActiveModel = a.into();
    if let Some(title) = c.title {
        row.title = Set(validate::required_text("title", &title, 300)?);
    }
    if let Some(handle) = c.owner_handle {
        row.owner_id = Set(match handle.trim() {
            "" => None,
            handle => Some(super::owner_in(&state.db, h.group_id, handle).await?),
        });
    }
    if let Some(due) = c.due_at {
        row.due_at = Set(due.map(|d| validate::time("dueAt", d)).transpose()?);
    }
    if let Some(status) = c.status {
        row.status = Set(status);
    }
    row.updated_at = Set(Utc::now());
    let txn = db::begin_write(&state.db).await?;
    let a = row.update(&txn).await?;
    txn.commit().await?;
    Ok(a)
}

/// A harvest the viewer may see: its group's members (and instance admins), and the hosts of
/// its event.
pub async fn get_harvest(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<harvest::Model> {
    let h = harvest::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("harvest"))?;
    let scope = RecordScope::of(&state.db, viewer).await?;
    if scope.member(h.group_id) || may_harvest(state, viewer, h.group_id, h.event_id).await.unwrap_or(false) {
        return Ok(h);
    }
    Err(AppError::not_found("harvest"))
}

/// A page of a group's harvests, oldest first: empty for those outside the group.
pub async fn harvests(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<harvest::Model>> {
    let scope = RecordScope::of(&state.db, viewer).await?;
    if !scope.member(group_id) {
        return Ok(Page { items: vec![], has_next: false, total: 0 });
    }
    keyset(&state.db, harvest::Entity::find().filter(harvest::Column::GroupId.eq(group_id)), harvest::Column::Id, page)
        .await
}

/// The reflections each harvest gathered, with their themes, in one statement (the caller
/// shows those the viewer may see).
pub async fn items_of<C: ConnectionTrait>(
    conn: &C,
    harvest_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<harvest_item::Model>>> {
    let rows = harvest_item::Entity::find()
        .filter(harvest_item::Column::HarvestId.is_in(harvest_ids.iter().copied()))
        .all(conn)
        .await?;
    let mut out: HashMap<Uuid, Vec<harvest_item::Model>> = HashMap::new();
    for r in rows {
        out.entry(r.harvest_id).or_default().push(r);
    }
    Ok(out)
}

/// Each harvest's actions, oldest first, in one statement.
pub async fn actions_of<C: ConnectionTrait>(
    conn: &C,
    harvest_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<harvest_action::Model>>> {
    use sea_orm::QueryOrder;
    let rows = harvest_action::Entity::find()
        .filter(harvest_action::Column::HarvestId.is_in(harvest_ids.iter().copied()))
        .order_by_asc(harvest_action::Column::Id)
        .all(conn)
        .await?;
    let mut out: HashMap<Uuid, Vec<harvest_action::Model>> = HashMap::new();
    for r in rows {
        out.entry(r.harvest_id).or_default().push(r);
    }
    Ok(out)
}

/// A harvest's gathered reflections by theme (`None`: gathered without one), themes in the
/// order first used, reflections in the order gathered.
pub fn themes(mut items: Vec<harvest_item::Model>) -> Vec<(Option<String>, Vec<Uuid>)> {
    items.sort_by_key(|i| (i.created_at, i.reflection_id));
    let mut themes: Vec<(Option<String>, Vec<Uuid>)> = vec![];
    for item in items {
        let name = Some(item.theme).filter(|t| !t.is_empty());
        match themes.iter_mut().find(|(n, _)| *n == name) {
            Some((_, reflections)) => reflections.push(item.reflection_id),
            None => themes.push((name, vec![item.reflection_id])),
        }
    }
    themes
}
