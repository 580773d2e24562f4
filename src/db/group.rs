use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `community` for local groups, `network@partner.example` for remote ones; lowercase.
    #[sea_orm(unique)]
    pub handle: String,
    pub slug: String,
    pub domain: Option<String>,
    pub name: String,
    pub summary: Option<String>,
    pub summary_html: Option<String>,
    /// OPEN or APPROVAL (joining needs a moderator's approval).
    pub join_mode: super::enums::JoinMode,
    pub local: bool,
    #[sea_orm(unique)]
    pub ap_id: String,
    pub avatar_url: Option<String>,
    /// The banner picture (a `media` row).
    pub banner_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The followers collection lists its items (otherwise only a count).
    pub public_followers: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
