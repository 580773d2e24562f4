//! An event's tags: as written (its `tags`), and the `event_tag` rows the tag filter reads
//! (the rule for both is `domain::tags`).
use sea_orm::ConnectionTrait;

use crate::db::event;
use crate::error::AppResult;

pub fn tags(e: &event::Model) -> Vec<String> {
    crate::domain::tags::shown(&e.tags)
}

/// The key a tag is stored and looked up under.
pub fn tag_key(t: &str) -> String {
    crate::domain::tags::key(t)
}

/// Writes the event's `event_tag` rows from its `tags`, in the caller's transaction.
pub async fn write_tags<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<()> {
    crate::domain::tags::write_event(conn, e.id, &e.tags).await
}
