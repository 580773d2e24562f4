//! `threadPosts`.
use async_graphql::{Context, ID};

use super::types::Post;
use crate::domain::threads;
use crate::graphql::types::{parse_id, Result};
use crate::graphql::ContextExt as _;

#[derive(Default)]
pub struct ThreadSubscription;

#[async_graphql::Subscription]
impl ThreadSubscription {
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
                    Ok(p) => return Some((Post::from(p), (rx, state, viewer))),
                    // The thread was hidden from this subscriber, or the database failed.
                    Err(_) => return None,
                }
            }
        }))
    }
}
