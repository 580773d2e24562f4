//! The event's output objects: `Event`, `Registration`, their parts and enums.
use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::db::enums::{self, EventStatus as DbStatus, LocationMode as DbMode, RegistrationStatus as DbReg};
use crate::db::{event, registration};
use crate::domain::events;
use crate::domain::pagination::PageRequest;
use crate::domain::{events::registrations, visibility};
use crate::error::AppError;
use crate::graphql::groups::Group;
use crate::graphql::members::{visible_member, Member};
use crate::graphql::types::{connection, loaded, wants_total, Conn, Result};
use crate::graphql::ContextExt as _;

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
        visible_member(ctx, self.0.member_id).await
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

    /// Its hosts and invited co-hosts, through the request's loader (a list's in one batch).
    async fn hosting(&self, ctx: &Context<'_>) -> Result<events::EventHosts> {
        Ok(loaded(ctx.loaders().hosts.load_one((self.0.id, self.0.group_id)).await)?.unwrap_or_default())
    }

    async fn host_groups(&self, ctx: &Context<'_>) -> Result<Vec<crate::db::group::Model>> {
        Ok(self.hosting(ctx).await?.hosts)
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
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The event's picture: uploaded here, or its server's.
    async fn picture(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::media::Media>> {
        crate::graphql::media::picture(ctx, self.0.picture_id).await
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
        visible_member(ctx, self.0.organizer_id).await
    }
    /// Its group first, then co-hosting partner networks that accepted.
    async fn hosts(&self, ctx: &Context<'_>) -> Result<Vec<Group>> {
        Ok(self.host_groups(ctx).await?.into_iter().map(Group).collect())
    }
    /// Groups invited to co-host that have not answered yet: they become hosts when an admin
    /// of theirs accepts (a partner on another server: when it answers the `Offer`).
    async fn invited_hosts(&self, ctx: &Context<'_>) -> Result<Vec<Group>> {
        Ok(self.hosting(ctx).await?.invited.into_iter().map(Group).collect())
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
    /// The registrations, for hosts only (null for everyone else).
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        status: Option<RegistrationStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<Conn<Registration>>> {
        if !self.is_host(ctx).await? {
            return Ok(None);
        }
        let page = PageRequest::new(first, after.as_deref())?.count_total(wants_total(ctx));
        let rows =
            registrations::list_for_hosts(ctx.state(), ctx.viewer(), &self.0, status.map(Into::into), page).await?;
        Ok(Some(connection(rows, |r| r.id, Registration)))
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

#[Object]
impl Registration {
    pub async fn id(&self) -> ID {
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
