use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `alice` for local members, `alice@other.example` for remote ones; lowercase.
    #[sea_orm(unique)]
    pub handle: String,
    pub username: String,
    pub domain: Option<String>,
    #[sea_orm(unique)]
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub bio_html: Option<String>,
    pub sector: Option<String>,
    pub organization: Option<String>,
    pub country: Option<String>,
    pub pronouns: Option<String>,
    pub interests: Json,
    pub links: Json,
    pub is_admin: bool,
    /// ACTIVE, PENDING (awaiting approval) or SUSPENDED.
    pub status: super::enums::MemberStatus,
    pub local: bool,
    #[sea_orm(unique)]
    pub ap_id: String,
    pub avatar_url: Option<String>,
    /// The avatar picture (a `media` row); `avatar_url` is its address.
    pub avatar_id: Option<Uuid>,
    pub discoverable: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The secret token in the address of the member's personal calendar feed (a capability,
    /// like a private calendar link elsewhere; `rotateCalendarUrl` replaces it).
    pub calendar_token: Option<String>,
    /// The kinds of mail the member turned off, comma-separated (`MailKind` values).
    pub mail_off: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
