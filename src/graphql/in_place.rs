//! Resolving a list's objects with their fields in one future, instead of one boxed task per
//! field.
//!
//! The engine runs every field of every object as its own boxed future in a set of tasks, so a
//! page of 50 events with 20 fields each is a thousand heap tasks, most of them answering at
//! once from the row (`title`, `startsAt`). In the signed-in profiles of the events, members and
//! posts pages that machinery (boxing about 1.4 KB per field future, the task set's
//! allocations, wakers and atomics) was the largest single cost.
//!
//! [`InPlace`] is the same object to the schema (its name, fields and resolvers are `T`'s): its
//! fields are resolved by `T`'s own resolvers, all of them together (each field's load is
//! queued in the same poll, so the request's loaders batch across the page as the engine's
//! way does), held in one allocation per object, and answered in the order the query gives.
//! Selection sets this does not handle in the same way as the engine (fragments, directives, a
//! response key given twice) go to the engine's own path. The schema has no extensions, whose
//! per-field hooks this would pass by (`graphql::build_schema`).
use std::borrow::Cow;

use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::{resolve_container, ContainerType};
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};

/// `T`, resolved in place (see the module's documentation).
pub struct InPlace<T>(pub T);

impl<T: ContainerType + OutputType> OutputType for InPlace<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        resolve_in_place(ctx, &self.0).await
    }
}

/// Whether every selection is a field without directives, each under its own response key.
fn plain(ctx: &ContextSelectionSet<'_>) -> bool {
    let mut keys: Vec<&str> = Vec::with_capacity(ctx.item.node.items.len());
    for selection in &ctx.item.node.items {
        match &selection.node {
            Selection::Field(f) if f.node.directives.is_empty() => keys.push(f.node.response_key().node.as_str()),
            _ => return false,
        }
    }
    keys.sort_unstable();
    keys.windows(2).all(|w| w[0] != w[1])
}

async fn resolve_in_place<T: ContainerType + OutputType>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
) -> ServerResult<Value> {
    if !plain(ctx) {
        return resolve_container(ctx, root).await;
    }
    let fields: Vec<&Positioned<Field>> = ctx
        .item
        .node
        .items
        .iter()
        .filter_map(|s| match &s.node {
            Selection::Field(f) => Some(f),
            _ => None,
        })
        .collect();
    let contexts: Vec<_> = fields.iter().map(|f| ctx.with_field(f)).collect();
    // One future per field, all of one type: `join_all` keeps them in one boxed slice and polls
    // each until it is done.
    let answers = futures_util::future::join_all(fields.iter().zip(&contexts).map(|(field, ctx_field)| async move {
        if field.node.name.node == "__typename" {
            return Ok(Some(Value::String(root.introspection_type_name().into_owned())));
        }
        root.resolve_field(ctx_field).await
    }))
    .await;
    let mut object = async_graphql::indexmap::IndexMap::with_capacity(fields.len());
    for (field, answer) in fields.iter().zip(answers) {
        match answer {
            Ok(value) => {
                object.insert(field.node.response_key().node.clone(), value.unwrap_or_default());
            }
            // As the engine does: a field that fails is reported and left out of its object.
            Err(e) => ctx.add_error(e),
        }
    }
    Ok(if object.is_empty() { Value::Null } else { Value::Object(object) })
}
