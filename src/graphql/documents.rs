//! Parsed documents, kept by their text: a client app sends the same few operations again and
//! again, so each is parsed (and passes the library's depth and directive checks) once, and
//! later requests with the same text take the parsed document from here. Validation still runs
//! on every request (it depends on the variables), and so does every other extension's check.
//!
//! The extension sits innermost in the chain, right around the library's own parse step; the
//! cache is bounded by the texts' size and drops what is least used.
use std::sync::{Arc, LazyLock};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};
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

/// Installs the cache on a schema (last, so that it wraps the library's parse step only).
pub struct ParsedDocuments;

impl ExtensionFactory for ParsedDocuments {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ParsedDocuments)
    }
}

#[async_trait::async_trait]
impl Extension for ParsedDocuments {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(doc) = kept(query).await {
            return Ok((*doc).clone());
        }
        let doc = next.run(ctx, query, variables).await?;
        if query.len() <= MAX_TEXT {
            DOCUMENTS.insert(Arc::from(query), Arc::new(doc.clone())).await;
        }
        Ok(doc)
    }
}
