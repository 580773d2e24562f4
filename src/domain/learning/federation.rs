//! Sending learning records to other servers, in the transaction of the change (through
//! `outbox::enqueue`). Who hears of what is decided by the record's visibility, once, in
//! [`audience`]:
//! - GROUP: nobody elsewhere;
//! - PARTNERS: the partner groups (`visibility::partners_of`: a follow each way), addressed
//!   to them by name: never the public collection, the group's other followers (Mastodon
//!   accounts) or the public outbox;
//! - PUBLIC: the group's followers (partner servers and Mastodon alike), as threads go.
//!
//! A question of a local group is a `Page` from the group. A reflection on one is a `Note`
//! from its author; the group `Announce`s it to the question's audience (and a PUBLIC one also
//! goes from its author to their followers). A reflection written here on a partner's question
//! goes to that group's server, which shares it on. Narrowing who sees a record sends a
//! `Delete` to those who no longer may; widening sends it to the new ones.
use std::collections::BTreeSet;

use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait};
use serde_json::Value;
use url::Url;

use crate::ap::activities::{self, Envelope, Kind};
use crate::ap::learning::{self as wire, QuestionParts, ReflectionParts};
use crate::ap::PUBLIC;
use crate::db::enums::RecordVisibility;
use crate::db::{group, learning_question, member, reflection};
use crate::domain::actors::{load_many, local_followers};
use crate::domain::outbox::{self, Outgoing};
use crate::domain::{markdown, visibility};
use crate::error::AppResult;
use crate::state::AppState;

/// Where a local group's record at some visibility goes: its addressing and the inboxes.
#[derive(Default)]
struct Audience {
    to: Vec<String>,
    cc: Vec<String>,
    inboxes: BTreeSet<Url>,
}

/// Whether a record at this visibility leaves the server at all.
pub fn shared(v: RecordVisibility) -> bool {
    v != RecordVisibility::Group
}

/// Who hears of a local group's record kept at `v` (`None`: nobody elsewhere).
async fn audience<C: ConnectionTrait>(conn: &C, g: &group::Model, v: RecordVisibility) -> AppResult<Option<Audience>> {
    Ok(match v {
        RecordVisibility::Group => None,
        RecordVisibility::Public => Some(Audience {
            to: vec![PUBLIC.into()],
            cc: vec![local_followers(&g.ap_id)],
            inboxes: outbox::follower_inboxes(conn, g.id).await?.into_iter().collect(),
        }),
        RecordVisibility::Partners => {
            let partners = visibility::partners_of(conn, g.id).await?;
            let to = load_many(conn, &partners).await?.into_iter().map(|a| a.ap_id).collect();
            let inboxes = outbox::inboxes_of(conn, partners).await?.into_iter().collect();
            Some(Audience { to, cc: vec![], inboxes })
        }
    })
}

/// A question's text for readers that know no `weave:` term: why it matters, and what the
/// group understands now.
fn readable_question(q: &learning_question::Model) -> String {
    let mut html = q.why_it_matters_html.clone().unwrap_or_default();
    if let Some(u) = q.understanding.as_deref().filter(|u| !u.trim().is_empty()) {
        html.push_str(&format!("<p><strong>What we understand now:</strong> {}</p>", markdown::escape(u)));
    }
    html
}

/// A reflection's text for readers that know no `weave:` term: its body and its review.
pub fn readable_reflection(r: &reflection::Model) -> String {
    let mut html = r.body_html.clone().unwrap_or_default();
    let parts = [
        ("What we set out to do", &r.intended),
        ("What happened", &r.happened),
        ("Why", &r.why),
        ("Next time", &r.next_time),
    ];
    for (label, text) in parts {
        if let Some(t) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            html.push_str(&format!("<p><strong>{label}:</strong> {}</p>", markdown::escape(t)));
        }
    }
    html
}

fn question_document(q: &learning_question::Model, g: &group::Model, to: Vec<String>, cc: Vec<String>) -> Value {
    wire::question(&QuestionParts {
        id: &q.ap_id,
        group: &g.ap_id,
        title: &q.title,
        html: &readable_question(q),
        markdown: q.why_it_matters.as_deref(),
        status: &q.status.to_value(),
        visibility: &q.visibility.to_value(),
        review_every_days: q.review_every_days,
        understanding: q.understanding.as_deref(),
        published: q.created_at,
        updated: q.updated_at,
        to,
        cc,
    })
}

