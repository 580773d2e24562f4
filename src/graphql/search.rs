//! One search box over members, groups, events, resources, threads and learning records (full-text, ranked; see
//! `domain::search`). A query shaped like a handle on another server (`name@server`) also looks
//! that actor up there, as Mastodon's search does.
use async_graphql::{Context, Object, SimpleObject};

use super::events::Event;
use super::groups::Group;
use super::learning::{LearningQuestion, Reflection};
use super::members::Member;
use super::resources::Resource;
use super::threads::Thread;
use super::types::Result;
use super::ContextExt as _;
use crate::domain::pagination::PageRequest;
use crate::domain::{handles, search, validate};
use crate::federation::resolve::{self, Found};

/// Matches by kind, best first. Each list goes on from its cursor in `next`.
#[derive(SimpleObject)]
pub struct SearchResults {
    /// Matching members; when the query is a handle elsewhere (`name@server`), that account first,
    /// if found.
    pub members: Vec<Member>,
    /// Matching groups; when the query is a handle elsewhere (`name@server`), that group first, if
    /// found.
    pub groups: Vec<Group>,
    /// Matching events.
    pub events: Vec<Event>,
    /// Matching library entries.
    pub resources: Vec<Resource>,
    /// Matching threads, found by their title, opening post or replies.
    pub threads: Vec<Thread>,
    /// Matching learning questions.
    pub learning_questions: Vec<LearningQuestion>,
    /// Matching reflections.
    pub reflections: Vec<Reflection>,
    /// Where each kind's list goes on.
    pub next: SearchCursors,
}

/// For each kind, the `after` that asks `search` for its next matches (that kind only); null
/// when there are no more. At most 500 matches of a kind are reached this way.
#[derive(SimpleObject, Default)]
pub struct SearchCursors {
    /// The `after` for more members.
    pub members: Option<String>,
    /// The `after` for more groups.
    pub groups: Option<String>,
    /// The `after` for more events.
    pub events: Option<String>,
    /// The `after` for more library entries.
    pub resources: Option<String>,
    /// The `after` for more threads.
    pub threads: Option<String>,
    /// The `after` for more learning questions.
    pub learning_questions: Option<String>,
    /// The `after` for more reflections.
    pub reflections: Option<String>,
}

/// A kind of thing the search box finds.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SearchKind {
    /// Members (a `name@server` query also looks the account up on its server).
    Members,
    /// Groups (a `name@server` query also looks the group up on its server).
    Groups,
    /// Events.
    Events,
    /// Library entries.
    Resources,
    /// Threads.
    Threads,
    /// Learning questions.
    LearningQuestions,
    /// Reflections.
    Reflections,
}

impl From<SearchKind> for search::Kind {
    fn from(k: SearchKind) -> Self {
        match k {
            SearchKind::Members => search::Kind::Member,
            SearchKind::Groups => search::Kind::Group,
            SearchKind::Events => search::Kind::Event,
            SearchKind::Resources => search::Kind::Resource,
            SearchKind::Threads => search::Kind::Thread,
            SearchKind::LearningQuestions => search::Kind::Question,
            SearchKind::Reflections => search::Kind::Reflection,
        }
    }
}

fn next<T>(page: &search::KindPage<T>) -> Option<String> {
    page.next.map(search::Cursor::encode)
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Everything whose words start with the query's words, best first: `first` of each kind
    /// (or of `kind` alone). `after`, a cursor from `next`, goes on with that cursor's kind.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        after: Option<String>,
        kind: Option<SearchKind>,
    ) -> Result<SearchResults> {
        let q = validate::required_text("query", &query, 200)?;
        let page = PageRequest::new(first, None)?;
        let after = after.as_deref().map(search::Cursor::decode).transpose()?;
        let state = ctx.state();
        let found = search::everything(state, ctx.viewer(), &q, page.first, kind.map(Into::into), after).await?;
        let next = SearchCursors {
            members: next(&found.members),
            groups: next(&found.groups),
            events: next(&found.events),
            resources: next(&found.resources),
            threads: next(&found.threads),
            learning_questions: next(&found.questions),
            reflections: next(&found.reflections),
        };
        let mut members: Vec<Member> = found.members.items.into_iter().map(Member::from).collect();
        let mut groups: Vec<Group> = found.groups.items.into_iter().map(Group::from).collect();
        let looks_for_people = matches!(kind, None | Some(SearchKind::Members) | Some(SearchKind::Groups));
        if after.is_none() && looks_for_people && handles::is_remote(&q, &state.config.domain) {
            // A failed remote look-up is no result, not an error of the whole search.
            match resolve::find_by_handle(&ctx.fed(), &q, ctx.lookup(), ctx.viewer()).await {
                Ok(Some(Found::Member(m)))
                    if kind != Some(SearchKind::Groups) && !members.iter().any(|x| x.0.id == m.id) =>
                {
                    members.insert(0, Member::from(*m))
                }
                Ok(Some(Found::Group(g)))
                    if kind != Some(SearchKind::Members) && !groups.iter().any(|x| x.0.id == g.id) =>
                {
                    groups.insert(0, Group::from(*g))
                }
                _ => {}
            }
        }
        members.truncate(page.first as usize);
        groups.truncate(page.first as usize);
        Ok(SearchResults {
            members,
            groups,
            events: found.events.items.into_iter().map(Event::from).collect(),
            resources: found.resources.items.into_iter().map(Resource).collect(),
            threads: found.threads.items.into_iter().map(Thread::from).collect(),
            learning_questions: found.questions.items.into_iter().map(LearningQuestion).collect(),
            reflections: found.reflections.items.into_iter().map(Reflection).collect(),
            next,
        })
    }
}
