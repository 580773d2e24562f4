//! The event's output objects: `Event`, `Registration`, their parts and enums.
//!
//! Over 400 lines and kept whole: `Event` is one GraphQL type, and its resolvers, each with the
//! description clients read, make one `#[Object]` block that cannot be split across files.
use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::db::enums::{self, EventStatus as DbStatus, LocationMode as DbMode, RegistrationStatus as DbReg};
use crate::db::{event, registration};
use crate::domain::events;
use crate::domain::pagination::PageRequest;
use crate::domain::{events::registrations, visibility};
use crate::error::AppError;
use crate::graphql::groups::Group;
use crate::graphql::in_place::InPlace;
use crate::graphql::members::{visible_member, Member};
use crate::graphql::types::{connection, loaded, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

mirror_enum!(
    /// Where an event happens: online, in one place, or both.
    LocationMode => DbMode {
        /// Online only; the link is `location.onlineUrl`.
        Online,
        /// In one place: at its venue or address.
        InPerson,
        /// In one place and online at once.
        Hybrid,
    }
);
mirror_enum!(
    /// DRAFT: seen by its hosts only; CANCELLED events stay listed, marked.
    EventStatus => DbStatus {
        /// Being prepared: seen by its hosts only.
        Draft,
        /// Published: seen by whoever its visibility allows.
        Published,
        /// Called off (`cancelEvent`): still listed, marked, and refusing registrations.
        Cancelled,
    }
);
mirror_enum!(
    /// PUBLIC: everyone; MEMBERS: members of the host groups; UNLISTED: whoever has the id.
    Visibility => enums::Visibility {
        /// Everyone; listed.
        Public,
        /// The members of its host groups (and its hosts).
        Members,
        /// Whoever has its id; never listed.
        Unlisted,
    }
);
mirror_enum!(
    /// GOING holds a seat, WAITLISTED waits for one, REQUESTED asks the hosts for a held seat.
    RegistrationStatus => DbReg {
        /// Holds a seat.
        Going,
        /// Waits for a seat, in order; takes one as soon as one is free.
        Waitlisted,
        /// Given up (`cancelRsvp`); holds nothing.
        Cancelled,
        /// Asks the hosts for a held seat, with a message.
        Requested,
        /// The hosts declined the request for a held seat; holds nothing.
        Declined,
    }
);

/// One session of an event; a multi-day event has one per day.
#[derive(SimpleObject)]
pub struct EventSession {
    /// When the session starts.
    pub starts_at: DateTime<Utc>,
    /// When the session ends.
    pub ends_at: DateTime<Utc>,
    /// Its own title, if it has one.
    pub title: Option<String>,
}

/// Where an event happens.
#[derive(SimpleObject)]
pub struct Location {
    /// Online, in person, or both.
    pub mode: LocationMode,
    /// The place's name.
    pub venue: Option<String>,
    /// The street address.
    pub address: Option<String>,
    /// As the hosts give it.
    pub city: Option<String>,
    /// As the hosts give it.
    pub country: Option<String>,
    /// Only for GOING registrants and the hosts.
    pub online_url: Option<String>,
}

/// One item of an event's programme.
#[derive(SimpleObject)]
pub struct AgendaItem {
    /// Its place in the programme, from 1.
    pub position: i32,
    /// What the item is.
    pub title: String,
    /// More about it, as plain text.
    pub description: Option<String>,
    /// When it starts, if the hosts say.
    pub starts_at: Option<DateTime<Utc>>,
}

/// A question about an event, with the hosts' answer.
#[derive(SimpleObject)]
pub struct FaqItem {
    /// The question.
    pub question: String,
    /// The hosts' answer, as plain text.
    pub answer: String,
}

/// A decimal amount and an ISO 4217 currency: `{amount: "350.00", currency: "USD"}`.
#[derive(SimpleObject)]
pub struct Money {
    /// A decimal, as a string: `350.00`.
    pub amount: String,
    /// The ISO 4217 code, upper case: `USD`.
    pub currency: String,
}

/// How many people share one value.
#[derive(SimpleObject)]
pub struct Tally {
    /// The country or sector as given, `UNSPECIFIED` when none, or `OTHER`.
    pub key: String,
    /// How many people: at least five.
    pub count: i32,
}

/// Who will be there, by country and sector, never by name. Every bucket counts at least five
/// people: smaller ones are merged into `OTHER`, which is left out while it counts fewer.
#[derive(SimpleObject)]
pub struct Attendance {
    /// How many are GOING: at least five.
    pub going: i32,
    /// By the country on their profiles, largest bucket first.
    pub by_country: Vec<Tally>,
    /// By the sector on their profiles (a `Sector`), largest bucket first.
    pub by_sector: Vec<Tally>,
}

pub struct Facilitator(events::Facilitator);

/// Someone who leads an event: a member, or a plain name.
#[Object]
impl Facilitator {
    /// Their name: as the hosts give it, else the member's.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What they do at the event.
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }
    /// Their account, when they have one the viewer may see.
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        visible_member(ctx, self.0.member_id).await
    }
}

