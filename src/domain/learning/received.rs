//! Learning records from other servers. The federation adapters verify signatures and that an
//! object speaks for its sender (a group for its questions, a person for their reflections);
//! here is who may contribute what, and every field is bounded and cleaned before it is stored:
//! - a question is taken from its (remote) group when someone here follows that group;
//! - a reflection answering a question of ours is taken from anyone when the question is
//!   PUBLIC (a Mastodon reply is a reflection), from a partner group's server when it is
//!   PARTNERS, never when it is GROUP; the group then shares it on, as it shares its members'
//!   (`federation::publish_reflection`);
//! - a reflection answering a partner's question is taken when that group announces it;
//! - no reflection is more visible than the questions it answers, nor PUBLIC unless it was
//!   addressed to the public.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use url::Url;
use uuid::Uuid;

use super::reflections::MAX_PART;
use super::{federation, MAX_TEXT};
use crate::ap::learning::LearningFields;
use crate::db::enums::{QuestionStatus, RecordVisibility, ReflectionKind, ValueKind};
use crate::db::{self, group, learning_question, member, reflection, reflection_question, reflection_value};
use crate::domain::actors::load_many;
use crate::domain::{follows, markdown, publishing, search, visibility};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Questions one received reflection may answer.
const MAX_ANSWERS: usize = 10;

/// A learning question or reflection as the adapter read it.
pub struct IncomingRecord {
    pub ap_id: String,
    pub title: Option<String>,
    /// `content`: readable HTML.
    pub html: String,
    /// `source`, when it is Markdown.
    pub markdown: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// Addressed to the public collection.
    pub public: bool,
    /// `inReplyTo`, `context` and `weave:answers`: what it may answer.
    pub answers: Vec<String>,
    pub fields: LearningFields,
}

/// Remote plain text: trimmed, without control characters, at most `max` characters.
fn plain(v: Option<&str>, max: usize) -> Option<String> {
    let t: String = v?.trim().chars().filter(|c| !c.is_control() || *c == '\n').take(max).collect();
    (!t.trim().is_empty()).then_some(t)
}

/// Not later than now.
fn when(t: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now = Utc::now();
    t.filter(|t| *t < now).unwrap_or(now)
}

fn parse<E: ActiveEnum<Value = String>>(v: Option<&str>) -> Option<E> {
    E::try_from_value(&v?.to_string()).ok()
}

/// The Markdown and HTML of a received text: its Markdown source rendered here when it has
/// one, else its HTML cleaned.
fn texts(x: &IncomingRecord, use_source: bool) -> (Option<String>, Option<String>) {
    match plain(x.markdown.as_deref().filter(|_| use_source), MAX_TEXT) {
        Some(md) => {
            let html = markdown::sanitize(&markdown::render(&md));
            (Some(md), Some(html))
        }
        None => {
            let cut: String = x.html.chars().take(MAX_TEXT * 2).collect();
            let html = markdown::sanitize(&cut);
            (None, (!html.trim().is_empty()).then_some(html))
        }
    }
}

/// A question of a group on another server that someone here follows: kept, or brought up to
/// date. A group never shares a GROUP question; one not addressed to the public is PARTNERS.
pub async fn take_question(
    state: &AppState,
    g: &group::Model,
    x: IncomingRecord,
) -> AppResult<Option<learning_question::Model>> {
    if g.local || !follows::is_followed_here(&state.db, g.id).await? {
        return Ok(None);
    }
    let visibility = match parse::<RecordVisibility>(x.fields.visibility.as_deref()) {
        Some(RecordVisibility::Group) => return Ok(None),
        Some(RecordVisibility::Public) if x.public => RecordVisibility::Public,
        _ => RecordVisibility::Partners,
    };
    let title = plain(x.title.as_deref(), 300).unwrap_or_else(|| "(untitled)".into());
    let (why, why_html) = texts(&x, true);
    let days = x.fields.review_every_days.filter(|d| (1..=366).contains(d)).and_then(|d| i32::try_from(d).ok());
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    let existing =
        learning_question::Entity::find().filter(learning_question::Column::ApId.eq(&x.ap_id)).one(&txn).await?;
    let is_new = existing.is_none();
    let mut row = match existing {
        Some(q) if q.local || q.group_id != g.id => {
            return Err(AppError::forbidden("that question belongs to another group"));
        }
        Some(q) => q.into(),
        None => learning_question::ActiveModel {
            id: Set(Uuid::now_v7()),
            ap_id: Set(x.ap_id.clone()),
            local: Set(false),
            group_id: Set(g.id),
            author_id: Set(None),
            owner_id: Set(None),
            next_review_at: Set(None),
            created_at: Set(when(x.published)),
            ..Default::default()
        },
    };
    let understanding = plain(x.fields.understanding.as_deref(), MAX_TEXT);
    row.title = Set(title);
    row.why_it_matters = Set(why);
    // The readable text repeats the understanding; Markdown-less questions keep it as sent.
    row.why_it_matters_html = Set(why_html);
    row.status = Set(parse(x.fields.question_status.as_deref()).unwrap_or(QuestionStatus::Open));
    row.review_every_days = Set(days);
    if !matches!(&row.understanding, sea_orm::ActiveValue::Unchanged(u) if *u == understanding) {
        row.understanding_updated_at = Set(understanding.as_ref().map(|_| now));
    }
    row.understanding = Set(understanding);
    row.visibility = Set(visibility);
    row.updated_at = Set(now);
    let q = if is_new { row.insert(&txn).await? } else { row.update(&txn).await? };
    super::questions::cap_answers(&txn, state, &q).await?;
    search::index_question(&txn, &q).await?;
    txn.commit().await?;
    Ok(Some(q))
}

