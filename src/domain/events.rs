//! Events: creation and changes by their hosts, who may see them, and listing. Registration
//! (seats, waitlist, held seats) is in [`crate::domain::registrations`].
use std::collections::HashMap;
use std::str::FromStr as _;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::bus::Change;
use crate::db::enums::{EventStatus, LocationMode, Role, Visibility};
use crate::db::{self, event, event_host, event_tag, group, member, membership};
use crate::domain::event_federation::Change as Federated;
use crate::domain::pagination::{Page, PageRequest};
use crate::domain::viewer::Viewer;
use crate::domain::{groups, markdown, members, validate};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// One session of an event (a multi-day course has one per day).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    // Rows stored before sessions were written through this type spelled the keys in snake
    // case (remote events); they read the same.
    #[serde(alias = "starts_at")]
    pub starts_at: DateTime<Utc>,
    #[serde(alias = "ends_at")]
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgendaItem {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaqItem {
    pub question: String,
    pub answer: String,
}

/// A facilitator: a member of this or another instance, or a plain name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Facilitator {
    pub name: String,
    #[serde(default)]
    pub member_id: Option<Uuid>,
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct LocationInput {
    pub mode: Option<LocationMode>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub online_url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct FacilitatorInput {
    pub name: Option<String>,
    pub member_handle: Option<String>,
    pub role: Option<String>,
}

/// The fields of `createEvent` and `updateEvent`. On update `None` leaves a field as it is;
/// on create the required ones (title, timezone, sessions, location) must be present.
#[derive(Clone, Debug, Default)]
pub struct EventFields {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub timezone: Option<String>,
    pub sessions: Option<Vec<Session>>,
    pub location: Option<LocationInput>,
    pub capacity: Option<Option<i32>>,
    pub held_seats: Option<i32>,
    pub waitlist: Option<bool>,
    pub registration_closes_at: Option<Option<DateTime<Utc>>>,
    pub refund_policy: Option<String>,
    pub contact_email: Option<String>,
    pub external_registration_url: Option<String>,
    pub price: Option<Option<(String, String)>>,
    pub payment_url: Option<String>,
    pub agenda: Option<Vec<AgendaItem>>,
    pub faq: Option<Vec<FaqItem>>,
    pub facilitators: Option<Vec<FacilitatorInput>>,
    pub co_hosts: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    pub status: Option<EventStatus>,
}

pub const MAX_SESSIONS: usize = 60;
pub const MAX_AGENDA: usize = 50;
pub const MAX_FAQ: usize = 50;
pub const MAX_FACILITATORS: usize = 20;
pub const MAX_CO_HOSTS: usize = 10;
pub const MAX_TAGS: usize = 20;

fn json<T: Serialize>(v: &T) -> AppResult<serde_json::Value> {
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
pub fn tags(e: &event::Model) -> Vec<String> {
    serde_json::from_value(e.tags.clone()).unwrap_or_default()
}

/// An IANA time zone name.
pub fn parse_zone(name: &str) -> AppResult<chrono_tz::Tz> {
    chrono_tz::Tz::from_str(name.trim())
        .map_err(|_| AppError::bad_input("timezone", "timezone must be an IANA zone such as America/Los_Angeles"))
}

/// Sessions: at least one, each ending after it starts, none overlapping; sorted by start.
fn check_sessions(mut sessions: Vec<Session>) -> AppResult<Vec<Session>> {
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

fn check_price(amount: &str, currency: &str) -> AppResult<(String, String)> {
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

fn check_count(field: &str, n: usize, max: usize) -> AppResult<()> {
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

/// The key a tag is stored under in `event_tag` and looked up by: trimmed, lowercase. (Migration
/// m0013 fills the rows with the same rule.)
pub fn tag_key(t: &str) -> String {
    t.trim().to_lowercase()
}

/// Writes the event's `event_tag` rows from its `tags`, in the caller's transaction: what the
/// tag filter reads.
pub async fn write_tags<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<()> {
    event_tag::Entity::delete_many().filter(event_tag::Column::EventId.eq(e.id)).exec(conn).await?;
    let tags: Vec<String> = serde_json::from_value(e.tags.clone()).unwrap_or_default();
    let mut keys: Vec<String> = Vec::with_capacity(tags.len());
    for key in tags.iter().map(|t| tag_key(t)) {
        if !key.is_empty() && !keys.contains(&key) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Ok(());
    }
    let rows = keys.into_iter().map(|tag| event_tag::ActiveModel { event_id: Set(e.id), tag: Set(tag) });
    event_tag::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}

/// The host group ids of an event (its confirmed `event_host` rows): its own group first, then
/// co-hosts.
pub async fn host_ids<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<Uuid>> {
    let ids = host_rows(conn, e.id, true).await?;
    Ok(if ids.is_empty() { vec![e.group_id] } else { ids })
}

/// An event's host groups and the groups invited to co-host that have not answered yet.
#[derive(Clone, Debug, Default)]
pub struct EventHosts {
    /// In host order: its own group first, then co-hosts. An event without host rows is hosted
    /// by its own group alone.
    pub hosts: Vec<group::Model>,
    /// In the order invited.
    pub invited: Vec<group::Model>,
}

/// The [`EventHosts`] of many events (a list's), given as `(event id, its group id)`: the host
/// rows with their groups in one statement, and the own groups of events without host rows in
/// one more (only when there are any). Every event given has an entry.
pub async fn hosts_and_invited_of_many<C: ConnectionTrait>(
    conn: &C,
    events: &[(Uuid, Uuid)],
) -> AppResult<HashMap<Uuid, EventHosts>> {
    let mut out: HashMap<Uuid, EventHosts> = events.iter().map(|(e, _)| (*e, EventHosts::default())).collect();
    let rows = event_host::Entity::find()
        .find_also_related(group::Entity)
        .filter(event_host::Column::EventId.is_in(events.iter().map(|(e, _)| *e)))
        .order_by_asc(event_host::Column::EventId)
        .order_by_asc(event_host::Column::Position)
        .all(conn)
        .await?;
    for (h, g) in rows {
        let (Some(g), Some(found)) = (g, out.get_mut(&h.event_id)) else { continue };
        if h.confirmed {
            found.hosts.push(g);
        } else {
            found.invited.push(g);
        }
    }
    // No host rows: its group is its host.
    let unhosted: Vec<Uuid> =
        events.iter().filter(|(e, _)| out.get(e).is_some_and(|f| f.hosts.is_empty())).map(|(_, g)| *g).collect();
    if !unhosted.is_empty() {
        let own: HashMap<Uuid, group::Model> =
            groups::load_many(conn, &unhosted).await?.into_iter().map(|g| (g.id, g)).collect();
        for (e, g) in events {
            if let (Some(found), Some(g)) = (out.get_mut(e), own.get(g)) {
                if found.hosts.is_empty() {
                    found.hosts.push(g.clone());
                }
            }
        }
    }
    Ok(out)
}

/// The host groups of one event, in order (the event page).
pub async fn hosts<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Vec<group::Model>> {
    Ok(hosts_and_invited_of_many(conn, &[(e.id, e.group_id)]).await?.remove(&e.id).unwrap_or_default().hosts)
}

/// An event the viewer may see, or NOT_FOUND (hidden events are not revealed).
pub async fn get(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<event::Model> {
    let e = event::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("event"))?;
    if !may_view(&state.db, viewer, &e).await? {
        return Err(AppError::not_found("event"));
    }
    Ok(e)
}

/// Like [`get`] but `None` when missing or hidden.
pub async fn find(state: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<Option<event::Model>> {
    match get(state, viewer, id).await {
        Ok(e) => Ok(Some(e)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Checks and applies `fields` onto `row`. Writes nothing.
async fn apply(
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

/// The URL of a local event (also its ActivityPub id).
pub fn event_url(state: &AppState, id: Uuid) -> String {
    format!("{}/events/{id}", state.base_url())
}

/// Publishes (or drafts) a new event in a group. Group moderators and up, and instance admins.
pub async fn create(state: &AppState, viewer: &Viewer, group_id: Uuid, f: EventFields) -> AppResult<event::Model> {
    let me = viewer.active_member()?;
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
        ..Default::default()
    };
    let co_hosts = apply(state, &mut row, None, f).await?;
    let federates = crate::domain::event_federation::prepare_group(state, g.id).await?;
    let offers = crate::domain::event_federation::prepare_offers(state, g.id, co_hosts.as_deref()).await?;
    let txn = db::begin_write(&state.db).await?;
    let created = row.insert(&txn).await?;
    write_tags(&txn, &created).await?;
    set_hosts(&txn, viewer, created.id, g.id, co_hosts.unwrap_or_default()).await?;
    let created = lock(&txn, created.id).await?;
    crate::domain::search::index_event(&txn, &created).await?;
    if federates {
        crate::domain::event_federation::publish(&txn, state, &created, Federated::Create, false).await?;
    }
    if offers {
        crate::domain::event_federation::offer_cohosts(&txn, state, &created).await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// Writes an event's hosts: the `event_host` rows, one per host group, confirmed or invited.
/// A co-host is confirmed when its group consents: an admin of the invited group accepts
/// ([`answer_cohost`]; a group on another server answers its `Offer`). The one doing the
/// inviting consents for groups they administer themselves (and instance admins for any local
/// group). Confirmations are kept across edits.
async fn set_hosts<C: ConnectionTrait>(
    conn: &C,
    viewer: &Viewer,
    event_id: Uuid,
    group_id: Uuid,
    co_hosts: Vec<Uuid>,
) -> AppResult<()> {
    let confirmed: std::collections::HashSet<Uuid> = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event_id))
        .filter(event_host::Column::Confirmed.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.group_id)
        .collect();
    let me = viewer.active_member()?;
    let local: std::collections::HashSet<Uuid> =
        groups::load_many(conn, &co_hosts).await?.into_iter().filter(|g| g.local).map(|g| g.id).collect();
    let administered: std::collections::HashSet<Uuid> = if me.is_admin {
        local.clone()
    } else {
        membership::Entity::find()
            .filter(membership::Column::MemberId.eq(me.id))
            .filter(membership::Column::GroupId.is_in(local.iter().copied()))
            .all(conn)
            .await?
            .into_iter()
            .filter(|m| groups::administers(Some(m.role)))
            .map(|m| m.group_id)
            .collect()
    };
    event_host::Entity::delete_many().filter(event_host::Column::EventId.eq(event_id)).exec(conn).await?;
    let mut rows = vec![event_host::ActiveModel {
        id: Set(Uuid::now_v7()),
        event_id: Set(event_id),
        group_id: Set(group_id),
        position: Set(0),
        confirmed: Set(true),
    }];
    for (i, g) in co_hosts.into_iter().filter(|g| *g != group_id).enumerate() {
        rows.push(event_host::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_id: Set(event_id),
            group_id: Set(g),
            position: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            confirmed: Set(administered.contains(&g) || confirmed.contains(&g)),
        });
    }
    event_host::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}

/// The group ids of an event's confirmed hosts (or of the groups invited, not yet answered), in
/// their order.
async fn host_rows<C: ConnectionTrait>(conn: &C, event_id: Uuid, confirmed: bool) -> AppResult<Vec<Uuid>> {
    Ok(event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event_id))
        .filter(event_host::Column::Confirmed.eq(confirmed))
        .order_by_asc(event_host::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|h| h.group_id)
        .collect())
}

/// The events a local group is invited to co-host and has not answered: its admins see them
/// (and instance admins); others see none. At most `limit`, soonest first.
pub async fn cohost_invitations(
    state: &AppState,
    viewer: &Viewer,
    group_id: Uuid,
    limit: u64,
) -> AppResult<Vec<event::Model>> {
    if viewer.optional()?.is_none() || !groups::administers(groups::acting_role(&state.db, viewer, group_id).await?) {
        return Ok(vec![]);
    }
    Ok(event::Entity::find()
        .filter(
            event::Column::Id.in_subquery(
                Query::select()
                    .column(event_host::Column::EventId)
                    .from(event_host::Entity)
                    .and_where(Expr::col(event_host::Column::GroupId).eq(group_id))
                    .and_where(Expr::col(event_host::Column::Confirmed).eq(false))
                    .to_owned(),
            ),
        )
        .filter(event::Column::Local.eq(true))
        .order_by_asc(event::Column::StartsAt)
        .limit(limit)
        .all(&state.db)
        .await?)
}

/// An admin of a local group answers its invitation to co-host a local event: accepted, the
/// group becomes a host (the event shows on its page and calendar, its members see a MEMBERS
/// event); declined, the invitation goes. Partners on other servers answer through the
/// federation (`event_federation::cohost_answered`), which ends in the same rows.
pub async fn answer_cohost(
    state: &AppState,
    viewer: &Viewer,
    event_id: Uuid,
    group_id: Uuid,
    accept: bool,
) -> AppResult<event::Model> {
    let g = groups::get(&state.db, group_id).await.map_err(|_| AppError::bad_input("groupId", "no such group"))?;
    if !g.local || !groups::administers(groups::acting_role(&state.db, viewer, g.id).await?) {
        return Err(AppError::forbidden("only the invited group's admins may answer its invitation"));
    }
    let e = event::Entity::find_by_id(event_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("event"))?;
    let federates = crate::domain::event_federation::prepare(state, &e).await?;
    let txn = db::begin_write(&state.db).await?;
    let host = event_host::Entity::find()
        .filter(event_host::Column::EventId.eq(event_id))
        .filter(event_host::Column::GroupId.eq(group_id))
        .filter(event_host::Column::Confirmed.eq(false))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("invitation"))?;
    if accept {
        let mut row: event_host::ActiveModel = host.into();
        row.confirmed = Set(true);
        row.update(&txn).await?;
    } else {
        event_host::Entity::delete_by_id(host.id).exec(&txn).await?;
    }
    let updated = lock(&txn, event_id).await?;
    if accept && federates {
        // Its `contributors` changed.
        crate::domain::event_federation::publish(&txn, state, &updated, Federated::Update, true).await?;
    }
    txn.commit().await?;
    state.bus.publish(&state.db, Change::Event { id: event_id }).await;
    Ok(updated)
}

/// Changes an event; its hosts only. Freed seats (a larger capacity, fewer held seats) go to
/// the waitlist at once.
pub async fn update(state: &AppState, viewer: &Viewer, id: Uuid, f: EventFields) -> AppResult<event::Model> {
    viewer.active_member()?;
    let current = get(state, viewer, id).await?;
    ensure_changeable(&state.db, viewer, &current).await?;
    if current.status == EventStatus::Cancelled {
        return Err(AppError::conflict("this event was cancelled; it cannot be changed"));
    }
    let federates = crate::domain::event_federation::prepare(state, &current).await?;
    let txn = db::begin_write(&state.db).await?;
    // Re-read under the write lock (row-locked on PostgreSQL): seat counts may have moved.
    let current = lock(&txn, id).await?;
    let mut row: event::ActiveModel = current.clone().into();
    let co_hosts = apply(state, &mut row, Some(&current), f).await?;
    let offers = crate::domain::event_federation::prepare_offers(state, current.group_id, co_hosts.as_deref()).await?;
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
        crate::domain::event_federation::offer_cohosts(&txn, state, &updated).await?;
    }
    crate::domain::registrations::promote_waitlist(&txn, updated.id).await?;
    let updated = lock(&txn, id).await?;
    crate::domain::search::index_event(&txn, &updated).await?;
    if federates {
        use crate::domain::event_federation as fed;
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
    let federates = crate::domain::event_federation::prepare(state, &current).await?;
    let txn = db::begin_write(&state.db).await?;
    let current = lock(&txn, id).await?;
    let mut row: event::ActiveModel = current.clone().into();
    row.status = Set(EventStatus::Cancelled);
    row.cancel_reason = Set(reason);
    row.sequence = Set(current.sequence + 1);
    row.updated_at = Set(Utc::now());
    let updated = row.update(&txn).await?;
    if federates {
        use crate::domain::event_federation as fed;
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

/// Reads an event inside a write transaction; on PostgreSQL the row stays locked until the
/// transaction ends, so seat changes to one event are serialised.
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Uuid) -> AppResult<event::Model> {
    let mut q = event::Entity::find_by_id(id);
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(conn).await?.ok_or_else(|| AppError::not_found("event"))
}

/// `events` filters.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub group_handle: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub tag: Option<String>,
    pub search: Option<String>,
    pub include_remote: bool,
}

/// A page of events ordered by start time, as the viewer may see them: published and
/// cancelled PUBLIC events, MEMBERS events of groups they belong to, and drafts of groups
/// they moderate. UNLISTED events are reachable by id only.
pub async fn list(
    state: &AppState,
    viewer: &Viewer,
    filter: EventFilter,
    page: EventPage,
) -> AppResult<Page<event::Model>> {
    let mut cond = Condition::all();
    if let Some(h) = filter.group_handle.as_deref() {
        let Some(g) = groups::find_named(state, h).await? else {
            return Ok(Page { items: vec![], has_next: false, total: 0 });
        };
        cond = cond.add(
            event::Column::Id.in_subquery(
                Query::select()
                    .column(event_host::Column::EventId)
                    .from(event_host::Entity)
                    .and_where(Expr::col(event_host::Column::GroupId).eq(g.id))
                    .and_where(Expr::col(event_host::Column::Confirmed).eq(true))
                    .to_owned(),
            ),
        );
    }
    if !filter.include_remote {
        cond = cond.add(event::Column::Local.eq(true));
    }
    if let Some(from) = filter.from {
        cond = cond.add(event::Column::EndsAt.gte(from));
    }
    if let Some(to) = filter.to {
        cond = cond.add(event::Column::StartsAt.lt(to));
    }
    if let Some(tag) = filter.tag.as_deref().map(tag_key).filter(|t| !t.is_empty()) {
        cond = cond.add(
            event::Column::Id.in_subquery(
                Query::select()
                    .column(event_tag::Column::EventId)
                    .from(event_tag::Entity)
                    .and_where(Expr::col(event_tag::Column::Tag).eq(tag))
                    .to_owned(),
            ),
        );
    }
    if let Some(q) = filter.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // The full-text index (see `domain::search`), not a scan.
        use crate::domain::search;
        let ids = search::matching(&state.db, search::Kind::Event, q, search::MAX_MATCHES).await?;
        cond = cond.add(event::Column::Id.is_in(ids));
    }
    cond = cond.add(listable(viewer)?);
    let total = if page.count_total { event::Entity::find().filter(cond.clone()).count(&state.db).await? } else { 0 };
    let mut q = event::Entity::find().filter(cond);
    if let Some((starts, id)) = page.after {
        q = q.filter(
            Condition::any()
                .add(event::Column::StartsAt.gt(starts))
                .add(Condition::all().add(event::Column::StartsAt.eq(starts)).add(event::Column::Id.gt(id))),
        );
    }
    let rows = q
        .order_by_asc(event::Column::StartsAt)
        .order_by_asc(event::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    Ok(Page::from_overfetch(rows, PageRequest { first: page.first, after: None, count_total: page.count_total }, total))
}

/// What lists may show the viewer (see [`list`]), as one condition (memberships are
/// subqueries, so a list costs no extra statement).
pub(crate) fn listable(viewer: &Viewer) -> AppResult<Condition> {
    let published = Condition::any()
        .add(event::Column::Status.eq(EventStatus::Published))
        .add(event::Column::Status.eq(EventStatus::Cancelled));
    let public = Condition::all().add(published.clone()).add(event::Column::Visibility.eq(Visibility::Public));
    let Some(me) = viewer.optional()? else { return Ok(public) };
    if me.is_admin {
        return Ok(Condition::all().add(event::Column::Visibility.ne(Visibility::Unlisted)));
    }
    let groups_where = |min_moderator: bool| {
        let mut q = Query::select();
        q.column(membership::Column::GroupId)
            .from(membership::Entity)
            .and_where(Expr::col(membership::Column::MemberId).eq(me.id));
        if min_moderator {
            q.and_where(Expr::col(membership::Column::Role).is_in([Role::Moderator, Role::Admin, Role::Owner]));
        } else {
            q.and_where(Expr::col(membership::Column::Role).ne(Role::Pending));
        }
        q.to_owned()
    };
    Ok(Condition::any()
        .add(public)
        .add(
            Condition::all()
                .add(published)
                .add(event::Column::Visibility.eq(Visibility::Members))
                .add(event::Column::GroupId.in_subquery(groups_where(false))),
        )
        .add(
            Condition::all()
                .add(event::Column::Status.eq(EventStatus::Draft))
                .add(event::Column::Visibility.ne(Visibility::Unlisted))
                .add(
                    Condition::any()
                        .add(event::Column::GroupId.in_subquery(groups_where(true)))
                        .add(event::Column::OrganizerId.eq(me.id)),
                ),
        ))
}

/// A page of events in start-time order: at most `first` after the cursor.
#[derive(Clone, Copy, Debug)]
pub struct EventPage {
    pub first: u64,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Whether to count all matches (`totalCount`): a statement of its own.
    pub count_total: bool,
}

impl EventPage {
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<Self> {
        let first = PageRequest::new(first, None)?.first;
        Ok(EventPage { first, after: after.map(decode_cursor).transpose()?, count_total: true })
    }
}

/// The cursor of an event in start-time order.
pub fn cursor(e: &event::Model) -> String {
    let raw = format!("{}|{}", e.starts_at.timestamp_micros(), e.id);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// Reads a cursor made by [`cursor`].
pub fn decode_cursor(c: &str) -> AppResult<(DateTime<Utc>, Uuid)> {
    let bad = || AppError::bad_input("after", "after is not a cursor from this API");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (micros, id) = raw.split_once('|').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}

/// Events by id, in one query (no visibility check: for ids the caller may already see).
pub async fn load_many<C: ConnectionTrait>(conn: &C, ids: &[Uuid]) -> AppResult<Vec<event::Model>> {
    Ok(event::Entity::find().filter(event::Column::Id.is_in(ids.iter().copied())).all(conn).await?)
}

/// "Thursday, 19 September 2024, 09:00–12:00 PDT" in the event's zone.
pub fn when(e: &event::Model) -> Vec<String> {
    let tz = parse_zone(&e.timezone).unwrap_or(chrono_tz::Tz::UTC);
    sessions(e)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let (a, b) = (s.starts_at.with_timezone(&tz), s.ends_at.with_timezone(&tz));
            let end = if a.date_naive() == b.date_naive() {
                b.format("%H:%M %Z").to_string()
            } else {
                b.format("%A, %-d %B %Y, %H:%M %Z").to_string()
            };
            let title = s.title.as_deref().map(|t| format!(" · {t}")).unwrap_or_default();
            format!("{}–{end}{title}", a.format("%A, %-d %B %Y, %H:%M"))
        })
        .collect()
}

/// Where, in words: the venue and address, or "Online".
pub fn place(e: &event::Model) -> String {
    let place: Vec<&str> =
        [&e.venue, &e.address, &e.city, &e.country].into_iter().filter_map(|p| p.as_deref()).collect();
    match e.location_mode {
        LocationMode::Online => "Online".into(),
        LocationMode::InPerson => place.join(", "),
        LocationMode::Hybrid => format!("{} and online", place.join(", ")),
    }
}

/// The event's ActivityPub document (Mobilizon-compatible), with its `@context`.
pub fn document(
    state: &AppState,
    e: &event::Model,
    group: &group::Model,
    organizer: Option<&crate::db::member::Model>,
    contributors: &[String],
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
        followers: group.followers_url.as_deref().map(url).transpose()?,
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
    };
    let mut v = wire::event(doc);
    if let Some(o) = v.as_object_mut() {
        o.insert("@context".into(), wire::context());
    }
    Ok(v)
}

/// The event's organiser, if it has one.
pub async fn organizer<C: ConnectionTrait>(conn: &C, e: &event::Model) -> AppResult<Option<crate::db::member::Model>> {
    match e.organizer_id {
        Some(id) => members::find_by_id(conn, id).await,
        None => Ok(None),
    }
}