/// A PUBLIC question of a local group as its `Page` (what `GET` of its URL answers); `None`
/// for any other (partners have theirs delivered).
pub async fn public_question<C: ConnectionTrait>(conn: &C, q: &learning_question::Model) -> AppResult<Option<Value>> {
    if q.visibility != RecordVisibility::Public || !q.local {
        return Ok(None);
    }
    let Some(g) = group::Entity::find_by_id(q.group_id).one(conn).await? else { return Ok(None) };
    Ok(Some(question_document(q, &g, vec![PUBLIC.into()], vec![local_followers(&g.ap_id)])))
}

/// Sends a local group's question to those who may see it now, and a `Delete` to those who
/// saw it at `was` and no longer may.
pub async fn publish_question<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    q: &learning_question::Model,
    was: Option<RecordVisibility>,
) -> AppResult<()> {
    let Some(g) = group::Entity::find_by_id(q.group_id).one(conn).await?.filter(|g| g.local && q.local) else {
        return Ok(());
    };
    let before = match was {
        Some(v) => audience(conn, &g, v).await?.unwrap_or_default(),
        None => Audience::default(),
    };
    let now = audience(conn, &g, q.visibility).await?;
    let gone: Vec<Url> = match &now {
        Some(n) => before.inboxes.difference(&n.inboxes).cloned().collect(),
        None => before.inboxes.iter().cloned().collect(),
    };
    if !gone.is_empty() {
        let id = outbox::activity_id(state, "Delete");
        let payload = activities::delete(&id, &g.ap_id, &q.ap_id, before.to.clone(), before.cc.clone());
        outbox::enqueue(conn, state, Outgoing::from_group(&g, id, "Delete", payload, false, gone)).await?;
    }
    let Some(now) = now else { return Ok(()) };
    let public = q.visibility == RecordVisibility::Public;
    let doc = question_document(q, &g, now.to.clone(), now.cc.clone());
    create_or_update(conn, state, (g.id, &g.ap_id), &doc, &before.inboxes, &now.inboxes, public).await
}

/// Sends a record's document from `by` (actor row id, ActivityPub id): an `Update` to the
/// inboxes that had it (`before`), a `Create` to those that hear of it now.
async fn create_or_update<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    by: (uuid::Uuid, &str),
    doc: &Value,
    before: &BTreeSet<Url>,
    after: &BTreeSet<Url>,
    public: bool,
) -> AppResult<()> {
    for (kind, inboxes) in [
        (Kind::Update, after.intersection(before).cloned().collect::<Vec<_>>()),
        (Kind::Create, after.difference(before).cloned().collect()),
    ] {
        if inboxes.is_empty() {
            continue;
        }
        let id = outbox::activity_id(state, kind.as_str());
        let payload = activities::wrap(kind, &id, by.1, doc.clone());
        let out = Outgoing { actor_id: by.0, ap_id: id, kind: kind.as_str(), payload, public, inboxes };
        outbox::enqueue(conn, state, out).await?;
    }
    Ok(())
}

/// A reflection as its `Note`, addressed `to`/`cc`.
fn reflection_document(
    r: &reflection::Model,
    author: &member::Model,
    g: &group::Model,
    questions: &[String],
    values: Vec<String>,
    to: Vec<String>,
    cc: Vec<String>,
) -> Value {
    wire::reflection(&ReflectionParts {
        id: &r.ap_id,
        author: &author.ap_id,
        group: &g.ap_id,
        questions,
        html: &readable_reflection(r),
        markdown: r.body.as_deref(),
        kind: &r.kind.to_value(),
        visibility: &r.visibility.to_value(),
        intended: r.intended.as_deref(),
        happened: r.happened.as_deref(),
        why: r.why.as_deref(),
        next_time: r.next_time.as_deref(),
        values,
        published: r.created_at,
        updated: r.updated_at,
        to,
        cc,
    })
}

/// What one reflection is, loaded for sending: its author, group, the ids of the questions it
/// answers and its values.
struct Loaded {
    author: member::Model,
    group: group::Model,
    questions: Vec<String>,
    values: Vec<String>,
}

async fn load<C: ConnectionTrait>(conn: &C, r: &reflection::Model) -> AppResult<Option<Loaded>> {
    let Some(author) = (match r.author_id {
        Some(a) => member::Entity::find_by_id(a).one(conn).await?,
        None => None,
    }) else {
        return Ok(None);
    };
    let Some(group) = group::Entity::find_by_id(r.group_id).one(conn).await? else { return Ok(None) };
    let ids = super::questions_of(conn, &[r.id]).await?.remove(&r.id).unwrap_or_default();
    let mut questions: Vec<String> = super::load_questions(conn, &ids)
        .await?
        .into_iter()
        .filter(|q| shared(q.visibility))
        .map(|q| q.ap_id)
        .collect();
    questions.sort();
    let values = super::values_of(conn, &[r.id])
        .await?
        .remove(&r.id)
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.to_value())
        .collect();
    Ok(Some(Loaded { author, group, questions, values }))
}

