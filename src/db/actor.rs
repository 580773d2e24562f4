use sea_orm::entity::prelude::*;

/// Every ActivityPub actor, local or remote: members, groups and the instance. A member or
/// group row has the same id as its actor row (a foreign key, `ON DELETE CASCADE`), and keeps
/// its own fields; this row holds what federation needs of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "actor")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: super::enums::ActorKind,
    #[sea_orm(unique)]
    pub ap_id: String,
    /// `preferredUsername`: a member's username, a group's slug, `actor` for the instance.
    pub username: String,
    /// Remote actors' server; `None` for local ones.
    pub domain: Option<String>,
    pub local: bool,
    /// The profile page (remote actors' `url`); local actors' is their `ap_id`.
    pub url: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub public_key_pem: Option<String>,
    /// Local actors only, made on first federation use.
    #[sea_orm(column_type = "Text", nullable)]
    pub private_key_pem: Option<String>,
    pub manually_approves_followers: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Remote actors: when their document was last fetched or received.
    pub last_refreshed_at: Option<DateTimeUtc>,
    /// Remote actors: when one of their signatures verified or a member looked them up; they
    /// are listed in the directory only from then on.
    pub verified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
