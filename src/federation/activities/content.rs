//! Threads (`Page`, `Article`), posts (`Note`) and library entries (`Document`) from other
//! servers: `Create`, `Update`, `Delete`, and a followed group's `Announce` of them (as Lemmy
//! and Weave groups share what is posted in them). Checks here, storage in
//! `domain::received`.
//!
//! - An object sent by its author must name that author (`attributedTo`) and live on the
//!   author's server; a reply signed by someone else is refused (403).
//! - An announced object is believed when it lives on the announcing group's server; otherwise
//!   it is fetched from its own server (the library checks that the id answered is the id
//!   asked for).
//! - Threads and library entries are taken only from groups someone here follows; replies are
//!   taken when they answer a thread or post we have. A thread belongs to a group when the
//!   group announced it, or when it lives on the group's server and names the group as its
//!   `audience` ([`thread_group`]); addressing a group in `to`/`cc` is not enough.
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use url::Url;

use super::{activity, data_actor, malformed};
use crate::ap::content::{ObjectJson, Refusal};
use crate::ap::inbound::{Object, Received};
use crate::ap::same_origin;
use crate::db::{group, member};
use crate::domain::actors::{ActorSource, ApActor};
use crate::domain::received::{self, Incoming};
use crate::domain::{follows, learning};
use crate::error::AppError;
use crate::federation::{FedData, FedError};
use crate::state::State;

const THREAD_TYPES: [&str; 2] = ["Page", "Article"];
const POST_TYPES: [&str; 2] = ["Note", "Comment"];

/// `Create` of a post, thread, library entry or event by the actor that signed it.
#[derive(Clone, Debug)]
pub struct Create(pub Received<Object>);

/// `Update` of an actor's own profile, or of a post, thread, library entry or event.
#[derive(Clone, Debug)]
pub struct Update(pub Received<Object>);

/// A followed group shares a thread, post, library entry or event (or, as Lemmy does, the
/// `Create`, `Update` or `Delete` that made it).
#[derive(Clone, Debug)]
pub struct Announce(pub Received<Object>);

activity!(Create, a => a.0);
activity!(Update, a => a.0);
activity!(Announce, a => a.0);

/// The object as a post, thread or library entry, or why it cannot be one (400).
fn text(o: &Object) -> Result<&ObjectJson, FedError> {
    match o {
        Object::Text(t) => Ok(t),
        other => Err(malformed("object", other)),
    }
}

impl Create {
    async fn check(&self, _data: &FedData<State>) -> Result<(), FedError> {
        let a = &self.0;
        let kind = a.object.kind().unwrap_or_default();
        if kind == "Event" {
            // Checked against the group that sends it (`event::take_event`).
            return Ok(());
        }
        if !(POST_TYPES.contains(&kind) || THREAD_TYPES.contains(&kind) || kind == "Document") {
            return Err(FedError::Ignored(format!("Create of a {kind:?}")));
        }
        let o = text(&a.object)?;
        if kind != "Document" {
            // Authority: an author speaks for themselves only, from their own server.
            o.check_authored_by(&a.actor).map_err(refused)?;
        }
        Ok(())
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        receive_create(data, &actor, &self.0).await
    }
}

impl Update {
    /// Whether the actor updates its own profile.
    fn is_about_itself(&self) -> bool {
        self.0.object.id().is_some_and(|id| id == self.0.actor)
    }

    async fn check(&self, _data: &FedData<State>) -> Result<(), FedError> {
        let a = &self.0;
        if self.is_about_itself() {
            return super::actor::check_update(a);
        }
        if a.object.kind() == Some("Event") {
            // Checked against the group that sends it (`event::take_event`).
            return Ok(());
        }
        match &a.object {
            // Another actor's profile: not for this actor to change.
            Object::Actor(p) if same_origin(&p.id, &a.actor) => {
                Err(FedError::Ignored("Update of an actor other than itself".into()))
            }
            Object::Actor(_) => Err(refused(Refusal::ForeignId)),
            other => {
                let o = text(other)?;
                if !same_origin(&o.id, &a.actor) {
                    return Err(refused(Refusal::ForeignId));
                }
                Ok(())
            }
        }
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        if self.is_about_itself() {
            return super::actor::receive_update(data, self.0).await;
        }
        let actor = data_actor(data, &self.0.actor).await?;
        receive_update(data, &actor, &self.0).await
    }
}

