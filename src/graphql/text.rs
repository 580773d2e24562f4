//! Text a client may send: no string of a request (an inline literal anywhere in the document,
//! a variable's value or default, keys of input objects included) may hold a character that no
//! stored text may have (`ap::bounds::has_forbidden_chars`: NUL and other control characters;
//! tab and line breaks pass). Such a request is refused with `BAD_USER_INPUT` before anything
//! runs, on every transport, instead of reaching the database (PostgreSQL cannot store NUL).
//!
//! The walk visits each operation and fragment once (spreads are not followed), so it costs the
//! size of the document and the variables, both bounded by the request size.
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Positioned, ServerError, ServerResult, Variables};
use async_graphql_value::{ConstValue, Value};

use crate::ap::bounds::has_forbidden_chars;

/// Installs the check on a schema.
pub struct InputText;

impl ExtensionFactory for InputText {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(InputText)
    }
}

#[async_trait::async_trait]
impl Extension for InputText {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        for (name, value) in variables.iter() {
            if has_forbidden_chars(name) || const_has(value) {
                return Err(refusal(&format!("variable `${}`", clean_name(name))));
            }
        }
        let doc = next.run(ctx, query, variables).await?;
        if let Some(place) = document_has(&doc) {
            return Err(refusal(&place));
        }
        Ok(doc)
    }
}

fn refusal(place: &str) -> ServerError {
    let mut e = ServerError::new(
        format!(
            "{place} holds a control character (such as NUL); text may hold tabs and line breaks but no other \
             control characters"
        ),
        None,
    );
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", "BAD_USER_INPUT");
    e.extensions = Some(ext);
    e
}

/// A name for a message, without the characters it was refused for.
fn clean_name(name: &str) -> String {
    crate::ap::bounds::clean_text(name).chars().take(64).collect()
}

fn const_has(v: &ConstValue) -> bool {
    match v {
        ConstValue::String(s) => has_forbidden_chars(s),
        ConstValue::List(items) => items.iter().any(const_has),
        ConstValue::Object(fields) => fields.iter().any(|(k, v)| has_forbidden_chars(k) || const_has(v)),
        _ => false,
    }
}

fn value_has(v: &Value) -> bool {
    match v {
        Value::String(s) => has_forbidden_chars(s),
        Value::List(items) => items.iter().any(value_has),
        Value::Object(fields) => fields.iter().any(|(k, v)| has_forbidden_chars(k) || value_has(v)),
        _ => false,
    }
}

/// The first place of the document with a forbidden character in a literal.
fn document_has(doc: &ExecutableDocument) -> Option<String> {
    for (_, op) in doc.operations.iter() {
        for var in &op.node.variable_definitions {
            if var.node.default_value.as_ref().is_some_and(|d| const_has(&d.node)) {
                return Some(format!("the default of `${}`", var.node.name.node));
            }
            if let Some(place) = directives_have(&var.node.directives) {
                return Some(place);
            }
        }
        if let Some(place) = directives_have(&op.node.directives).or_else(|| set_has(&op.node.selection_set.node)) {
            return Some(place);
        }
    }
    for fragment in doc.fragments.values() {
        if let Some(place) =
            directives_have(&fragment.node.directives).or_else(|| set_has(&fragment.node.selection_set.node))
        {
            return Some(place);
        }
    }
    None
}

fn directives_have(directives: &[Positioned<Directive>]) -> Option<String> {
    directives.iter().find_map(|d| {
        d.node
            .arguments
            .iter()
            .find(|(_, v)| value_has(&v.node))
            .map(|(name, _)| format!("argument `{}` of @{}", name.node, d.node.name.node))
    })
}

fn set_has(set: &SelectionSet) -> Option<String> {
    set.items.iter().find_map(|sel| match &sel.node {
        Selection::Field(f) => f
            .node
            .arguments
            .iter()
            .find(|(_, v)| value_has(&v.node))
            .map(|(name, _)| format!("argument `{}` of `{}`", name.node, f.node.name.node))
            .or_else(|| directives_have(&f.node.directives))
            .or_else(|| set_has(&f.node.selection_set.node)),
        Selection::InlineFragment(f) => {
            directives_have(&f.node.directives).or_else(|| set_has(&f.node.selection_set.node))
        }
        Selection::FragmentSpread(s) => directives_have(&s.node.directives),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn literals_anywhere_in_a_document_are_found() {
        let found = |q: &str| document_has(&async_graphql::parser::parse_query(q).unwrap());
        assert!(found("{ member(handle: \"a\\u0000b\") { id } }").is_some());
        assert!(found("query($x: String = \"\\u0001\") { a }").is_some());
        assert!(found("{ a(input: { list: [\"ok\", \"b\\u0000\"] }) }").is_some());
        assert!(found("{ ... on Query { a(x: \"\\u0000\") } }").is_some());
        assert!(found("query { ...F } fragment F on Query { a @include(if: true) @x(s: \"\\u0007\") }").is_some());
        assert!(found("{ a(text: \"line one\\nline two\\ttabbed\\r\\n\") }").is_none());
        assert!(found("{ a(text: \"é ✓\") }").is_none());
    }
}
