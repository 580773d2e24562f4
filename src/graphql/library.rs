//! Shared resources and discussion threads: thin resolvers over `domain::resources` and
//! `domain::threads`. A thread's opening text is its first post.
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ErrorExtensions as _, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::events::Event;
use super::types::{connection, loaded, parse_id, Conn, ConnectionTotal, Group, Member, Result};
use super::ContextExt as _;
use crate::db::enums::{ResourceKind as DbResourceKind, ThreadKind as DbThreadKind};
use crate::db::{post, resource, thread};
use crate::domain::pagination::{Page, PageRequest};
use crate::domain::resources::{self, ResourceFields};
use crate::domain::threads::{self, NewThread, ThreadChanges};
use crate::domain::{mentions, visibility};
use crate::error::AppError;
use crate::federation::resolve;

macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident => $db:ty { $($v:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name { $($v),* }
        impl From<$db> for $name {
            fn from(v: $db) -> Self { match v { $(<$db>::$v => $name::$v),* } }
        }
        impl From<$name> for $db {
            fn from(v: $name) -> Self { match v { $($name::$v => <$db>::$v),* } }
        }
    };
}

mirror_enum!(ResourceKind => DbResourceKind { Link, Document, Toolkit, Template, Recording, Slides, Other });
mirror_enum!(
    /// REFLECTION threads are the community's learning record.
    ThreadKind => DbThreadKind { Discussion, Question, Reflection }
);

fn internal(e: super::loaders::LoadError) -> async_graphql::Error {
    async_graphql::Error::new(e.to_string()).extend_with(|_, ext| ext.set("code", "INTERNAL"))
}

fn optional_id(field: &str, id: Option<&ID>) -> Result<Option<Uuid>> {
    Ok(id.map(|i| parse_id(field, i)).transpose()?)
}

