//! Learning records on the wire. A learning question is a `Page` from its group (as a thread is
//! a `Page`); a reflection is a `Note` from its author with `inReplyTo` and `context` the
//! question it answers. What the vocabulary has no term for rides in `weave:` properties (the
//! `weave` prefix of our context): [`LearningFields`]. `content` says everything in readable
//! HTML, so Mastodon and other servers that know no `weave:` term still show it.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::object::{id_list, ObjectJson, Source};

/// The `weave:` properties of a learning question or reflection. Read leniently: a property of
/// the wrong shape is left out, never the whole object.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LearningFields {
    /// `LearningQuestion` or `Reflection`.
    #[serde(
        rename = "weave:record",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub record: Option<String>,
    /// A question's status: `OPEN`, `ANSWERED`, `RETIRED`.
    #[serde(
        rename = "weave:questionStatus",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub question_status: Option<String>,
    /// `GROUP`, `PARTNERS` or `PUBLIC`.
    #[serde(
        rename = "weave:visibility",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub visibility: Option<String>,
    #[serde(
        rename = "weave:reviewEveryDays",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub review_every_days: Option<i64>,
    /// What the group understands now (plain text).
    #[serde(
        rename = "weave:understanding",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub understanding: Option<String>,
    /// A reflection's kind: `AFTER_ACTION`, `OBSERVATION`, `INSIGHT`, `STORY`.
    #[serde(
        rename = "weave:reflectionKind",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub reflection_kind: Option<String>,
    /// The after-action review, each part plain text.
    #[serde(
        rename = "weave:intended",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub intended: Option<String>,
    #[serde(
        rename = "weave:happened",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub happened: Option<String>,
    #[serde(
        rename = "weave:why",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub why: Option<String>,
    #[serde(
        rename = "weave:nextTime",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub next_time: Option<String>,
    /// The kinds of value a reflection describes: `IMMEDIATE`, `POTENTIAL`, `APPLIED`,
    /// `REALISED`, `REFRAMING`.
    #[serde(
        rename = "weave:values",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "activitypub_federation::protocol::helpers::deserialize_skip_error"
    )]
    pub values: Option<Vec<String>>,
    /// Every question a reflection answers (`inReplyTo` names the first).
    #[serde(rename = "weave:answers", default, skip_serializing_if = "Value::is_null")]
    pub answers: Value,
}

impl LearningFields {
    pub fn is_question(&self) -> bool {
        self.record.as_deref() == Some(QUESTION)
    }
}

pub const QUESTION: &str = "LearningQuestion";
pub const REFLECTION: &str = "Reflection";

/// What a question's `Page` says.
pub struct QuestionParts<'a> {
    pub id: &'a str,
    pub group: &'a str,
    pub title: &'a str,
    /// Why it matters and the current understanding, as readable HTML.
    pub html: &'a str,
    pub markdown: Option<&'a str>,
    pub status: &'a str,
    pub visibility: &'a str,
    pub review_every_days: Option<i32>,
    pub understanding: Option<&'a str>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// A learning question as a `Page` from its group; replies are open while it is.
pub fn question(q: &QuestionParts<'_>) -> Value {
    ObjectJson::build(q.id, "Page", |o| {
        o.attributed_to = Value::String(q.group.into());
        o.audience = Value::String(q.group.into());
        o.name = Some(q.title.into());
        o.content = Some(q.html.into());
        o.media_type = Some("text/html".into());
        o.source = q.markdown.map(|m| Source { content: m.into(), media_type: "text/markdown".into() });
        o.published = Some(q.published);
        o.updated = (q.updated > q.published).then_some(q.updated);
        o.comments_enabled = Some(q.status == "OPEN");
        o.sensitive = Some(false);
        o.to = id_list(q.to.clone());
        o.cc = id_list(q.cc.clone());
        o.url = Value::String(q.id.into());
        o.learning = LearningFields {
            record: Some(QUESTION.into()),
            question_status: Some(q.status.into()),
            visibility: Some(q.visibility.into()),
            review_every_days: q.review_every_days.map(i64::from),
            understanding: q.understanding.map(str::to_string),
            ..Default::default()
        };
    })
}

