//! Personal calendar feeds: each member's secret-token address of the events they are GOING
//! to. The token is made on first use and replaced by `rotate` (the old address stops working).
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db::{event, member};
use crate::domain::events::{self, registrations};
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn new_token() -> String {
    crate::auth::random_token(24)
}

/// The address of a calendar token.
pub fn url(state: &AppState, token: &str) -> String {
    format!("{}/calendar/{token}.ics", state.base_url())
}

/// The viewer's calendar token, made on first use. Concurrent first uses agree on one.
pub async fn token(state: &AppState, viewer: &Viewer) -> AppResult<String> {
    let me = viewer.member()?;
    if let Some(t) = &me.calendar_token {
        return Ok(t.clone());
    }
    member::Entity::update_many()
        .col_expr(member::Column::CalendarToken, Expr::value(new_token()))
        .filter(member::Column::Id.eq(me.id))
        .filter(member::Column::CalendarToken.is_null())
        .exec(&state.db)
        .await?;
    member::Entity::find_by_id(me.id)
        .one(&state.db)
        .await?
        .and_then(|m| m.calendar_token)
        .ok_or_else(|| AppError::not_found("member"))
}

/// Replaces the viewer's calendar token.
pub async fn rotate(state: &AppState, viewer: &Viewer) -> AppResult<String> {
    let me = viewer.active_member()?;
    let token = new_token();
    member::Entity::update_many()
        .col_expr(member::Column::CalendarToken, Expr::value(token.clone()))
        .filter(member::Column::Id.eq(me.id))
        .exec(&state.db)
        .await?;
    Ok(token)
}

/// The member a token belongs to and the events they are GOING to and may still see (the
/// event visibility rule, `events::may_view`, asked now: a member who left the group, or
/// whose event became MEMBERS-only or a draft, no longer finds it here), or NOT_FOUND.
pub async fn feed(state: &AppState, token: &str) -> AppResult<(member::Model, Vec<event::Model>)> {
    if token.len() < 16 || token.len() > 64 {
        return Err(AppError::not_found("calendar"));
    }
    let m = member::Entity::find()
        .filter(member::Column::CalendarToken.eq(token))
        .filter(member::Column::Local.eq(true))
        .one(&state.db)
        .await?
        .filter(crate::domain::visibility::member_public)
        .ok_or_else(|| AppError::not_found("calendar"))?;
    let ids = registrations::going_event_ids(&state.db, m.id).await?;
    let going = event::Entity::find().filter(event::Column::Id.is_in(ids)).all(&state.db).await?;
    let viewer = Viewer::Member(Box::new(m.clone()));
    let mut events = Vec::with_capacity(going.len());
    for e in going {
        if events::may_view(&state.db, &viewer, &e).await? {
            events.push(e);
        }
    }
    Ok((m, events))
}
