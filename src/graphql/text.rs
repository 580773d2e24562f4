//! Text a client may send: no string of a request (an inline literal anywhere in the document,
//! a variable's value or default, keys of input objects included) may hold a character that no
//! stored text may have (`ap::bounds::has_forbidden_chars`: NUL and other control characters;
//! tab and line breaks pass). Such a request is refused with `BAD_USER_INPUT` before anything
//! runs, on every transport, instead of reaching the database (PostgreSQL cannot store NUL).
//!
//! The walk visits each operation and fragment once (spreads are not followed), so it costs the
//! size of the document and the variables, both bounded by the request size.
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Name, Positioned, ServerError, ServerResult, Variables};
use async_graphql_value::{ConstValue, Value};

use crate::ap::bounds::has_forbidden_chars;

/// Refuses a request whose document or variables hold a forbidden character (see above).
/// Run by the request checks (`limits`) on every request, on the parsed document.
pub fn check(doc: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    // Inline literals: the field is the input-object field or argument holding the string.
    if let Some(field) = find_in_arguments(doc, &|argument, value| value_bad(value, argument)) {
        return Err(refusal(&field));
    }
    // Variables (and their defaults): the innermost input-object field, else the argument
    // the variable is passed to, else the variable.
    let used_as = |name: &str| {
        find_in_arguments(doc, &|argument, value| value_uses(value, name, argument)).unwrap_or_else(|| clean_name(name))
    };
    for (name, value) in variables.iter() {
        if has_forbidden_chars(name) {
            return Err(refusal(&clean_name(name)));
        }
        if let Some(field) = const_bad(value, None) {
            return Err(refusal(&field.unwrap_or_else(|| used_as(name))));
        }
    }
    for (_, op) in doc.operations.iter() {
        for var in &op.node.variable_definitions {
            if let Some(field) = var.node.default_value.as_ref().and_then(|d| const_bad(&d.node, None)) {
                return Err(refusal(&field.unwrap_or_else(|| used_as(&var.node.name.node))));
            }
        }
    }
    Ok(())
}

fn refusal(field: &str) -> ServerError {
    let mut e = ServerError::new(
        format!(
            "`{field}` holds a control character (such as NUL); text may hold tabs and line breaks but no other \
             control characters"
        ),
        None,
    );
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", "BAD_USER_INPUT");
    ext.set("field", field);
    e.extensions = Some(ext);
    e
}

/// A name for a message, without the characters it was refused for.
fn clean_name(name: &str) -> String {
    crate::ap::bounds::clean_text(name).chars().take(64).collect()
}

/// Where a value (from JSON variables) has a forbidden character: `Some(field)`, with the
/// innermost input-object field around it when there is one.
fn const_bad(v: &ConstValue, field: Option<&str>) -> Option<Option<String>> {
    match v {
        ConstValue::String(s) => has_forbidden_chars(s).then(|| field.map(clean_name)),
        ConstValue::List(items) => items.iter().find_map(|i| const_bad(i, field)),
        ConstValue::Object(fields) => fields.iter().find_map(|(k, v)| {
            if has_forbidden_chars(k) {
                Some(Some(clean_name(k)))
            } else {
                const_bad(v, Some(k.as_str()))
            }
        }),
        _ => None,
    }
}

/// The same for a literal of the document, passed to `argument`: the field it sits in.
fn value_bad(v: &Value, field: &str) -> Option<String> {
    match v {
        Value::String(s) => has_forbidden_chars(s).then(|| clean_name(field)),
        Value::List(items) => items.iter().find_map(|i| value_bad(i, field)),
        Value::Object(fields) => {
            fields.iter().find_map(
                |(k, v)| {
                    if has_forbidden_chars(k) {
                        Some(clean_name(k))
                    } else {
                        value_bad(v, k.as_str())
                    }
                },
            )
        }
        _ => None,
    }
}

/// The field (argument, or input-object field) a literal passes variable `name` to.
fn value_uses(v: &Value, name: &str, field: &str) -> Option<String> {
    match v {
        Value::Variable(n) if n.as_str() == name => Some(clean_name(field)),
        Value::List(items) => items.iter().find_map(|i| value_uses(i, name, field)),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| value_uses(v, name, k.as_str())),
        _ => None,
    }
}

