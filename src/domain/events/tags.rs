//! An event's tags: the JSON column, and the `event_tag` rows the tag filter reads.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::db::{event, event_tag};
use crate::error::AppResult;

pub fn tags(e: &event::Model) -> Vec<String> {
    serde_json::from_value(e.tags.clone()).unwrap_or_default()
}

/// The key a tag is stored under in `event_tag` and looked up by: trimmed, lowercase. (Migration
/// m0013 fills the rows with the same rule.)
pub fn tag_key(t: &str) -> String {
    t.trim().to_lowercase()
}

/// Writes the event's `event_tag` rows from its `tags`, in the caller's transaction: what the
/// tag filter reads.
pub async fn write_tags<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<()> {
    event_tag::Entity::delete_many().filter(event_tag::Column::EventId.eq(e.id)).exec(conn).await?;
    let tags: Vec<String> = serde_json::from_value(e.tags.clone()).unwrap_or_default();
    let mut keys: Vec<String> = Vec::with_capacity(tags.len());
    for key in tags.iter().map(|t| tag_key(t)) {
        if !key.is_empty() && !keys.contains(&key) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Ok(());
    }
    let rows = keys.into_iter().map(|tag| event_tag::ActiveModel { event_id: Set(e.id), tag: Set(tag) });
    event_tag::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}
