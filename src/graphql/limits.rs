//! What one GraphQL document may cost, checked before the engine runs anything.
//!
//! [`admit`] runs every request check on every transport (HTTP and WebSocket) on the request's
//! parsed document (parsed once, or a copy of the one kept for its text on HTTP: `documents`;
//! the engine runs that document), refuses documents that are too
//! wide or too deep, and refuses control characters (`text`). The schema sets the engine's own
//! cost limit. These checks are not an engine extension: the engine passes every field of an
//! answer through each extension's `resolve` hook as soon as there is one, a boxed future and two
//! registry look-ups per field (see docs/benchmarks.md).
//!
//! - **Cost** (async-graphql's complexity): every field costs 1 plus its children; a list or
//!   connection field costs its page size (`first`, or the default page when absent) times its
//!   children, so nesting pages multiplies. A document may cost at most [`MAX_COMPLEXITY`].
//!   Every field returning a list must carry `#[graphql(complexity = "...")]` through
//!   [`page_cost`] (or [`list_cost`] for unpaged lists); otherwise it would count as one item.
//! - **Root fields**: at most [`MAX_ROOT_FIELDS`] per operation (aliases included).
//! - **Depth** (fields nested, fragments expanded): at most [`MAX_DEPTH`], except for documents
//!   that only introspect the schema (`__schema`, `__type`, `__typename` at the root): standard
//!   tooling (graphql-js `getIntrospectionQuery()`) nests `ofType` deeper than that; they may
//!   reach [`MAX_INTROSPECTION_DEPTH`] (the schema's depth limit, which the engine checks).
//! - **Introspection size**: in any document, list-valued introspection fields (`types`,
//!   `fields`, `args`, …) nest at most [`MAX_INTROSPECTION_LISTS`] deep (the standard query's
//!   `types → fields → args`), so an answer never grows beyond a few copies of the schema
//!   (`fields → type → fields → …` would multiply it at every level).
use async_graphql::parser::types::{ExecutableDocument, Field, FragmentDefinition, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Name, Positioned, Request, ServerError, ServerResult};

use crate::domain::pagination::{DEFAULT_PAGE, MAX_PAGE};

/// The per-request budget: deep or expensive documents are refused before they run.
pub const MAX_COMPLEXITY: usize = 5_000;
pub const MAX_DEPTH: usize = 12;
pub const MAX_ROOT_FIELDS: usize = 20;
pub const MAX_INTROSPECTION_LISTS: usize = 3;
pub const MAX_INTROSPECTION_DEPTH: usize = 30;

/// Large enough for any honest document, small enough that summing never overflows.
const COST_CEILING: usize = 1 << 40;

/// The cost of a paged field: one, plus `first` (clamped to the page limits; the default page
/// when absent) times the cost of what each item selects.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let items = match first {
        None => DEFAULT_PAGE,
        Some(n) => u64::try_from(n).unwrap_or(0).min(MAX_PAGE),
    };
    list_cost(usize::try_from(items).unwrap_or(usize::MAX), child_complexity)
}

/// The cost of a list of at most `items` entries.
pub fn list_cost(items: usize, child_complexity: usize) -> usize {
    items.saturating_mul(child_complexity).saturating_add(1).min(COST_CEILING)
}

/// Introspection fields answering lists of schema elements.
const INTROSPECTION_LISTS: [&str; 8] =
    ["types", "fields", "inputFields", "interfaces", "possibleTypes", "enumValues", "args", "directives"];

/// Selections (fragments expanded) the analysis visits before calling a document too large:
/// spreading a fragment that spreads another twice, and so on, grows exponentially.
const MAX_EXPANDED_SELECTIONS: usize = 100_000;

#[derive(Default, Clone, Copy)]
struct Facts {
    expanded_too_far: bool,
    /// Fields nested, fragments expanded (as the engine counts depth).
    depth: usize,
    root_fields: usize,
    introspection_only: bool,
    introspection_lists: usize,
}

fn refusal(message: String) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", "BAD_USER_INPUT");
    e.extensions = Some(ext);
    e
}

