//! `weave serve --demo`: a demo community (members, partner networks, the two seed events with
//! registrations, and the seed course's learning practice: questions, reflections after both
//! events, a harvest) loaded into an empty database, so a newcomer sees real data at once.
//!
//! The data is `community.json`. Members and groups are made through the domain; the events
//! and registrations go through the GraphQL API in-process, with the same inputs a client
//! sends (the tests send the very same event inputs over HTTP).
use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::db::{event, member};
use crate::domain::viewer::Viewer;
use crate::domain::{groups, members};
use crate::federation::Federation;
use crate::graphql::{self, Loaders};

/// The demo data, as shipped.
pub const COMMUNITY: &str = include_str!("community.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Community {
    pub password: String,
    pub members: Vec<DemoMember>,
    pub groups: Vec<DemoGroup>,
    pub events: Vec<DemoEvent>,
    #[serde(default)]
    pub learning: DemoLearning,
}

/// The seed course's practice: questions, reflections after both events, a harvest.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DemoLearning {
    pub questions: Vec<DemoQuestion>,
    pub reflections: Vec<DemoReflection>,
    pub harvests: Vec<DemoHarvest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoQuestion {
    pub key: String,
    pub asker: String,
    pub group: String,
    /// A `CreateLearningQuestionInput` without `groupId`.
    pub input: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoReflection {
    pub key: String,
    pub author: String,
    /// The index of the event in `events`.
    pub event: usize,
    pub questions: Vec<String>,
    /// A `ReflectInput` without ids.
    pub input: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoHarvest {
    pub by: String,
    pub group: String,
    pub event: Option<usize>,
    /// A `CreateHarvestInput` without ids.
    pub input: Value,
    pub gather: Vec<DemoTheme>,
    /// `CreateActionInput`s without `harvestId`.
    pub actions: Vec<Value>,
}

#[derive(Deserialize)]
pub struct DemoTheme {
    pub theme: String,
    pub reflections: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoMember {
    pub username: String,
    pub display_name: String,
    pub organization: Option<String>,
    pub country: Option<String>,
    pub sector: Option<String>,
    pub bio: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoGroup {
    pub slug: String,
    pub name: String,
    pub summary: Option<String>,
    pub owner: String,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoEvent {
    pub organizer: String,
    pub group: String,
    /// A `CreateEventInput` without `groupId`.
    pub input: Value,
    #[serde(default)]
    pub going: Vec<String>,
    #[serde(default)]
    pub requests: Vec<DemoRequest>,
    #[serde(default)]
    pub granted: Vec<String>,
}

#[derive(Deserialize)]
pub struct DemoRequest {
    pub member: String,
    pub message: String,
}

/// The shipped demo data.
pub fn community() -> anyhow::Result<Community> {
    Ok(serde_json::from_str(COMMUNITY)?)
}

/// What was loaded.
#[derive(Debug, PartialEq, Eq)]
pub struct Loaded {
    pub members: usize,
    pub groups: usize,
    pub events: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database is not empty (it has members or events): the demo loads only into an empty database")]
    NotEmpty,
    #[error("loading the demo failed: {0}")]
    Failed(String),
}

fn failed(what: &str, e: impl std::fmt::Debug) -> DemoError {
    DemoError::Failed(format!("{what}: {e:?}"))
}

/// Loads the demo community, unless the database already has members or events.
pub async fn load(state: &crate::state::State, federation: &Federation) -> Result<Loaded, DemoError> {
    let db = &state.db;
    let has_members = member::Entity::find().count(db).await.map_err(|e| failed("counting members", e))? > 0;
    let has_events = event::Entity::find().count(db).await.map_err(|e| failed("counting events", e))? > 0;
    if has_members || has_events {
        return Err(DemoError::NotEmpty);
    }
    let data = community().map_err(|e| failed("reading community.json", e))?;
    let hash = crate::auth::hash_password(data.password.clone()).await.map_err(|e| failed("hashing", e))?;
    let mut people: HashMap<String, member::Model> = HashMap::new();
    for (i, m) in data.members.iter().enumerate() {
        let row = members::create_demo_member(
            state,
            members::DemoAccount {
                username: &m.username,
                display_name: &m.display_name,
                organization: m.organization.as_deref(),
                country: m.country.as_deref(),
                sector: m.sector.as_deref(),
                bio: m.bio.as_deref(),
                password_hash: hash.clone(),
                // The first demo member runs the instance.
                is_admin: i == 0,
            },
        )
        .await
        .map_err(|e| failed(&m.username, e))?;
        people.insert(m.username.clone(), row);
    }
    let viewer = |name: &str| -> Result<Viewer, DemoError> {
        people
            .get(name)
            .map(|m| Viewer::Member(Box::new(m.clone())))
            .ok_or_else(|| DemoError::Failed(format!("unknown demo member {name}")))
    };
    let mut group_ids: HashMap<String, Uuid> = HashMap::new();
    for g in &data.groups {
        let new = groups::NewGroup {
            slug: g.slug.clone(),
            name: g.name.clone(),
            summary: g.summary.clone(),
            requires_approval: false,
            manually_approves_followers: false,
        };
        let (row, _) = groups::create(state, &viewer(&g.owner)?, new).await.map_err(|e| failed(&g.slug, e))?;
        for m in &g.members {
            groups::join(state, &viewer(m)?, row.id).await.map_err(|e| failed(m, e))?;
        }
        group_ids.insert(g.slug.clone(), row.id);
    }
    let schema = graphql::build_schema(Some(state.clone()), Some(federation.clone()));
    let run = |query: &'static str, variables: Value, who: Viewer| {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data(who)
            .data(Loaders::new(&state.db));
        let schema = schema.clone();
        async move {
            let response = schema.execute(request).await;
            if !response.errors.is_empty() {
                return Err(DemoError::Failed(format!("{:?}", response.errors)));
            }
            response.data.into_json().map_err(|e| failed("response", e))
        }
    };
    let mut event_ids: Vec<Value> = vec![];
    for e in &data.events {
        let mut input = e.input.clone();
        let group = group_ids.get(&e.group).ok_or_else(|| DemoError::Failed(format!("unknown group {}", e.group)))?;
        if let Some(o) = input.as_object_mut() {
            o.insert("groupId".into(), Value::String(group.to_string()));
        }
        let created = run(
            "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
            serde_json::json!({ "input": input }),
            viewer(&e.organizer)?,
        )
        .await?;
        let id = created["createEvent"]["id"].clone();
        event_ids.push(id.clone());
        for m in &e.going {
            run("mutation($id: ID!) { rsvp(eventId: $id) { id } }", serde_json::json!({ "id": id }), viewer(m)?)
                .await?;
        }
        for r in &e.requests {
            let reg = run(
                "mutation($id: ID!, $m: String) { rsvp(eventId: $id, message: $m) { id status } }",
                serde_json::json!({ "id": id, "m": r.message }),
                viewer(&r.member)?,
            )
            .await?;
            if e.granted.contains(&r.member) {
                run(
                    "mutation($r: ID!) { reviewSeatRequest(registrationId: $r, grant: true) { id } }",
                    serde_json::json!({ "r": reg["rsvp"]["id"] }),
                    viewer(&e.organizer)?,
                )
                .await?;
            }
        }
    }
    learning(&data.learning, &group_ids, &event_ids, &run, &viewer).await?;
    let events = event::Entity::find()
        .filter(event::Column::Local.eq(true))
        .count(db)
        .await
        .map_err(|e| failed("counting events", e))?;
    Ok(Loaded { members: people.len(), groups: group_ids.len(), events: events as usize })
}

/// Sets `key` of a JSON object (an input read from `community.json`) to `value`.
fn with(mut input: Value, key: &str, value: Value) -> Value {
    if let Some(o) = input.as_object_mut() {
        o.insert(key.into(), value);
    }
    input
}

/// The seed course's practice, through the API as a client would write it.
async fn learning<Run, Fut, Who>(
    data: &DemoLearning,
    group_ids: &HashMap<String, Uuid>,
    event_ids: &[Value],
    run: &Run,
    viewer: &Who,
) -> Result<(), DemoError>
where
    Run: Fn(&'static str, Value, Viewer) -> Fut,
    Fut: std::future::Future<Output = Result<Value, DemoError>>,
    Who: Fn(&str) -> Result<Viewer, DemoError>,
{
    let group = |slug: &str| {
        group_ids
            .get(slug)
            .map(|g| Value::String(g.to_string()))
            .ok_or_else(|| DemoError::Failed(format!("unknown group {slug}")))
    };
    let event = |i: usize| event_ids.get(i).cloned().ok_or_else(|| DemoError::Failed(format!("unknown event {i}")));
    let mut questions: HashMap<&str, Value> = HashMap::new();
    for q in &data.questions {
        let input = with(q.input.clone(), "groupId", group(&q.group)?);
        let made = run(
            "mutation($i: CreateLearningQuestionInput!) { createLearningQuestion(input: $i) { id } }",
            serde_json::json!({ "i": input }),
            viewer(&q.asker)?,
        )
        .await?;
        questions.insert(&q.key, made["createLearningQuestion"]["id"].clone());
    }
    let mut reflections: HashMap<&str, Value> = HashMap::new();
    for r in &data.reflections {
        let ids: Vec<Value> = r
            .questions
            .iter()
            .map(|k| {
                questions.get(k.as_str()).cloned().ok_or_else(|| DemoError::Failed(format!("unknown question {k}")))
            })
            .collect::<Result<_, _>>()?;
        let input = with(with(r.input.clone(), "eventId", event(r.event)?), "questionIds", Value::Array(ids));
        let made = run(
            "mutation($i: ReflectInput!) { reflect(input: $i) { id } }",
            serde_json::json!({ "i": input }),
            viewer(&r.author)?,
        )
        .await?;
        reflections.insert(&r.key, made["reflect"]["id"].clone());
    }
    for h in &data.harvests {
        let mut input = with(h.input.clone(), "groupId", group(&h.group)?);
        if let Some(i) = h.event {
            input = with(input, "eventId", event(i)?);
        }
        let made = run(
            "mutation($i: CreateHarvestInput!) { createHarvest(input: $i) { id } }",
            serde_json::json!({ "i": input }),
            viewer(&h.by)?,
        )
        .await?;
        let id = made["createHarvest"]["id"].clone();
        for t in &h.gather {
            let ids: Vec<Value> = t.reflections.iter().filter_map(|k| reflections.get(k.as_str()).cloned()).collect();
            run(
                "mutation($h: ID!, $r: [ID!]!, $t: String) { addToHarvest(harvestId: $h, reflectionIds: $r, theme: $t) { id } }",
                serde_json::json!({ "h": id, "r": ids, "t": t.theme }),
                viewer(&h.by)?,
            )
            .await?;
        }
        for a in &h.actions {
            run(
                "mutation($i: CreateActionInput!) { createAction(input: $i) { id } }",
                serde_json::json!({ "i": with(a.clone(), "harvestId", id.clone()) }),
                viewer(&h.by)?,
            )
            .await?;
        }
    }
    Ok(())
}
