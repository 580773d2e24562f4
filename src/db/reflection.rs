use sea_orm::entity::prelude::*;

/// A member's reflection: an after-action review, an observation, an insight or a story, about
/// an event (or one of its sessions), a thread or a library entry, as evidence for questions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reflection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ap_id: String,
    pub local: bool,
    pub group_id: Uuid,
    pub author_id: Option<Uuid>,
    pub kind: super::enums::ReflectionKind,
    pub visibility: super::enums::RecordVisibility,
    /// Markdown as written, and as rendered.
    pub body: Option<String>,
    pub body_html: Option<String>,
    /// The after-action review: what we set out to do, what happened, why, what next time.
    pub intended: Option<String>,
    pub happened: Option<String>,
    pub why: Option<String>,
    pub next_time: Option<String>,
    pub event_id: Option<Uuid>,
    /// Which of the event's sessions (0 is the first).
    pub session_index: Option<i32>,
    pub thread_id: Option<Uuid>,
    pub resource_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
