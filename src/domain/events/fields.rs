//! Checks an event's fields (`createEvent`, `updateEvent`) and applies them onto its row.
use sea_orm::Set;
use uuid::Uuid;

use super::codec::json;
use super::rules::{check_count, check_price, check_sessions, parse_zone};
use super::rules::{MAX_AGENDA, MAX_CO_HOSTS, MAX_FACILITATORS, MAX_FAQ, MAX_TAGS};
use super::{AgendaItem, EventFields, Facilitator, FaqItem};
use crate::db::enums::{EventStatus, LocationMode};
use crate::db::event;
use crate::domain::{groups, markdown, members, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Checks and applies `fields` onto `row`. Writes nothing.
pub(super) async fn apply(
    state: &AppState,
    row: &mut event::ActiveModel,
    current: Option<&event::Model>,
    f: EventFields,
) -> AppResult<Option<Vec<Uuid>>> {
    if let Some(v) = f.title {
        row.title = Set(validate::required_text("title", &v, 200)?);
    }
    if let Some(v) = f.summary {
        row.summary = Set(validate::text("summary", Some(&v), 1000)?);
    }
    if let Some(v) = f.description {
        let d = validate::text("description", Some(&v), 50_000)?;
        row.description_html = Set(d.as_deref().map(markdown::render));
        row.description = Set(d);
    }
    if let Some(v) = f.timezone {
        row.timezone = Set(parse_zone(&v)?.name().to_string());
    }
    if let Some(v) = f.sessions {
        let sessions = check_sessions(v)?;
        let (first, last) = match (sessions.first(), sessions.iter().map(|s| s.ends_at).max()) {
            (Some(first), Some(last)) => (first.starts_at, last),
            _ => return Err(AppError::bad_input("sessions", "an event needs at least one session")),
        };
        row.starts_at = Set(first);
        row.ends_at = Set(last);
        row.sessions = Set(json(&sessions)?);
    }
    if let Some(loc) = f.location {
        let mode = loc.mode.ok_or_else(|| AppError::bad_input("location", "location.mode is required"))?;
        let online_url = loc.online_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let online_url = online_url.map(|u| validate::http_url("location", u)).transpose()?;
        let venue = validate::text("location", loc.venue.as_deref(), 200)?;
        if mode == LocationMode::InPerson
            && venue.is_none()
            && loc.address.as_deref().is_none_or(|a| a.trim().is_empty())
        {
            return Err(AppError::bad_input("location", "an in-person event needs a venue or an address"));
        }
        row.location_mode = Set(mode);
        row.venue = Set(venue);
        row.address = Set(validate::text("location", loc.address.as_deref(), 300)?);
        row.city = Set(validate::text("location", loc.city.as_deref(), 100)?);
        row.country = Set(validate::text("location", loc.country.as_deref(), 100)?);
        row.online_url = Set(online_url);
    }
    if let Some(v) = f.capacity {
        if v.is_some_and(|c| !(1..=1_000_000).contains(&c)) {
            return Err(AppError::bad_input("capacity", "capacity must be between 1 and 1,000,000, or null"));
        }
        row.capacity = Set(v);
    }
    if let Some(v) = f.held_seats {
        if v < 0 {
            return Err(AppError::bad_input("heldSeats", "heldSeats must not be negative"));
        }
        row.held_seats = Set(v);
    }
    if let Some(v) = f.waitlist {
        row.waitlist_enabled = Set(v);
    }
    if let Some(v) = f.registration_closes_at {
        let v = v.map(|t| validate::time("registrationClosesAt", t)).transpose()?;
        row.registration_closes_at = Set(v);
    }
    if let Some(v) = f.refund_policy {
        row.refund_policy = Set(validate::text("refundPolicy", Some(&v), 2000)?);
    }
    if let Some(v) = f.contact_email {
        row.contact_email =
            Set(if v.trim().is_empty() { None } else { Some(validate::email(&v).map_err(|_| bad_email())?) });
    }
    if let Some(v) = f.external_registration_url {
        row.external_registration_url = Set(optional_url("externalRegistrationUrl", &v)?);
    }
    if let Some(v) = f.payment_url {
        row.payment_url = Set(optional_url("paymentUrl", &v)?);
    }
    if let Some(price) = f.price {
        let checked = price.map(|(a, c)| check_price(&a, &c)).transpose()?;
        row.price_amount = Set(checked.as_ref().map(|(a, _)| a.clone()));
        row.price_currency = Set(checked.map(|(_, c)| c));
    }
    if let Some(items) = f.agenda {
        check_count("agenda", items.len(), MAX_AGENDA)?;
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            out.push(AgendaItem {
                title: validate::required_text("agenda", &i.title, 300)?,
                description: validate::text("agenda", i.description.as_deref(), 2000)?,
                starts_at: i.starts_at.map(|t| validate::time("agenda", t)).transpose()?,
            });
        }
        row.agenda = Set(json(&out)?);
    }
    if let Some(items) = f.faq {
        check_count("faq", items.len(), MAX_FAQ)?;
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            out.push(FaqItem {
                question: validate::required_text("faq", &i.question, 500)?,
                answer: validate::required_text("faq", &i.answer, 5000)?,
            });
        }
        row.faq = Set(json(&out)?);
    }
    if let Some(items) = f.facilitators {
        check_count("facilitators", items.len(), MAX_FACILITATORS)?;
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            let role = validate::text("facilitators", i.role.as_deref(), 100)?;
            let handle = i.member_handle.as_deref().map(str::trim).filter(|h| !h.is_empty());
            let member = match handle {
                Some(h) => Some(
                    members::find_named(state, h)
                        .await?
                        .filter(crate::domain::visibility::member_public)
                        .ok_or_else(|| AppError::bad_input("facilitators", format!("no member {h} is known here")))?,
                ),
                None => None,
            };
            let name = match (validate::text("facilitators", i.name.as_deref(), 200)?, &member) {
                (Some(n), _) => n,
                (None, Some(m)) => m.display_name.clone().unwrap_or_else(|| m.username.clone()),
                (None, None) => {
                    return Err(AppError::bad_input("facilitators", "a facilitator needs a name or a memberHandle"))
                }
            };
            out.push(Facilitator { name, member_id: member.map(|m| m.id), role });
        }
        row.facilitators = Set(json(&out)?);
    }
    if let Some(v) = f.tags {
        check_count("tags", v.len(), MAX_TAGS)?;
        let tags: Vec<String> =
            validate::labels("tags", &v, MAX_TAGS, 40)?.into_iter().map(|t| t.to_lowercase()).collect();
        row.tags = Set(json(&tags)?);
    }
    if let Some(v) = f.visibility {
        row.visibility = Set(v);
    }
    if let Some(v) = f.status {
        if v == EventStatus::Cancelled {
            return Err(AppError::bad_input("status", "use cancelEvent to cancel an event"));
        }
        if v == EventStatus::Draft && current.is_some_and(|c| c.status != EventStatus::Draft) {
            return Err(AppError::bad_input("status", "a published event cannot go back to draft"));
        }
        row.status = Set(v);
    }
    // Seat arithmetic over the row as it will be.
    let capacity = value_of(&row.capacity).flatten();
    let held = value_of(&row.held_seats).unwrap_or(0);
    let taken = current.map(|c| c.seats_taken).unwrap_or(0);
    match capacity {
        None if held > 0 => return Err(AppError::bad_input("heldSeats", "held seats need a capacity")),
        Some(c) if taken + held > c => {
            return Err(AppError::bad_input(
                "capacity",
                format!("{taken} seats are taken and {held} held: the capacity cannot be below {}", taken + held),
            ))
        }
        _ => {}
    }
    let co_hosts = match f.co_hosts {
        Some(handles) => {
            check_count("coHosts", handles.len(), MAX_CO_HOSTS)?;
            let mut ids = Vec::new();
            for h in handles {
                let g = groups::find_named(state, &h)
                    .await?
                    .ok_or_else(|| AppError::bad_input("coHosts", format!("no group {h} is known here")))?;
                if !ids.contains(&g.id) {
                    ids.push(g.id);
                }
            }
            Some(ids)
        }
        None => None,
    };
    Ok(co_hosts)
}

fn value_of<T: Clone + Into<sea_orm::Value>>(v: &sea_orm::ActiveValue<T>) -> Option<T> {
    match v {
        sea_orm::ActiveValue::Set(x) | sea_orm::ActiveValue::Unchanged(x) => Some(x.clone()),
        sea_orm::ActiveValue::NotSet => None,
    }
}

fn bad_email() -> AppError {
    AppError::bad_input("contactEmail", "contactEmail is not an email address")
}

fn optional_url(field: &str, v: &str) -> AppResult<Option<String>> {
    if v.trim().is_empty() {
        Ok(None)
    } else {
        validate::http_url(field, v).map(Some)
    }
}
