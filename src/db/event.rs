use sea_orm::entity::prelude::*;

use super::enums::{EventStatus, LocationMode, Visibility};

/// An event, local or remote. `starts_at`/`ends_at` span its sessions (kept for ordering and
/// filtering). The seat counters are changed only by conditional updates (see
/// `domain::events::registrations`): `seats_taken + held_seats <= capacity` always holds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ap_id: String,
    pub local: bool,
    pub url: Option<String>,
    pub group_id: Uuid,
    pub organizer_id: Option<Uuid>,
    pub title: String,
    pub summary: Option<String>,
    /// Markdown as written (local events).
    pub description: Option<String>,
    /// Rendered and sanitised once, on write.
    pub description_html: Option<String>,
    /// IANA zone, e.g. `America/Los_Angeles`.
    pub timezone: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// `[{startsAt, endsAt, title}]`, in order.
    pub sessions: Json,
    pub location_mode: LocationMode,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub online_url: Option<String>,
    pub capacity: Option<i32>,
    /// Seats the hosts hold back; granting a request turns one into a taken seat.
    pub held_seats: i32,
    pub seats_taken: i32,
    pub waitlist_enabled: bool,
    pub waitlist_count: i32,
    pub request_count: i32,
    pub registration_closes_at: Option<DateTimeUtc>,
    pub refund_policy: Option<String>,
    pub contact_email: Option<String>,
    pub external_registration_url: Option<String>,
    /// Decimal string, e.g. `350.00`.
    pub price_amount: Option<String>,
    /// ISO 4217.
    pub price_currency: Option<String>,
    pub payment_url: Option<String>,
    /// `[{title, description, startsAt}]`.
    pub agenda: Json,
    /// `[{question, answer}]`.
    pub faq: Json,
    /// `[{name, memberId, role}]`.
    pub facilitators: Json,
    /// The tags as shown; the tag filter reads their `event_tag` rows.
    pub tags: Json,
    pub visibility: Visibility,
    pub status: EventStatus,
    pub cancel_reason: Option<String>,
    /// Bumped on every change (iCalendar SEQUENCE).
    pub sequence: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The event's picture (a `media` row).
    pub picture_id: Option<Uuid>,
    pub last_refreshed_at: Option<DateTimeUtc>,
    /// For remote events: `updated` as their server last said it.
    pub remote_updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
