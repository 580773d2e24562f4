use sea_orm::entity::prelude::*;

use super::enums::RegistrationStatus;

/// One member's registration for one event (unique per pair; re-registering reuses the row).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registration")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: Uuid,
    pub member_id: Uuid,
    pub status: RegistrationStatus,
    /// Order on the waitlist (set while WAITLISTED): lower goes first.
    pub waitlist_seq: Option<i64>,
    pub message: Option<String>,
    /// The `Join`, or the poll vote, a remote registration came by.
    pub via_ap_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
