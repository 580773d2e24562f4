//! Tags as rows of a join table (`<owner>_tag`: one per owner and tag, lowercase) instead of a
//! `,tag,tag,` string matched with `LIKE`: the tag filter is an indexed equality and a tag may
//! hold any character (`%`, `_`, `,`). The owner keeps its `tags` (the list as shown); its
//! `tag_list` goes. Events (m0013) and resources (m0017) move the same way.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

/// One owner table and its tag table: `event` → `event_tag(event_id, tag)`.
pub struct TagTable {
    pub owner: &'static str,
    pub table: &'static str,
    pub owner_id: &'static str,
}

/// The key a tag is stored and looked up under; the same as `domain::tags::key`.
fn tag_key(t: &str) -> String {
    t.trim().to_lowercase()
}

impl TagTable {
    pub async fn up(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let (owner, table, owner_id) = (Alias::new(self.owner), Alias::new(self.table), Alias::new(self.owner_id));
        manager
            .create_table(
                Table::create()
                    .table(table.clone())
                    .col(uuid(owner_id.clone()))
                    .col(string(Alias::new("tag")))
                    .primary_key(Index::create().col(owner_id.clone()).col(Alias::new("tag")))
                    .foreign_key(
                        ForeignKey::create()
                            .name(format!("fk_{}_{}", self.table, self.owner))
                            .from(table.clone(), owner_id.clone())
                            .to(owner.clone(), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(format!("ix_{}_tag", self.table))
                    .table(table.clone())
                    .col(Alias::new("tag"))
                    .to_owned(),
            )
            .await?;

        // Filled in Rust rather than with each engine's JSON functions: the key is lowercased
        // as the application does it (SQLite's `lower` knows ASCII only).
        let db = manager.get_connection();
        let rows =
            db.query_all(Query::select().columns([Alias::new("id"), Alias::new("tags")]).from(owner.clone())).await?;
        let mut pairs: Vec<(uuid::Uuid, String)> = Vec::new();
        for row in rows {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let tags: serde_json::Value = row.try_get("", "tags")?;
            let mut seen = std::collections::HashSet::new();
            for t in tags.as_array().into_iter().flatten().filter_map(|t| t.as_str()) {
                let key = tag_key(t);
                if !key.is_empty() && seen.insert(key.clone()) {
                    pairs.push((id, key));
                }
            }
        }
        for chunk in pairs.chunks(500) {
            let mut insert = Query::insert();
            insert.into_table(table.clone()).columns([owner_id.clone(), Alias::new("tag")]);
            for (id, tag) in chunk {
                insert.values([(*id).into(), tag.clone().into()]).map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            db.execute(&insert).await?;
        }

        manager.alter_table(Table::alter().table(owner).drop_column(Alias::new("tag_list")).to_owned()).await
    }

    pub async fn down(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new(self.owner))
                    .add_column(text(Alias::new("tag_list")).default(","))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let concat = match db.get_database_backend() {
            DbBackend::Postgres => "string_agg(t.tag, ',')",
            _ => "group_concat(t.tag, ',')",
        };
        let (owner, table, owner_id) = (self.owner, self.table, self.owner_id);
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "UPDATE {owner} SET tag_list = ',' || (SELECT {concat} FROM {table} t WHERE t.{owner_id} = {owner}.id) || ',' \
                 WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.{owner_id} = {owner}.id)"
            ),
        ))
        .await?;
        manager.drop_table(Table::drop().table(Alias::new(self.table)).to_owned()).await
    }
}
