//! One `actor` table for every ActivityPub actor: members, groups and the instance.
//!
//! The federation state that `member` and `groups` each carried (profile URL, inbox, shared
//! inbox, outbox, followers collection, keys, whether followers wait for approval, when a
//! remote actor was last refreshed and verified) moves to `actor`; the instance actor, alone
//! in `instance_actor` until now, becomes a row too. A member or group row keeps its own
//! fields and the same id as its actor row (`member.id` and `groups.id` are foreign keys to
//! `actor.id`, `ON DELETE CASCADE`): ids are UUIDv7 and unique across tables, so no id is
//! rewritten, except the instance actor's, which was the nil UUID and gets a new one. The
//! actor's address (`ap_id`, username, domain, `local`) is also kept on `member` and `groups`:
//! those never change after the row is made, and lists of members and groups are read by them.
//!
//! References to actors were `(kind, id)` pairs; they become plain ids with foreign keys:
//! `follow.follower_id` and `follow.target_id`, `outbound_activity.actor_id` (`ON DELETE
//! CASCADE`, deliveries go with their activity as before). Rows that name a missing actor are
//! removed first.
//!
//! PostgreSQL changes the tables in place, in the migration's transaction. SQLite cannot drop a
//! unique column or add a constraint, so the four tables are rebuilt the way SQLite documents
//! (new table, rows copied, old table dropped, new one renamed, indexes made again) on one
//! connection with foreign keys off, inside one transaction, and `PRAGMA foreign_key_check`
//! must find nothing before it commits. Foreign keys have to be off there: `member` and
//! `groups` are what events, threads, posts, memberships and registrations cascade from, and
//! dropping the old table with them on would delete all of those rows. That connection is
//! closed afterwards rather than returned to the pool.
use sea_orm::sqlx;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns that move from `member` and `groups` to `actor`.
const MOVED: [&str; 10] = [
    "url",
    "inbox_url",
    "shared_inbox_url",
    "outbox_url",
    "followers_url",
    "public_key_pem",
    "private_key_pem",
    "manually_approves_followers",
    "last_refreshed_at",
    "verified_at",
];

const ACTOR_COLUMNS: &str = "id, kind, ap_id, username, domain, local, url, inbox_url, shared_inbox_url, \
     outbox_url, followers_url, public_key_pem, private_key_pem, manually_approves_followers, created_at, \
     updated_at, last_refreshed_at, verified_at";

const MEMBER_KEPT: &str = "id, handle, username, domain, email, password_hash, display_name, bio, bio_html, \
     sector, organization, country, pronouns, interests, links, is_admin, status, local, ap_id, avatar_url, \
     discoverable, created_at, updated_at, calendar_token";

const GROUP_KEPT: &str = "id, handle, slug, domain, name, summary, summary_html, join_mode, local, ap_id, \
     avatar_url, created_by, created_at, updated_at, public_followers";

const MEMBER_V18: &str = r#"( "id" uuid_text NOT NULL PRIMARY KEY, "handle" varchar NOT NULL UNIQUE, "username" varchar NOT NULL, "domain" varchar NULL, "email" varchar NULL UNIQUE, "password_hash" varchar NULL, "display_name" varchar NULL, "bio" text NULL, "bio_html" text NULL, "sector" varchar NULL, "organization" varchar NULL, "country" varchar NULL, "pronouns" varchar NULL, "interests" json_text NOT NULL, "links" json_text NOT NULL, "is_admin" boolean NOT NULL DEFAULT FALSE, "status" varchar NOT NULL, "local" boolean NOT NULL, "ap_id" varchar NOT NULL UNIQUE, "avatar_url" varchar NULL, "discoverable" boolean NOT NULL DEFAULT TRUE, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, "calendar_token" varchar NULL, CONSTRAINT "fk_member_actor" FOREIGN KEY ("id") REFERENCES "actor" ("id") ON DELETE CASCADE )"#;

