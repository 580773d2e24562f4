//! The object with text every server sends in some shape ([`ObjectJson`]: `Note`, `Page`,
//! `Article`, `Document`, `Question`…), the parts it is made of (`source`, `tag`, `url` links,
//! poll options), and the lenient readers of the fields other servers shape differently. What
//! Weave publishes as one is built in `super::content` and `super::participation`.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::{same_origin, PUBLIC};

/// The markup a text was written in (`source`), as Lemmy and Mastodon publish it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub content: String,
    pub media_type: String,
}

/// An entry of `tag`: a `Mention` or a `Hashtag`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tag {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

impl Tag {
    pub fn mention(href: &str, name: &str) -> Self {
        Tag { kind: "Mention".into(), name: name.into(), href: Some(href.into()) }
    }

    /// `#name`, with the page that lists what carries it when there is one.
    pub fn hashtag(name: &str, href: Option<&Url>) -> Self {
        Tag { kind: "Hashtag".into(), name: format!("#{name}"), href: href.map(Url::to_string) }
    }
}

/// A `Link` to something that is not an ActivityPub object (a library entry's resource).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Link {
    #[serde(rename = "type")]
    pub kind: String,
    pub href: String,
}

/// A count of replies (the votes of a poll option).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replies {
    #[serde(rename = "type")]
    pub kind: String,
    pub total_items: i64,
}

/// An option of a `Question`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PollOption {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<Replies>,
}

/// A value as JSON (what our typed parts always become).
pub(crate) fn to_value<T: Serialize>(t: T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// A list of ids, as `to` and `cc` are written.
pub(crate) fn id_list<S: Into<String>>(ids: impl IntoIterator<Item = S>) -> Value {
    Value::Array(ids.into_iter().map(|s| Value::String(s.into())).collect())
}

/// Every object with text we send or receive: `Note` (a post, a vote, a group's notice),
/// `Page` and `Article` (threads), `Document` (library entries), `Question` (an event's RSVP
/// poll), and what other servers send in their place (`Comment`, `Video`…). Read leniently:
/// fields other servers shape differently (`attributedTo` as a string, an object or a list;
/// `url` as a string, a `Link` or a list) are kept raw and read by the methods below; every
/// link read from them passes the link rule (`super::bounds`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectJson {
    #[serde(deserialize_with = "super::bounds::deserialize_web_url")]
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub attributed_to: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub in_reply_to: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub context: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub audience: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub media_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub source: Option<Source>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::bounds::serialize_time_z",
        deserialize_with = "super::bounds::deserialize_time_opt"
    )]
    pub published: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::bounds::serialize_time_z",
        deserialize_with = "super::bounds::deserialize_time_opt"
    )]
    pub updated: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub to: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub cc: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub tag: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub url: Value,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub comments_enabled: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub sensitive: Option<bool>,
    #[serde(rename = "weave:kind", default, skip_serializing_if = "Option::is_none")]
    pub weave_kind: Option<String>,
    #[serde(rename = "weave:folder", default, skip_serializing_if = "Option::is_none")]
    pub weave_folder: Option<String>,
    /// A `Question`'s options (one answer each).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub one_of: Option<Vec<PollOption>>,
    /// When a `Question` closes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::bounds::serialize_time_rfc3339_opt",
        deserialize_with = "super::bounds::deserialize_time_opt"
    )]
    pub end_time: Option<DateTime<Utc>>,
    /// When a `Question` closed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::bounds::serialize_time_rfc3339_opt",
        deserialize_with = "super::bounds::deserialize_time_opt"
    )]
    pub closed: Option<DateTime<Utc>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub voters_count: Option<i64>,
    /// A learning question's or reflection's `weave:` properties.
    #[serde(flatten)]
    pub learning: super::learning::LearningFields,
}

impl ObjectJson {
    /// An object of ours with only its id and type; `Null` when the id is not a link (our ids
    /// always are).
    fn empty(id: &str, kind: &str) -> Option<Self> {
        Some(ObjectJson {
            id: super::web_url(id)?,
            kind: kind.into(),
            attributed_to: Value::Null,
            in_reply_to: Value::Null,
            context: Value::Null,
            audience: Value::Null,
            name: None,
            content: None,
            summary: None,
            media_type: None,
            source: None,
            published: None,
            updated: None,
            to: Value::Null,
            cc: Value::Null,
            tag: Value::Null,
            url: Value::Null,
            comments_enabled: None,
            sensitive: None,
            weave_kind: None,
            weave_folder: None,
            one_of: None,
            end_time: None,
            closed: None,
            voters_count: None,
            learning: Default::default(),
        })
    }

    /// The document of an object of ours, filled by `fill`.
    pub(crate) fn build(id: &str, kind: &str, fill: impl FnOnce(&mut ObjectJson)) -> Value {
        match Self::empty(id, kind) {
            Some(mut o) => {
                fill(&mut o);
                to_value(o)
            }
            None => {
                tracing::error!(%id, "an object of ours with an id that is not a link");
                Value::Null
            }
        }
    }
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

    /// What a reflection may answer: `inReplyTo`, `context` and `weave:answers`, each once.
    pub fn answers(&self) -> Vec<Url> {
        let mut out = self.in_reply_to().into_iter().collect::<Vec<_>>();
        for u in self.context().into_iter().chain(ids(&self.learning.answers)) {
            if !out.contains(&u) {
                out.push(u);
            }
        }
        out
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
    use serde_json::json;

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
