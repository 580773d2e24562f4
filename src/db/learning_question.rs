use sea_orm::entity::prelude::*;

/// A question a group commits to learn about ("how are we doing at DEI?"), with its current
/// understanding and a review rhythm; reflections are its evidence.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "learning_question")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ap_id: String,
    pub local: bool,
    pub group_id: Uuid,
    pub author_id: Option<Uuid>,
    /// Who keeps its understanding current and is prompted for reviews.
    pub owner_id: Option<Uuid>,
    pub title: String,
    /// Markdown as written, and as rendered.
    pub why_it_matters: Option<String>,
    pub why_it_matters_html: Option<String>,
    pub status: super::enums::QuestionStatus,
    pub review_every_days: Option<i32>,
    pub next_review_at: Option<DateTimeUtc>,
    pub understanding: Option<String>,
    pub understanding_updated_at: Option<DateTimeUtc>,
    pub visibility: super::enums::RecordVisibility,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
