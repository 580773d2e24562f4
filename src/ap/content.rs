//! Threads, posts and library entries on the wire. A thread is a `Page` (as Lemmy sends one),
//! its posts are `Note`s with `inReplyTo` and `context` (the thread), and a library entry is a
//! `Document`. The author creates a thread or post; its group `Announce`s it to the group's
//! followers, so that Mastodon users who follow the group see it. The object type itself, and
//! the permissive reading of what other servers send, is `super::object`.
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::object::{id_list, to_value, Link};
pub use super::object::{ObjectJson, PollOption, Refusal, Replies, Source, Tag};
use super::PUBLIC;

/// An account a text mentions.
pub struct Mention {
    pub href: String,
    /// `@name@domain`.
    pub name: String,
}

/// What a `Note` (a post) says.
pub struct NoteParts<'a> {
    pub id: &'a str,
    pub author: &'a str,
    /// The post or thread it answers.
    pub in_reply_to: &'a str,
    /// The thread.
    pub context: &'a str,
    /// The group it was posted in.
    pub audience: &'a str,
    pub html: &'a str,
    pub markdown: Option<&'a str>,
    pub published: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    /// Followers collections and others copied (the group, the author's followers).
    pub cc: Vec<String>,
    pub mentions: &'a [Mention],
}

fn id_value(s: &str) -> Value {
    Value::String(s.into())
}

/// A post as a public `Note`.
pub fn note(p: &NoteParts<'_>) -> Value {
    let mut cc = p.cc.clone();
    cc.extend(p.mentions.iter().map(|m| m.href.clone()));
    let tags: Vec<Tag> = p.mentions.iter().map(|m| Tag::mention(&m.href, &m.name)).collect();
    ObjectJson::build(p.id, "Note", |o| {
        o.attributed_to = id_value(p.author);
        o.in_reply_to = id_value(p.in_reply_to);
        o.context = id_value(p.context);
        o.audience = id_value(p.audience);
        o.content = Some(p.html.into());
        o.media_type = Some("text/html".into());
        o.source = p.markdown.map(markdown);
        o.published = Some(p.published);
        o.updated = p.updated;
        o.to = id_list([PUBLIC]);
        o.cc = id_list(cc);
        o.tag = to_value(tags);
        o.url = id_value(p.id);
    })
}

fn markdown(m: &str) -> Source {
    Source { content: m.into(), media_type: "text/markdown".into() }
}

/// What a `Page` (a thread) says.
pub struct PageParts<'a> {
    pub id: &'a str,
    pub author: &'a str,
    pub audience: &'a str,
    pub title: &'a str,
    pub html: &'a str,
    pub markdown: Option<&'a str>,
    pub published: DateTime<Utc>,
    pub updated: Option<DateTime<Utc>>,
    pub locked: bool,
    pub cc: Vec<String>,
}

/// A thread as a public `Page`, addressed to its group as Lemmy addresses community posts.
pub fn page(p: &PageParts<'_>) -> Value {
    let mut cc = p.cc.clone();
    cc.push(p.audience.to_string());
    ObjectJson::build(p.id, "Page", |o| {
        o.attributed_to = id_value(p.author);
        o.audience = id_value(p.audience);
        o.name = Some(p.title.into());
        o.content = Some(p.html.into());
        o.media_type = Some("text/html".into());
        o.source = p.markdown.map(markdown);
        o.published = Some(p.published);
        o.updated = p.updated;
        o.comments_enabled = Some(!p.locked);
        o.sensitive = Some(false);
        o.to = id_list([PUBLIC]);
        o.cc = id_list(cc);
        o.url = id_value(p.id);
    })
}

/// What a `Document` (a library entry) says.
pub struct DocumentParts<'a> {
    pub id: &'a str,
    pub group: &'a str,
    pub title: &'a str,
    pub kind: &'a str,
    pub link: Option<&'a str>,
    pub html: Option<&'a str>,
    pub tags: &'a [String],
    pub folder: &'a str,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub followers: Option<&'a str>,
}

/// A library entry as a `Document` from its group. `url` is the resource itself; `weave:kind`
/// and `weave:folder` keep what the vocabulary has no term for.
pub fn document(d: &DocumentParts<'_>) -> Value {
    let tags: Vec<Tag> = d.tags.iter().map(|t| Tag::hashtag(t, None)).collect();
    ObjectJson::build(d.id, "Document", |o| {
        o.attributed_to = id_value(d.group);
        o.audience = id_value(d.group);
        o.name = Some(d.title.into());
        o.content = d.html.map(str::to_string);
        o.media_type = Some("text/html".into());
        o.url = d.link.map(|l| to_value(Link { kind: "Link".into(), href: l.into() })).unwrap_or(Value::Null);
        o.tag = to_value(tags);
        o.weave_kind = Some(d.kind.into());
        o.weave_folder = Some(d.folder.into());
        o.published = Some(d.published);
        o.updated = Some(d.updated);
        o.to = id_list([PUBLIC]);
        o.cc = id_list(d.followers);
    })
}
