//! The event row's JSON columns (sessions, agenda, FAQ, facilitators): written from and read
//! into the types of [`super`].
use serde::{Deserialize, Serialize};

use super::{AgendaItem, Facilitator, FaqItem, Session};
use crate::db::event;
use crate::error::{AppError, AppResult};

/// A value as its JSON column stores it.
pub(super) fn json<T: Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(AppError::internal)
}

fn stored<T: for<'de> Deserialize<'de>>(v: &serde_json::Value) -> AppResult<T> {
    serde_json::from_value(v.clone()).map_err(|e| AppError::internal(anyhow::anyhow!("stored event JSON: {e}")))
}

/// The sessions of an event row, in order.
pub fn sessions(e: &event::Model) -> AppResult<Vec<Session>> {
    stored(&e.sessions)
}
pub fn agenda(e: &event::Model) -> AppResult<Vec<AgendaItem>> {
    stored(&e.agenda)
}
pub fn faq(e: &event::Model) -> AppResult<Vec<FaqItem>> {
    stored(&e.faq)
}
pub fn facilitators(e: &event::Model) -> AppResult<Vec<Facilitator>> {
    stored(&e.facilitators)
}
