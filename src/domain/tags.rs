//! Tags of events and library entries: kept as written on the object (its `tags`, what is
//! shown), and as rows of a join table under a key (`event_tag`, `resource_tag`), which the
//! tag filters read by indexed equality.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::db::{event_tag, resource_tag};
use crate::error::AppResult;

/// The tags as written, from an object's `tags` column.
pub fn shown(tags: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(tags.clone()).unwrap_or_default()
}

/// The key a tag is stored and looked up under: trimmed, lowercase. (Migrations m0013 and
/// m0017 fill the rows with the same rule.)
pub fn key(t: &str) -> String {
    t.trim().to_lowercase()
}

/// The distinct, non-empty keys of a list of tags, in order.
fn keys(tags: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for key in shown(tags).iter().map(|t| key(t)) {
        if !key.is_empty() && !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// Writes an event's `event_tag` rows from its `tags`, in the caller's transaction.
pub async fn write_event<C: ConnectionTrait>(conn: &C, id: Uuid, tags: &serde_json::Value) -> AppResult<()> {
    event_tag::Entity::delete_many().filter(event_tag::Column::EventId.eq(id)).exec(conn).await?;
    let keys = keys(tags);
    if !keys.is_empty() {
        let rows = keys.into_iter().map(|tag| event_tag::ActiveModel { event_id: Set(id), tag: Set(tag) });
        event_tag::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Writes a library entry's `resource_tag` rows from its `tags`, in the caller's transaction.
pub async fn write_resource<C: ConnectionTrait>(conn: &C, id: Uuid, tags: &serde_json::Value) -> AppResult<()> {
    resource_tag::Entity::delete_many().filter(resource_tag::Column::ResourceId.eq(id)).exec(conn).await?;
    let keys = keys(tags);
    if !keys.is_empty() {
        let rows = keys.into_iter().map(|tag| resource_tag::ActiveModel { resource_id: Set(id), tag: Set(tag) });
        resource_tag::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_trimmed_lowercase_distinct_and_never_empty() {
        let tags = serde_json::json!(["DEI", " dei ", "", "Équité", "a,b%"]);
        assert_eq!(keys(&tags), vec!["dei", "équité", "a,b%"]);
        assert!(keys(&serde_json::json!(null)).is_empty());
    }
}
