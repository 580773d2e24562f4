//! Threads, posts and library entries on the wire. A thread is a `Page` (as Lemmy sends one),
//! its posts are `Note`s with `inReplyTo` and `context` (the thread), and a library entry is a
//! `Document`. The author creates a thread or post; its group `Announce`s it to the group's
//! followers, so that Mastodon users who follow the group see it. Also here: the permissive
//! reading of objects other servers send (Mastodon, Lemmy, Mobilizon and Weave).
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use super::{same_origin, PUBLIC};

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

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

fn source(markdown: Option<&str>) -> Value {
    markdown.map(|m| json!({"content": m, "mediaType": "text/markdown"})).unwrap_or(Value::Null)
}

fn strip_nulls(mut v: Value) -> Value {
    if let Value::Object(o) = &mut v {
        o.retain(|_, x| !x.is_null());
    }
    v
}

/// A post as a public `Note`.
pub fn note(p: &NoteParts<'_>) -> Value {
    let mut cc = p.cc.clone();
    cc.extend(p.mentions.iter().map(|m| m.href.clone()));
    let tags: Vec<Value> =
        p.mentions.iter().map(|m| json!({"type": "Mention", "href": m.href, "name": m.name})).collect();
    strip_nulls(json!({
        "id": p.id,
        "type": "Note",
        "attributedTo": p.author,
        "inReplyTo": p.in_reply_to,
        "context": p.context,
        "audience": p.audience,
        "content": p.html,
        "mediaType": "text/html",
        "source": source(p.markdown),
        "published": time(p.published),
        "updated": p.updated.map(time),
        "to": [PUBLIC],
        "cc": cc,
        "tag": tags,
        "url": p.id,
    }))
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
    strip_nulls(json!({
        "id": p.id,
        "type": "Page",
        "attributedTo": p.author,
        "audience": p.audience,
        "name": p.title,
        "content": p.html,
        "mediaType": "text/html",
        "source": source(p.markdown),
        "published": time(p.published),
        "updated": p.updated.map(time),
        "commentsEnabled": !p.locked,
        "sensitive": false,
        "to": [PUBLIC],
        "cc": cc,
        "url": p.id,
    }))
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
    let tags: Vec<Value> = d.tags.iter().map(|t| json!({"type": "Hashtag", "name": format!("#{t}")})).collect();
    strip_nulls(json!({
        "id": d.id,
        "type": "Document",
        "attributedTo": d.group,
        "audience": d.group,
        "name": d.title,
        "content": d.html,
        "mediaType": "text/html",
        "url": d.link.map(|l| json!({"type": "Link", "href": l})),
        "tag": tags,
        "weave:kind": d.kind,
        "weave:folder": d.folder,
        "published": time(d.published),
        "updated": time(d.updated),
        "to": [PUBLIC],
        "cc": d.followers.map(|f| vec![f]).unwrap_or_default(),
    }))
}

/// An object another server sent (a `Note`, `Page`, `Article`, `Document`…), read leniently:
/// fields other servers shape differently (`attributedTo` as a string, an object or a list;
/// `url` as a string, a `Link` or a list) are kept raw and read by the methods below.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectJson {
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub attributed_to: Value,
    #[serde(default)]
    pub in_reply_to: Value,
    #[serde(default)]
    pub context: Value,
    #[serde(default)]
    pub audience: Value,
    pub name: Option<String>,
    pub content: Option<String>,
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "super::bounds::deserialize_time_opt")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "super::bounds::deserialize_time_opt")]
    pub updated: Option<DateTime<Utc>>,
    #[serde(default)]
    pub to: Value,
    #[serde(default)]
    pub cc: Value,
    #[serde(default)]
    pub tag: Value,
    #[serde(default)]
    pub url: Value,
    pub comments_enabled: Option<bool>,
    #[serde(rename = "weave:kind")]
    pub weave_kind: Option<String>,
    #[serde(rename = "weave:folder")]
    pub weave_folder: Option<String>,
}

/// How many entries of an addressing or link list are read: a list is bounded like every
/// other input.
const MAX_LIST: usize = 64;