impl Announce {
    async fn check(&self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        // Authority: a group we follow speaks for what it shares.
        followed_group(data, &actor).await.map(|_| ())
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let actor = data_actor(data, &self.0.actor).await?;
        receive_announce(data, &actor, &self.0).await
    }
}

/// The remote group that sent an `Announce`, when someone here follows it.
async fn followed_group(data: &FedData<State>, actor: &ApActor) -> Result<group::Model, FedError> {
    let g =
        as_group(actor).filter(|g| !g.local).ok_or_else(|| FedError::Ignored("Announce not from a group".into()))?;
    if !follows::is_followed_here(&data.app_data().db, g.id).await? {
        return Err(FedError::Ignored("Announce from a group nobody here follows".into()));
    }
    Ok(g)
}

fn incoming(o: &ObjectJson) -> Incoming {
    Incoming {
        ap_id: o.id.to_string(),
        html: o.content.clone().or_else(|| o.summary.clone()).unwrap_or_default(),
        title: o.name.clone(),
        published: o.published,
        in_reply_to: o.in_reply_to().map(|u| u.to_string()),
        comments_enabled: o.comments_enabled,
        link: o.link().map(|u| u.to_string()),
        tags: o.hashtags(),
        kind: o.weave_kind.clone(),
        folder: o.weave_folder.clone(),
    }
}

/// A learning question or reflection as the domain takes it.
fn record(o: &ObjectJson) -> learning::IncomingRecord {
    let markdown = o.source.as_ref().filter(|s| s.media_type == "text/markdown").map(|s| s.content.clone());
    learning::IncomingRecord {
        ap_id: o.id.to_string(),
        title: o.name.clone(),
        html: o.content.clone().or_else(|| o.summary.clone()).unwrap_or_default(),
        markdown,
        published: o.published,
        public: o.is_public(),
        answers: o.answers().into_iter().map(|u| u.to_string()).collect(),
        fields: o.learning.clone(),
    }
}

/// A group's learning question (`Create` or `Update` by the group itself).
async fn take_question(data: &FedData<State>, actor: &ApActor, o: &ObjectJson) -> Result<(), FedError> {
    let g = as_group(actor)
        .filter(|g| !g.local)
        .ok_or_else(|| FedError::Ignored("a learning question not from a group".into()))?;
    match learning::take_question(data.app_data(), &g, record(o)).await? {
        Some(_) => Ok(()),
        None => Err(FedError::Ignored("a learning question of a group nobody here follows".into())),
    }
}

fn refused(r: Refusal) -> FedError {
    let why = match r {
        Refusal::NotTheAuthor => "the object's author is not the actor who sent it",
        Refusal::ForeignId => "the object lives on another server than its author",
        Refusal::NoAuthor => "the object names no author",
    };
    FedError::App(crate::federation::AppErrorBox(AppError::forbidden(why)))
}

fn as_member(actor: &ApActor) -> Option<member::Model> {
    match &actor.source {
        ActorSource::Member(m) => Some((**m).clone()),
        _ => None,
    }
}

fn as_group(actor: &ApActor) -> Option<group::Model> {
    match &actor.source {
        ActorSource::Group(g) => Some((**g).clone()),
        _ => None,
    }
}

/// The (fetched, cached) person who wrote an object.
async fn author(data: &FedData<State>, id: Url) -> Result<member::Model, FedError> {
    let actor = ObjectId::<ApActor>::from(id).dereference(data).await?;
    as_member(&actor).ok_or_else(|| FedError::Ignored("an object not written by a person".into()))
}

/// The group a received thread belongs to: the followed group that announced it (`via`), or a
/// followed group on the thread's own server that the thread names as its `audience`. Naming a
/// group in `to` or `cc`, or as the `audience` of a thread on another server, puts it nowhere:
/// anyone can address a group, only the group (or its server) can put a thread in it.
async fn thread_group(
    data: &FedData<State>,
    o: &ObjectJson,
    via: Option<&group::Model>,
) -> Result<Option<group::Model>, FedError> {
    if let Some(g) = via {
        return Ok(Some(g.clone()));
    }
    let state = data.app_data();
    for url in o.audience_ids() {
        if !same_origin(&url, &o.id) {
            continue;
        }
        if let Some(a) = ApActor::by_ap_id(state, url.as_str()).await? {
            if let (false, Some(g)) = (a.local, as_group(&a)) {
                if follows::is_followed_here(&state.db, g.id).await? {
                    return Ok(Some(g));
                }
            }
        }
    }
    Ok(None)
}

