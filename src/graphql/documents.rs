//! Parsed documents, kept by their text: a client app sends the same few operations again and
//! again, so each is parsed (and passes the library's depth and directive checks) once, and
//! later requests with the same text take the parsed document from here. Validation still runs
//! on every request (it depends on the variables), and so does every other request check.
//!
//! The request checks (`limits`) call it right around the library's own parse step; the
//! cache is bounded by the texts' size and drops what is least used.
use std::sync::{Arc, LazyLock};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::ServerResult;
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

/// The document parsed from this text before, if it is kept.
pub async fn kept(text: &str) -> Option<Arc<ExecutableDocument>> {
    if text.len() > MAX_TEXT {
        return None;
    }
    DOCUMENTS.get(text).await
}

/// The document for this text: `kept` (what [`kept`] answered), else the library's parse step
/// (`parse`: parsing and its depth and directive checks), which is then kept. Called by the
/// request checks (`limits`), around the library's parse step only.
pub async fn kept_or_parsed(
    query: &str,
    kept: Option<Arc<ExecutableDocument>>,
    parse: impl std::future::Future<Output = ServerResult<ExecutableDocument>>,
) -> ServerResult<ExecutableDocument> {
    if let Some(doc) = kept {
        return Ok((*doc).clone());
    }
    let doc = parse.await?;
    if query.len() <= MAX_TEXT {
        DOCUMENTS.insert(Arc::from(query), Arc::new(doc.clone())).await;
    }
    Ok(doc)
}
