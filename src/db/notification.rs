use sea_orm::entity::prelude::*;

/// Something a member should hear of: a reflection prompt after an event, a review due.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub member_id: Uuid,
    pub kind: super::enums::NotificationKind,
    pub event_id: Option<Uuid>,
    pub question_id: Option<Uuid>,
    /// The invitation to answer (GROUP_INVITATION).
    pub invitation_id: Option<Uuid>,
    /// The report that was resolved (REPORT_RESOLVED).
    pub report_id: Option<Uuid>,
    /// Unique per member: what makes a prompt happen once, even across a crash.
    pub once_key: String,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