/// Root fields of one selection set, fragments expanded (each fragment once per path).
fn root_fields<'a>(
    set: &'a SelectionSet,
    fragments: &'a std::collections::HashMap<Name, Positioned<FragmentDefinition>>,
    seen: &mut Vec<&'a str>,
    out: &mut Vec<&'a Field>,
    steps: &mut usize,
) {
    for sel in &set.items {
        *steps = steps.saturating_sub(1);
        if *steps == 0 {
            return;
        }
        match &sel.node {
            Selection::Field(f) => out.push(&f.node),
            Selection::InlineFragment(f) => root_fields(&f.node.selection_set.node, fragments, seen, out, steps),
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.as_str();
                if seen.contains(&name) {
                    continue;
                }
                if let Some(def) = fragments.get(name) {
                    seen.push(name);
                    root_fields(&def.node.selection_set.node, fragments, seen, out, steps);
                    seen.pop();
                }
            }
        }
    }
}

/// Walks every selection, fragments expanded, until `steps` runs out; answers the deepest
/// nesting of fields below `set`.
fn expand<'a>(
    set: &'a SelectionSet,
    fragments: &'a std::collections::HashMap<Name, Positioned<FragmentDefinition>>,
    seen: &mut Vec<&'a str>,
    steps: &mut usize,
) -> usize {
    let mut deepest = 0;
    for sel in &set.items {
        *steps = steps.saturating_sub(1);
        if *steps == 0 {
            return deepest;
        }
        let depth = match &sel.node {
            // The engine does not count `__typename` (it has no selection).
            Selection::Field(f) if f.node.name.node == "__typename" => 0,
            Selection::Field(f) => 1 + expand(&f.node.selection_set.node, fragments, seen, steps),
            Selection::InlineFragment(f) => expand(&f.node.selection_set.node, fragments, seen, steps),
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.as_str();
                if seen.contains(&name) {
                    continue;
                }
                match fragments.get(name) {
                    Some(def) => {
                        seen.push(name);
                        let depth = expand(&def.node.selection_set.node, fragments, seen, steps);
                        seen.pop();
                        depth
                    }
                    None => 0,
                }
            }
        };
        deepest = deepest.max(depth);
    }
    deepest
}

/// The deepest nesting of list-valued introspection fields under `set`.
fn list_nesting<'a>(
    set: &'a SelectionSet,
    fragments: &'a std::collections::HashMap<Name, Positioned<FragmentDefinition>>,
    seen: &mut Vec<&'a str>,
    depth: usize,
    steps: &mut usize,
) -> usize {
    if depth > MAX_INTROSPECTION_DEPTH {
        return usize::MAX;
    }
    let mut deepest = 0;
    for sel in &set.items {
        *steps = steps.saturating_sub(1);
        if *steps == 0 {
            return deepest;
        }
        let n = match &sel.node {
            Selection::Field(f) => {
                let inner = list_nesting(&f.node.selection_set.node, fragments, seen, depth + 1, steps);
                let own = usize::from(INTROSPECTION_LISTS.contains(&f.node.name.node.as_str()));
                inner.saturating_add(own)
            }
            Selection::InlineFragment(f) => list_nesting(&f.node.selection_set.node, fragments, seen, depth, steps),
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.as_str();
                // A cycle: validation refuses the document anyway.
                if seen.contains(&name) {
                    continue;
                }
                match fragments.get(name) {
                    Some(def) => {
                        seen.push(name);
                        let n = list_nesting(&def.node.selection_set.node, fragments, seen, depth, steps);
                        seen.pop();
                        n
                    }
                    None => 0,
                }
            }
        };
        deepest = deepest.max(n);
    }
    deepest
}

fn facts(doc: &ExecutableDocument) -> Facts {
    let mut facts = Facts { introspection_only: true, ..Facts::default() };
    let mut steps = MAX_EXPANDED_SELECTIONS;
    for (_, op) in doc.operations.iter() {
        let mut roots = Vec::new();
        root_fields(&op.node.selection_set.node, &doc.fragments, &mut Vec::new(), &mut roots, &mut steps);
        facts.root_fields = facts.root_fields.max(roots.len());
        for field in roots {
            match field.name.node.as_str() {
                // Everything under these is an introspection type.
                "__schema" | "__type" => {
                    let lists = list_nesting(&field.selection_set.node, &doc.fragments, &mut Vec::new(), 1, &mut steps);
                    facts.introspection_lists = facts.introspection_lists.max(lists);
                }
                "__typename" => {}
                _ => facts.introspection_only = false,
            }
        }
    }
    for (_, op) in doc.operations.iter() {
        let depth = expand(&op.node.selection_set.node, &doc.fragments, &mut Vec::new(), &mut steps);
        facts.depth = facts.depth.max(depth);
    }
    facts.expanded_too_far = steps == 0;
    facts
}

