//! Events of groups on other servers, stored here: received (by `ap_id`, updated in place,
//! never duplicated) and removed by their group.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::ap::participation;
use crate::db::enums::{EventStatus, LocationMode, Visibility};
use crate::db::{self, event, event_host, group, registration};
use crate::domain::events::rules::parse_zone;
use crate::domain::events::tags::write_tags;
use crate::domain::events::Session;
use crate::domain::{markdown, search};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What a remote event says, as the adapter read it.
pub struct IncomingEvent {
    pub ap_id: String,
    pub url: String,
    pub title: String,
    pub summary: Option<String>,
    pub html: Option<String>,
    pub starts_at: chrono::DateTime<Utc>,
    pub ends_at: chrono::DateTime<Utc>,
    pub timezone: String,
    pub online: bool,
    pub venue: Option<participation::Venue>,
    pub capacity: Option<i32>,
    pub remaining: Option<i32>,
    pub cancelled: bool,
    pub external_url: Option<String>,
    pub tags: Vec<String>,
    pub public: bool,
    /// Referenced where it is, never copied.
    pub picture: Option<crate::ap::actor::Image>,
    /// When its server last changed it, if it says.
    pub updated: Option<chrono::DateTime<Utc>>,
}

fn clip(s: &str, n: usize) -> String {
    s.trim().chars().filter(|c| !c.is_control() || *c == '\n').take(n).collect()
}

