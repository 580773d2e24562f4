//! What event mutations and the events list take, and how it maps onto the domain's fields.
use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};

use super::types::{EventStatus, LocationMode, Visibility};
use crate::domain::events::{self, EventFields};

/// Where an event happens. An in-person event needs a venue or an address.
#[derive(InputObject)]
pub struct LocationInput {
    /// Online, in person, or both.
    pub mode: LocationMode,
    /// The place's name, at most 200 characters.
    pub venue: Option<String>,
    /// The street address, at most 300 characters.
    pub address: Option<String>,
    /// At most 100 characters.
    pub city: Option<String>,
    /// At most 100 characters.
    pub country: Option<String>,
    /// Shown only to GOING registrants and hosts.
    pub online_url: Option<String>,
}

/// One session: it ends after it starts, lasts at most 14 days, and overlaps no other.
#[derive(InputObject)]
pub struct EventSessionInput {
    /// When the session starts.
    pub starts_at: DateTime<Utc>,
    /// When the session ends.
    pub ends_at: DateTime<Utc>,
    /// Its own title, at most 200 characters.
    pub title: Option<String>,
}

/// One item of an event's programme (at most 50).
#[derive(InputObject)]
pub struct AgendaItemInput {
    /// At most 300 characters.
    pub title: String,
    /// Plain text, at most 2,000 characters.
    pub description: Option<String>,
    /// When it starts, if known.
    pub starts_at: Option<DateTime<Utc>>,
}

/// A question about an event with its answer (at most 50).
#[derive(InputObject)]
pub struct FaqItemInput {
    /// At most 500 characters.
    pub question: String,
    /// Plain text, at most 5,000 characters.
    pub answer: String,
}

/// A decimal amount and an ISO 4217 currency: `{amount: "350.00", currency: "USD"}`.
#[derive(InputObject)]
pub struct MoneyInput {
    /// Digits with an optional decimal part of up to 4 digits: `350.00`.
    pub amount: String,
    /// A three-letter ISO 4217 code, in any case: `USD`.
    pub currency: String,
}

/// A facilitator: a member (`memberHandle`) or a plain name, with a role.
#[derive(InputObject)]
pub struct FacilitatorInput {
    /// A plain name, at most 200 characters (default: the member's name).
    pub name: Option<String>,
    /// A member known here, e.g. `alice` or `alice@other.example`.
    pub member_handle: Option<String>,
    /// What they do at the event, at most 100 characters.
    pub role: Option<String>,
}

/// A new event in a group of this server (its moderators and up). What is left out takes its
/// default.
#[derive(InputObject)]
pub struct CreateEventInput {
    /// The group that holds it.
    pub group_id: ID,
    /// At most 200 characters.
    pub title: String,
    /// A line or two, at most 1,000 characters.
    pub summary: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    /// IANA, e.g. "America/Los_Angeles".
    pub timezone: String,
    /// One or more; a multi-day event has one per day.
    pub sessions: Vec<EventSessionInput>,
    /// Where it happens.
    pub location: LocationInput,
    /// Seats in all; none means unlimited.
    pub capacity: Option<i32>,
    /// Seats the hosts hold back, given out on request.
    pub held_seats: Option<i32>,
    /// Whether a full event takes a waitlist (default true).
    pub waitlist: Option<bool>,
    /// Default: when the last session ends.
    pub registration_closes_at: Option<DateTime<Utc>>,
    /// Plain text, at most 2,000 characters.
    pub refund_policy: Option<String>,
    /// Where attendees write to the hosts.
    pub contact_email: Option<String>,
    /// The programme, in order (at most 50 items).
    pub agenda: Option<Vec<AgendaItemInput>>,
    /// Questions and answers, in order (at most 50).
    pub faq: Option<Vec<FaqItemInput>>,
    /// Group handles, local or (known) remote partner networks.
    pub co_hosts: Option<Vec<String>>,
    /// At most 20, each at most 40 characters; stored lowercase.
    pub tags: Option<Vec<String>>,
    /// Default: PUBLIC.
    pub visibility: Option<Visibility>,
    /// DRAFT or PUBLISHED (the default).
    pub status: Option<EventStatus>,
    /// Where the main ticketing happens, when it is elsewhere.
    pub external_registration_url: Option<String>,
    /// What it costs; none means free.
    pub price: Option<MoneyInput>,
    /// Where to pay (Weave takes no payments).
    pub payment_url: Option<String>,
    /// Who leads it, in order (at most 20).
    pub facilitators: Option<Vec<FacilitatorInput>>,
    /// A picture from `uploadMedia` (null on update: none).
    pub picture_id: async_graphql::MaybeUndefined<ID>,
}