/// A PUBLIC reflection on a PUBLIC question as its `Note` (what `GET` of its URL answers).
pub async fn public_reflection<C: ConnectionTrait>(conn: &C, r: &reflection::Model) -> AppResult<Option<Value>> {
    if r.visibility != RecordVisibility::Public || !r.local {
        return Ok(None);
    }
    let Some(l) = load(conn, r).await?.filter(|l| !l.questions.is_empty()) else { return Ok(None) };
    let cc = vec![l.group.ap_id.clone(), local_followers(&l.author.ap_id)];
    Ok(Some(reflection_document(r, &l.author, &l.group, &l.questions, l.values, vec![PUBLIC.into()], cc)))
}

/// The visibility at which a reflection is out there: its own, when it answers a shared
/// question; `None` when it never left the server.
pub async fn sent_as<C: ConnectionTrait>(conn: &C, r: &reflection::Model) -> AppResult<Option<RecordVisibility>> {
    if !shared(r.visibility) {
        return Ok(None);
    }
    let ids = super::questions_of(conn, &[r.id]).await?.remove(&r.id).unwrap_or_default();
    let any = super::load_questions(conn, &ids).await?.iter().any(|q| shared(q.visibility));
    Ok(any.then_some(r.visibility))
}

/// Sends a reflection (written here, or received for a question of ours) to those who may see
/// it now, and a `Delete` to those who saw it at `was` and no longer may (`deleted`: to
/// everyone who had it). Only reflections answering a shared question travel.
pub async fn publish_reflection<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    r: &reflection::Model,
    was: Option<RecordVisibility>,
    deleted: bool,
) -> AppResult<()> {
    let Some(l) = load(conn, r).await? else { return Ok(()) };
    if l.questions.is_empty() && was.is_none() {
        return Ok(());
    }
    let now = if deleted || l.questions.is_empty() { None } else { Some(r.visibility).filter(|v| shared(*v)) };
    if l.group.local {
        share_from_group(conn, state, r, &l, was, now).await
    } else if r.local {
        send_to_group(conn, state, r, &l, was, now).await
    } else {
        Ok(())
    }
}

/// A reflection on a local group's question: the group announces it to the question's
/// audience (leaving out the author's own server, which has it); a PUBLIC one written here
/// also goes from its author to their followers.
async fn share_from_group<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    r: &reflection::Model,
    l: &Loaded,
    was: Option<RecordVisibility>,
    now: Option<RecordVisibility>,
) -> AppResult<()> {
    let author_server = Url::parse(&l.author.ap_id).ok().map(|u| crate::ap::authority(&u));
    let elsewhere = |u: &Url| !r.local && author_server.as_deref() == Some(crate::ap::authority(u).as_str());
    let group_audience = |v: Option<RecordVisibility>| async move {
        let mut a = match v {
            Some(v) => audience(conn, &l.group, v).await?.unwrap_or_default(),
            None => Audience::default(),
        };
        a.inboxes.retain(|u| !elsewhere(u));
        AppResult::Ok(a)
    };
    let (before, after) = (group_audience(was).await?, group_audience(now).await?);
    let followers: BTreeSet<Url> =
        if r.local && (was == Some(RecordVisibility::Public) || now == Some(RecordVisibility::Public)) {
            outbox::follower_inboxes(conn, l.author.id).await?.into_iter().collect()
        } else {
            BTreeSet::new()
        };
    let reached = |group: &BTreeSet<Url>, v: Option<RecordVisibility>| -> BTreeSet<Url> {
        let mut s = group.clone();
        if v == Some(RecordVisibility::Public) {
            s.extend(followers.iter().cloned());
        }
        s
    };
    let gone: Vec<Url> = reached(&before.inboxes, was).difference(&reached(&after.inboxes, now)).cloned().collect();
    if !gone.is_empty() {
        // Deleted by its author where it was written here; the group withdraws it otherwise.
        let id = outbox::activity_id(state, "Delete");
        let out = if r.local {
            let payload = activities::delete(&id, &l.author.ap_id, &r.ap_id, before.to.clone(), before.cc.clone());
            Outgoing::from_member(&l.author, id, "Delete", payload, false, gone)
        } else {
            let payload = activities::delete(&id, &l.group.ap_id, &r.ap_id, before.to.clone(), before.cc.clone());
            Outgoing::from_group(&l.group, id, "Delete", payload, false, gone)
        };
        outbox::enqueue(conn, state, out).await?;
    }
    let Some(v) = now else { return Ok(()) };
    let doc =
        reflection_document(r, &l.author, &l.group, &l.questions, l.values.clone(), after.to.clone(), after.cc.clone());
    if v == RecordVisibility::Public && !followers.is_empty() {
        let kind = if was == Some(RecordVisibility::Public) { Kind::Update } else { Kind::Create };
        let id = outbox::activity_id(state, kind.as_str());
        let payload = activities::wrap(kind, &id, &l.author.ap_id, doc.clone());
        let out = Outgoing::from_member(&l.author, id, kind.as_str(), payload, true, followers.into_iter().collect());
        outbox::enqueue(conn, state, out).await?;
    }
    // A PARTNERS reflection written elsewhere cannot be fetched by a third server to check the
    // group's word for it: it is not relayed.
    if after.inboxes.is_empty() || (!r.local && v == RecordVisibility::Partners) {
        return Ok(());
    }
    // The group shares it as addressed: partners by name, or the public and its followers.
    let id = outbox::activity_id(state, "Announce");
    let payload = Envelope::new(Kind::Announce, &id, &l.group.ap_id, after.to, doc).cc(after.cc).into_value();
    let public = v == RecordVisibility::Public;
    let out = Outgoing::from_group(&l.group, id, "Announce", payload, public, after.inboxes.into_iter().collect());
    outbox::enqueue(conn, state, out).await?;
    Ok(())
}