/// `Create` of a post, thread or library entry by the actor that signed it (checked by
/// [`Create::check`]).
async fn receive_create(data: &FedData<State>, actor: &ApActor, activity: &Received<Object>) -> Result<(), FedError> {
    if activity.object.kind() == Some("Event") {
        return super::event::take_event(data, actor, &activity.object).await;
    }
    let o = text(&activity.object)?;
    if o.kind == "Document" {
        let g = as_group(actor)
            .filter(|g| !g.local)
            .ok_or_else(|| FedError::Ignored("a Document not from a group".into()))?;
        return take_document(data, &g, o).await;
    }
    if o.learning.is_question() {
        return take_question(data, actor, o).await;
    }
    let person = as_member(actor).ok_or_else(|| FedError::Ignored("a post not from a person".into()))?;
    if super::event::is_vote(o) {
        return super::event::receive_vote(data, &person, o).await;
    }
    if let Some(prompt) = o.in_reply_to().filter(|r| learning::prompt_of(data.app_data(), r.as_str()).is_some()) {
        // A reply to the group's question after an event: a reflection on it.
        let x = incoming(o);
        return match learning::reflect_from_reply(
            data.app_data(),
            &person,
            prompt.as_str(),
            &x.ap_id,
            &x.html,
            x.published,
        )
        .await?
        {
            Some(_) => Ok(()),
            None => Err(FedError::Ignored("a reply to a prompt that was not theirs".into())),
        };
    }
    take_text(data, &person, o, None).await
}

/// A post (it answers something we have) or a thread (in a group we follow; `via` is the
/// group that announced it).
async fn take_text(
    data: &FedData<State>,
    person: &member::Model,
    o: &ObjectJson,
    via: Option<&group::Model>,
) -> Result<(), FedError> {
    let state = data.app_data();
    if POST_TYPES.contains(&o.kind.as_str()) || o.in_reply_to().is_some() {
        // A reflection on a learning question (a partner's, or a Mastodon reply), else a post.
        if learning::take_reflection(state, person, record(o), via).await?.is_some() {
            return Ok(());
        }
        return match received::reply(state, person, incoming(o)).await? {
            Some(_) => Ok(()),
            None => Err(FedError::Ignored("a post answering nothing here".into())),
        };
    }
    let Some(g) = thread_group(data, o, via).await? else {
        return Err(FedError::Ignored("a thread in no group followed here".into()));
    };
    received::thread(state, person, &g, incoming(o)).await?;
    Ok(())
}

async fn take_document(data: &FedData<State>, g: &group::Model, o: &ObjectJson) -> Result<(), FedError> {
    let state = data.app_data();
    if !follows::is_followed_here(&state.db, g.id).await? {
        return Err(FedError::Ignored("a library entry of a group nobody here follows".into()));
    }
    let gid = Url::parse(&g.ap_id)?;
    if !same_origin(&o.id, &gid) {
        return Err(refused(Refusal::ForeignId));
    }
    received::resource(state, g, incoming(o)).await?;
    Ok(())
}

/// An object as the group announced it: believed when it lives on the group's server,
/// otherwise fetched from its own.
async fn announced_object(data: &FedData<State>, group: &ApActor, o: &Object) -> Result<ObjectJson, FedError> {
    let id = o.id().ok_or_else(|| FedError::BadRequest("Announce without an object id".into()))?;
    if o.is_embedded() && same_origin(&id, &group.id) {
        return announced_text(o);
    }
    let fetched = fetch_object_http::<State, Object>(&id, data).await?;
    announced_text(&fetched.object)
}

/// What an announced object reads as: other kinds than text are ignored by their type.
fn announced_text(o: &Object) -> Result<ObjectJson, FedError> {
    match o {
        Object::Text(t) => Ok((**t).clone()),
        Object::Event(_) => Err(FedError::Ignored("an announced event of another server".into())),
        Object::Actor(_) | Object::Activity(_) => Err(FedError::Ignored(format!("Announce of a {:?}", o.kind()))),
        other => Err(malformed("object", other)),
    }
}

