//! Writing reflections: by whoever took part (the group's members and partners, an event's
//! participants), as evidence for the group's questions.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::reading::{get_reflection, questions_of};
use super::{federation, reflection_url, MAX_TEXT};
use crate::db::enums::{RecordVisibility, ReflectionKind, ValueKind};
use crate::db::{self, event, learning_question, reflection, reflection_question, reflection_value};
use crate::domain::viewer::Viewer;
use crate::domain::visibility::RecordScope;
use crate::domain::{events, groups, markdown, publishing, resources, search, threads, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Questions one reflection may answer.
const MAX_QUESTIONS: usize = 10;
/// Characters of each part of an after-action review.
pub(super) const MAX_PART: usize = 4_000;

/// What a reflection says and what it is about. In an edit, what is `None` stays as it was.
#[derive(Default)]
pub struct ReflectionInput {
    pub question_ids: Option<Vec<Uuid>>,
    /// For the links: `None` keeps what an edited reflection had, `Some(None)` clears it.
    pub event_id: Option<Option<Uuid>>,
    pub session_index: Option<Option<i32>>,
    pub thread_id: Option<Option<Uuid>>,
    pub resource_id: Option<Option<Uuid>>,
    pub kind: Option<ReflectionKind>,
    pub visibility: Option<RecordVisibility>,
    pub body: Option<String>,
    pub intended: Option<String>,
    pub happened: Option<String>,
    pub why: Option<String>,
    pub next_time: Option<String>,
    pub values: Option<Vec<ValueKind>>,
}

/// What a reflection is about, checked: the questions the viewer may see (of one group), the
/// event, thread and entry they may open, and the group the reflection belongs to.
struct Subject {
    group_id: Uuid,
    questions: Vec<learning_question::Model>,
    event: Option<event::Model>,
    thread_id: Option<Uuid>,
    resource_id: Option<Uuid>,
}

async fn subject(
    state: &AppState,
    viewer: &Viewer,
    scope: &RecordScope,
    input: &ReflectionInput,
    current: Option<&reflection::Model>,
) -> AppResult<Subject> {
    let mut questions = vec![];
    let question_ids = match (&input.question_ids, current) {
        (Some(ids), _) => ids.clone(),
        (None, Some(r)) => questions_of(&state.db, &[r.id]).await?.remove(&r.id).unwrap_or_default(),
        (None, None) => vec![],
    };
    let mut question_ids = question_ids;
    question_ids.sort();
    question_ids.dedup();
    if question_ids.len() > MAX_QUESTIONS {
        return Err(AppError::bad_input(
            "questionIds",
            format!("a reflection answers at most {MAX_QUESTIONS} questions"),
        ));
    }
    for q in super::load_questions(&state.db, &question_ids).await? {
        if scope.sees(q.group_id, q.visibility) {
            questions.push(q);
        }
    }
    if questions.len() != question_ids.len() {
        return Err(AppError::bad_input("questionIds", "no such question"));
    }
    if questions.windows(2).any(|w| w[0].group_id != w[1].group_id) {
        return Err(AppError::bad_input("questionIds", "the questions of one reflection are one group's"));
    }
    let event_id = input.event_id.unwrap_or(current.and_then(|r| r.event_id));
    let event = match event_id {
        Some(id) => {
            Some(events::get(state, viewer, id).await.map_err(|_| AppError::bad_input("eventId", "no such event"))?)
        }
        None => None,
    };
    let thread_id = input.thread_id.unwrap_or(current.and_then(|r| r.thread_id));
    let thread = match thread_id {
        Some(id) => Some(
            threads::get(&state.db, viewer, id).await.map_err(|_| AppError::bad_input("threadId", "no such thread"))?,
        ),
        None => None,
    };
    let resource_id = input.resource_id.unwrap_or(current.and_then(|r| r.resource_id));
    let resource = match resource_id {
        Some(id) => Some(
            resources::get(&state.db, id).await.map_err(|_| AppError::bad_input("resourceId", "no such resource"))?,
        ),
        None => None,
    };
    let group_id = match current {
        Some(r) => r.group_id,
        None => questions
            .first()
            .map(|q| q.group_id)
            .or(event.as_ref().map(|e| e.group_id))
            .or(thread.as_ref().map(|t| t.group_id))
            .or(resource.as_ref().map(|r| r.group_id))
            .ok_or_else(|| {
                AppError::bad_input(
                    "questionIds",
                    "a reflection is about a question, an event, a thread or a library entry",
                )
            })?,
    };
    if questions.first().is_some_and(|q| q.group_id != group_id) {
        return Err(AppError::bad_input("questionIds", "a reflection answers its own group's questions"));
    }
    // What it is about is the group's: an event it hosts (or co-hosts), its thread, its entry.
    if let Some(e) = &event {
        if !events::host_ids(&state.db, e).await?.contains(&group_id) {
            return Err(AppError::bad_input("eventId", "the event is not one of the group's"));
        }
    }
    if thread.as_ref().is_some_and(|t| t.group_id != group_id) {
        return Err(AppError::bad_input("threadId", "the thread is not one of the group's"));
    }
    if resource.as_ref().is_some_and(|r| r.group_id != group_id) {
        return Err(AppError::bad_input("resourceId", "the entry is not one of the group's"));
    }
    Ok(Subject { group_id, questions, event, thread_id, resource_id })
}

/// May the viewer reflect on this subject? The group's members; its partners' members where
/// every question is shared with partners; an event's participants (GOING) and hosts; anyone
/// on public questions.
async fn may_reflect(state: &AppState, viewer: &Viewer, scope: &RecordScope, s: &Subject) -> AppResult<bool> {
    let me = viewer.active_member()?;
    if scope.member(s.group_id) {
        return Ok(true);
    }
    let least = s.questions.iter().map(|q| q.visibility).min();
    if least == Some(RecordVisibility::Public) {
        return Ok(true);
    }
    if least == Some(RecordVisibility::Partners) && scope.partner_of.contains(&s.group_id) {
        return Ok(true);
    }
    if let Some(e) = &s.event {
        let going = events::registrations::is_going(&state.db, e.id, me.id).await?;
        return Ok(going || events::may_manage(&state.db, viewer, e).await?);
    }
    Ok(false)
}

fn part(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    validate::text(field, value, MAX_PART)
}

/// Writes a new reflection, with what it answers and the values it describes.
pub async fn reflect(state: &AppState, viewer: &Viewer, input: ReflectionInput) -> AppResult<reflection::Model> {
    let me = viewer.active_member()?;
    let scope = RecordScope::of(&state.db, viewer).await?;
    let s = subject(state, viewer, &scope, &input, None).await?;
    if !may_reflect(state, viewer, &scope, &s).await? {
        return Err(AppError::forbidden(
            "only the group's members, its partners on shared questions and an event's participants reflect here",
        ));
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let row = reflection::ActiveModel {
        id: Set(id),
        ap_id: Set(reflection_url(state, id)),
        local: Set(true),
        group_id: Set(s.group_id),
        author_id: Set(Some(me.id)),
        created_at: Set(now),
        ..Default::default()
    };
    write(state, row, &s, input, now, None).await
}

/// The author changes their reflection; what the input leaves out stays.
pub async fn edit_reflection(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: ReflectionInput,
) -> AppResult<reflection::Model> {
    let me = viewer.active_member()?;
    let r = get_reflection(state, viewer, id).await?;
    if r.author_id != Some(me.id) {
        return Err(AppError::forbidden("only its author may change a reflection"));
    }
    if !r.local {
        return Err(AppError::bad_input("id", "this reflection lives on another server"));
    }
    let scope = RecordScope::of(&state.db, viewer).await?;
    let s = subject(state, viewer, &scope, &input, Some(&r)).await?;
    let now = Utc::now();
    let was = federation::sent_as(&state.db, &r).await?;
    write(state, r.into(), &s, input, now, was).await
}

/// Sets a reflection's text, kind, visibility and links from `input` over `row`, and its
/// questions and values, in one transaction, and sends it where it is shared (`was`: where it
/// had been).
async fn write(
    state: &AppState,
    mut row: reflection::ActiveModel,
    s: &Subject,
    input: ReflectionInput,
    now: chrono::DateTime<Utc>,
    was: Option<RecordVisibility>,
) -> AppResult<reflection::Model> {
    let keep = |v: &sea_orm::ActiveValue<Option<String>>| match v {
        sea_orm::ActiveValue::Set(x) | sea_orm::ActiveValue::Unchanged(x) => x.clone(),
        sea_orm::ActiveValue::NotSet => None,
    };
    let body = match input.body {
        Some(b) => validate::text("body", Some(&b), MAX_TEXT)?,
        None => keep(&row.body),
    };
    let intended = match input.intended {
        Some(t) => part("intended", Some(&t))?,
        None => keep(&row.intended),
    };
    let happened = match input.happened {
        Some(t) => part("happened", Some(&t))?,
        None => keep(&row.happened),
    };
    let why = match input.why {
        Some(t) => part("why", Some(&t))?,
        None => keep(&row.why),
    };
    let next_time = match input.next_time {
        Some(t) => part("nextTime", Some(&t))?,
        None => keep(&row.next_time),
    };
    let review = [&intended, &happened, &why, &next_time].iter().any(|p| p.is_some());
    if body.is_none() && !review {
        return Err(AppError::bad_input("body", "a reflection says something: a body or an after-action review"));
    }
    let kind = match (input.kind, &row.kind) {
        (Some(k), _) => k,
        (None, sea_orm::ActiveValue::Set(k) | sea_orm::ActiveValue::Unchanged(k)) => *k,
        (None, sea_orm::ActiveValue::NotSet) if review => ReflectionKind::AfterAction,
        (None, sea_orm::ActiveValue::NotSet) => ReflectionKind::Observation,
    };
    // No more visible than the questions it answers (the default: as visible as they are).
    let ceiling = s.questions.iter().map(|q| q.visibility).min();
    let visibility = match (input.visibility, &row.visibility) {
        (Some(v), _) => v,
        (None, sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v)) => *v,
        (None, sea_orm::ActiveValue::NotSet) => ceiling.unwrap_or(RecordVisibility::Group),
    };
    if ceiling.is_some_and(|c| visibility > c) {
        return Err(AppError::bad_input("visibility", "a reflection is no more visible than the questions it answers"));
    }
    let session_index = match (input.session_index, &s.event) {
        (Some(None), _) => None,
        (Some(Some(i)), Some(e)) => {
            let sessions = events::sessions(e)?.len();
            if usize::try_from(i).map_or(true, |i| i >= sessions) {
                return Err(AppError::bad_input("sessionIndex", format!("the event has {sessions} sessions")));
            }
            Some(i)
        }
        (Some(_), None) => return Err(AppError::bad_input("sessionIndex", "a session is one of an event's")),
        // The session it named stays only while the event does.
        (None, _) => match (&row.session_index, &row.event_id) {
            (
                sea_orm::ActiveValue::Set(i) | sea_orm::ActiveValue::Unchanged(i),
                sea_orm::ActiveValue::Set(was) | sea_orm::ActiveValue::Unchanged(was),
            ) if *was == s.event.as_ref().map(|e| e.id) => *i,
            _ => None,
        },
    };
    row.kind = Set(kind);
    row.visibility = Set(visibility);
    row.body_html = Set(body.as_deref().map(markdown::render));
    row.body = Set(body);
    row.intended = Set(intended);
    row.happened = Set(happened);
    row.why = Set(why);
    row.next_time = Set(next_time);
    row.event_id = Set(s.event.as_ref().map(|e| e.id));
    row.session_index = Set(session_index);
    row.thread_id = Set(s.thread_id);
    row.resource_id = Set(s.resource_id);
    row.updated_at = Set(now);
    let sends = was.is_some()
        || (federation::shared(visibility) && s.questions.iter().any(|q| federation::shared(q.visibility)));
    if sends {
        // Keys are made before the write lock is taken.
        let g = groups::get(&state.db, s.group_id).await?;
        publishing::prepare(state, viewer_author(state, &row).await?.as_ref(), &g, None).await?;
    }
    let txn = db::begin_write(&state.db).await?;
    let is_new = !matches!(row.id, sea_orm::ActiveValue::Unchanged(_));
    let saved = match row.id.clone() {
        sea_orm::ActiveValue::Unchanged(_) => row.update(&txn).await?,
        _ => row.insert(&txn).await?,
    };
    if input.question_ids.is_some() {
        reflection_question::Entity::delete_many()
            .filter(reflection_question::Column::ReflectionId.eq(saved.id))
            .exec(&txn)
            .await?;
        let links = s
            .questions
            .iter()
            .map(|q| reflection_question::ActiveModel { reflection_id: Set(saved.id), question_id: Set(q.id) });
        if !s.questions.is_empty() {
            reflection_question::Entity::insert_many(links).exec_without_returning(&txn).await?;
        }
    }
    if let Some(mut values) = input.values {
        values.sort();
        values.dedup();
        reflection_value::Entity::delete_many()
            .filter(reflection_value::Column::ReflectionId.eq(saved.id))
            .exec(&txn)
            .await?;
        if !values.is_empty() {
            let rows = values
                .into_iter()
                .map(|v| reflection_value::ActiveModel { reflection_id: Set(saved.id), value: Set(v) });
            reflection_value::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        }
    }
    search::index_reflection(&txn, &saved).await?;
    if sends {
        federation::publish_reflection(&txn, state, &saved, was, false).await?;
    }
    txn.commit().await?;
    if is_new {
        state.bus.publish(&state.db, crate::bus::Change::Shared { group: saved.group_id }).await;
    }
    Ok(saved)
}

/// The author of a reflection being written.
async fn viewer_author(state: &AppState, row: &reflection::ActiveModel) -> AppResult<Option<crate::db::member::Model>> {
    match &row.author_id {
        sea_orm::ActiveValue::Set(Some(a)) | sea_orm::ActiveValue::Unchanged(Some(a)) => {
            Ok(crate::db::member::Entity::find_by_id(*a).one(&state.db).await?)
        }
        _ => Ok(None),
    }
}

/// Its author or the group's moderators remove a reflection (its links and resonances go with it).
pub async fn delete_reflection(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<()> {
    let me = viewer.active_member()?;
    let r = get_reflection(state, viewer, id).await?;
    if r.author_id != Some(me.id) && !groups::moderates(groups::role_in(&state.db, viewer, r.group_id).await?) {
        return Err(AppError::forbidden("only its author or the group's moderators may delete a reflection"));
    }
    let was = federation::sent_as(&state.db, &r).await?;
    let txn = db::begin_write(&state.db).await?;
    if was.is_some() {
        federation::publish_reflection(&txn, state, &r, was, true).await?;
    }
    reflection::Entity::delete_by_id(r.id).exec(&txn).await?;
    search::remove(&txn, search::Kind::Reflection, r.id).await?;
    txn.commit().await?;
    Ok(())
}