/// The web links in a value that is an id, an object with an id (or `href`), or a list of
/// those; anything that is not a web link is left out.
fn ids(v: &Value) -> Vec<Url> {
    let one = |x: &Value| match x {
        Value::String(s) => super::web_url(s),
        Value::Object(o) => o.get("id").or_else(|| o.get("href")).and_then(Value::as_str).and_then(super::web_url),
        _ => None,
    };
    match v {
        Value::Array(a) => a.iter().take(MAX_LIST).filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// Why an object is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Its author is not the actor who sent it.
    NotTheAuthor,
    /// Its id is on another server than its author.
    ForeignId,
    NoAuthor,
}

impl ObjectJson {
    /// Its author: the first `Person` among `attributedTo`, else the first id there.
    pub fn author(&self) -> Option<Url> {
        if let Value::Array(a) = &self.attributed_to {
            if let Some(p) = a.iter().find(|x| x.get("type").and_then(Value::as_str) == Some("Person")) {
                return ids(p).into_iter().next();
            }
        }
        ids(&self.attributed_to).into_iter().next()
    }

    pub fn in_reply_to(&self) -> Option<Url> {
        ids(&self.in_reply_to).into_iter().next()
    }

    /// The thread (Weave's `context`; Mastodon's conversation ids are not URLs we know).
    pub fn context(&self) -> Option<Url> {
        ids(&self.context).into_iter().next()
    }

    /// The groups (or other collections) it names as its `audience`.
    pub fn audience_ids(&self) -> Vec<Url> {
        ids(&self.audience)
    }

    pub fn is_public(&self) -> bool {
        let public = |v: &Value| match v {
            Value::String(s) => s == PUBLIC || s == "as:Public" || s == "Public",
            Value::Array(a) => {
                a.iter().any(|x| x.as_str().is_some_and(|s| s == PUBLIC || s == "as:Public" || s == "Public"))
            }
            _ => false,
        };
        public(&self.to) || public(&self.cc)
    }

    /// The first web link in `url`.
    pub fn link(&self) -> Option<Url> {
        ids(&self.url).into_iter().next()
    }

    /// `Hashtag` names without `#`.
    pub fn hashtags(&self) -> Vec<String> {
        let Value::Array(tags) = &self.tag else { return vec![] };
        tags.iter()
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("Hashtag"))
            .filter_map(|t| t.get("name").and_then(Value::as_str))
            .map(|n| n.trim_start_matches('#').to_string())
            .filter(|n| !n.is_empty())
            .take(20)
            .collect()
    }

    /// The object's id and author must be on the server of the actor that sent it, and the
    /// author must be that actor: nobody speaks for someone else.
    pub fn check_authored_by(&self, actor: &Url) -> Result<Url, Refusal> {
        let author = self.author().ok_or(Refusal::NoAuthor)?;
        if &author != actor {
            return Err(Refusal::NotTheAuthor);
        }
        if !same_origin(&self.id, actor) {
            return Err(Refusal::ForeignId);
        }
        Ok(author)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn authors_are_read_from_each_shape() {
        let o: ObjectJson = serde_json::from_value(json!({
            "id": "https://video.example/w/1", "type": "Video",
            "attributedTo": [{"type": "Group", "id": "https://video.example/c/g"}, {"type": "Person", "id": "https://video.example/a/p"}]
        }))
        .unwrap_or_else(|_| unreachable!());
        assert_eq!(o.author(), Some(u("https://video.example/a/p")));
        assert_eq!(o.check_authored_by(&u("https://video.example/a/p")), Ok(u("https://video.example/a/p")));
        assert_eq!(o.check_authored_by(&u("https://video.example/a/q")), Err(Refusal::NotTheAuthor));
        let forged: ObjectJson = serde_json::from_value(json!({
            "id": "https://victim.example/notes/1", "type": "Note", "attributedTo": "https://evil.example/u/x"
        }))
        .unwrap_or_else(|_| unreachable!());
        assert_eq!(forged.check_authored_by(&u("https://evil.example/u/x")), Err(Refusal::ForeignId));
    }
}
