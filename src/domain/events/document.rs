//! The event's ActivityPub document, as its group publishes it (the wire form is
//! `crate::ap::event`; who it goes to is [`super::federation`]).
use super::rules::open_seats;
use super::tags::tags;
use super::wording::{place, when};
use crate::db::enums::{EventStatus, LocationMode};
use crate::db::{event, group};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The event's ActivityPub document (Mobilizon-compatible), with its `@context`.
pub fn document(
    state: &AppState,
    e: &event::Model,
    group: &group::Model,
    organizer: Option<&crate::db::member::Model>,
    contributors: &[String],
    picture: Option<crate::ap::actor::Image>,
) -> AppResult<serde_json::Value> {
    use crate::ap::event as wire;
    let url =
        |s: &str| url::Url::parse(s).map_err(|err| AppError::internal(anyhow::anyhow!("stored URL {s:?}: {err}")));
    let when = when(e);
    let mut summary = format!("{} · {}", when.first().cloned().unwrap_or_default(), place(e));
    if when.len() > 1 {
        summary.push_str(&format!(" (and {} more sessions)", when.len() - 1));
    }
    if let Some(s) = &e.summary {
        summary.push_str(" — ");
        summary.push_str(s);
    }
    let remaining = open_seats(e);
    let join_mode = if e.external_registration_url.is_some() && remaining == Some(0) && e.held_seats == 0 {
        "external"
    } else if e.held_seats > 0 && remaining == Some(0) {
        "restricted"
    } else {
        "free"
    };
    let online = e.location_mode != LocationMode::InPerson;
    let doc = wire::EventDoc {
        id: url(&e.ap_id)?,
        name: e.title.clone(),
        summary,
        content: e.description_html.clone(),
        start: e.starts_at,
        end: e.ends_at,
        timezone: e.timezone.clone(),
        place: if e.location_mode == LocationMode::Online {
            wire::Place::Online
        } else {
            wire::Place::Venue {
                name: e.venue.clone(),
                street: e.address.clone(),
                locality: e.city.clone(),
                country: e.country.clone(),
            }
        },
        online,
        attributed_to: url(&group.ap_id)?,
        contributors: contributors.iter().filter_map(|c| url::Url::parse(c).ok()).collect(),
        organizer: organizer.map(|m| url(&m.ap_id)).transpose()?,
        followers: if group.local { Some(url(&crate::domain::actors::local_followers(&group.ap_id))?) } else { None },
        capacity: e.capacity,
        remaining,
        participants: e.seats_taken,
        join_mode,
        external_url: e.external_registration_url.clone(),
        cancelled: e.status == EventStatus::Cancelled,
        tags: tags(e)
            .into_iter()
            .filter_map(|t| {
                let href = url::Url::parse(&format!("{}/tags/{}", state.base_url(), t.replace(' ', "_"))).ok()?;
                Some((t.replace(' ', "_"), href))
            })
            .collect(),
        published: e.created_at,
        updated: e.updated_at,
        picture,
    };
    let mut v = wire::event(doc);
    if let Some(o) = v.as_object_mut() {
        o.insert("@context".into(), wire::context());
    }
    Ok(v)
}
