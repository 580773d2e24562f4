use sea_orm::entity::prelude::*;

use super::enums::{MailKind, MailState};

/// A mail to a member, queued in the transaction of what it tells of and sent by the mail
/// worker; composed when sent, from what is then true.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub member_id: Uuid,
    pub kind: MailKind,
    pub event_id: Option<Uuid>,
    pub registration_id: Option<Uuid>,
    /// Unique per member: what makes a mail be queued once.
    pub dedupe_key: String,
    /// A link only the mail may carry (a password reset); cleared once sent.
    #[sea_orm(column_type = "Text", nullable)]
    pub secret_link: Option<String>,
    pub state: MailState,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