/// A reflection written here on a partner's question goes to that group's server (and, when
/// PUBLIC, to its author's followers); the group there shares it on.
async fn send_to_group<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    r: &reflection::Model,
    l: &Loaded,
    was: Option<RecordVisibility>,
    now: Option<RecordVisibility>,
) -> AppResult<()> {
    let group_inbox = outbox::inbox_of(conn, l.group.id).await?;
    let followers = outbox::follower_inboxes(conn, l.author.id).await?;
    let reach = |v: Option<RecordVisibility>| -> BTreeSet<Url> {
        let mut s: BTreeSet<Url> = BTreeSet::new();
        if v.is_some_and(shared) {
            s.extend(group_inbox.clone());
        }
        if v == Some(RecordVisibility::Public) {
            s.extend(followers.iter().cloned());
        }
        s
    };
    let (before, after) = (reach(was), reach(now));
    let addressing = |v: Option<RecordVisibility>| match v {
        Some(RecordVisibility::Public) => {
            (vec![PUBLIC.to_string()], vec![l.group.ap_id.clone(), local_followers(&l.author.ap_id)])
        }
        _ => (vec![l.group.ap_id.clone()], vec![]),
    };
    let gone: Vec<Url> = before.difference(&after).cloned().collect();
    if !gone.is_empty() {
        let (to, cc) = addressing(was);
        let id = outbox::activity_id(state, "Delete");
        let payload = activities::delete(&id, &l.author.ap_id, &r.ap_id, to, cc);
        outbox::enqueue(conn, state, Outgoing::from_member(&l.author, id, "Delete", payload, false, gone)).await?;
    }
    if after.is_empty() {
        return Ok(());
    }
    let (to, cc) = addressing(now);
    let doc = reflection_document(r, &l.author, &l.group, &l.questions, l.values.clone(), to, cc);
    let public = now == Some(RecordVisibility::Public);
    create_or_update(conn, state, (l.author.id, &l.author.ap_id), &doc, &before, &after, public).await
}

/// A learning record's publication as it is now (for outboxes and activities fetched by id):
/// a PUBLIC question or reflection of ours as it reads now, a received PUBLIC reflection as it
/// was shared; any other is withdrawn. `None` when `id` is no learning record.
pub async fn published_now<C: ConnectionTrait>(conn: &C, id: &str) -> AppResult<Option<crate::domain::published::Now>> {
    use crate::domain::published::Now;
    use sea_orm::{ColumnTrait, QueryFilter};
    if let Some(q) = learning_question::Entity::find().filter(learning_question::Column::ApId.eq(id)).one(conn).await? {
        return Ok(Some(public_question(conn, &q).await?.map_or(Now::Withdrawn, Now::Object)));
    }
    let Some(r) = reflection::Entity::find().filter(reflection::Column::ApId.eq(id)).one(conn).await? else {
        return Ok(None);
    };
    if !r.local {
        return Ok(Some(if r.visibility == RecordVisibility::Public { Now::Stored } else { Now::Withdrawn }));
    }
    Ok(Some(public_reflection(conn, &r).await?.map_or(Now::Withdrawn, Now::Object)))
}