const MEMBER_V17: &str = r#"( "id" uuid_text NOT NULL PRIMARY KEY, "handle" varchar NOT NULL UNIQUE, "username" varchar NOT NULL, "domain" varchar NULL, "email" varchar NULL UNIQUE, "password_hash" varchar NULL, "display_name" varchar NULL, "bio" text NULL, "bio_html" text NULL, "sector" varchar NULL, "organization" varchar NULL, "country" varchar NULL, "pronouns" varchar NULL, "interests" json_text NOT NULL, "links" json_text NOT NULL, "is_admin" boolean NOT NULL DEFAULT FALSE, "status" varchar NOT NULL, "local" boolean NOT NULL, "ap_id" varchar NOT NULL UNIQUE, "url" varchar NULL, "inbox_url" varchar NULL, "shared_inbox_url" varchar NULL, "outbox_url" varchar NULL, "followers_url" varchar NULL, "public_key_pem" text NULL, "private_key_pem" text NULL, "avatar_url" varchar NULL, "manually_approves_followers" boolean NOT NULL DEFAULT FALSE, "discoverable" boolean NOT NULL DEFAULT TRUE, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, "last_refreshed_at" timestamp_with_timezone_text NULL , "verified_at" timestamp_with_timezone_text NULL, "calendar_token" varchar NULL)"#;

const GROUP_V18: &str = r#"( "id" uuid_text NOT NULL PRIMARY KEY, "handle" varchar NOT NULL UNIQUE, "slug" varchar NOT NULL, "domain" varchar NULL, "name" varchar NOT NULL, "summary" text NULL, "summary_html" text NULL, "join_mode" varchar NOT NULL, "local" boolean NOT NULL, "ap_id" varchar NOT NULL UNIQUE, "avatar_url" varchar NULL, "created_by" uuid_text NULL, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, "public_followers" boolean NOT NULL DEFAULT FALSE, FOREIGN KEY ("created_by") REFERENCES "member" ("id") ON DELETE SET NULL, CONSTRAINT "fk_group_actor" FOREIGN KEY ("id") REFERENCES "actor" ("id") ON DELETE CASCADE )"#;

const GROUP_V17: &str = r#"( "id" uuid_text NOT NULL PRIMARY KEY, "handle" varchar NOT NULL UNIQUE, "slug" varchar NOT NULL, "domain" varchar NULL, "name" varchar NOT NULL, "summary" text NULL, "summary_html" text NULL, "join_mode" varchar NOT NULL, "local" boolean NOT NULL, "ap_id" varchar NOT NULL UNIQUE, "url" varchar NULL, "inbox_url" varchar NULL, "shared_inbox_url" varchar NULL, "outbox_url" varchar NULL, "followers_url" varchar NULL, "public_key_pem" text NULL, "private_key_pem" text NULL, "avatar_url" varchar NULL, "manually_approves_followers" boolean NOT NULL DEFAULT FALSE, "created_by" uuid_text NULL, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, "last_refreshed_at" timestamp_with_timezone_text NULL, "public_followers" boolean NOT NULL DEFAULT FALSE, "verified_at" timestamp_with_timezone_text NULL, FOREIGN KEY ("created_by") REFERENCES "member" ("id") ON DELETE SET NULL )"#;

const FOLLOW_V18: &str = r#"( "id" uuid_text NOT NULL PRIMARY KEY, "ap_id" varchar NOT NULL UNIQUE, "follower_id" uuid_text NOT NULL, "target_id" uuid_text NOT NULL, "state" varchar NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL, CONSTRAINT "fk_follow_follower" FOREIGN KEY ("follower_id") REFERENCES "actor" ("id") ON DELETE CASCADE, CONSTRAINT "fk_follow_target" FOREIGN KEY ("target_id") REFERENCES "actor" ("id") ON DELETE CASCADE )"#;

const FOLLOW_V17: &str = r#"( "id" uuid_text NOT NULL PRIMARY KEY, "ap_id" varchar NOT NULL UNIQUE, "follower_kind" varchar NOT NULL, "follower_id" uuid_text NOT NULL, "target_kind" varchar NOT NULL, "target_id" uuid_text NOT NULL, "state" varchar NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL, "updated_at" timestamp_with_timezone_text NOT NULL )"#;

const OUTBOUND_V18: &str = r#"( "id" uuid_text NOT NULL PRIMARY KEY, "ap_id" varchar NOT NULL UNIQUE, "actor_id" uuid_text NOT NULL, "kind" varchar NOT NULL, "payload" text NOT NULL, "public" boolean NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL, CONSTRAINT "fk_outbound_actor" FOREIGN KEY ("actor_id") REFERENCES "actor" ("id") ON DELETE CASCADE )"#;

