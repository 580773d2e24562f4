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

/// Matches by kind, best first.
#[derive(SimpleObject)]
pub struct SearchResults {
    pub members: Vec<Member>,
    pub groups: Vec<Group>,
    pub events: Vec<Event>,
    pub resources: Vec<Resource>,
    pub threads: Vec<Thread>,
    pub learning_questions: Vec<LearningQuestion>,
    pub reflections: Vec<Reflection>,
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Everything whose words start with the query's words; `first` per kind.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn search(&self, ctx: &Context<'_>, query: String, first: Option<i32>) -> Result<SearchResults> {
        let q = validate::required_text("query", &query, 200)?;
        let page = PageRequest::new(first, None)?;
        let state = ctx.state();
        let found = search::everything(state, ctx.viewer(), &q, page.first).await?;
        let mut members: Vec<Member> = found.members.into_iter().map(Member).collect();
        let mut groups: Vec<Group> = found.groups.into_iter().map(Group).collect();
        if handles::is_remote(&q, &state.config.domain) {
            // A failed remote look-up is no result, not an error of the whole search.
            match resolve::find_by_handle(&ctx.fed(), &q, ctx.lookup(), ctx.viewer()).await {
                Ok(Some(Found::Member(m))) if !members.iter().any(|x| x.0.id == m.id) => members.insert(0, Member(*m)),
                Ok(Some(Found::Group(g))) if !groups.iter().any(|x| x.0.id == g.id) => groups.insert(0, Group(*g)),
                _ => {}
            }
        }
        members.truncate(page.first as usize);
        groups.truncate(page.first as usize);
        Ok(SearchResults {
            members,
            groups,
            events: found.events.into_iter().map(Event).collect(),
            resources: found.resources.into_iter().map(Resource).collect(),
            threads: found.threads.into_iter().map(Thread).collect(),
            learning_questions: found.questions.into_iter().map(LearningQuestion).collect(),
            reflections: found.reflections.into_iter().map(Reflection).collect(),
        })
    }
}