/// An event. Its small lists (sessions, agenda, FAQ, facilitators: stored with the row; hosts:
/// one batched statement per page) are bounded by validation and cost as one item each in the
/// query cost model; only paged lists multiply (see `crate::graphql::limits`).
pub struct Event(pub std::sync::Arc<event::Model>);

impl From<event::Model> for Event {
    fn from(e: event::Model) -> Self {
        Event(std::sync::Arc::new(e))
    }
}

impl Event {
    async fn my_registration_row(&self, ctx: &Context<'_>) -> Result<Option<registration::Model>> {
        let Some(me) = ctx.viewer().optional()? else { return Ok(None) };
        Ok(loaded(ctx.loaders().registrations.load_one((me.id, self.0.id)).await)?.flatten())
    }

    /// Its hosts and invited co-hosts, through the request's loader (a list's in one batch).
    async fn hosting(&self, ctx: &Context<'_>) -> Result<std::sync::Arc<events::EventHosts>> {
        Ok(loaded(ctx.loaders().hosts.load_one((self.0.id, self.0.group_id)).await)?.unwrap_or_default())
    }

    async fn host_groups(&self, ctx: &Context<'_>) -> Result<Vec<std::sync::Arc<crate::db::group::Model>>> {
        Ok(self.hosting(ctx).await?.hosts.clone())
    }

    /// Whether the viewer is one of the event's hosts, from the request's loaders: the
    /// hosts and the viewer's roles load at once, batched with the rest of a list.
    async fn is_host(&self, ctx: &Context<'_>) -> Result<bool> {
        let Some(me) = ctx.viewer().optional()? else { return Ok(false) };
        let (hosts, roles) = futures_util::join!(self.host_groups(ctx), ctx.loaders().roles.load_one(me.id));
        let hosts: Vec<uuid::Uuid> = hosts?.iter().map(|g| g.id).collect();
        let roles = loaded(roles)?.unwrap_or_default();
        Ok(events::manages(me, events::Hosting::of(&self.0, &hosts), &roles))
    }

    fn open_seats(&self) -> Option<i32> {
        events::open_seats(&self.0)
    }
}