/// Changes to an event of this server (its hosts). What is left out stays as it is; an empty
/// string clears an optional text or link. Fields are checked as in `CreateEventInput`.
#[derive(InputObject)]
pub struct UpdateEventInput {
    /// At most 200 characters.
    pub title: Option<String>,
    /// At most 1,000 characters.
    pub summary: Option<String>,
    /// Markdown.
    pub description: Option<String>,
    /// IANA, e.g. "America/Los_Angeles".
    pub timezone: Option<String>,
    /// Replaces all the sessions.
    pub sessions: Option<Vec<EventSessionInput>>,
    /// Replaces the whole location.
    pub location: Option<LocationInput>,
    /// Seats in all; a larger capacity gives the new seats to the waitlist at once.
    pub capacity: Option<i32>,
    /// Lowering it releases held seats to the waitlist.
    pub held_seats: Option<i32>,
    /// Whether a full event takes a waitlist.
    pub waitlist: Option<bool>,
    /// When registration closes.
    pub registration_closes_at: Option<DateTime<Utc>>,
    /// Plain text.
    pub refund_policy: Option<String>,
    /// Where attendees write to the hosts.
    pub contact_email: Option<String>,
    /// Replaces the programme.
    pub agenda: Option<Vec<AgendaItemInput>>,
    /// Replaces the questions and answers.
    pub faq: Option<Vec<FaqItemInput>>,
    /// Group handles, replacing the co-hosts; a group not yet hosting is invited.
    pub co_hosts: Option<Vec<String>>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// PUBLISHED publishes a draft; a published event cannot go back to DRAFT, and `cancelEvent`
    /// cancels.
    pub status: Option<EventStatus>,
    /// Who may see it.
    pub visibility: Option<Visibility>,
    /// Where the main ticketing happens, when it is elsewhere.
    pub external_registration_url: Option<String>,
    /// What it costs.
    pub price: Option<MoneyInput>,
    /// Where to pay (Weave takes no payments).
    pub payment_url: Option<String>,
    /// Replaces the facilitators.
    pub facilitators: Option<Vec<FacilitatorInput>>,
    /// A picture from `uploadMedia` (null on update: none).
    pub picture_id: async_graphql::MaybeUndefined<ID>,
}

/// Which events `events` lists: those that match every field given.
#[derive(InputObject, Default)]
pub struct EventFilter {
    /// Events the group hosts or co-hosts.
    pub group_handle: Option<String>,
    /// Events that have not ended by then.
    pub from: Option<DateTime<Utc>>,
    /// Events that start before then.
    pub to: Option<DateTime<Utc>>,
    /// Events with this tag (one whole tag, compared without regard to case).
    pub tag: Option<String>,
    /// Events with every word of it, as the start of a word of their title, summary, description,
    /// tags, venue or city.
    pub search: Option<String>,
    /// Also partner networks' events (default: this instance's only).
    pub include_remote: Option<bool>,
    /// true: the events where the viewer holds a seat, waits for one or asked for one; false:
    /// the others. Anonymous viewers hold none.
    pub registered: Option<bool>,
    /// Events held this way (online, in person, hybrid).
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