const OUTBOUND_V17: &str = r#"( "id" uuid_text NOT NULL PRIMARY KEY, "ap_id" varchar NOT NULL UNIQUE, "actor_kind" varchar NOT NULL, "actor_id" uuid_text NOT NULL, "kind" varchar NOT NULL, "payload" text NOT NULL, "public" boolean NOT NULL, "created_at" timestamp_with_timezone_text NOT NULL )"#;

const FOLLOW_INDEXES_V18: [&str; 2] = [
    r#"CREATE UNIQUE INDEX "ux_follow_pair" ON "follow" ("follower_id", "target_id")"#,
    r#"CREATE INDEX "ix_follow_target" ON "follow" ("target_id", "state")"#,
];
const FOLLOW_INDEXES_V17: [&str; 2] = [
    r#"CREATE UNIQUE INDEX "ux_follow_pair" ON "follow" ("follower_kind", "follower_id", "target_kind", "target_id")"#,
    r#"CREATE INDEX "ix_follow_target" ON "follow" ("target_kind", "target_id", "state")"#,
];
const OUTBOUND_INDEX_V18: &str = r#"CREATE INDEX "ix_outbound_actor" ON "outbound_activity" ("actor_id", "id")"#;
const OUTBOUND_INDEX_V17: &str =
    r#"CREATE INDEX "ix_outbound_actor" ON "outbound_activity" ("actor_kind", "actor_id", "id")"#;

fn actor_table() -> TableCreateStatement {
    let col = |name: &str| ColumnDef::new(Alias::new(name)).to_owned();
    Table::create()
        .table(Alias::new("actor"))
        .col(col("id").uuid().not_null().primary_key())
        .col(col("kind").string().not_null())
        .col(col("ap_id").string().not_null().unique_key())
        .col(col("username").string().not_null())
        .col(col("domain").string().null())
        .col(col("local").boolean().not_null())
        .col(col("url").string().null())
        .col(col("inbox_url").string().null())
        .col(col("shared_inbox_url").string().null())
        .col(col("outbox_url").string().null())
        .col(col("followers_url").string().null())
        .col(col("public_key_pem").text().null())
        .col(col("private_key_pem").text().null())
        .col(col("manually_approves_followers").boolean().not_null().default(false))
        .col(col("created_at").timestamp_with_time_zone().not_null())
        .col(col("updated_at").timestamp_with_time_zone().not_null())
        .col(col("last_refreshed_at").timestamp_with_time_zone().null())
        .col(col("verified_at").timestamp_with_time_zone().null())
        .to_owned()
}

fn uuid_literal(backend: DbBackend, id: Uuid) -> String {
    match backend {
        DbBackend::Sqlite => format!("X'{}'", id.simple()),
        _ => format!("CAST('{id}' AS uuid)"),
    }
}

/// The statements that fill `actor` from the old tables and settle what names no actor; the
/// same on both engines.
fn fill_actor(backend: DbBackend, instance: Uuid) -> Vec<String> {
    // The moved columns but the last two (the times), which come after `created_at, updated_at`.
    let moved = MOVED[..8].join(", ");
    let instance = uuid_literal(backend, instance);
    let nil = uuid_literal(backend, Uuid::nil());
    let missing = |column: &str| format!("{column} NOT IN (SELECT id FROM actor)");
    vec![
        format!(
            "INSERT INTO actor ({ACTOR_COLUMNS}) SELECT id, 'member', ap_id, username, domain, local, {moved}, \
             created_at, updated_at, last_refreshed_at, verified_at FROM member"
        ),
        format!(
            "INSERT INTO actor ({ACTOR_COLUMNS}) SELECT id, 'group', ap_id, slug, domain, local, {moved}, \
             created_at, updated_at, last_refreshed_at, verified_at FROM groups"
        ),
        format!(
            "INSERT INTO actor (id, kind, ap_id, username, local, public_key_pem, private_key_pem, \
             manually_approves_followers, created_at, updated_at) SELECT {instance}, 'instance', ap_id, 'actor', \
             TRUE, public_key_pem, private_key_pem, TRUE, created_at, created_at FROM instance_actor"
        ),
        format!("UPDATE follow SET follower_id = {instance} WHERE follower_kind = 'instance' AND follower_id = {nil}"),
        format!("UPDATE follow SET target_id = {instance} WHERE target_kind = 'instance' AND target_id = {nil}"),
        format!(
            "UPDATE outbound_activity SET actor_id = {instance} WHERE actor_kind = 'instance' AND actor_id = {nil}"
        ),
        format!("DELETE FROM follow WHERE {} OR {}", missing("follower_id"), missing("target_id")),
        format!(
            "DELETE FROM delivery WHERE activity_id IN (SELECT id FROM outbound_activity WHERE {})",
            missing("actor_id")
        ),
        format!("DELETE FROM outbound_activity WHERE {}", missing("actor_id")),
    ]
}