/// An event hosted by one or more groups: when, where, seats and registration.
#[Object]
impl Event {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The event's picture: uploaded here, or its server's.
    async fn picture(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::media::Media>> {
        crate::graphql::media::picture(ctx, self.0.picture_id).await
    }
    /// The event's name.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// A line or two about it.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// Sanitised HTML, rendered from the organiser's Markdown.
    async fn description(&self) -> Option<&str> {
        self.0.description_html.as_deref()
    }
    /// The description's Markdown as written: for the hosts (null for others).
    async fn description_source(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(if self.is_host(ctx).await? { self.0.description.as_deref() } else { None })
    }
    /// Whether the viewer may change it (`updateEvent`, `cancelEvent`): its hosts, here.
    async fn viewer_can_edit(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.0.local && self.is_host(ctx).await?)
    }
    /// Whether the viewer hosts it: sees its registrations, reviews requests, invites co-hosts.
    async fn viewer_can_manage(&self, ctx: &Context<'_>) -> Result<bool> {
        self.is_host(ctx).await
    }
    /// Whether `rsvp` would take the viewer now (open, a place left, not registered yet).
    async fn viewer_can_register(&self, ctx: &Context<'_>) -> Result<bool> {
        let me = ctx.viewer().optional()?;
        if me.is_none() {
            return Ok(false);
        }
        let mine = self.my_registration_row(ctx).await?;
        Ok(registrations::may_register(me, &self.0, mine.as_ref(), Utc::now()))
    }
    /// IANA zone the event is described in.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }
    /// When the first session starts.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// When the last session ends.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    /// Its sessions (at least one), by start time, none overlapping.
    async fn sessions(&self) -> Result<Vec<InPlace<EventSession>>> {
        Ok(events::sessions(&self.0)?
            .into_iter()
            .map(|s| InPlace(EventSession { starts_at: s.starts_at, ends_at: s.ends_at, title: s.title }))
            .collect())
    }
    /// Where it happens.
    async fn location(&self, ctx: &Context<'_>) -> Result<InPlace<Location>> {
        let e = &self.0;
        let online_url = match &e.online_url {
            None => None,
            Some(url) => {
                // Both at once, so that a list batches them with its other loads.
                let (mine, host) = futures_util::join!(self.my_registration_row(ctx), self.is_host(ctx));
                visibility::online_link_visible(mine?.map(|r| r.status), host?).then(|| url.clone())
            }
        };
        Ok(InPlace(Location {
            mode: e.location_mode.into(),
            venue: e.venue.clone(),
            address: e.address.clone(),
            city: e.city.clone(),
            country: e.country.clone(),
            online_url,
        }))
    }
    /// DRAFT, PUBLISHED or CANCELLED.
    async fn status(&self) -> EventStatus {
        self.0.status.into()
    }
    /// Why it was cancelled; null unless cancelled with a reason.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    /// Who may see it.
    async fn visibility(&self) -> Visibility {
        self.0.visibility.into()
    }
    /// Seats in all (null: unlimited).
    async fn capacity(&self) -> Option<i32> {
        self.0.capacity
    }
    /// Seats the hosts still hold back.
    async fn held_seats(&self) -> i32 {
        self.0.held_seats
    }
    /// Seats taken by GOING registrants.
    async fn seats_taken(&self) -> i32 {
        self.0.seats_taken
    }
    /// Seats registrants can still take (capacity − taken − held); null when unlimited.
    async fn seats_left(&self) -> Option<i32> {
        self.open_seats()
    }
    /// Whether no seat is left for registrants (`seatsLeft` is 0); false when unlimited.
    async fn sold_out(&self) -> bool {
        self.open_seats() == Some(0)
    }
    /// Whether a full event takes a waitlist.
    async fn waitlist(&self) -> bool {
        self.0.waitlist_enabled
    }
    /// How many registrations are WAITLISTED.
    async fn waitlist_count(&self) -> i32 {
        self.0.waitlist_count
    }
    /// When registration closes: as the hosts set it, else when the last session ends.
    async fn registration_closes_at(&self) -> DateTime<Utc> {
        self.0.registration_closes_at.unwrap_or(self.0.ends_at)
    }
    /// The hosts' refund terms, as plain text.
    async fn refund_policy(&self) -> Option<&str> {
        self.0.refund_policy.as_deref()
    }
    /// Where to write to the hosts about it.
    async fn contact_email(&self) -> Option<&str> {
        self.0.contact_email.as_deref()
    }
    /// The programme, in order.
    async fn agenda(&self) -> Result<Vec<AgendaItem>> {
        Ok(events::agenda(&self.0)?
            .into_iter()
            .enumerate()
            .map(|(i, a)| AgendaItem {
                position: i32::try_from(i + 1).unwrap_or(i32::MAX),
                title: a.title,
                description: a.description,
                starts_at: a.starts_at,
            })
            .collect())
    }
    /// Questions and answers about it, in order.
    async fn faq(&self) -> Result<Vec<FaqItem>> {
        Ok(events::faq(&self.0)?.into_iter().map(|f| FaqItem { question: f.question, answer: f.answer }).collect())
    }
    /// The group it belongs to (the first of its `hosts`).
    async fn group(&self, ctx: &Context<'_>) -> Result<InPlace<Group>> {
        // The first host is the event's own group; the hosts' batch loads it for a whole list.
        if let Some(g) = self.host_groups(ctx).await?.into_iter().find(|g| g.id == self.0.group_id) {
            return Ok(InPlace(Group(g)));
        }
        loaded(ctx.loaders().groups.load_one(self.0.group_id).await)?
            .map(|g| InPlace(Group(g)))
            .ok_or_else(|| AppError::not_found("group").into())
    }
    /// Who created it; null for another server's event or a hidden account.
    async fn organizer(&self, ctx: &Context<'_>) -> Result<Option<InPlace<Member>>> {
        Ok(visible_member(ctx, self.0.organizer_id).await?.map(InPlace))
    }
    /// Its group first, then co-hosting partner networks that accepted.
    async fn hosts(&self, ctx: &Context<'_>) -> Result<Vec<InPlace<Group>>> {
        Ok(self.host_groups(ctx).await?.into_iter().map(|g| InPlace(Group(g))).collect())
    }
    /// Groups invited to co-host that have not answered yet: they become hosts when an admin
    /// of theirs accepts (a partner on another server: when it answers the `Offer`).
    async fn invited_hosts(&self, ctx: &Context<'_>) -> Result<Vec<Group>> {
        Ok(self.hosting(ctx).await?.invited.iter().cloned().map(Group).collect())
    }
    /// Labels to find it by (`EventFilter.tag`).
    async fn tags(&self) -> Vec<String> {
        events::tags(&self.0)
    }
    /// The viewer's registration, whatever its status; null when none.
    async fn my_registration(&self, ctx: &Context<'_>) -> Result<Option<Registration>> {
        Ok(self.my_registration_row(ctx).await?.map(Registration))
    }
    /// Whether it is this server's (false: a partner's, from another server).
    async fn local(&self) -> bool {
        self.0.local
    }
    /// Its page (and ActivityPub id).
    async fn url(&self) -> &str {
        self.0.url.as_deref().unwrap_or(&self.0.ap_id)
    }
    /// The event as iCalendar (one VEVENT per session).
    async fn ical_url(&self, ctx: &Context<'_>) -> String {
        format!("{}.ics", events::event_url(ctx.state(), self.0.id))
    }
    /// Where the main ticketing happens, when it is elsewhere.
    async fn external_registration_url(&self) -> Option<&str> {
        self.0.external_registration_url.as_deref()
    }
    /// Null when free.
    async fn price(&self) -> Option<Money> {
        match (&self.0.price_amount, &self.0.price_currency) {
            (Some(a), Some(c)) => Some(Money { amount: a.clone(), currency: c.clone() }),
            _ => None,
        }
    }
    /// Where to pay (Weave takes no payments).
    async fn payment_url(&self) -> Option<&str> {
        self.0.payment_url.as_deref()
    }
    /// Who leads it, in the hosts' order.
    async fn facilitators(&self) -> Result<Vec<Facilitator>> {
        Ok(events::facilitators(&self.0)?.into_iter().map(Facilitator).collect())
    }
    /// GOING registrants by country and sector, in buckets of at least 5 (smaller ones merge
    /// into `OTHER`); null while fewer than 5 are going.
    async fn attendance(&self, ctx: &Context<'_>) -> Result<Option<Attendance>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            let tally = |v: Vec<(String, i32)>| v.into_iter().map(|(key, count)| Tally { key, count }).collect();
            Ok(registrations::attendance(&ctx.state().db, &self.0).await?.map(|a| Attendance {
                going: a.going,
                by_country: tally(a.by_country),
                by_sector: tally(a.by_sector),
            }))
        })
        .await
    }
    /// The registrations, for hosts only (null for everyone else).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        status: Option<RegistrationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<Conn<Registration>>> {
        // Boxed: its future would otherwise size every field's future of this type.
        Box::pin(async move {
            if !self.is_host(ctx).await? {
                return Ok(None);
            }
            let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
            let rows =
                registrations::list_for_hosts(ctx.state(), ctx.viewer(), &self.0, status.map(Into::into), page).await?;
            Ok(Some(connection(rows, |r| r.id, Registration)))
        })
        .await
    }
    /// Open requests for held seats (hosts; 0 for others).
    async fn request_count(&self, ctx: &Context<'_>) -> Result<i32> {
        if self.0.request_count == 0 || !self.is_host(ctx).await? {
            return Ok(0);
        }
        Ok(self.0.request_count)
    }
    /// When it was created (for another server's event: when it first arrived).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// An event by id through the request's loader, when the viewer may see it (what a resource or