/// A followed group shares a thread, post or library entry (or, as Lemmy does, the `Create`,
/// `Update` or `Delete` that made it).
async fn receive_announce(data: &FedData<State>, actor: &ApActor, activity: &Received<Object>) -> Result<(), FedError> {
    let state = data.app_data();
    let g = followed_group(data, actor).await?;
    let mut object = &activity.object;
    if let Some(inner) = object.activity() {
        match inner.kind.as_str() {
            "Create" | "Update" => object = &inner.object,
            "Delete" => {
                // Believed only when what it deletes lives on the group's server.
                return match (inner.object.id(), inner.actor.id()) {
                    (Some(t), Some(by)) if same_origin(&t, &actor.id) => {
                        if !received::delete(state, by.as_str(), t.as_str()).await? {
                            learning::forget_reply(state, by.as_str(), t.as_str()).await?;
                        }
                        Ok(())
                    }
                    _ => Err(FedError::Ignored("an announced Delete of something elsewhere".into())),
                };
            }
            _ => {}
        }
    }
    if object.kind() == Some("Event") && object.id().is_some_and(|id| same_origin(&id, &actor.id)) {
        return super::event::take_event(data, actor, object).await;
    }
    let o = announced_object(data, actor, object).await?;
    if o.kind == "Event" {
        return Err(FedError::Ignored("an announced event of another server".into()));
    }
    if o.kind == "Document" {
        return take_document(data, &g, &o).await;
    }
    if !(POST_TYPES.contains(&o.kind.as_str()) || THREAD_TYPES.contains(&o.kind.as_str())) {
        return Err(FedError::Ignored(format!("Announce of a {:?}", o.kind)));
    }
    let author_id = o.author().ok_or_else(|| refused(Refusal::NoAuthor))?;
    o.check_authored_by(&author_id).map_err(refused)?;
    let person = author(data, author_id).await?;
    take_text(data, &person, &o, Some(&g)).await
}

/// `Update` of a post, thread or library entry, by its author (or group) (checked by
/// [`Update::check`]).
async fn receive_update(data: &FedData<State>, actor: &ApActor, activity: &Received<Object>) -> Result<(), FedError> {
    if activity.object.kind() == Some("Event") {
        return super::event::take_event(data, actor, &activity.object).await;
    }
    let o = text(&activity.object)?;
    let state = data.app_data();
    if o.kind == "Document" {
        let g = as_group(actor).ok_or_else(|| FedError::Ignored("a Document not from a group".into()))?;
        return take_document(data, &g, o).await;
    }
    if o.learning.is_question() {
        return take_question(data, actor, o).await;
    }
    if let Some(person) = as_member(actor).filter(|_| o.author().as_ref() == Some(&actor.id)) {
        if learning::take_reflection(state, &person, record(o), None).await?.is_some() {
            return Ok(());
        }
    }
    received::edit(state, actor.id.as_str(), incoming(o)).await?;
    Ok(())
}

/// A `Delete` of an object (not of an actor: see `actor.rs`) must name what it deletes, on the
/// deleting actor's server; or a reflection that the deleting group shared from elsewhere (it
/// withdraws it).
pub async fn check_delete(data: &FedData<State>, activity: &Received<Object>) -> Result<(), FedError> {
    let target = activity.object.id().ok_or_else(|| FedError::BadRequest("Delete without object".into()))?;
    if !same_origin(&target, &activity.actor)
        && !learning::shared_by(&data.app_data().db, target.as_str(), activity.actor.as_str()).await?
    {
        return Err(refused(Refusal::ForeignId));
    }
    Ok(())
}

/// `Delete` of a post, thread, library entry, event or vote (checked by [`check_delete`] in
/// `verify`).
pub async fn receive_delete(
    data: &FedData<State>,
    actor: &ApActor,
    activity: &Received<Object>,
) -> Result<(), FedError> {
    let target = activity.object.id().ok_or_else(|| FedError::BadRequest("Delete without object".into()))?;
    if !received::delete(data.app_data(), actor.id.as_str(), target.as_str()).await?
        && !super::event::remove(data, actor, &target).await?
        && !super::event::withdraw_by_id(data, actor, target.as_str()).await?
        && !learning::forget_reply(data.app_data(), actor.id.as_str(), target.as_str()).await?
        && !learning::forget_question(data.app_data(), actor.id.as_str(), target.as_str()).await?
    {
        return Err(FedError::Ignored("Delete of something unknown here".into()));
    }
    Ok(())
}
