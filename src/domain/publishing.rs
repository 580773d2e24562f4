//! Publishing threads, posts and library entries to other servers, in the transaction of the
//! change (through `outbox::enqueue`). Who hears of what:
//! - a thread (`Page`) or post (`Note`) goes from its author to the author's followers and to
//!   the accounts it mentions; when its group is here, the group `Announce`s it to the group's
//!   followers (that is how Mastodon users who follow the group see it); when the group is on
//!   another server, the author sends it to that group (and to the author of the post it
//!   answers), and that server announces it;
//! - a post from another server in one of our threads is announced by our group too;
//! - library entries (`Document`) go from their group to its followers;
//! - a hidden thread federates nothing; hiding it sends a `Delete` of it to those who had it,
//!   unhiding sends it again.
//!
//! Keys are made before the transaction ([`prepare`]): a SQLite write lock is never held while
//! an RSA key is generated.
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::ap::content::{self, DocumentParts, Mention, NoteParts, PageParts};
use crate::db::{group, member, post, resource, thread};
use crate::domain::actors::local_followers;
use crate::domain::actors::{ensure_keys, ApActor};
use crate::domain::outbox::{self, Outgoing};
use crate::domain::{mentions, resources, visibility};
use crate::error::AppResult;
use crate::state::AppState;

/// Whether anything this author writes in this group reaches another server; if so, the
/// author's and the group's keys are made now (outside any transaction).
pub async fn prepare(
    state: &AppState,
    author: Option<&member::Model>,
    g: &group::Model,
    text: Option<&str>,
) -> AppResult<bool> {
    let mut federates = !g.local || mentions_elsewhere(&state.db, text).await?;
    if let Some(a) = author.filter(|a| a.local) {
        federates |= !outbox::follower_inboxes(&state.db, a.id).await?.is_empty();
    }
    if g.local {
        federates |= !outbox::follower_inboxes(&state.db, g.id).await?.is_empty();
    }
    if federates {
        if let Some(a) = author.filter(|a| a.local) {
            ensure_keys(state, ApActor::of_member(&state.db, a.clone()).await?).await?;
        }
        if g.local {
            ensure_keys(state, ApActor::of_group(&state.db, g.clone()).await?).await?;
        }
    }
    Ok(federates)
}

/// Whether text mentions accounts elsewhere (they are told even when nobody follows).
pub async fn mentions_elsewhere<C: ConnectionTrait>(conn: &C, text: Option<&str>) -> AppResult<bool> {
    let Some(text) = text else { return Ok(false) };
    Ok(mentions::accounts(conn, text).await?.iter().any(|m| !m.local))
}

fn mention_of(state: &AppState, m: &member::Model) -> Mention {
    let name = if m.local { format!("@{}@{}", m.handle, state.config.domain) } else { format!("@{}", m.handle) };
    Mention { href: m.ap_id.clone(), name }
}

/// The thread as a `Page` (loading its group and author).
pub async fn page_of<C: ConnectionTrait>(
    conn: &C,
    t: &thread::Model,
    opening: Option<&post::Model>,
) -> AppResult<Option<serde_json::Value>> {
    let Some(g) = group::Entity::find_by_id(t.group_id).one(conn).await? else { return Ok(None) };
    let author = match t.author_id {
        Some(a) => member::Entity::find_by_id(a).one(conn).await?,
        None => None,
    };
    Ok(Some(page(t, &g, author.as_ref(), opening)))
}

/// The thread as a `Page`, from what the caller loaded.
fn page(
    t: &thread::Model,
    g: &group::Model,
    author: Option<&member::Model>,
    opening: Option<&post::Model>,
) -> serde_json::Value {
    let author = author.map(|a| a.ap_id.as_str()).unwrap_or(&g.ap_id);
    content::page(&PageParts {
        id: &t.ap_id,
        author,
        audience: &g.ap_id,
        title: &t.title,
        html: opening.map(|p| p.body_html.as_str()).unwrap_or(""),
        markdown: opening.and_then(|p| p.body.as_deref()),
        published: t.created_at,
        updated: (t.updated_at > t.created_at).then_some(t.updated_at),
        locked: t.locked,
        cc: vec![],
    })
}