/// What a reflection's `Note` says.
pub struct ReflectionParts<'a> {
    pub id: &'a str,
    pub author: &'a str,
    pub group: &'a str,
    /// The questions it answers; the first is `inReplyTo` and `context`.
    pub questions: &'a [String],
    /// Its body and review, as readable HTML.
    pub html: &'a str,
    pub markdown: Option<&'a str>,
    pub kind: &'a str,
    pub visibility: &'a str,
    pub intended: Option<&'a str>,
    pub happened: Option<&'a str>,
    pub why: Option<&'a str>,
    pub next_time: Option<&'a str>,
    pub values: Vec<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// A reflection as a `Note` answering its question.
pub fn reflection(r: &ReflectionParts<'_>) -> Value {
    ObjectJson::build(r.id, "Note", |o| {
        o.attributed_to = Value::String(r.author.into());
        if let Some(first) = r.questions.first() {
            o.in_reply_to = Value::String(first.clone());
            o.context = Value::String(first.clone());
        }
        o.audience = Value::String(r.group.into());
        o.content = Some(r.html.into());
        o.media_type = Some("text/html".into());
        o.source = r.markdown.map(|m| Source { content: m.into(), media_type: "text/markdown".into() });
        o.published = Some(r.published);
        o.updated = (r.updated > r.published).then_some(r.updated);
        o.to = id_list(r.to.clone());
        o.cc = id_list(r.cc.clone());
        o.url = Value::String(r.id.into());
        o.learning = LearningFields {
            record: Some(REFLECTION.into()),
            visibility: Some(r.visibility.into()),
            reflection_kind: Some(r.kind.into()),
            intended: r.intended.map(str::to_string),
            happened: r.happened.map(str::to_string),
            why: r.why.map(str::to_string),
            next_time: r.next_time.map(str::to_string),
            values: Some(r.values.clone()),
            answers: id_list(r.questions.iter().cloned()),
            ..Default::default()
        };
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn weave_properties_read_back_and_bad_shapes_are_left_out() {
        let at = "2026-01-01T00:00:00Z".parse().unwrap_or_else(|_| unreachable!());
        let qs = vec!["https://a.example/questions/1".to_string()];
        let v = reflection(&ReflectionParts {
            id: "https://a.example/reflections/2",
            author: "https://a.example/members/ada",
            group: "https://a.example/groups/g",
            questions: &qs,
            html: "<p>It went well</p>",
            markdown: Some("It went well"),
            kind: "AFTER_ACTION",
            visibility: "PARTNERS",
            intended: Some("learn"),
            happened: None,
            why: None,
            next_time: Some("smaller rooms"),
            values: vec!["APPLIED".into()],
            published: at,
            updated: at,
            to: vec!["https://a.example/groups/g".into()],
            cc: vec![],
        });
        assert_eq!(v["inReplyTo"], qs[0].as_str());
        assert_eq!(v["weave:values"], json!(["APPLIED"]));
        assert!(v.get("weave:happened").is_none() && v.get("updated").is_none());
        let back: ObjectJson = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.learning.record.as_deref(), Some(REFLECTION));
        assert_eq!(back.learning.next_time.as_deref(), Some("smaller rooms"));
        let odd: ObjectJson = serde_json::from_value(json!({"id": "https://b.example/n/1", "type": "Note",
            "weave:values": "APPLIED", "weave:reviewEveryDays": "often", "weave:record": 7, "content": "hi"}))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(odd.learning.values.is_none() && odd.learning.review_every_days.is_none());
        assert!(odd.learning.record.is_none() && odd.content.is_some());
    }
}