/// Stores (or updates in place) an event of a group we follow on another server.
pub async fn receive(state: &AppState, g: &group::Model, ev: IncomingEvent) -> AppResult<event::Model> {
    let html = match ev.html.as_deref() {
        Some(h) if h.chars().count() > 100_000 => return Err(AppError::bad_input("content", "the text is too long")),
        Some(h) => Some(markdown::sanitize(h)),
        None => None,
    };
    let timezone = parse_zone(&ev.timezone).map(|_| ev.timezone.clone()).unwrap_or_else(|_| "UTC".into());
    let ends_at = if ev.ends_at > ev.starts_at { ev.ends_at } else { ev.starts_at + chrono::Duration::hours(1) };
    let sessions = serde_json::to_value([Session { starts_at: ev.starts_at, ends_at, title: None }])
        .map_err(AppError::internal)?;
    let mode = match (&ev.venue, ev.online) {
        (Some(_), true) => LocationMode::Hybrid,
        (Some(_), false) => LocationMode::InPerson,
        (None, _) => LocationMode::Online,
    };
    let participation::Venue { name: venue, street, locality: city, country } = ev.venue.unwrap_or_default();
    let capacity = ev.capacity.filter(|c| *c >= 0);
    let taken = match (capacity, ev.remaining) {
        (Some(c), Some(r)) => (c - r.clamp(0, c)).max(0),
        _ => 0,
    };
    let tags: Vec<String> = ev.tags.iter().map(|t| clip(t, 60)).filter(|t| !t.is_empty()).take(20).collect();
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    let existing = event::Entity::find().filter(event::Column::ApId.eq(&ev.ap_id)).one(&txn).await?;
    if let Some(x) = &existing {
        if x.local || x.group_id != g.id {
            return Err(AppError::forbidden("that event belongs to another group"));
        }
        // A late delivery of an older state (a retry, two updates in flight) changes nothing.
        if let (Some(had), Some(new)) = (x.remote_updated_at, ev.updated) {
            if new < had {
                txn.rollback().await?;
                return Ok(x.clone());
            }
        }
    }
    let id = existing.as_ref().map(|x| x.id).unwrap_or_else(Uuid::now_v7);
    let mut row: event::ActiveModel = match &existing {
        Some(x) => x.clone().into(),
        None => event::ActiveModel {
            id: Set(id),
            ap_id: Set(ev.ap_id.clone()),
            local: Set(false),
            group_id: Set(g.id),
            organizer_id: Set(None),
            description: Set(None),
            online_url: Set(None),
            held_seats: Set(0),
            waitlist_enabled: Set(false),
            waitlist_count: Set(0),
            request_count: Set(0),
            registration_closes_at: Set(None),
            refund_policy: Set(None),
            contact_email: Set(None),
            price_amount: Set(None),
            price_currency: Set(None),
            payment_url: Set(None),
            agenda: Set(serde_json::json!([])),
            faq: Set(serde_json::json!([])),
            facilitators: Set(serde_json::json!([])),
            cancel_reason: Set(None),
            sequence: Set(0),
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.local = Set(false);
    row.url = Set(Some(ev.url.clone()));
    row.title = Set(clip(&ev.title, 200));
    row.summary = Set(ev.summary.as_deref().map(|s| clip(s, 500)).filter(|s| !s.is_empty()));
    row.description_html = Set(html);
    row.timezone = Set(timezone);
    row.starts_at = Set(ev.starts_at);
    row.ends_at = Set(ends_at);
    row.sessions = Set(sessions);
    row.location_mode = Set(mode);
    row.venue = Set(venue);
    row.address = Set(street);
    row.city = Set(city);
    row.country = Set(country);
    row.capacity = Set(capacity);
    row.seats_taken = Set(taken);
    // Checked by the link rule where it was read.
    row.external_registration_url = Set(ev.external_url);
    row.tags = Set(serde_json::json!(tags));
    row.visibility = Set(if ev.public { Visibility::Public } else { Visibility::Unlisted });
    row.status = Set(if ev.cancelled { EventStatus::Cancelled } else { EventStatus::Published });
    let picture = crate::domain::media::reference(&txn, g.id, ev.picture.as_ref()).await?;
    row.picture_id = Set(picture);
    row.updated_at = Set(now);
    row.last_refreshed_at = Set(Some(now));
    if ev.updated.is_some() {
        row.remote_updated_at = Set(ev.updated);
    }
    if existing.is_some() {
        let seq = existing.as_ref().map(|x| x.sequence + 1).unwrap_or(0);
        row.sequence = Set(seq);
        row.update(&txn).await?;
    } else {
        row.insert(&txn).await?;
        event_host::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_id: Set(id),
            group_id: Set(g.id),
            position: Set(0),
            confirmed: Set(true),
        }
        .insert(&txn)
        .await?;
    }
    crate::domain::media::replaced(&txn, existing.as_ref().and_then(|x| x.picture_id), picture).await?;
    let saved = event::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("event"))?;
    write_tags(&txn, &saved).await?;
    search::index_event(&txn, &saved).await?;
    txn.commit().await?;
    state.bus.publish(&state.db, crate::bus::Change::Event { id }).await;
    Ok(saved)
}

/// A `Delete` of a remote event by its group (or its server): it goes, with its registrations.
pub async fn remove(state: &AppState, group_ap_id: &str, ap_id: &str) -> AppResult<bool> {
    let Some(e) = event::Entity::find().filter(event::Column::ApId.eq(ap_id)).one(&state.db).await? else {
        return Ok(false);
    };
    let g = group::Entity::find_by_id(e.group_id).one(&state.db).await?;
    if e.local || g.is_none_or(|g| g.ap_id != group_ap_id) {
        return Err(AppError::forbidden("only its group may delete an event"));
    }
    let txn = db::begin_write(&state.db).await?;
    registration::Entity::delete_many().filter(registration::Column::EventId.eq(e.id)).exec(&txn).await?;
    event_host::Entity::delete_many().filter(event_host::Column::EventId.eq(e.id)).exec(&txn).await?;
    event::Entity::delete_by_id(e.id).exec(&txn).await?;
    search::remove(&txn, search::Kind::Event, e.id).await?;
    txn.commit().await?;
    Ok(true)
}

/// A local event by its ActivityPub id (what a `Join` names).
pub async fn local_by_ap_id(state: &AppState, ap_id: &str) -> AppResult<Option<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::ApId.eq(ap_id))
        .filter(event::Column::Local.eq(true))
        .one(&state.db)
        .await?)
}
