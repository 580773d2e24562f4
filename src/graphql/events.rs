//! Events and registration: thin resolvers over `domain::events` and
//! `domain::events::registrations`. Lists resolve their rows' groups, organisers, hosts and the
//! viewer's registrations through the request's DataLoaders.
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ErrorExtensions as _, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::types::{connection, loaded, parse_id, Conn, ConnectionTotal, Group, Member, Result};
use super::ContextExt as _;
use crate::db::enums::{self, EventStatus as DbStatus, LocationMode as DbMode, RegistrationStatus as DbReg};
use crate::db::{event, registration};
use crate::domain::events::{self, EventFields, EventFilter as DomainFilter, EventPage};
use crate::domain::pagination::PageRequest;
use crate::domain::{events::registrations, visibility};
use crate::error::AppError;

macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident => $db:ty { $($v:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name { $($v),* }
        impl From<$db> for $name {
            fn from(v: $db) -> Self { match v { $(<$db>::$v => $name::$v),* } }
        }
        impl From<$name> for $db {
            fn from(v: $name) -> Self { match v { $($name::$v => <$db>::$v),* } }
        }
    };
}

mirror_enum!(LocationMode => DbMode { Online, InPerson, Hybrid });
mirror_enum!(EventStatus => DbStatus { Draft, Published, Cancelled });
mirror_enum!(
    /// PUBLIC: everyone; MEMBERS: members of the host groups; UNLISTED: whoever has the id.
    Visibility => enums::Visibility { Public, Members, Unlisted }
);
mirror_enum!(
    /// GOING holds a seat, WAITLISTED waits for one, REQUESTED asks the hosts for a held seat.
    RegistrationStatus => DbReg { Going, Waitlisted, Cancelled, Requested, Declined }
);

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
        }
    }
}

#[derive(SimpleObject)]
pub struct EventSession {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub title: Option<String>,
}

#[derive(SimpleObject)]
pub struct Location {
    pub mode: LocationMode,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// Only for GOING registrants and the hosts.
    pub online_url: Option<String>,
}

#[derive(SimpleObject)]
pub struct AgendaItem {
    pub position: i32,
    pub title: String,
    pub description: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct FaqItem {
    pub question: String,
    pub answer: String,
}

#[derive(SimpleObject)]
pub struct Money {
    pub amount: String,
    pub currency: String,
}

#[derive(SimpleObject)]
pub struct Tally {
    pub key: String,
    pub count: i32,
}

/// Who will be there, by country and sector, never by name. Every bucket counts at least five
/// people: smaller ones are merged into `OTHER`, which is left out while it counts fewer.
#[derive(SimpleObject)]
pub struct Attendance {
    pub going: i32,
    pub by_country: Vec<Tally>,
    pub by_sector: Vec<Tally>,
}

pub struct Facilitator(events::Facilitator);

#[Object]
impl Facilitator {
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        let Some(id) = self.0.member_id else { return Ok(None) };
        let m = loaded(ctx.loaders().members.load_one(id).await)?;
        Ok(m.filter(|m| crate::domain::visibility::member_visible(m, ctx.viewer())).map(Member))
    }
}

/// An event. Its small lists (sessions, agenda, FAQ, facilitators: stored with the row; hosts:
/// one batched statement per page) are bounded by validation and cost as one item each in the
/// query cost model; only paged lists multiply (see `crate::graphql::limits`).
pub struct Event(pub event::Model);

impl Event {
    async fn my_registration_row(&self, ctx: &Context<'_>) -> Result<Option<registration::Model>> {
        let Some(me) = ctx.viewer().optional()? else { return Ok(None) };
        Ok(loaded(ctx.loaders().registrations.load_one((me.id, self.0.id)).await)?.flatten())
    }

