use sea_orm::entity::prelude::*;

/// A picture: uploaded here (kept in the media store under `storage_key`) or a remote actor's
/// or event's, referenced by `remote_url`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Option<Uuid>,
    pub local: bool,
    pub storage_key: Option<String>,
    pub thumbnail_key: Option<String>,
    #[sea_orm(unique)]
    pub remote_url: Option<String>,
    pub content_type: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub byte_size: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub alt: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
