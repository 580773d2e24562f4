//! One search box over the directory. A query shaped like a handle on another server
//! (`name@server`) also looks that actor up there, as Mastodon's search does.
use async_graphql::{Context, Object, SimpleObject};

use super::types::{Group, Member, Result};
use super::ContextExt as _;
use crate::domain::pagination::PageRequest;
use crate::domain::{groups, members, validate};
use crate::federation::resolve::{self, Found};

/// Matches by kind. Events, resources and threads join as those parts of Weave arrive.
#[derive(SimpleObject)]
pub struct SearchResults {
    pub members: Vec<Member>,
    pub groups: Vec<Group>,
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Members and groups whose name, handle or description matches; `first` per kind.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn search(&self, ctx: &Context<'_>, query: String, first: Option<i32>) -> Result<SearchResults> {
        let q = validate::required_text("query", &query, 200)?;
        let page = PageRequest::new(first, None)?.count_total(false);
        let state = ctx.state();
        let mut found_members: Vec<Member> =
            members::list(state, Some(&q), page).await?.items.into_iter().map(Member).collect();
        let mut found_groups: Vec<Group> =
            groups::search(state, &q, page).await?.items.into_iter().map(Group).collect();
        let trimmed = q.trim_start_matches('@');
        let looks_remote =
            trimmed.split_once('@').is_some_and(|(n, d)| !n.is_empty() && (d.contains('.') || d.contains(':')));
        if looks_remote {
            // A failed remote look-up is no result, not an error of the whole search.
            match resolve::find_by_handle(&ctx.fed(), trimmed, ctx.lookup(), ctx.viewer()).await {
                Ok(Some(Found::Member(m))) if !found_members.iter().any(|x| x.0.id == m.id) => {
                    found_members.insert(0, Member(*m))
                }
                Ok(Some(Found::Group(g))) if !found_groups.iter().any(|x| x.0.id == g.id) => {
                    found_groups.insert(0, Group(*g))
                }
                _ => {}
            }
        }
        found_members.truncate(page.first as usize);
        found_groups.truncate(page.first as usize);
        Ok(SearchResults { members: found_members, groups: found_groups })
    }
}