/// A post as a `Note`, with the accounts it mentions (loading its thread, group and author).
pub async fn note_of<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    p: &post::Model,
) -> AppResult<Option<(serde_json::Value, Vec<member::Model>)>> {
    let Some(t) = thread::Entity::find_by_id(p.thread_id).one(conn).await? else { return Ok(None) };
    let Some(g) = group::Entity::find_by_id(t.group_id).one(conn).await? else { return Ok(None) };
    let author = match p.author_id {
        Some(a) => member::Entity::find_by_id(a).one(conn).await?,
        None => None,
    };
    let Some(author) = author else { return Ok(None) };
    Ok(Some(note(conn, state, &t, &g, &author, p).await?))
}

/// A post as a `Note`, from the thread, group and author the caller loaded.
async fn note<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    t: &thread::Model,
    g: &group::Model,
    author: &member::Model,
    p: &post::Model,
) -> AppResult<(serde_json::Value, Vec<member::Model>)> {
    let in_reply_to = match p.parent_id {
        Some(parent) => post::Entity::find_by_id(parent).one(conn).await?.map(|x| x.ap_id),
        None => None,
    };
    let mentioned = mentions::accounts(conn, p.body.as_deref().unwrap_or("")).await?;
    let mention_tags: Vec<Mention> = mentioned.iter().map(|m| mention_of(state, m)).collect();
    let mut cc = vec![g.ap_id.clone()];
    cc.push(local_followers(&author.ap_id));
    let note = content::note(&NoteParts {
        id: &p.ap_id,
        author: &author.ap_id,
        in_reply_to: in_reply_to.as_deref().unwrap_or(&t.ap_id),
        context: &t.ap_id,
        audience: &g.ap_id,
        html: &p.body_html,
        markdown: p.body.as_deref(),
        published: p.created_at,
        updated: p.edited_at,
        cc,
        mentions: &mention_tags,
    });
    Ok((note, mentioned))
}

use crate::ap::activities;
/// What happened to the object: one enum for every object we publish.
pub use crate::ap::activities::Change;

/// Sends a change of a local author's thread (`post` is its opening post) or post, in the
/// caller's transaction. A hidden thread federates nothing (see [`hide`]).
pub async fn publish<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    t: &thread::Model,
    p: &post::Model,
    opening: bool,
    change: Change,
) -> AppResult<()> {
    if !visibility::thread_public(t) {
        return Ok(());
    }
    send(conn, state, t, p, opening, change).await
}

/// A thread was hidden: those who had it (the author's followers and mentioned accounts, the
/// group's followers through its `Announce`, a remote group) get a `Delete` of it, from its
/// author, addressed as it was published. Unhiding publishes it again as a `Create` (through
/// [`publish`]); servers that keep tombstones (Mastodon) may not take it back.
pub async fn hide<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    t: &thread::Model,
    opening: &post::Model,
) -> AppResult<()> {
    send(conn, state, t, opening, true, Change::Delete).await
}

async fn send<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    t: &thread::Model,
    p: &post::Model,
    opening: bool,
    change: Change,
) -> AppResult<()> {
    let Some(g) = group::Entity::find_by_id(t.group_id).one(conn).await? else { return Ok(()) };
    let Some(author) = (match p.author_id.or(t.author_id) {
        Some(a) => member::Entity::find_by_id(a).one(conn).await?,
        None => None,
    }) else {
        return Ok(());
    };
    // The thread, group and author are at hand: the object is built without loading them again.
    let (object, mentioned) = if opening {
        let thread_author = if t.author_id == Some(author.id) { Some(&author) } else { None };
        (page(t, &g, thread_author, Some(p)), vec![])
    } else {
        note(conn, state, t, &g, &author, p).await?
    };
    let object_id = if opening { t.ap_id.clone() } else { p.ap_id.clone() };

    // The author's side: followers, mentioned accounts, and a remote group with the author of
    // the post answered.
    let mut inboxes = outbox::follower_inboxes(conn, author.id).await?;
    inboxes.extend(outbox::inboxes_of(conn, mentioned.iter().filter(|m| !m.local).map(|m| m.id)).await?);
    if !g.local {
        inboxes.extend(outbox::inbox_of(conn, g.id).await?);
        if let Some(parent) = p.parent_id {
            if let Some(pa) = post::Entity::find_by_id(parent).one(conn).await? {
                if let Some(pa_author) = match pa.author_id {
                    Some(a) => member::Entity::find_by_id(a).one(conn).await?,
                    None => None,
                } {
                    inboxes.extend(outbox::inbox_of(conn, pa_author.id).await?.filter(|_| !pa_author.local));
                }
            }
        }
    }
    let activity_id = outbox::activity_id(state, change.as_str());
    let payload = match change {
        Change::Delete => {
            let cc: Vec<String> = vec![local_followers(&author.ap_id), g.ap_id.clone()];
            activities::delete(&activity_id, &author.ap_id, &object_id, vec![crate::ap::PUBLIC.into()], cc)
        }
        _ => activities::wrap(change.kind(), &activity_id, &author.ap_id, object.clone()),
    };
    if !inboxes.is_empty() {
        outbox::enqueue(
            conn,
            state,
            Outgoing::from_member(&author, activity_id, change.as_str(), payload.clone(), true, inboxes),
        )
        .await?;
    }
    if g.local {
        // The group re-shares it: the object itself, or the Update/Delete activity.
        let shared = if change == Change::Create { object } else { payload };
        announce(conn, state, &g, shared).await?;
    }
    Ok(())
}

