//! Discussion threads and their posts. A thread's opening text is its first post; replies nest
//! by parent and list in tree order (see `db::post::Model::path`). Local members write through
//! GraphQL and remote people through federation; both end in [`add_post`].
//!
//! - `rules`: who may write, moderate, and which threads take replies (who may *see* a thread
//!   or a post is [`visibility`](crate::domain::visibility)'s);
//! - `store`: look-ups by id, for writing and in bulk;
//! - `list`: pages of threads and of a thread's posts, with their cursors;
//! - `changes`: starting and changing a thread;
//! - `posts`: writing, replying, editing and deleting posts.
use uuid::Uuid;

use crate::state::AppState;

mod changes;
mod list;
mod posts;
mod rules;
mod store;

pub use changes::{create, update, NewThread, ThreadChanges};
pub use list::{cursor, decode_cursor, decode_post_cursor, list, post_keys, posts, PostKey, ThreadFilter};
pub use posts::{add_post, delete_post, edit_post, erase, reindex, reply, NewPost};
pub use rules::{check_open, may_edit_post, may_edit_thread, may_manage_thread};
pub use store::{get, get_post, load_many, load_posts, lock, opening_post};

/// Replies nest at most this deep; a reply to a post this deep joins its parent's replies.
pub const MAX_DEPTH: i32 = 24;
/// Characters of Markdown a post may have.
pub const MAX_BODY: usize = 20_000;

pub fn thread_url(state: &AppState, id: Uuid) -> String {
    format!("{}/threads/{id}", state.base_url())
}

pub fn post_url(state: &AppState, id: Uuid) -> String {
    format!("{}/posts/{id}", state.base_url())
}