/// A visible member by id, through the request's loader.
async fn member(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Member>> {
    let Some(id) = id else { return Ok(None) };
    let m = loaded(ctx.loaders().members.load_one(id).await)?;
    Ok(m.filter(|m| visibility::member_visible(m, ctx.viewer())).map(Member))
}

async fn group(ctx: &Context<'_>, id: Uuid) -> Result<Group> {
    loaded(ctx.loaders().groups.load_one(id).await)?.map(Group).ok_or_else(|| AppError::not_found("group").into())
}

/// The event, when the viewer may see it.
async fn event(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Event>> {
    let Some(id) = id else { return Ok(None) };
    let Some(e) = loaded(ctx.loaders().events.load_one(id).await)? else { return Ok(None) };
    if !crate::domain::events::may_view(&ctx.state().db, ctx.viewer(), &e).await? {
        return Ok(None);
    }
    Ok(Some(Event(e)))
}

/// Looks up (for signed-in callers, within the request's budget) the remote accounts a text
/// mentions, so that the domain can link them. A failed look-up leaves the mention as text.
async fn resolve_mentions(ctx: &Context<'_>, text: &str) {
    let here = &ctx.state().config.domain;
    for handle in mentions::handles(text).into_iter().filter(|h| crate::domain::handles::is_remote(h, here)).take(3) {
        let _ = resolve::find_by_handle(&ctx.fed(), &handle, ctx.lookup(), ctx.viewer()).await;
    }
}

// ---- resources ------------------------------------------------------------------------------

#[derive(InputObject)]
pub struct CreateResourceInput {
    pub group_id: ID,
    pub title: String,
    pub kind: ResourceKind,
    /// Where the resource is: an http(s) URL.
    pub url: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub event_id: Option<ID>,
    pub thread_id: Option<ID>,
    /// Where it sits in the group's library, e.g. "Toolkits/Evaluation" (default: the top).
    pub folder: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateResourceInput {
    pub title: Option<String>,
    pub kind: Option<ResourceKind>,
    /// An empty string removes it.
    pub url: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub folder: Option<String>,
    pub event_id: Option<ID>,
    pub thread_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct ResourceFilter {
    pub group_handle: Option<String>,
    pub kind: Option<ResourceKind>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub event_id: Option<ID>,
    pub thread_id: Option<ID>,
    /// A folder and its subfolders.
    pub folder: Option<String>,
    /// Also partner networks' libraries (default: this instance's only; a group's library
    /// always lists everything in it).
    pub include_remote: Option<bool>,
}

pub struct Resource(pub resource::Model);

#[Object]
impl Resource {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn kind(&self) -> ResourceKind {
        self.0.kind.into()
    }
    /// Where the resource itself is.
    async fn url(&self) -> Option<&str> {
        self.0.link.as_deref()
    }
    /// Sanitised HTML, rendered from the author's Markdown.
    async fn description(&self) -> Option<&str> {
        self.0.description_html.as_deref()
    }
    async fn tags(&self) -> Vec<String> {
        resources::tags(&self.0)
    }
    async fn folder(&self) -> &str {
        &self.0.folder
    }
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        group(ctx, self.0.group_id).await
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        member(ctx, self.0.author_id).await
    }
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        event(ctx, self.0.event_id).await
    }
    async fn thread(&self, ctx: &Context<'_>) -> Result<Option<Thread>> {
        let Some(id) = self.0.thread_id else { return Ok(None) };
        let Some(t) = loaded(ctx.loaders().threads.load_one(id).await)? else { return Ok(None) };
        Ok(visibility::thread_visible(&ctx.state().db, ctx.viewer(), &t).await?.then_some(Thread(t)))
    }
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its page here (and its ActivityPub id).
    async fn page_url(&self) -> &str {
        &self.0.ap_id
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

impl From<CreateResourceInput> for ResourceFields {
    fn from(i: CreateResourceInput) -> Self {
        ResourceFields {
            title: Some(i.title),
            kind: Some(i.kind.into()),
            link: Some(i.url),
            description: Some(i.description),
            tags: i.tags,
            folder: i.folder,
            event_id: None,
            thread_id: None,
        }
    }
}

/// An id argument where an empty string clears the link.
fn link_id(field: &str, v: Option<ID>) -> Result<Option<Option<Uuid>>> {
    match v {
        None => Ok(None),
        Some(id) if id.is_empty() => Ok(Some(None)),
        Some(id) => Ok(Some(Some(parse_id(field, &id)?))),
    }
}

// ---- threads and posts ----------------------------------------------------------------------

#[derive(InputObject)]
pub struct CreateThreadInput {
    pub group_id: ID,
    pub title: String,
    /// Markdown: the opening post.
    pub body: String,
    /// Default: DISCUSSION.
    pub kind: Option<ThreadKind>,
    pub event_id: Option<ID>,
    pub resource_id: Option<ID>,
}

#[derive(InputObject)]
pub struct ReplyInput {
    pub thread_id: ID,
    /// The post replied to (default: the thread itself).
    pub parent_id: Option<ID>,
    /// Markdown; `@user` and `@user@server` mentions are linked.
    pub body: String,
}

/// The author changes title and kind; the group's moderators also lock, pin and hide.
#[derive(InputObject)]
pub struct UpdateThreadInput {
    pub title: Option<String>,
    pub kind: Option<ThreadKind>,
    pub locked: Option<bool>,
    pub pinned: Option<bool>,
    pub hidden: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct ThreadFilter {
    pub group_handle: Option<String>,
    pub kind: Option<ThreadKind>,
    pub event_id: Option<ID>,
    pub resource_id: Option<ID>,
    pub search: Option<String>,
    /// Also partner networks' threads (default: this instance's only; a group's threads are
    /// always all listed).
    pub include_remote: Option<bool>,
}

pub struct Thread(pub thread::Model);

#[Object]
impl Thread {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn kind(&self) -> ThreadKind {
        self.0.kind.into()
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        member(ctx, self.0.author_id).await
    }
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        group(ctx, self.0.group_id).await
    }
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<Event>> {
        event(ctx, self.0.event_id).await
    }
    async fn resource(&self, ctx: &Context<'_>) -> Result<Option<Resource>> {
        let Some(id) = self.0.resource_id else { return Ok(None) };
        Ok(loaded(ctx.loaders().resources.load_one(id).await)?.map(Resource))
    }
    /// Posts in the thread, its opening post included.
    async fn post_count(&self) -> i32 {
        self.0.post_count
    }
    /// The posts in tree order: the opening post, then each reply followed by its replies.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn posts(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Conn<Post>> {
        let after = after.as_deref().map(threads::decode_post_cursor).transpose()?;
        let page = PageRequest::new(first, None)?.count_total(super::types::wants_total(ctx));
        let page = threads::posts(&ctx.state().db, self.0.id, page, after).await?;
        prime_authors(ctx, page.items.iter().filter_map(|p| p.author_id)).await?;
        Ok(post_connection(page))
    }
    async fn locked(&self) -> bool {
        self.0.locked
    }
    async fn pinned(&self) -> bool {
        self.0.pinned
    }
    /// Hidden by a moderator (only the group's moderators see it).
    async fn hidden(&self) -> bool {
        self.0.hidden
    }
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its page (and ActivityPub id).
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_post_at(&self) -> DateTime<Utc> {
        self.0.last_post_at
    }
}

pub struct Post(pub post::Model);

#[Object]
impl Post {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Sanitised HTML; empty once deleted.
    async fn body(&self) -> &str {
        &self.0.body_html
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        if self.0.deleted {
            return Ok(None);
        }
        member(ctx, self.0.author_id).await
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Post>> {
        let Some(id) = self.0.parent_id else { return Ok(None) };
        Ok(loaded(ctx.loaders().posts.load_one(id).await)?.map(Post))
    }
    async fn thread(&self, ctx: &Context<'_>) -> Result<Thread> {
        loaded(ctx.loaders().threads.load_one(self.0.thread_id).await)?
            .map(Thread)
            .ok_or_else(|| AppError::not_found("thread").into())
    }
    /// 0 for the opening post and direct replies to the thread.
    async fn depth(&self) -> i32 {
        self.0.depth
    }
    /// Deleted posts keep their place in the tree, without text or author.
    async fn deleted(&self) -> bool {
        self.0.deleted
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.0.edited_at
    }
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its ActivityPub id (a local post's page shows it in its thread).
    async fn url(&self) -> &str {
        &self.0.ap_id
    }
}

/// Loads the authors of a page in one batch before the fields resolve.
async fn prime_authors(ctx: &Context<'_>, ids: impl Iterator<Item = Uuid>) -> Result<()> {
    let ids: Vec<Uuid> = ids.collect();
    if !ids.is_empty() {
        ctx.loaders().members.load_many(ids).await.map_err(internal)?;
    }
    Ok(())
}

fn post_connection(page: Page<post::Model>) -> Conn<Post> {
    let mut conn =
        Connection::with_additional_fields(false, page.has_next, ConnectionTotal { total_count: page.total as i64 });
    conn.edges.extend(page.items.into_iter().map(|p| Edge::new(threads::post_cursor(&p), Post(p))));
    conn
}

fn thread_connection(page: Page<thread::Model>) -> Conn<Thread> {
    let mut conn =
        Connection::with_additional_fields(false, page.has_next, ConnectionTotal { total_count: page.total as i64 });
    conn.edges.extend(page.items.into_iter().map(|t| Edge::new(threads::cursor(&t), Thread(t))));
    conn
}

/// A page of threads, with their authors and groups loaded in one batch each.
pub async fn list_threads(
    ctx: &Context<'_>,
    filter: ThreadFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Conn<Thread>> {
    let cursor = after.as_deref().map(threads::decode_cursor).transpose()?;
    let page = PageRequest::new(first, None)?.count_total(super::types::wants_total(ctx));
    let filter = threads::ThreadFilter {
        group_handle: filter.group_handle,
        kind: filter.kind.map(Into::into),
        event_id: optional_id("eventId", filter.event_id.as_ref())?,
        resource_id: optional_id("resourceId", filter.resource_id.as_ref())?,
        search: filter.search,
        include_remote: filter.include_remote.unwrap_or(false),
    };
    let page = threads::list(ctx.state(), ctx.viewer(), filter, page, cursor).await?;
    let node = ctx.look_ahead().field("edges").field("node");
    let loaders = ctx.loaders();
    let authors = async {
        if node.field("author").exists() {
            prime_authors(ctx, page.items.iter().filter_map(|t| t.author_id)).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let groups = async {
        if node.field("group").exists() {
            loaders.groups.load_many(page.items.iter().map(|t| t.group_id)).await.map_err(internal)?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let (a, g) = futures_util::join!(authors, groups);
    a?;
    g?;
    Ok(thread_connection(page))
}

pub async fn list_resources(
    ctx: &Context<'_>,
    filter: ResourceFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Conn<Resource>> {
    let page = PageRequest::new(first, after.as_deref())?.count_total(super::types::wants_total(ctx));
    let filter = resources::ResourceFilter {
        group_handle: filter.group_handle,
        kind: filter.kind.map(Into::into),
        tag: filter.tag,
        search: filter.search,
        event_id: optional_id("eventId", filter.event_id.as_ref())?,
        thread_id: optional_id("threadId", filter.thread_id.as_ref())?,
        folder: filter.folder,
        include_remote: filter.include_remote.unwrap_or(false),
    };
    let page = resources::list(ctx.state(), filter, page).await?;
    let node = ctx.look_ahead().field("edges").field("node");
    if node.field("author").exists() {
        prime_authors(ctx, page.items.iter().filter_map(|r| r.author_id)).await?;
    }
    if node.field("group").exists() {
        ctx.loaders().groups.load_many(page.items.iter().map(|r| r.group_id)).await.map_err(internal)?;
    }
    Ok(connection(page, |r| r.id, Resource))
}

#[derive(Default)]
pub struct LibraryQuery;

#[Object]
impl LibraryQuery {
    async fn resource(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Resource>> {
        let id = parse_id("id", &id)?;
        Ok(resources::find(ctx.state(), id).await?.map(Resource))
    }

    /// Library entries, newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn resources(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResourceFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Resource>> {
        list_resources(ctx, filter.unwrap_or_default(), first, after).await
    }

    /// A thread the viewer may see; null otherwise.
    async fn thread(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Thread>> {
        let id = parse_id("id", &id)?;
        Ok(threads::find(ctx.state(), ctx.viewer(), id).await?.map(Thread))
    }

    /// Threads: pinned first, then newest first.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn threads(
        &self,
        ctx: &Context<'_>,
        filter: Option<ThreadFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Thread>> {
        list_threads(ctx, filter.unwrap_or_default(), first, after).await
    }

    /// A post, when the viewer may see its thread.
    async fn post(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Post>> {
        let id = parse_id("id", &id)?;
        match threads::get_post(&ctx.state().db, ctx.viewer(), id).await {
            Ok(p) => Ok(Some(Post(p))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Default)]
pub struct LibraryMutation;

#[Object]
impl LibraryMutation {
    /// Adds an entry to a group's library (its members).
    async fn create_resource(&self, ctx: &Context<'_>, input: CreateResourceInput) -> Result<Resource> {
        let group = parse_id("groupId", &input.group_id)?;
        let event_id = optional_id("eventId", input.event_id.as_ref())?;
        let thread_id = optional_id("threadId", input.thread_id.as_ref())?;
        let mut fields: ResourceFields = input.into();
        fields.event_id = Some(event_id);
        fields.thread_id = Some(thread_id);
        Ok(Resource(resources::create(ctx.state(), ctx.viewer(), group, fields).await?))
    }

    /// Its author or the group's moderators.
    async fn update_resource(&self, ctx: &Context<'_>, id: ID, input: UpdateResourceInput) -> Result<Resource> {
        let id = parse_id("id", &id)?;
        let fields = ResourceFields {
            title: input.title,
            kind: input.kind.map(Into::into),
            link: input.url.map(|u| Some(u).filter(|u| !u.trim().is_empty())),
            description: input.description.map(Some),
            tags: input.tags,
            folder: input.folder,
            event_id: link_id("eventId", input.event_id)?,
            thread_id: link_id("threadId", input.thread_id)?,
        };
        Ok(Resource(resources::update(ctx.state(), ctx.viewer(), id, fields).await?))
    }

    /// Its author or the group's moderators.
    async fn delete_resource(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let id = parse_id("id", &id)?;
        Ok(resources::delete(ctx.state(), ctx.viewer(), id).await?)
    }

    /// Starts a thread in a group (its members), with the body as its opening post.
    async fn create_thread(&self, ctx: &Context<'_>, input: CreateThreadInput) -> Result<Thread> {
        resolve_mentions(ctx, &input.body).await;
        let new = NewThread {
            group_id: parse_id("groupId", &input.group_id)?,
            title: input.title,
            body: input.body,
            kind: input.kind.map(Into::into),
            event_id: optional_id("eventId", input.event_id.as_ref())?,
            resource_id: optional_id("resourceId", input.resource_id.as_ref())?,
        };
        let (t, _) = threads::create(ctx.state(), ctx.viewer(), new).await?;
        Ok(Thread(t))
    }

    /// Replies in a thread (CONFLICT when it is locked).
    async fn reply(&self, ctx: &Context<'_>, input: ReplyInput) -> Result<Post> {
        let thread = parse_id("threadId", &input.thread_id)?;
        let parent = optional_id("parentId", input.parent_id.as_ref())?;
        resolve_mentions(ctx, &input.body).await;
        Ok(Post(threads::reply(ctx.state(), ctx.viewer(), thread, parent, &input.body).await?))
    }

    async fn update_thread(&self, ctx: &Context<'_>, id: ID, input: UpdateThreadInput) -> Result<Thread> {
        let id = parse_id("id", &id)?;
        let changes = ThreadChanges {
            title: input.title,
            kind: input.kind.map(Into::into),
            locked: input.locked,
            pinned: input.pinned,
            hidden: input.hidden,
        };
        Ok(Thread(threads::update(ctx.state(), ctx.viewer(), id, changes).await?))
    }

    /// The author changes their post's text.
    async fn edit_post(&self, ctx: &Context<'_>, id: ID, body: String) -> Result<Post> {
        let id = parse_id("id", &id)?;
        resolve_mentions(ctx, &body).await;
        Ok(Post(threads::edit_post(ctx.state(), ctx.viewer(), id, &body).await?))
    }

    /// Its author or the group's moderators; the post keeps its place as "deleted".
    async fn delete_post(&self, ctx: &Context<'_>, id: ID) -> Result<Post> {
        let id = parse_id("id", &id)?;
        Ok(Post(threads::delete_post(ctx.state(), ctx.viewer(), id).await?))
    }
}

#[derive(Default)]
pub struct LibrarySubscription;

#[async_graphql::Subscription]
impl LibrarySubscription {
    /// Every new post in the thread, written here or received from another server (on
    /// PostgreSQL, from any replica). Ends when the thread is no longer visible.
    async fn thread_posts(
        &self,
        ctx: &Context<'_>,
        thread_id: ID,
    ) -> Result<impl futures_util::Stream<Item = Post> + use<>> {
        use tokio::sync::broadcast::error::RecvError;
        let id = parse_id("threadId", &thread_id)?;
        let state = ctx.data_unchecked::<crate::state::State>().clone();
        let viewer = ctx.viewer().clone();
        threads::get(&state.db, &viewer, id).await?;
        let rx = state.bus.subscribe();
        Ok(futures_util::stream::unfold((rx, state, viewer), move |(mut rx, state, viewer)| async move {
            loop {
                let post = match rx.recv().await {
                    Ok(crate::bus::Change::Post { thread, post }) if thread == id => post,
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                };
                match threads::get_post(&state.db, &viewer, post).await {
                    Ok(p) => return Some((Post(p), (rx, state, viewer))),
                    // The thread was hidden from this subscriber, or the database failed.
                    Err(_) => return None,
                }
            }
        }))
    }
}