type Visit<'a> = &'a dyn Fn(&str, &Value) -> Option<String>;

/// The first answer of `visit` for an argument (of a field or a directive) anywhere in the
/// document: every operation and fragment once.
fn find_in_arguments(doc: &ExecutableDocument, visit: Visit<'_>) -> Option<String> {
    for (_, op) in doc.operations.iter() {
        for var in &op.node.variable_definitions {
            if let Some(found) = in_directives(&var.node.directives, visit) {
                return Some(found);
            }
        }
        if let Some(found) =
            in_directives(&op.node.directives, visit).or_else(|| in_set(&op.node.selection_set.node, visit))
        {
            return Some(found);
        }
    }
    doc.fragments.values().find_map(|fragment| {
        in_directives(&fragment.node.directives, visit).or_else(|| in_set(&fragment.node.selection_set.node, visit))
    })
}

fn in_arguments(arguments: &[(Positioned<Name>, Positioned<Value>)], visit: Visit<'_>) -> Option<String> {
    arguments.iter().find_map(|(name, value)| visit(name.node.as_str(), &value.node))
}

fn in_directives(directives: &[Positioned<Directive>], visit: Visit<'_>) -> Option<String> {
    directives.iter().find_map(|d| in_arguments(&d.node.arguments, visit))
}

fn in_set(set: &SelectionSet, visit: Visit<'_>) -> Option<String> {
    set.items.iter().find_map(|sel| match &sel.node {
        Selection::Field(f) => in_arguments(&f.node.arguments, visit)
            .or_else(|| in_directives(&f.node.directives, visit))
            .or_else(|| in_set(&f.node.selection_set.node, visit)),
        Selection::InlineFragment(f) => {
            in_directives(&f.node.directives, visit).or_else(|| in_set(&f.node.selection_set.node, visit))
        }
        Selection::FragmentSpread(s) => in_directives(&s.node.directives, visit),
    })
}

#[cfg(test)]
mod tests {
    // Inputs here are fixed literals of this test: they parse, so failure is unreachable.
    use super::*;

    fn found(q: &str) -> Option<String> {
        let doc = async_graphql::parser::parse_query(q).unwrap_or_else(|_| unreachable!());
        find_in_arguments(&doc, &|argument, value| value_bad(value, argument))
    }

    #[test]
    fn literals_anywhere_in_a_document_are_found_with_their_field() {
        assert_eq!(found("{ member(handle: \"a\\u0000b\") { id } }").as_deref(), Some("handle"));
        assert_eq!(found("{ a(input: { list: [\"ok\", \"b\\u0000\"] }) }").as_deref(), Some("list"));
        assert_eq!(found("{ ... on Query { a(x: \"\\u0000\") } }").as_deref(), Some("x"));
        let deep = "query { ...F } fragment F on Query { a @include(if: true) @x(s: \"\\u0007\") }";
        assert_eq!(found(deep).as_deref(), Some("s"));
        assert_eq!(found("{ a(text: \"line one\\nline two\\ttabbed\\r\\n\") }"), None);
        assert_eq!(found("{ a(text: \"é ✓\") }"), None);
    }

    #[test]
    fn variables_are_named_by_the_field_they_fill() {
        let doc = async_graphql::parser::parse_query("query($h: String, $i: In) { a(handle: $h, input: $i) }")
            .unwrap_or_else(|_| unreachable!());
        let used = |name: &str| find_in_arguments(&doc, &|argument, value| value_uses(value, name, argument));
        assert_eq!(used("h").as_deref(), Some("handle"));
        assert_eq!(used("i").as_deref(), Some("input"));
        let nested: ConstValue = serde_json::from_value(serde_json::json!({"body": "a\u{0}", "tags": ["ok"]}))
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(const_bad(&nested, None), Some(Some("body".into())));
        let tags: ConstValue =
            serde_json::from_value(serde_json::json!({"tags": ["ok", "b\u{0}"]})).unwrap_or_else(|_| unreachable!());
        assert_eq!(const_bad(&tags, None), Some(Some("tags".into())));
        assert_eq!(const_bad(&ConstValue::String("x\u{0}".into()), None), Some(None));
        assert_eq!(const_bad(&ConstValue::String("x\ny\t".into()), None), None);
    }
}
