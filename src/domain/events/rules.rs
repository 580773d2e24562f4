//! The rules of an event: who manages it (one function, [`manages`], that every caller asks),
//! who may change and see it, and the limits and checks of its fields.
use std::collections::HashMap;
use std::str::FromStr as _;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use super::hosts::host_ids;
use super::Session;
use crate::db::enums::{EventStatus, Role, Visibility};
use crate::db::{event, member, membership};
use crate::domain::validate;
use crate::domain::viewer::Viewer;
use crate::error::{AppError, AppResult};

pub const MAX_SESSIONS: usize = 60;
pub const MAX_AGENDA: usize = 50;
pub const MAX_FAQ: usize = 50;
pub const MAX_FACILITATORS: usize = 20;
pub const MAX_CO_HOSTS: usize = 10;
pub const MAX_TAGS: usize = 20;

/// An IANA time zone name.
pub fn parse_zone(name: &str) -> AppResult<chrono_tz::Tz> {
    chrono_tz::Tz::from_str(name.trim())
        .map_err(|_| AppError::bad_input("timezone", "timezone must be an IANA zone such as America/Los_Angeles"))
}

/// Sessions: at least one, each ending after it starts, none overlapping; sorted by start.
pub(super) fn check_sessions(mut sessions: Vec<Session>) -> AppResult<Vec<Session>> {
    if sessions.is_empty() {
        return Err(AppError::bad_input("sessions", "an event needs at least one session"));
    }
    if sessions.len() > MAX_SESSIONS {
        return Err(AppError::bad_input("sessions", format!("an event may have at most {MAX_SESSIONS} sessions")));
    }
    for s in &mut sessions {
        validate::time("sessions", s.starts_at)?;
        validate::time("sessions", s.ends_at)?;
        if s.ends_at <= s.starts_at {
            return Err(AppError::bad_input("sessions", "every session must end after it starts"));
        }
        if s.ends_at - s.starts_at > chrono::Duration::days(14) {
            return Err(AppError::bad_input("sessions", "a session may last at most 14 days; add one per day"));
        }
        s.title = validate::text("sessions", s.title.as_deref(), 200)?;
    }
    sessions.sort_by_key(|s| s.starts_at);
    if sessions.windows(2).any(|w| w[1].starts_at < w[0].ends_at) {
        return Err(AppError::bad_input("sessions", "sessions must not overlap"));
    }
    Ok(sessions)
}

pub(super) fn check_price(amount: &str, currency: &str) -> AppResult<(String, String)> {
    let amount = amount.trim();
    let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 12
        || frac.len() > 4
        || !digits(whole)
        || !digits(frac)
        || amount.ends_with('.')
    {
        return Err(AppError::bad_input("price", "price.amount must be a decimal such as 350.00"));
    }
    let currency = currency.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::bad_input("price", "price.currency must be an ISO 4217 code such as USD"));
    }
    Ok((amount.to_string(), currency))
}

pub(super) fn check_count(field: &str, n: usize, max: usize) -> AppResult<()> {
    if n > max {
        return Err(AppError::bad_input(field, format!("{field} may have at most {max} items")));
    }
    Ok(())
}

/// What [`manages`] looks at: the group an event belongs to, its organiser, and its host
/// groups (its own group first, then co-hosts).
#[derive(Clone, Copy, Debug)]
pub struct Hosting<'a> {
    pub group_id: Uuid,
    pub organizer_id: Option<Uuid>,
    pub hosts: &'a [Uuid],
}

impl<'a> Hosting<'a> {
    /// An event's, with its host groups as the caller loaded them.
    pub fn of(e: &event::Model, hosts: &'a [Uuid]) -> Self {
        Hosting { group_id: e.group_id, organizer_id: e.organizer_id, hosts }
    }
}

/// Who manages an event (changes and cancels it, sees its drafts, registrations and online
/// link), the one rule, over what the caller loaded: instance admins, its organiser,
/// moderators and up of its own group, admins and up of a co-hosting group. `roles` are the
/// member's roles by group (lists load them for many events at once); creating an event in a
/// group asks it of the event the group would host.
pub fn manages(me: &member::Model, hosting: Hosting<'_>, roles: &HashMap<Uuid, Role>) -> bool {
    if me.is_admin || hosting.organizer_id == Some(me.id) {
        return true;
    }
    hosting.hosts.iter().any(|g| match roles.get(g) {
        Some(role) if *g == hosting.group_id => *role >= Role::Moderator,
        Some(role) => *role >= Role::Admin,
        None => false,
    })
}

/// [`manages`] for the viewer, loading their roles in the event's host groups (none when the
/// rule already holds without them).
pub async fn may_manage<C: ConnectionTrait>(conn: &C, viewer: &Viewer, e: &event::Model) -> AppResult<bool> {
    let Some(me) = viewer.optional()? else { return Ok(false) };
    if manages(me, Hosting::of(e, &[]), &HashMap::new()) {
        return Ok(true);
    }
    let hosts = host_ids(conn, e).await?;
    let hosting = Hosting::of(e, &hosts);
    let roles = membership::Entity::find()
        .filter(membership::Column::MemberId.eq(me.id))
        .filter(membership::Column::GroupId.is_in(hosts.clone()))
        .all(conn)
        .await?;
    let roles: HashMap<Uuid, Role> = roles.into_iter().map(|m| (m.group_id, m.role)).collect();
    Ok(manages(me, hosting, &roles))
}

/// Whether the viewer may change or cancel the event: only an event of this server (a remote
/// one is changed, cancelled or deleted by its origin alone), and only by its hosts.
pub async fn ensure_changeable<C: ConnectionTrait>(conn: &C, viewer: &Viewer, e: &event::Model) -> AppResult<()> {
    if !e.local {
        return Err(AppError::bad_input("id", "remote events are changed and cancelled on their own server"));
    }
    if !may_manage(conn, viewer, e).await? {
        return Err(AppError::forbidden("only the event's hosts may change or cancel it"));
    }
    Ok(())
}

/// Whether the viewer may see the event: drafts only its hosts, MEMBERS events the members of
/// its host groups (and hosts), PUBLIC and UNLISTED anyone who has the id.
pub async fn may_view<C: ConnectionTrait>(conn: &C, viewer: &Viewer, e: &event::Model) -> AppResult<bool> {
    if e.status == EventStatus::Draft {
        return may_manage(conn, viewer, e).await;
    }
    match e.visibility {
        Visibility::Public | Visibility::Unlisted => Ok(true),
        Visibility::Members => {
            let Some(me) = viewer.optional()? else { return Ok(false) };
            if me.is_admin {
                return Ok(true);
            }
            let hosts = host_ids(conn, e).await?;
            let member = membership::Entity::find()
                .filter(membership::Column::MemberId.eq(me.id))
                .filter(membership::Column::GroupId.is_in(hosts))
                .filter(membership::Column::Role.ne(Role::Pending))
                .count(conn)
                .await?;
            Ok(member > 0 || may_manage(conn, viewer, e).await?)
        }
    }
}

/// Seats registrants can still take: capacity less taken and held seats; `None` when unlimited.
pub fn open_seats(e: &event::Model) -> Option<i32> {
    e.capacity.map(|c| std::cmp::max(c - e.seats_taken - e.held_seats, 0))
}
