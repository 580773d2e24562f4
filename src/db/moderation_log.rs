use sea_orm::entity::prelude::*;

use super::enums::{ModerationAction, ReportSubject};

/// One moderation decision: who did what to which member or content, and why.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "moderation_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub moderator_id: Option<Uuid>,
    pub action: ModerationAction,
    pub report_id: Option<Uuid>,
    pub subject_kind: ReportSubject,
    pub subject_id: Uuid,
    pub subject_ap_id: String,
    pub group_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
