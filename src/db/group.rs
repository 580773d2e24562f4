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
    pub url: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub public_key_pem: Option<String>,
    pub private_key_pem: Option<String>,
    pub avatar_url: Option<String>,
    pub manually_approves_followers: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_refreshed_at: Option<DateTimeUtc>,
    /// Remote actors: when one of their signatures verified or a member looked them up; they
    /// are listed in the directory only from then on.
    pub verified_at: Option<DateTimeUtc>,
    /// The followers collection lists its items (otherwise only a count).
    pub public_followers: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
