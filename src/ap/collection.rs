//! Collections on the wire: outboxes, followers and following (`OrderedCollection`), their
//! pages (`OrderedCollectionPage`), as we serve them and as other servers send them.
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The two kinds of collection we serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CollectionKind {
    OrderedCollection,
    OrderedCollectionPage,
    /// Read only: servers that do not order their collections.
    Collection,
    CollectionPage,
}

/// A collection or a page of one. `T` is an item: an id or an embedded activity.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection<T> {
    #[serde(deserialize_with = "super::bounds::deserialize_web_url_string")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: CollectionKind,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_string_opt"
    )]
    pub part_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_items: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_string_opt"
    )]
    pub first: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::bounds::deserialize_web_url_string_opt"
    )]
    pub next: Option<String>,
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<T>>,
}

impl<T: Serialize> Collection<T> {
    /// The collection itself: how many, and where its first page is (when it has pages).
    pub fn summary(id: String, total: u64, first: Option<String>) -> Self {
        Collection {
            id,
            kind: CollectionKind::OrderedCollection,
            part_of: None,
            total_items: Some(total),
            first,
            next: None,
            ordered_items: None,
        }
    }

    /// A page of it, with the next page's address when there are more.
    pub fn page(id: String, part_of: String, total: u64, items: Vec<T>, next: Option<String>) -> Self {
        Collection {
            id,
            kind: CollectionKind::OrderedCollectionPage,
            part_of: Some(part_of),
            total_items: Some(total),
            first: None,
            next,
            ordered_items: Some(items),
        }
    }

    /// The document, with our `@context`.
    pub fn into_document(self) -> Value {
        super::with_context(super::object::to_value(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_read_back() {
        let page = Collection::page(
            "https://w.example/m/a/followers?page=true".into(),
            "https://w.example/m/a/followers".into(),
            1,
            vec!["https://m.example/u/r".to_string()],
            None,
        );
        let back: Collection<String> =
            serde_json::from_value(page.into_document()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(back.kind, CollectionKind::OrderedCollectionPage);
        assert_eq!(back.ordered_items.unwrap_or_default(), vec!["https://m.example/u/r".to_string()]);
        let hostile = serde_json::from_value::<Collection<String>>(serde_json::json!({
            "id": "javascript:alert(1)", "type": "OrderedCollection", "totalItems": 1
        }));
        assert!(hostile.is_err());
    }
}
