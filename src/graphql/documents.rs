//! Parsed documents, kept by their text: a client app sends the same few operations again and
//! again, so each is parsed once, and later requests with the same text hand the engine a copy
//! of the kept document (the engine still runs its depth and directive checks on it, and every
//! request check runs on every request).
//!
//! The cache is bounded by the texts' size and drops what is least used.
use std::sync::{Arc, LazyLock};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::Request;
use moka::future::Cache;

/// Longest text kept (longer documents are parsed each time).
const MAX_TEXT: usize = 16 * 1024;
/// What the kept documents may weigh in all, counting each at ten times its text.
const MAX_WEIGHT: u64 = 16 * 1024 * 1024;

static DOCUMENTS: LazyLock<Cache<Arc<str>, Arc<ExecutableDocument>>> = LazyLock::new(|| {
    Cache::builder()
        .max_capacity(MAX_WEIGHT)
        .weigher(|text: &Arc<str>, _| u32::try_from(text.len().saturating_mul(10)).unwrap_or(u32::MAX))
        .build()
});

/// Gives the request its parsed document: the kept one for a text seen before, else the
/// engine's parse of the text, which is then kept. A text that does not parse is left to the
/// engine, which answers with the syntax error.
pub async fn prepare(request: &mut Request) {
    if request.query.len() > MAX_TEXT {
        return;
    }
    if let Some(doc) = DOCUMENTS.get(request.query.as_str()).await {
        request.set_parsed_query((*doc).clone());
        return;
    }
    let text: Arc<str> = Arc::from(request.query.as_str());
    if let Ok(doc) = request.parsed_query() {
        let doc = Arc::new(doc.clone());
        DOCUMENTS.insert(text, doc).await;
    }
}
