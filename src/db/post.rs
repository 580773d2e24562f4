use sea_orm::entity::prelude::*;

/// A post in a thread: its opening text (no parent, first in the path order) or a reply.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "post")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ap_id: String,
    pub local: bool,
    pub thread_id: Uuid,
    pub author_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// The ancestors' ids and its own (simple hex), `/`-separated: sorts into tree order.
    pub path: String,
    /// 0 for the opening post and direct replies to the thread; a reply's is its parent's + 1.
    pub depth: i32,
    /// Markdown as written (local posts).
    pub body: Option<String>,
    /// Sanitised HTML; empty once deleted.
    pub body_html: String,
    /// Deleted by its author or a moderator: it keeps its place in the tree.
    pub deleted: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub edited_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