/// Its group withdraws a question: it goes, with the reflections received for it (those
/// written here stay, with their authors). Answers whether there was one.
pub async fn forget_question(state: &AppState, by: &str, ap_id: &str) -> AppResult<bool> {
    let Some(q) = learning_question::Entity::find()
        .filter(learning_question::Column::ApId.eq(ap_id))
        .filter(learning_question::Column::Local.eq(false))
        .one(&state.db)
        .await?
    else {
        return Ok(false);
    };
    let g = group::Entity::find_by_id(q.group_id).one(&state.db).await?;
    if g.is_none_or(|g| g.ap_id != by) {
        return Err(AppError::forbidden("only its group may withdraw a question"));
    }
    let txn = db::begin_write(&state.db).await?;
    let received: Vec<Uuid> = reflection::Entity::find()
        .filter(reflection::Column::Local.eq(false))
        .filter(
            reflection::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(reflection_question::Column::ReflectionId)
                    .from(reflection_question::Entity)
                    .and_where(reflection_question::Column::QuestionId.eq(q.id))
                    .to_owned(),
            ),
        )
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    for id in &received {
        search::remove(&txn, search::Kind::Reflection, *id).await?;
    }
    reflection::Entity::delete_many().filter(reflection::Column::Id.is_in(received)).exec(&txn).await?;
    search::remove(&txn, search::Kind::Question, q.id).await?;
    learning_question::Entity::delete_by_id(q.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// The known questions a received text answers (of one group: the first's).
async fn answered<C: ConnectionTrait>(conn: &C, x: &IncomingRecord) -> AppResult<Vec<learning_question::Model>> {
    let mut ids: Vec<String> = x.answers.iter().take(MAX_ANSWERS).cloned().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut qs = learning_question::Entity::find().filter(learning_question::Column::ApId.is_in(ids)).all(conn).await?;
    qs.sort_by_key(|q| q.id);
    if let Some(first) = x.answers.first().and_then(|f| qs.iter().find(|q| &q.ap_id == f)).map(|q| q.group_id) {
        qs.retain(|q| q.group_id == first);
    } else if let Some(g) = qs.first().map(|q| q.group_id) {
        qs.retain(|q| q.group_id == g);
    }
    Ok(qs)
}

/// Whether the author's server hosts one of the group's partner groups.
async fn from_partner<C: ConnectionTrait>(conn: &C, group_id: Uuid, author: &member::Model) -> AppResult<bool> {
    let Ok(author_url) = Url::parse(&author.ap_id) else { return Ok(false) };
    let partners = visibility::partners_of(conn, group_id).await?;
    Ok(load_many(conn, &partners)
        .await?
        .iter()
        .filter_map(|a| Url::parse(&a.ap_id).ok())
        .any(|u| crate::ap::same_origin(&u, &author_url)))
}

/// A reflection from another server on questions we have (see the module's rules); `None` when
/// it answers none (it may be an ordinary reply). `via` is the group that announced it. Sent
/// again by its author, it is updated.
pub async fn take_reflection(
    state: &AppState,
    author: &member::Model,
    x: IncomingRecord,
    via: Option<&group::Model>,
) -> AppResult<Option<reflection::Model>> {
    let questions = answered(&state.db, &x).await?;
    let Some(first) = questions.first() else { return Ok(None) };
    let existing = reflection::Entity::find().filter(reflection::Column::ApId.eq(&x.ap_id)).one(&state.db).await?;
    match &existing {
        // Ours, echoed back by the group that shared it.
        Some(r) if r.local => return Ok(None),
        Some(r) if r.author_id != Some(author.id) => {
            return Err(AppError::forbidden("only its author may change a reflection"));
        }
        // A reflection stays with its group, and a reply to a prompt stays a reply to it.
        Some(r) if r.group_id != first.group_id || r.event_id.is_some() => {
            return Err(AppError::forbidden("a reflection cannot move to another question"));
        }
        _ => {}
    }
    let g =
        group::Entity::find_by_id(first.group_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("group"))?;
    if !g.local && via.is_none_or(|v| v.id != g.id) {
        // A partner's question: its reflections come as its group shares them (an author's
        // copy to their followers is not for us to take).
        return Ok(None);
    }
    let ceiling = questions.iter().map(|q| q.visibility).min().unwrap_or(RecordVisibility::Group);
    let allowed = !g.local
        || match ceiling {
            RecordVisibility::Public => true,
            RecordVisibility::Partners => from_partner(&state.db, g.id, author).await?,
            RecordVisibility::Group => false,
        };
    if !allowed {
        return Err(AppError::forbidden("that question is not shared with the reflection's author"));
    }
    let asked = parse::<RecordVisibility>(x.fields.visibility.as_deref()).unwrap_or(if x.public {
        RecordVisibility::Public
    } else {
        RecordVisibility::Group
    });
    let mut vis = asked.min(ceiling);
    if vis == RecordVisibility::Public && !x.public {
        vis = RecordVisibility::Partners;
    }
    let f = &x.fields;
    let intended = plain(f.intended.as_deref(), MAX_PART);
    let happened = plain(f.happened.as_deref(), MAX_PART);
    let why = plain(f.why.as_deref(), MAX_PART);
    let next_time = plain(f.next_time.as_deref(), MAX_PART);
    let review = [&intended, &happened, &why, &next_time].iter().any(|p| p.is_some());
    let kind = parse::<ReflectionKind>(f.reflection_kind.as_deref()).unwrap_or(if review {
        ReflectionKind::AfterAction
    } else {
        ReflectionKind::Observation
    });
    let mut values: Vec<ValueKind> =
        f.values.iter().flatten().take(8).filter_map(|v| parse::<ValueKind>(Some(v.as_str()))).collect();
    values.sort();
    values.dedup();
    // A reply from Mastodon is its HTML, cleaned; Weave's Markdown is rendered here.
    let (body, body_html) = texts(&x, f.record.is_some());
    if body_html.is_none() && !review {
        return Err(AppError::bad_input("content", "an empty reflection"));
    }
    if let Some(r) = &existing {
        // The same again (a repeat, an echo): nothing is written or sent.
        let same_questions = {
            let mut had = super::questions_of(&state.db, &[r.id]).await?.remove(&r.id).unwrap_or_default();
            let mut now: Vec<Uuid> = questions.iter().map(|q| q.id).collect();
            had.sort();
            now.sort();
            had == now
        };
        let mut had_values = super::values_of(&state.db, &[r.id]).await?.remove(&r.id).unwrap_or_default();
        had_values.sort();
        if same_questions
            && had_values == values
            && (r.kind, r.visibility) == (kind, vis)
            && (&r.body, &r.body_html) == (&body, &body_html)
            && (&r.intended, &r.happened, &r.why, &r.next_time) == (&intended, &happened, &why, &next_time)
        {
            return Ok(Some(r.clone()));
        }
    }
    let shares = g.local && federation::shared(vis);
    if shares {
        publishing::prepare(state, None, &g, None).await?;
    }
    let now = Utc::now();
    let was = existing.as_ref().map(|r| r.visibility);
    let mut row: reflection::ActiveModel = match existing {
        Some(r) => r.into(),
        None => reflection::ActiveModel {
            id: Set(Uuid::now_v7()),
            ap_id: Set(x.ap_id.clone()),
            local: Set(false),
            group_id: Set(g.id),
            author_id: Set(Some(author.id)),
            event_id: Set(None),
            session_index: Set(None),
            thread_id: Set(None),
            resource_id: Set(None),
            created_at: Set(when(x.published)),
            ..Default::default()
        },
    };
    row.kind = Set(kind);
    row.visibility = Set(vis);
    row.body = Set(body);
    row.body_html = Set(body_html);
    row.intended = Set(intended);
    row.happened = Set(happened);
    row.why = Set(why);
    row.next_time = Set(next_time);
    row.updated_at = Set(now);
    let txn = db::begin_write(&state.db).await?;
    let is_new = !matches!(row.id, sea_orm::ActiveValue::Unchanged(_));
    let saved = match row.id.clone() {
        sea_orm::ActiveValue::Unchanged(_) => row.update(&txn).await?,
        _ => row.insert(&txn).await?,
    };
    reflection_question::Entity::delete_many()
        .filter(reflection_question::Column::ReflectionId.eq(saved.id))
        .exec(&txn)
        .await?;
    let links = questions
        .iter()
        .map(|q| reflection_question::ActiveModel { reflection_id: Set(saved.id), question_id: Set(q.id) });
    reflection_question::Entity::insert_many(links).exec_without_returning(&txn).await?;
    reflection_value::Entity::delete_many()
        .filter(reflection_value::Column::ReflectionId.eq(saved.id))
        .exec(&txn)
        .await?;
    if !values.is_empty() {
        let rows =
            values.into_iter().map(|v| reflection_value::ActiveModel { reflection_id: Set(saved.id), value: Set(v) });
        reflection_value::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    search::index_reflection(&txn, &saved).await?;
    if g.local {
        federation::publish_reflection(&txn, state, &saved, was, false).await?;
    }
    txn.commit().await?;
    if is_new {
        state.bus.publish(&state.db, crate::bus::Change::Shared { group: saved.group_id }).await;
    }
    Ok(Some(saved))
}
