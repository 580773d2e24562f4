use sea_orm::entity::prelude::*;

use super::enums::ResourceKind;

/// An entry of a group's shared library: a link, document, toolkit, recording… Local and
/// remote entries share the table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resource")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ap_id: String,
    pub local: bool,
    pub group_id: Uuid,
    pub author_id: Option<Uuid>,
    pub title: String,
    pub kind: ResourceKind,
    /// Where the resource itself is (http or https).
    pub link: Option<String>,
    /// Markdown as written (local entries).
    pub description: Option<String>,
    /// Sanitised HTML.
    pub description_html: Option<String>,
    pub tags: Json,
    /// Where it sits in the group's library: "" (top) or "Toolkits/Evaluation".
    pub folder: String,
    pub event_id: Option<Uuid>,
    pub thread_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
