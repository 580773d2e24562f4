//! Creating, changing and cancelling an event, by its hosts: each in one transaction with its
//! host and tag rows, its search entry, its waitlist and what goes to other servers.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use super::federation::{self as fed, Change as Federated};
use super::fields::apply;
use super::hosts::set_hosts;
use super::lookup::{get, lock};
use super::registrations;
use super::rules::{ensure_changeable, manages, Hosting};
use super::tags::write_tags;
use super::wording::when;
use super::EventFields;
use crate::bus::Change;
use crate::db::enums::{EventStatus, Role, Visibility};
use crate::db::{self, event};
use crate::domain::viewer::Viewer;
use crate::domain::{groups, search, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The URL of a local event (also its ActivityPub id).
pub fn event_url(state: &AppState, id: Uuid) -> String {
    format!("{}/events/{id}", state.base_url())
}

/// Publishes (or drafts) a new event in a group. Group moderators and up, and instance admins.
pub async fn create(state: &AppState, viewer: &Viewer, group_id: Uuid, mut f: EventFields) -> AppResult<event::Model> {
    let me = viewer.active_member()?;
    let picture = crate::domain::media::attach(&state.db, me.id, "pictureId", f.picture.take()).await?;
    let g = groups::get(&state.db, group_id).await.map_err(|_| AppError::bad_input("groupId", "no such group"))?;
    if !g.local {
        return Err(AppError::bad_input("groupId", "events are created in local groups"));
    }
    let roles: HashMap<Uuid, Role> =
        groups::membership_of(&state.db, g.id, me.id).await?.map(|m| (g.id, m.role)).into_iter().collect();
    let proposed = Hosting { group_id: g.id, organizer_id: None, hosts: &[g.id] };
    if !manages(me, proposed, &roles) {
        return Err(AppError::forbidden("only the group's moderators, admins and owners may create its events"));
    }
    for (present, field) in [
        (f.title.is_some(), "title"),
        (f.timezone.is_some(), "timezone"),
        (f.sessions.is_some(), "sessions"),
        (f.location.is_some(), "location"),
    ] {
        if !present {
            return Err(AppError::bad_input(field, format!("{field} is required")));
        }
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let url = event_url(state, id);
    let mut row = event::ActiveModel {
        id: Set(id),
        ap_id: Set(url.clone()),
        local: Set(true),
        url: Set(Some(url)),
        group_id: Set(g.id),
        organizer_id: Set(Some(me.id)),
        summary: Set(None),
        description: Set(None),
        description_html: Set(None),
        venue: Set(None),
        address: Set(None),
        city: Set(None),
        country: Set(None),
        online_url: Set(None),
        capacity: Set(None),
        held_seats: Set(0),
        seats_taken: Set(0),
        waitlist_enabled: Set(true),
        waitlist_count: Set(0),
        request_count: Set(0),
        registration_closes_at: Set(None),
        refund_policy: Set(None),
        contact_email: Set(None),
        external_registration_url: Set(None),
        price_amount: Set(None),
        price_currency: Set(None),
        payment_url: Set(None),
        agenda: Set(serde_json::json!([])),
        faq: Set(serde_json::json!([])),
        facilitators: Set(serde_json::json!([])),
        tags: Set(serde_json::json!([])),
        visibility: Set(Visibility::Public),
        status: Set(EventStatus::Published),
        cancel_reason: Set(None),
        sequence: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        last_refreshed_at: Set(None),
        remote_updated_at: Set(None),
        picture_id: Set(picture.flatten().map(|m| m.id)),
        ..Default::default()
    };
    let co_hosts = apply(state, &mut row, None, f).await?;
    let federates = fed::prepare_group(state, g.id).await?;
    let offers = fed::prepare_offers(state, g.id, co_hosts.as_deref()).await?;
    let txn = db::begin_write(&state.db).await?;
    let created = row.insert(&txn).await?;
    write_tags(&txn, &created).await?;
    set_hosts(&txn, viewer, created.id, g.id, co_hosts.unwrap_or_default()).await?;
    let created = lock(&txn, created.id).await?;
    search::index_event(&txn, &created).await?;
    if federates {
        fed::publish(&txn, state, &created, Federated::Create, false).await?;
    }
    if offers {
        fed::offer_cohosts(&txn, state, &created).await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// Changes an event; its hosts only. Freed seats (a larger capacity, fewer held seats) go to
/// the waitlist at once.
pub async fn update(state: &AppState, viewer: &Viewer, id: Uuid, mut f: EventFields) -> AppResult<event::Model> {
    let me = viewer.active_member()?.id;
    let current = get(state, viewer, id).await?;
    ensure_changeable(&state.db, viewer, &current).await?;
    if current.status == EventStatus::Cancelled {
        return Err(AppError::conflict("this event was cancelled; it cannot be changed"));
    }
    let picture = crate::domain::media::attach(&state.db, me, "pictureId", f.picture.take()).await?;
    let federates = fed::prepare(state, &current).await?;
    let txn = db::begin_write(&state.db).await?;
    // Re-read under the write lock (row-locked on PostgreSQL): seat counts may have moved.
    let current = lock(&txn, id).await?;
    let mut row: event::ActiveModel = current.clone().into();
    if let Some(picture) = picture {
        row.picture_id = Set(picture.map(|m| m.id));
    }
    let co_hosts = apply(state, &mut row, Some(&current), f).await?;
    let offers = fed::prepare_offers(state, current.group_id, co_hosts.as_deref()).await?;
    row.sequence = Set(current.sequence + 1);
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await?;
    if updated.tags != current.tags {
        write_tags(&txn, &updated).await?;
    }
    if let Some(co) = co_hosts {
        set_hosts(&txn, viewer, updated.id, updated.group_id, co).await?;
    }
    if offers {
        fed::offer_cohosts(&txn, state, &updated).await?;
    }
    registrations::promote_waitlist(&txn, state, updated.id).await?;
    let updated = lock(&txn, id).await?;
    if updated.starts_at != current.starts_at {
        let key = format!("moved:{}:{}", updated.id, updated.starts_at.timestamp());
        crate::domain::mail::queue_registrants(
            &txn,
            state,
            updated.id,
            crate::domain::mail::MailKind::EventChange,
            &key,
        )
        .await?;
    }
    search::index_event(&txn, &updated).await?;
    if federates {
        fed::publish(&txn, state, &updated, Federated::Update, fed::was_sent(&current)).await?;
        if updated.starts_at != current.starts_at || updated.ends_at != current.ends_at {
            let text = format!("New date: {}", when(&updated).join("; "));
            fed::announce_note(&txn, state, &updated, &text).await?;
        }
    }
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Event { id }).await;
    Ok(updated)
}

/// Cancels an event; its hosts only. Registrations stay as they were (the attendees' record),
/// and new ones are refused.
pub async fn cancel(state: &AppState, viewer: &Viewer, id: Uuid, reason: Option<String>) -> AppResult<event::Model> {
    viewer.active_member()?;
    let current = get(state, viewer, id).await?;
    ensure_changeable(&state.db, viewer, &current).await?;
    if current.status == EventStatus::Cancelled {
        return Ok(current);
    }
    let reason = validate::text("reason", reason.as_deref(), 1000)?;
    let federates = fed::prepare(state, &current).await?;
    let txn = db::begin_write(&state.db).await?;
    let current = lock(&txn, id).await?;
    let mut row: event::ActiveModel = current.clone().into();
    row.status = Set(EventStatus::Cancelled);
    row.cancel_reason = Set(reason);
    row.sequence = Set(current.sequence + 1);
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await?;
    let key = format!("cancelled:{}", updated.id);
    crate::domain::mail::queue_registrants(&txn, state, updated.id, crate::domain::mail::MailKind::EventChange, &key)
        .await?;
    if federates {
        fed::publish(&txn, state, &updated, Federated::Update, fed::was_sent(&current)).await?;
        let mut text =
            format!("Cancelled: {} ({})", updated.title, when(&updated).first().cloned().unwrap_or_default());
        if let Some(r) = &updated.cancel_reason {
            text.push_str(&format!(". {r}"));
        }
        fed::announce_note(&txn, state, &updated, &text).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Event { id }).await;
    Ok(updated)
}
