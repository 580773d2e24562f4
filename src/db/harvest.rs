use sea_orm::entity::prelude::*;

/// Sense-making: a group's reflections of a period (optionally of one event) gathered into
/// themes, what the group now understands, and next actions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "harvest")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub group_id: Uuid,
    pub event_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub title: String,
    pub period_from: DateTimeUtc,
    pub period_to: DateTimeUtc,
    /// Markdown as written, and as rendered.
    pub understanding: Option<String>,
    pub understanding_html: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
