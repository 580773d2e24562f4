use sea_orm::entity::prelude::*;

use super::enums::{ModerationAction, ReportReason, ReportStatus, ReportSubject};

/// A report of a member or of content, by a local member or another server (`Flag`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_kind: ReportSubject,
    /// The reported row's id (a member's, a post's…); it may be gone since.
    pub subject_id: Uuid,
    pub subject_ap_id: String,
    /// The group whose moderators handle it; `None`: instance admins only.
    pub group_id: Option<Uuid>,
    /// Whose content it is (the member, for a report of a member).
    pub author_id: Option<Uuid>,
    /// The local member who reported it (never shown to the reported).
    pub reporter_id: Option<Uuid>,
    /// The server a `Flag` came from.
    pub origin_domain: Option<String>,
    pub reason: ReportReason,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    /// A `Flag` was sent to the content's server.
    pub forwarded: bool,
    pub status: ReportStatus,
    pub action: Option<ModerationAction>,
    pub resolved_by: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub resolution_note: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