/// a thread links to).
pub async fn visible_event(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Event>> {
    let Some(id) = id else { return Ok(None) };
    let Some(e) = loaded(ctx.loaders().events.load_one(id).await)? else { return Ok(None) };
    if !events::may_view(&ctx.state().db, ctx.viewer(), &e).await? {
        return Ok(None);
    }
    Ok(Some(Event(e)))
}

pub struct Registration(pub registration::Model);

/// A member's place at an event: a seat, a waitlist place or a request for a held seat.
#[Object]
impl Registration {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The event registered for.
    async fn event(&self, ctx: &Context<'_>) -> Result<Event> {
        loaded(ctx.loaders().events.load_one(self.0.event_id).await)?
            .map(Event)
            .ok_or_else(|| AppError::not_found("event").into())
    }
    /// Who registered.
    async fn member(&self, ctx: &Context<'_>) -> Result<Member> {
        loaded(ctx.loaders().members.load_one(self.0.member_id).await)?
            .map(Member)
            .ok_or_else(|| AppError::not_found("member").into())
    }
    /// Where the registration stands.
    async fn status(&self) -> RegistrationStatus {
        self.0.status.into()
    }
    /// 1 for the next in line, while WAITLISTED.
    async fn waitlist_position(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        Ok(registrations::waitlist_position(&ctx.state().db, &self.0).await?)
    }
    /// What the registrant told the hosts (with a request for a held seat).
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    /// When the registration was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
