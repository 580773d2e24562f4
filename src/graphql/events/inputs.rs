//! What event mutations and the events list take, and how it maps onto the domain's fields.
use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};

use super::types::{EventStatus, LocationMode, Visibility};
use crate::domain::events::{self, EventFields};

#[derive(InputObject)]
pub struct LocationInput {
    pub mode: LocationMode,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// Shown only to GOING registrants and hosts.
    pub online_url: Option<String>,
}

#[derive(InputObject)]
pub struct EventSessionInput {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub title: Option<String>,
}

#[derive(InputObject)]
pub struct AgendaItemInput {
    pub title: String,
    pub description: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct FaqItemInput {
    pub question: String,
    pub answer: String,
}

/// A decimal amount and an ISO 4217 currency: `{amount: "350.00", currency: "USD"}`.
#[derive(InputObject)]
pub struct MoneyInput {
    pub amount: String,
    pub currency: String,
}

/// A facilitator: a member (`memberHandle`) or a plain name, with a role.
#[derive(InputObject)]
pub struct FacilitatorInput {
    pub name: Option<String>,
    pub member_handle: Option<String>,
    pub role: Option<String>,
}

#[derive(InputObject)]
pub struct CreateEventInput {
    pub group_id: ID,
    pub title: String,
    pub summary: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    /// IANA, e.g. "America/Los_Angeles".
    pub timezone: String,
    /// One or more; a multi-day event has one per day.
    pub sessions: Vec<EventSessionInput>,
    pub location: LocationInput,
    /// Seats in all; none means unlimited.
    pub capacity: Option<i32>,
    /// Seats the hosts hold back, given out on request.
    pub held_seats: Option<i32>,
    /// Whether a full event takes a waitlist (default true).
    pub waitlist: Option<bool>,
    /// Default: when the last session ends.
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub refund_policy: Option<String>,
    pub contact_email: Option<String>,
    pub agenda: Option<Vec<AgendaItemInput>>,
    pub faq: Option<Vec<FaqItemInput>>,
    /// Group handles, local or (known) remote partner networks.
    pub co_hosts: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    pub status: Option<EventStatus>,
    /// Where the main ticketing happens, when it is elsewhere.
    pub external_registration_url: Option<String>,
    pub price: Option<MoneyInput>,
    /// Where to pay (Weave takes no payments).
    pub payment_url: Option<String>,
    pub facilitators: Option<Vec<FacilitatorInput>>,
    /// A picture from `uploadMedia` (null on update: none).
    pub picture_id: async_graphql::MaybeUndefined<ID>,
}

#[derive(InputObject)]
pub struct UpdateEventInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub timezone: Option<String>,
    pub sessions: Option<Vec<EventSessionInput>>,
    pub location: Option<LocationInput>,
    pub capacity: Option<i32>,
    /// Lowering it releases held seats to the waitlist.
    pub held_seats: Option<i32>,
    pub waitlist: Option<bool>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub refund_policy: Option<String>,
    pub contact_email: Option<String>,
    pub agenda: Option<Vec<AgendaItemInput>>,
    pub faq: Option<Vec<FaqItemInput>>,
    pub co_hosts: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub status: Option<EventStatus>,
    pub visibility: Option<Visibility>,
    pub external_registration_url: Option<String>,
    pub price: Option<MoneyInput>,
    pub payment_url: Option<String>,
    pub facilitators: Option<Vec<FacilitatorInput>>,
    /// A picture from `uploadMedia` (null on update: none).
    pub picture_id: async_graphql::MaybeUndefined<ID>,
}

#[derive(InputObject, Default)]
pub struct EventFilter {
    pub group_handle: Option<String>,
    /// Events that have not ended by then.
    pub from: Option<DateTime<Utc>>,
    /// Events that start before then.
    pub to: Option<DateTime<Utc>>,
    pub tag: Option<String>,
    pub search: Option<String>,
    /// Also partner networks' events (default: this instance's only).
    pub include_remote: Option<bool>,
    /// true: the events where the viewer holds a seat, waits for one or asked for one; false:
    /// the others. Anonymous viewers hold none.
    pub registered: Option<bool>,
    pub mode: Option<super::types::LocationMode>,
    /// The country as the event gives it, without regard to case.
    pub country: Option<String>,
    /// The city, without regard to case.
    pub city: Option<String>,
    /// ASC (default): soonest first; DESC: latest first (past events, newest first).
    pub order: Option<crate::graphql::types::SortOrder>,
}

fn sessions(v: Vec<EventSessionInput>) -> Vec<events::Session> {
    v.into_iter().map(|s| events::Session { starts_at: s.starts_at, ends_at: s.ends_at, title: s.title }).collect()
}

fn location(l: LocationInput) -> events::LocationInput {
    events::LocationInput {
        mode: Some(l.mode.into()),
        venue: l.venue,
        address: l.address,
        city: l.city,
        country: l.country,
        online_url: l.online_url,
    }
}

fn agenda(v: Vec<AgendaItemInput>) -> Vec<events::AgendaItem> {
    v.into_iter()
        .map(|a| events::AgendaItem { title: a.title, description: a.description, starts_at: a.starts_at })
        .collect()
}

fn faq(v: Vec<FaqItemInput>) -> Vec<events::FaqItem> {
    v.into_iter().map(|f| events::FaqItem { question: f.question, answer: f.answer }).collect()
}

fn facilitators(v: Vec<FacilitatorInput>) -> Vec<events::FacilitatorInput> {
    v.into_iter()
        .map(|f| events::FacilitatorInput { name: f.name, member_handle: f.member_handle, role: f.role })
        .collect()
}

impl From<CreateEventInput> for EventFields {
    fn from(i: CreateEventInput) -> Self {
        EventFields {
            title: Some(i.title),
            summary: i.summary,
            description: i.description,
            timezone: Some(i.timezone),
            sessions: Some(sessions(i.sessions)),
            location: Some(location(i.location)),
            capacity: Some(i.capacity),
            held_seats: i.held_seats,
            waitlist: i.waitlist,
            registration_closes_at: Some(i.registration_closes_at),
            refund_policy: i.refund_policy,
            contact_email: i.contact_email,
            external_registration_url: i.external_registration_url,
            price: Some(i.price.map(|m| (m.amount, m.currency))),
            payment_url: i.payment_url,
            agenda: i.agenda.map(agenda),
            faq: i.faq.map(faq),
            facilitators: i.facilitators.map(facilitators),
            co_hosts: i.co_hosts,
            tags: i.tags,
            visibility: i.visibility.map(Into::into),
            status: i.status.map(Into::into),
            picture: None,
        }
    }
}

impl From<UpdateEventInput> for EventFields {
    fn from(i: UpdateEventInput) -> Self {
        EventFields {
            title: i.title,
            summary: i.summary,
            description: i.description,
            timezone: i.timezone,
            sessions: i.sessions.map(sessions),
            location: i.location.map(location),
            capacity: i.capacity.map(Some),
            held_seats: i.held_seats,
            waitlist: i.waitlist,
            registration_closes_at: i.registration_closes_at.map(Some),
            refund_policy: i.refund_policy,
            contact_email: i.contact_email,
            external_registration_url: i.external_registration_url,
            price: i.price.map(|m| Some((m.amount, m.currency))),
            payment_url: i.payment_url,
            agenda: i.agenda.map(agenda),
            faq: i.faq.map(faq),
            facilitators: i.facilitators.map(facilitators),
            co_hosts: i.co_hosts,
            tags: i.tags,
            visibility: i.visibility.map(Into::into),
            status: i.status.map(Into::into),
            picture: None,
        }
    }
}
