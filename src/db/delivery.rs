use sea_orm::entity::prelude::*;

/// One activity to one inbox (shared inboxes are used when a server has one).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub activity_id: Uuid,
    pub inbox_url: String,
    /// host[:port] of the inbox, for instance health.
    pub domain: String,
    /// PENDING, DONE, FAILED (gave up) or SKIPPED (blocked or refused by policy).
    pub state: super::enums::DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A worker holds the row until then; a crashed worker's rows come back afterwards.
    pub locked_until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