/// The statements that put the moved columns back into `member` and `groups` and the kinds
/// into `follow` and `outbound_activity` (PostgreSQL; SQLite copies them while rebuilding).
fn restore_instance(backend: DbBackend) -> Vec<String> {
    let nil = uuid_literal(backend, Uuid::nil());
    let is_instance = |column: &str| format!("{column} IN (SELECT id FROM actor WHERE kind = 'instance')");
    vec![
        "CREATE TABLE instance_actor (id integer NOT NULL PRIMARY KEY, ap_id varchar NOT NULL UNIQUE, \
         public_key_pem text NOT NULL, private_key_pem text NOT NULL, created_at {ts} NOT NULL)"
            .replace(
                "{ts}",
                if backend == DbBackend::Sqlite { "timestamp_with_timezone_text" } else { "timestamp with time zone" },
            ),
        "INSERT INTO instance_actor (id, ap_id, public_key_pem, private_key_pem, created_at) SELECT 1, ap_id, \
         public_key_pem, private_key_pem, created_at FROM actor WHERE kind = 'instance' AND public_key_pem IS NOT \
         NULL AND private_key_pem IS NOT NULL LIMIT 1"
            .to_owned(),
        format!("UPDATE follow SET follower_id = {nil} WHERE {}", is_instance("follower_id")),
        format!("UPDATE follow SET target_id = {nil} WHERE {}", is_instance("target_id")),
        format!("UPDATE outbound_activity SET actor_id = {nil} WHERE {}", is_instance("actor_id")),
    ]
}

/// Rebuilds one SQLite table as `create` (the text after the table name), filling it with
/// `select`, and makes `indexes` on it.
fn rebuild(table: &str, create: &str, columns: &str, select: &str, indexes: &[&str]) -> Vec<String> {
    let temp = format!("{table}_rebuilt");
    let mut out = vec![
        format!("CREATE TABLE \"{temp}\" {create}"),
        format!("INSERT INTO \"{temp}\" ({columns}) {select}"),
        format!("DROP TABLE \"{table}\""),
        format!("ALTER TABLE \"{temp}\" RENAME TO \"{table}\""),
    ];
    out.extend(indexes.iter().map(|s| (*s).to_owned()));
    out
}

const MEMBER_INDEXES: [&str; 2] = [
    r#"CREATE UNIQUE INDEX "ux_member_calendar_token" ON "member" ("calendar_token")"#,
    r#"CREATE INDEX "ix_member_status" ON "member" ("status")"#,
];

fn sqlite_up(instance: Uuid) -> Vec<String> {
    let mut out = vec![actor_table().to_string(SqliteQueryBuilder)];
    out.extend(fill_actor(DbBackend::Sqlite, instance));
    out.extend(rebuild(
        "member",
        MEMBER_V18,
        MEMBER_KEPT,
        &format!("SELECT {MEMBER_KEPT} FROM member"),
        &MEMBER_INDEXES,
    ));
    out.extend(rebuild("groups", GROUP_V18, GROUP_KEPT, &format!("SELECT {GROUP_KEPT} FROM groups"), &[]));
    let follow = "id, ap_id, follower_id, target_id, state, created_at, updated_at";
    out.extend(rebuild("follow", FOLLOW_V18, follow, &format!("SELECT {follow} FROM follow"), &FOLLOW_INDEXES_V18));
    let outbound = "id, ap_id, actor_id, kind, payload, public, created_at";
    out.extend(rebuild(
        "outbound_activity",
        OUTBOUND_V18,
        outbound,
        &format!("SELECT {outbound} FROM outbound_activity"),
        &[OUTBOUND_INDEX_V18],
    ));
    out.push("DROP TABLE instance_actor".into());
    out
}