    async fn host_groups(&self, ctx: &Context<'_>) -> Result<Vec<crate::db::group::Model>> {
        let internal = |e: super::loaders::LoadError| {
            async_graphql::Error::new(e.to_string()).extend_with(|_, ext| ext.set("code", "INTERNAL"))
        };
        let hosts = ctx.loaders().hosts.load_one(self.0.id).await.map_err(internal)?.unwrap_or_default();
        if !hosts.is_empty() {
            return Ok(hosts);
        }
        // No host rows: its group is its host.
        Ok(ctx.loaders().groups.load_one(self.0.group_id).await.map_err(internal)?.into_iter().collect())
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

#[Object]
impl Event {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// Sanitised HTML, rendered from the organiser's Markdown.
    async fn description(&self) -> Option<&str> {
        self.0.description_html.as_deref()
    }
    /// IANA zone the event is described in.
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.ends_at
    }
    async fn sessions(&self) -> Result<Vec<EventSession>> {
        Ok(events::sessions(&self.0)?
            .into_iter()
            .map(|s| EventSession { starts_at: s.starts_at, ends_at: s.ends_at, title: s.title })
            .collect())
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Location> {
        let e = &self.0;
        let online_url = match &e.online_url {
            None => None,
            Some(url) => {
                // Both at once, so that a list batches them with its other loads.
                let (mine, host) = futures_util::join!(self.my_registration_row(ctx), self.is_host(ctx));
                visibility::online_link_visible(mine?.map(|r| r.status), host?).then(|| url.clone())
            }
        };
        Ok(Location {
            mode: e.location_mode.into(),
            venue: e.venue.clone(),
            address: e.address.clone(),
            city: e.city.clone(),
            country: e.country.clone(),
            online_url,
        })
    }
    async fn status(&self) -> EventStatus {
        self.0.status.into()
    }
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
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
    async fn seats_taken(&self) -> i32 {
        self.0.seats_taken
    }
    /// Seats registrants can still take (capacity − taken − held); null when unlimited.
    async fn seats_left(&self) -> Option<i32> {
        self.open_seats()
    }
    async fn sold_out(&self) -> bool {
        self.open_seats() == Some(0)
    }
    async fn waitlist(&self) -> bool {
        self.0.waitlist_enabled
    }
    async fn waitlist_count(&self) -> i32 {
        self.0.waitlist_count
    }
    async fn registration_closes_at(&self) -> DateTime<Utc> {
        self.0.registration_closes_at.unwrap_or(self.0.ends_at)
    }
    async fn refund_policy(&self) -> Option<&str> {
        self.0.refund_policy.as_deref()
    }
    async fn contact_email(&self) -> Option<&str> {
        self.0.contact_email.as_deref()
    }
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
    async fn faq(&self) -> Result<Vec<FaqItem>> {
        Ok(events::faq(&self.0)?.into_iter().map(|f| FaqItem { question: f.question, answer: f.answer }).collect())
    }
    async fn group(&self, ctx: &Context<'_>) -> Result<Group> {
        // The first host is the event's own group; the hosts' batch loads it for a whole list.
        if let Some(g) = self.host_groups(ctx).await?.into_iter().find(|g| g.id == self.0.group_id) {
            return Ok(Group(g));
        }
        loaded(ctx.loaders().groups.load_one(self.0.group_id).await)?
            .map(Group)
            .ok_or_else(|| AppError::not_found("group").into())
    }
    async fn organizer(&self, ctx: &Context<'_>) -> Result<Option<Member>> {
        let Some(id) = self.0.organizer_id else { return Ok(None) };
        let m = loaded(ctx.loaders().members.load_one(id).await)?;
        Ok(m.filter(|m| crate::domain::visibility::member_visible(m, ctx.viewer())).map(Member))
    }
    /// Its group first, then co-hosting partner networks that accepted.
    async fn hosts(&self, ctx: &Context<'_>) -> Result<Vec<Group>> {
        Ok(self.host_groups(ctx).await?.into_iter().map(Group).collect())
    }
    /// Groups invited to co-host that have not answered yet: they become hosts when an admin
    /// of theirs accepts (a partner on another server: when it answers the `Offer`).
    async fn invited_hosts(&self, ctx: &Context<'_>) -> Result<Vec<Group>> {
        Ok(events::invited_hosts(&ctx.state().db, &self.0).await?.into_iter().map(Group).collect())
    }
    async fn tags(&self) -> Vec<String> {
        events::tags(&self.0)
    }
    async fn my_registration(&self, ctx: &Context<'_>) -> Result<Option<Registration>> {
        Ok(self.my_registration_row(ctx).await?.map(Registration))
    }
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
    async fn payment_url(&self) -> Option<&str> {
        self.0.payment_url.as_deref()
    }
    async fn facilitators(&self) -> Result<Vec<Facilitator>> {
        Ok(events::facilitators(&self.0)?.into_iter().map(Facilitator).collect())
    }
    /// GOING registrants by country and sector, in buckets of at least 5 (smaller ones merge
    /// into `OTHER`); null while fewer than 5 are going.
    async fn attendance(&self, ctx: &Context<'_>) -> Result<Option<Attendance>> {
        let tally = |v: Vec<(String, i32)>| v.into_iter().map(|(key, count)| Tally { key, count }).collect();
        Ok(registrations::attendance(&ctx.state().db, &self.0).await?.map(|a| Attendance {
            going: a.going,
            by_country: tally(a.by_country),
            by_sector: tally(a.by_sector),
        }))
    }
    /// The registrations, for hosts only.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        status: Option<RegistrationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Registration>> {
        let page = PageRequest::new(first, after.as_deref())?.count_total(super::types::wants_total(ctx));
        let rows =
            registrations::list_for_hosts(ctx.state(), ctx.viewer(), &self.0, status.map(Into::into), page).await?;
        Ok(connection(rows, |r| r.id, Registration))
    }
    /// Open requests for held seats (hosts; 0 for others).
    async fn request_count(&self, ctx: &Context<'_>) -> Result<i32> {
        if self.0.request_count == 0 || !self.is_host(ctx).await? {
            return Ok(0);
        }
        Ok(self.0.request_count)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct Registration(pub registration::Model);

#[Object]
impl Registration {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn event(&self, ctx: &Context<'_>) -> Result<Event> {
        loaded(ctx.loaders().events.load_one(self.0.event_id).await)?
            .map(Event)
            .ok_or_else(|| AppError::not_found("event").into())
    }
    async fn member(&self, ctx: &Context<'_>) -> Result<Member> {
        loaded(ctx.loaders().members.load_one(self.0.member_id).await)?
            .map(Member)
            .ok_or_else(|| AppError::not_found("member").into())
    }
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
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A page of events in start-time order as a Relay connection.
pub fn event_connection(page: crate::domain::pagination::Page<event::Model>) -> Conn<Event> {
    let mut conn =
        Connection::with_additional_fields(false, page.has_next, ConnectionTotal { total_count: page.total as i64 });
    conn.edges.extend(page.items.into_iter().map(|e| Edge::new(events::cursor(&e), Event(e))));
    conn
}

pub async fn list_events(
    ctx: &Context<'_>,
    filter: EventFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Conn<Event>> {
    let mut page = EventPage::new(first, after.as_deref())?;
    page.count_total = super::types::wants_total(ctx);
    let filter = DomainFilter {
        group_handle: filter.group_handle,
        from: filter.from,
        to: filter.to,
        tag: filter.tag,
        search: filter.search,
        include_remote: filter.include_remote.unwrap_or(false),
    };
    let page = events::list(ctx.state(), ctx.viewer(), filter, page).await?;
    prime(ctx, &page.items).await?;
    Ok(event_connection(page))
}

/// Loads what the selected fields of a list's events need, one batch per kind, before the
/// fields resolve (they then read the request's loader cache): the statement count of a page
/// does not depend on its size or on how the engine schedules its fields.
async fn prime(ctx: &Context<'_>, rows: &[event::Model]) -> Result<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    let ids: Vec<uuid::Uuid> = rows.iter().map(|e| e.id).collect();
    let me = ctx.viewer().optional()?.map(|m| m.id);
    let loaders = ctx.loaders();
    let wants_hosts = node.field("hosts").exists() || node.field("group").exists() || node.field("location").exists();
    let wants_mine = node.field("myRegistration").exists() || node.field("location").exists();
    let organizers: Vec<uuid::Uuid> = rows.iter().filter_map(|e| e.organizer_id).collect();
    let internal = |e: super::loaders::LoadError| {
        async_graphql::Error::new(e.to_string()).extend_with(|_, ext| ext.set("code", "INTERNAL"))
    };
    let hosts = async {
        if wants_hosts {
            // The hosts with their groups in one statement; the groups also answer `group`.
            let hosts = loaders.hosts.load_many(ids.iter().copied()).await.map_err(internal)?;
            loaders.groups.feed_many(hosts.into_values().flatten().map(|g| (g.id, g))).await;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let mine = async {
        if let (true, Some(me)) = (wants_mine, me) {
            loaders.registrations.load_many(ids.iter().map(|e| (me, *e))).await.map_err(internal)?;
            if node.field("location").exists() {
                loaders.roles.load_one(me).await.map_err(internal)?;
            }
        }
        Ok::<_, async_graphql::Error>(())
    };
    let people = async {
        if node.field("organizer").exists() {
            loaders.members.load_many(organizers.iter().copied()).await.map_err(internal)?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let (a, b, c) = futures_util::join!(hosts, mine, people);
    a?;
    b?;
    c?;
    Ok(())
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// An event the viewer may see; null otherwise.
    async fn event(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Event>> {
        let id = parse_id("id", &id)?;
        Ok(events::find(ctx.state(), ctx.viewer(), id).await?.map(Event))
    }

    /// Events ordered by start.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Event>> {
        list_events(ctx, filter.unwrap_or_default(), first, after).await
    }
}

/// Looks up co-host groups on other servers (WebFinger, within the request's budget) so that
/// the domain knows them; one that cannot be found is reported by the domain.
async fn resolve_co_hosts(ctx: &Context<'_>, handles: Option<&[String]>) {
    let here = &ctx.state().config.domain;
    for h in handles.unwrap_or_default().iter().filter(|h| crate::domain::handles::is_remote(h, here)).take(3) {
        let _ = crate::federation::resolve::group_by_handle(&ctx.fed(), h, ctx.lookup(), ctx.viewer()).await;
    }
}

#[derive(Default)]
pub struct EventMutation;

#[Object]
impl EventMutation {
    async fn create_event(&self, ctx: &Context<'_>, input: CreateEventInput) -> Result<Event> {
        let group = parse_id("groupId", &input.group_id)?;
        resolve_co_hosts(ctx, input.co_hosts.as_deref()).await;
        Ok(Event(events::create(ctx.state(), ctx.viewer(), group, input.into()).await?))
    }

    async fn update_event(&self, ctx: &Context<'_>, id: ID, input: UpdateEventInput) -> Result<Event> {
        let id = parse_id("id", &id)?;
        resolve_co_hosts(ctx, input.co_hosts.as_deref()).await;
        Ok(Event(events::update(ctx.state(), ctx.viewer(), id, input.into()).await?))
    }

    /// An admin of a group invited to co-host an event answers: `accept: true` makes the group
    /// a host (the event joins its page, calendar and members' view); `false` declines.
    async fn answer_co_host_invitation(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        group_id: ID,
        accept: bool,
    ) -> Result<Event> {
        let event = parse_id("eventId", &event_id)?;
        let group = parse_id("groupId", &group_id)?;
        Ok(Event(events::answer_cohost(ctx.state(), ctx.viewer(), event, group, accept).await?))
    }

    async fn cancel_event(&self, ctx: &Context<'_>, id: ID, reason: Option<String>) -> Result<Event> {
        let id = parse_id("id", &id)?;
        Ok(Event(events::cancel(ctx.state(), ctx.viewer(), id, reason).await?))
    }

    /// GOING while seats are left; REQUESTED (for a held seat, with `message`) when only held
    /// seats remain; else WAITLISTED, or CONFLICT when the event has no waitlist.
    async fn rsvp(&self, ctx: &Context<'_>, event_id: ID, message: Option<String>) -> Result<Registration> {
        let id = parse_id("eventId", &event_id)?;
        Ok(Registration(registrations::rsvp(ctx.state(), ctx.viewer(), id, message).await?))
    }

    /// Frees the seat; the first waitlisted registration is promoted.
    async fn cancel_rsvp(&self, ctx: &Context<'_>, event_id: ID) -> Result<Registration> {
        let id = parse_id("eventId", &event_id)?;
        Ok(Registration(registrations::cancel(ctx.state(), ctx.viewer(), id).await?))
    }

    /// Hosts grant (GOING, taking a held seat) or decline (DECLINED) a request for a held seat.
    async fn review_seat_request(&self, ctx: &Context<'_>, registration_id: ID, grant: bool) -> Result<Registration> {
        let id = parse_id("registrationId", &registration_id)?;
        Ok(Registration(registrations::review(ctx.state(), ctx.viewer(), id, grant).await?))
    }

    /// A new secret address for the viewer's personal calendar; the old one stops working.
    async fn rotate_calendar_url(&self, ctx: &Context<'_>) -> Result<String> {
        let token = crate::domain::events::calendar::rotate(ctx.state(), ctx.viewer()).await?;
        Ok(crate::domain::events::calendar::url(ctx.state(), &token))
    }
}

#[derive(Default)]
pub struct EventSubscription;

#[async_graphql::Subscription]
impl EventSubscription {
    /// The event each time its details, status or seats change (made here or, on PostgreSQL,
    /// on any replica). Ends when the event is no longer visible to the subscriber.
    async fn event_changed(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
    ) -> Result<impl futures_util::Stream<Item = Event> + use<>> {
        use tokio::sync::broadcast::error::RecvError;
        let id = parse_id("eventId", &event_id)?;
        let state = ctx.data_unchecked::<crate::state::State>().clone();
        let viewer = ctx.viewer().clone();
        events::get(&state, &viewer, id).await?;
        let rx = state.bus.subscribe();
        Ok(futures_util::stream::unfold((rx, state, viewer), move |(mut rx, state, viewer)| async move {
            loop {
                match rx.recv().await {
                    Ok(crate::bus::Change::Event { id: changed }) if changed == id => {}
                    // Missed some: reload in case this event was among them.
                    Err(RecvError::Lagged(_)) => {}
                    Ok(_) => continue,
                    Err(RecvError::Closed) => return None,
                }
                let current = events::find(&state, &viewer, id).await.ok().flatten()?;
                return Some((Event(current), (rx, state, viewer)));
            }
        }))
    }
}