/// The group announces an object (or activity) to its followers.
pub async fn announce<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    g: &group::Model,
    object: serde_json::Value,
) -> AppResult<()> {
    let inboxes = outbox::follower_inboxes(conn, g.id).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let id = outbox::activity_id(state, "Announce");
    let payload = activities::announce(&id, &g.ap_id, Some(local_followers(&g.ap_id).as_str()), object);
    outbox::enqueue(conn, state, Outgoing::from_group(g, id, "Announce", payload, true, inboxes)).await?;
    Ok(())
}

/// A post that arrived from another server in one of our threads: our group re-shares it.
pub async fn announce_received<C: ConnectionTrait>(conn: &C, state: &AppState, p: &post::Model) -> AppResult<()> {
    let Some(t) = thread::Entity::find_by_id(p.thread_id).one(conn).await?.filter(visibility::thread_public) else {
        return Ok(());
    };
    let Some(g) = group::Entity::find_by_id(t.group_id).one(conn).await?.filter(|g| g.local) else { return Ok(()) };
    let Some((note, _)) = note_of(conn, state, p).await? else { return Ok(()) };
    announce(conn, state, &g, note).await
}

/// A library entry as a `Document`.
pub fn document_of(g: &group::Model, r: &resource::Model) -> serde_json::Value {
    let tags = resources::tags(r);
    content::document(&DocumentParts {
        id: &r.ap_id,
        group: &g.ap_id,
        title: &r.title,
        kind: kind_name(r),
        link: r.link.as_deref(),
        html: r.description_html.as_deref(),
        tags: &tags,
        folder: &r.folder,
        published: r.created_at,
        updated: r.updated_at,
        followers: Some(local_followers(&g.ap_id).as_str()),
    })
}

fn kind_name(r: &resource::Model) -> &'static str {
    use crate::db::enums::ResourceKind as K;
    match r.kind {
        K::Link => "LINK",
        K::Document => "DOCUMENT",
        K::Toolkit => "TOOLKIT",
        K::Template => "TEMPLATE",
        K::Recording => "RECORDING",
        K::Slides => "SLIDES",
        K::Other => "OTHER",
    }
}

/// Sends a change of a local group's library entry to the group's followers.
pub async fn publish_resource<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    r: &resource::Model,
    change: Change,
) -> AppResult<()> {
    let Some(g) = group::Entity::find_by_id(r.group_id).one(conn).await?.filter(|g| g.local) else { return Ok(()) };
    let inboxes = outbox::follower_inboxes(conn, g.id).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let id = outbox::activity_id(state, change.as_str());
    let payload = match change {
        Change::Delete => {
            activities::delete(&id, &g.ap_id, &r.ap_id, vec![crate::ap::PUBLIC.into()], vec![local_followers(&g.ap_id)])
        }
        _ => activities::wrap(change.kind(), &id, &g.ap_id, document_of(&g, r)),
    };
    outbox::enqueue(conn, state, Outgoing::from_group(&g, id, change.as_str(), payload, true, inboxes)).await?;
    Ok(())
}