fn sqlite_down() -> Vec<String> {
    let moved = MOVED.map(|c| format!("a.{c}")).join(", ");
    let prefixed = |cols: &str| cols.split(", ").map(|c| format!("x.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let mut out = restore_instance(DbBackend::Sqlite);
    out.extend(rebuild(
        "member",
        MEMBER_V17,
        &format!("{MEMBER_KEPT}, {}", MOVED.join(", ")),
        &format!("SELECT {}, {moved} FROM member x JOIN actor a ON a.id = x.id", prefixed(MEMBER_KEPT)),
        &MEMBER_INDEXES,
    ));
    out.extend(rebuild(
        "groups",
        GROUP_V17,
        &format!("{GROUP_KEPT}, {}", MOVED.join(", ")),
        &format!("SELECT {}, {moved} FROM groups x JOIN actor a ON a.id = x.id", prefixed(GROUP_KEPT)),
        &[],
    ));
    // The kind of an actor whose row is gone (the instance's, now the nil id) is the instance's.
    let kind = |column: &str| format!("COALESCE((SELECT kind FROM actor WHERE id = x.{column}), 'instance')");
    out.extend(rebuild(
        "follow",
        FOLLOW_V17,
        "id, ap_id, follower_kind, follower_id, target_kind, target_id, state, created_at, updated_at",
        &format!(
            "SELECT x.id, x.ap_id, {}, x.follower_id, {}, x.target_id, x.state, x.created_at, x.updated_at FROM follow x",
            kind("follower_id"),
            kind("target_id")
        ),
        &FOLLOW_INDEXES_V17,
    ));
    out.extend(rebuild(
        "outbound_activity",
        OUTBOUND_V17,
        "id, ap_id, actor_kind, actor_id, kind, payload, public, created_at",
        &format!(
            "SELECT x.id, x.ap_id, {}, x.actor_id, x.kind, x.payload, x.public, x.created_at FROM outbound_activity x",
            kind("actor_id")
        ),
        &[OUTBOUND_INDEX_V17],
    ));
    out.push("DROP TABLE actor".into());
    out
}

fn postgres_up(instance: Uuid) -> Vec<String> {
    let mut out = vec![actor_table().to_string(PostgresQueryBuilder)];
    out.extend(fill_actor(DbBackend::Postgres, instance));
    let drop_moved = MOVED.map(|c| format!("DROP COLUMN {c}")).join(", ");
    let fk = |name: &str, column: &str| {
        format!("ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES actor (id) ON DELETE CASCADE")
    };
    out.extend([
        format!("ALTER TABLE member {drop_moved}, {}", fk("fk_member_actor", "id")),
        format!("ALTER TABLE groups {drop_moved}, {}", fk("fk_group_actor", "id")),
        "DROP INDEX IF EXISTS ux_follow_pair".into(),
        "DROP INDEX IF EXISTS ix_follow_target".into(),
        format!(
            "ALTER TABLE follow DROP COLUMN follower_kind, DROP COLUMN target_kind, {}, {}",
            fk("fk_follow_follower", "follower_id"),
            fk("fk_follow_target", "target_id")
        ),
        "DROP INDEX IF EXISTS ix_outbound_actor".into(),
        format!("ALTER TABLE outbound_activity DROP COLUMN actor_kind, {}", fk("fk_outbound_actor", "actor_id")),
        "DROP TABLE instance_actor".into(),
    ]);
    out.extend(FOLLOW_INDEXES_V18.map(str::to_owned));
    out.push(OUTBOUND_INDEX_V18.into());
    out
}

fn postgres_down() -> Vec<String> {
    let add_moved = "ADD COLUMN url varchar NULL, ADD COLUMN inbox_url varchar NULL, ADD COLUMN shared_inbox_url \
         varchar NULL, ADD COLUMN outbox_url varchar NULL, ADD COLUMN followers_url varchar NULL, ADD COLUMN \
         public_key_pem text NULL, ADD COLUMN private_key_pem text NULL, ADD COLUMN manually_approves_followers \
         boolean NOT NULL DEFAULT FALSE, ADD COLUMN last_refreshed_at timestamp with time zone NULL, ADD COLUMN \
         verified_at timestamp with time zone NULL";
    let copy_moved = MOVED.map(|c| format!("{c} = a.{c}")).join(", ");
    let kind = |column: &str| format!("COALESCE((SELECT kind FROM actor a WHERE a.id = {column}), 'instance')");
    let mut out = vec![
        format!("ALTER TABLE member DROP CONSTRAINT fk_member_actor, {add_moved}"),
        format!("UPDATE member x SET {copy_moved} FROM actor a WHERE a.id = x.id"),
        format!("ALTER TABLE groups DROP CONSTRAINT fk_group_actor, {add_moved}"),
        format!("UPDATE groups x SET {copy_moved} FROM actor a WHERE a.id = x.id"),
        "DROP INDEX IF EXISTS ux_follow_pair".into(),
        "DROP INDEX IF EXISTS ix_follow_target".into(),
        "ALTER TABLE follow DROP CONSTRAINT fk_follow_follower, DROP CONSTRAINT fk_follow_target, ADD COLUMN \
         follower_kind varchar NULL, ADD COLUMN target_kind varchar NULL"
            .into(),
        format!("UPDATE follow SET follower_kind = {}, target_kind = {}", kind("follower_id"), kind("target_id")),
        "ALTER TABLE follow ALTER COLUMN follower_kind SET NOT NULL, ALTER COLUMN target_kind SET NOT NULL".into(),
        "DROP INDEX IF EXISTS ix_outbound_actor".into(),
        "ALTER TABLE outbound_activity DROP CONSTRAINT fk_outbound_actor, ADD COLUMN actor_kind varchar NULL".into(),
        format!("UPDATE outbound_activity SET actor_kind = {}", kind("actor_id")),
        "ALTER TABLE outbound_activity ALTER COLUMN actor_kind SET NOT NULL".into(),
    ];
    out.extend(restore_instance(DbBackend::Postgres));
    out.extend(FOLLOW_INDEXES_V17.map(str::to_owned));
    out.push(OUTBOUND_INDEX_V17.into());
    out.push("DROP TABLE actor".into());
    out
}

/// Runs `statements` on SQLite on one connection of the pool, with foreign keys off, in one
/// transaction that commits only if no row breaks a foreign key; the connection is closed, not
/// returned to the pool.
/// The shapes the SQLite schema can be in, as far as this migration is concerned.
#[derive(PartialEq, Eq)]
enum Shape {
    /// Version 17: the actor columns on `member`, no `actor` table.
    Before,
    /// Version 18.
    After,
}

/// `statements` take the schema to `goal`; a schema already there is left as it is (the
/// schema change commits on its own connection before the migrator records the migration, so
/// a crash between the two leaves the change made and the migration unrecorded).
async fn run_sqlite(manager: &SchemaManager<'_>, goal: Shape, statements: Vec<String>) -> Result<(), DbErr> {
    let fail = |e: sqlx::Error| DbErr::Custom(format!("actor migration: {e}"));
    let SchemaManagerConnection::Connection(db) = manager.get_connection() else {
        return Err(DbErr::Custom("the actor migration runs outside a transaction on SQLite".into()));
    };
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(fail)?;
    conn.close_on_drop();
    let (actor_table,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'actor'")
            .fetch_one(&mut *conn)
            .await
            .map_err(fail)?;
    let (old_columns,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM pragma_table_info('member') WHERE name = 'inbox_url'")
            .fetch_one(&mut *conn)
            .await
            .map_err(fail)?;
    let now = if actor_table > 0 && old_columns == 0 { Shape::After } else { Shape::Before };
    if now == goal {
        return Ok(());
    }
    sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *conn).await.map_err(fail)?;
    let mut txn = sqlx::Connection::begin(&mut *conn).await.map_err(fail)?;
    for sql in &statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.as_str()))
            .execute(&mut *txn)
            .await
            .map_err(|e| DbErr::Custom(format!("{e} in {sql}")))?;
    }
    let broken = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *txn).await.map_err(fail)?;
    if !broken.is_empty() {
        return Err(DbErr::Custom(format!("{} rows name a missing row after the actor migration", broken.len())));
    }
    txn.commit().await.map_err(fail)
}

async fn run_postgres(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        // PostgreSQL: the migration's transaction. SQLite: the migration makes its own, on the
        // connection it takes foreign keys off (which no transaction may do).
        None
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let instance = Uuid::now_v7();
        match manager.get_database_backend() {
            DbBackend::Sqlite => run_sqlite(manager, Shape::After, sqlite_up(instance)).await,
            _ => run_postgres(manager, postgres_up(instance)).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Sqlite => run_sqlite(manager, Shape::Before, sqlite_down()).await,
            _ => run_postgres(manager, postgres_down()).await,
        }
    }
}