/// The checks that need no schema: size once fragments are expanded, root fields, nesting of
/// introspection lists.
fn refuse_wide(facts: &Facts) -> ServerResult<()> {
    if facts.expanded_too_far {
        return Err(refusal(format!(
            "the document expands (fragments included) to more than {MAX_EXPANDED_SELECTIONS} selections"
        )));
    }
    if facts.root_fields > MAX_ROOT_FIELDS {
        return Err(refusal(format!(
            "the operation selects {} root fields (aliases included), more than the limit of {MAX_ROOT_FIELDS}",
            facts.root_fields
        )));
    }
    if facts.introspection_lists > MAX_INTROSPECTION_LISTS {
        return Err(refusal(format!(
            "introspection nests list fields (types, fields, args, …) more than {MAX_INTROSPECTION_LISTS} deep"
        )));
    }
    Ok(())
}

/// The engine's refusals of a document over the schema's limits ([`MAX_COMPLEXITY`], and
/// [`MAX_INTROSPECTION_DEPTH`] for the documents that may nest deeper than [`MAX_DEPTH`]), in
/// our words, naming the limit.
pub fn reworded(engine_message: &str) -> Option<String> {
    match engine_message {
        "Query is too complex." => Some(format!(
            "Query is too complex: it costs more than the budget of {MAX_COMPLEXITY} per request (a list field \
             costs its `first` times what each item selects)"
        )),
        "Query is nested too deep." => Some(format!(
            "Query is nested too deep: more than the limit of {MAX_INTROSPECTION_DEPTH} for introspection"
        )),
        _ => None,
    }
}

/// Every request check, before the engine runs the request: parses it (once; the engine runs
/// the parsed document) and refuses what is too wide, too deep, or holds control characters.
/// A document that does not parse passes: the engine answers with its syntax error.
pub fn admit(request: &mut Request) -> ServerResult<()> {
    // The variables step aside while the parsed document is borrowed.
    let variables = std::mem::take(&mut request.variables);
    let checked = match request.parsed_query() {
        Ok(doc) => check(doc, &variables),
        Err(_) => Ok(()),
    };
    request.variables = variables;
    checked
}

fn check(doc: &ExecutableDocument, variables: &async_graphql::Variables) -> ServerResult<()> {
    let facts = facts(doc);
    refuse_wide(&facts)?;
    if !facts.introspection_only && facts.depth > MAX_DEPTH {
        return Err(refusal(format!(
            "Query is nested too deep: depth {}, more than the limit of {MAX_DEPTH}",
            facts.depth
        )));
    }
    super::text::check(doc, variables)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn page_cost_clamps_and_never_overflows() {
        assert_eq!(page_cost(None, 3), 1 + DEFAULT_PAGE as usize * 3);
        assert_eq!(page_cost(Some(100), 3), 301);
        assert_eq!(page_cost(Some(i32::MAX), 3), 301);
        assert_eq!(page_cost(Some(-5), 3), 1);
        assert_eq!(page_cost(Some(100), usize::MAX), COST_CEILING);
    }

    #[test]
    fn depth_counts_fields_through_fragments_as_the_engine_does() {
        let parse = |q: &str| async_graphql::parser::parse_query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(facts(&parse("{ a { b { c } } }")).depth, 3);
        // `__typename` is not counted; fragments count what they hold.
        assert_eq!(facts(&parse("{ a { b { __typename } } }")).depth, 2);
        assert_eq!(facts(&parse("{ a { ...F } } fragment F on T { b { ... on T { c { d } } } }")).depth, 4);
    }

    #[test]
    fn the_engines_limit_refusals_are_reworded_with_the_limit() {
        assert!(reworded("Query is too complex.").is_some_and(|m| m.contains("5000")));
        assert!(reworded("Query is nested too deep.").is_some_and(|m| m.contains("30")));
        assert!(reworded("something else").is_none());
    }

    #[test]
    fn introspection_only_documents_are_recognised() {
        let parse = |q: &str| async_graphql::parser::parse_query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let doc = parse("query { ...F } fragment F on Query { __schema { types { fields { args { name } } } } }");
        let f = facts(&doc);
        assert!(f.introspection_only);
        assert_eq!(f.introspection_lists, 3);
        let doc = parse("{ __typename members { totalCount } }");
        assert!(!facts(&doc).introspection_only);
    }
}
