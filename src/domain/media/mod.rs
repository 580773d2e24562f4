//! Pictures: members' avatars, groups' banners, events' pictures. Uploads are checked and
//! re-encoded (`picture`), kept in the media store (`store`) and served at `/media/{key}`;
//! remote actors' and events' pictures are referenced by their address, never copied.
//!
//! The rule of who may attach a picture lives here once ([`attachable`]): a member attaches
//! only pictures they uploaded here.
pub mod picture;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use url::Url;
use uuid::Uuid;

use crate::db::media;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The longest description of a picture (Mastodon's limit).
pub const MAX_ALT: usize = 1500;
/// Pictures one member may upload in a day: enough for any profile, event or banner work.
pub const DAILY_UPLOADS: u64 = 100;

/// Checks, re-encodes and stores an uploaded file for `owner`; the row is written only once
/// both files are stored, and the files are removed again if it cannot be.
pub async fn upload(state: &AppState, owner: Uuid, bytes: Vec<u8>, alt: Option<&str>) -> AppResult<media::Model> {
    let alt = crate::domain::validate::text("alt", alt, MAX_ALT)?;
    let since = chrono::Utc::now() - chrono::Duration::days(1);
    let recent = media::Entity::find()
        .filter(media::Column::OwnerId.eq(owner))
        .filter(media::Column::Local.eq(true))
        .filter(media::Column::CreatedAt.gt(since))
        .count(&state.db)
        .await?;
    if recent >= DAILY_UPLOADS {
        return Err(AppError::RateLimited(format!("at most {DAILY_UPLOADS} pictures a day")));
    }
    sweep_unattached(state, owner).await?;
    let processed = process(bytes).await?;
    let id = Uuid::now_v7();
    let ext = processed.kind.extension();
    let key = format!("{id}.{ext}");
    let thumbnail_key = format!("{id}-thumb.{ext}");
    state.media.put(&key, processed.picture.clone()).await?;
    if let Err(e) = state.media.put(&thumbnail_key, processed.thumbnail).await {
        state.media.delete(&key).await;
        return Err(e);
    }
    let row = media::ActiveModel {
        id: Set(id),
        owner_id: Set(Some(owner)),
        local: Set(true),
        storage_key: Set(Some(key.clone())),
        thumbnail_key: Set(Some(thumbnail_key.clone())),
        remote_url: Set(None),
        content_type: Set(processed.kind.content_type().into()),
        width: Set(i32::try_from(processed.width).ok()),
        height: Set(i32::try_from(processed.height).ok()),
        byte_size: Set(i64::try_from(processed.picture.len()).ok()),
        alt: Set(alt),
        created_at: Set(chrono::Utc::now()),
    };
    match row.insert(&state.db).await {
        Ok(m) => Ok(m),
        Err(e) => {
            state.media.delete(&key).await;
            state.media.delete(&thumbnail_key).await;
            Err(e.into())
        }
    }
}

/// Pictures decoded at once: each may take a few hundred MB while it is worked on.
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Checks and re-encodes a file (see [`picture::process`]) on the blocking pool.
async fn process(bytes: Vec<u8>) -> AppResult<picture::Processed> {
    if bytes.len() > picture::MAX_BYTES {
        return Err(picture::too_large());
    }
    let _permit = DECODING.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || picture::process(&bytes)).await.map_err(AppError::internal)?
}

/// The picture `id` if `member` may attach it: one they uploaded here. `None` (the input was
/// null) removes a picture.
pub async fn attachable<C: ConnectionTrait>(
    db: &C,
    member: Uuid,
    field: &str,
    id: Option<Uuid>,
) -> AppResult<Option<media::Model>> {
    let Some(id) = id else { return Ok(None) };
    match media::Entity::find_by_id(id).one(db).await? {
        Some(m) if m.local && m.owner_id == Some(member) => Ok(Some(m)),
        Some(_) => Err(AppError::bad_input(field, "attach a picture you uploaded here")),
        None => Err(AppError::bad_input(field, "no such picture")),
    }
}

/// A picture change of an edit (`None`: no change; `Some(None)`: remove the picture), checked
/// by [`attachable`].
pub async fn attach<C: ConnectionTrait>(
    db: &C,
    member: Uuid,
    field: &str,
    change: Option<Option<Uuid>>,
) -> AppResult<Option<Option<media::Model>>> {
    match change {
        None => Ok(None),
        Some(id) => Ok(Some(attachable(db, member, field, id).await?)),
    }
}

/// A remote actor's or event's picture (`owner`: the actor, or the event's group), referenced
/// where it is: the row for its address, made on first sight. Only the owner's own row is
/// updated (its alt text, its type). Once the row that showed it points elsewhere, call
/// [`replaced`].
pub async fn reference<C: ConnectionTrait>(
    db: &C,
    owner: Uuid,
    image: Option<&crate::ap::actor::Image>,
) -> AppResult<Option<Uuid>> {
    match image {
        Some(image) if image.url.as_str().len() <= 2048 => Ok(Some(remote_row(db, owner, image).await?)),
        _ => Ok(None),
    }
}

/// A remote picture `before` was replaced by `now`: its row goes when nothing uses it any
/// more, so a server that keeps changing its pictures cannot pile rows up.
pub async fn replaced<C: ConnectionTrait>(db: &C, before: Option<Uuid>, now: Option<Uuid>) -> AppResult<()> {
    match before.filter(|b| Some(*b) != now) {
        Some(old) => forget_if_unused(db, old).await,
        None => Ok(()),
    }
}

async fn remote_row<C: ConnectionTrait>(db: &C, owner: Uuid, image: &crate::ap::actor::Image) -> AppResult<Uuid> {
    use sea_orm::sea_query::OnConflict;
    let address = image.url.as_str();
    let content_type = remote_content_type(image.media_type.as_deref(), &image.url);
    let alt: Option<String> =
        image.name.as_deref().map(|a| a.chars().filter(|c| !c.is_control()).take(MAX_ALT).collect());
    let row = media::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_id: Set(Some(owner)),
        local: Set(false),
        storage_key: Set(None),
        thumbnail_key: Set(None),
        remote_url: Set(Some(address.to_string())),
        content_type: Set(content_type.clone()),
        width: Set(None),
        height: Set(None),
        byte_size: Set(None),
        alt: Set(alt.clone()),
        created_at: Set(chrono::Utc::now()),
    };
    // Two first sights at once (two replicas, two deliveries) meet here, not in an error.
    media::Entity::insert(row)
        .on_conflict(OnConflict::column(media::Column::RemoteUrl).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    let existing = media::Entity::find()
        .filter(media::Column::RemoteUrl.eq(address))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a referenced picture vanished")))?;
    if existing.owner_id == Some(owner) && (existing.alt != alt || existing.content_type != content_type) {
        let mut update: media::ActiveModel = existing.clone().into();
        update.alt = Set(alt);
        update.content_type = Set(content_type);
        update.update(db).await?;
    }
    Ok(existing.id)
}

/// Removes a remote picture's row when no member, group or event points at it.
async fn forget_if_unused<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<()> {
    media::Entity::delete_many()
        .filter(media::Column::Id.eq(id))
        .filter(media::Column::Local.eq(false))
        .filter(unused())
        .exec(db)
        .await?;
    Ok(())
}

/// The one rule of "in use": pictures no member, group or event shows, as one condition (no
/// query per picture).
fn unused() -> Condition {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query};
    use sea_orm::EntityName as _;

    use crate::db::{event, group, member};
    // Ids some row shows (never NULL: `NOT IN` a list with a NULL is never true).
    let shown = |table: &str, column: &str| {
        Query::select()
            .expr(Expr::col((Alias::new(table), Alias::new(column))))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new(column)).is_not_null())
            .to_owned()
    };
    Condition::all()
        .add(media::Column::Id.not_in_subquery(shown(member::Entity.table_name(), "avatar_id")))
        .add(media::Column::Id.not_in_subquery(shown(group::Entity.table_name(), "banner_id")))
        .add(media::Column::Id.not_in_subquery(shown(event::Entity.table_name(), "picture_id")))
}

/// An upload nothing shows after a day is removed (as Mastodon does): swept from the member's
/// own uploads when they upload again, so the sweep is bounded by the daily limit.
async fn sweep_unattached(state: &AppState, owner: Uuid) -> AppResult<()> {
    use sea_orm::QuerySelect as _;

    let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
    let unused_now = unused;
    let unused = media::Entity::find()
        .filter(media::Column::OwnerId.eq(owner))
        .filter(media::Column::Local.eq(true))
        .filter(media::Column::CreatedAt.lt(day_ago))
        .filter(unused_now())
        .limit(DAILY_UPLOADS)
        .all(&state.db)
        .await?;
    for m in unused {
        // Deleted only if still unused at the moment of deleting (an attach may have come
        // in between), and its files only once its row is gone.
        let txn = crate::db::begin_write(&state.db).await?;
        let gone = media::Entity::delete_many()
            .filter(media::Column::Id.eq(m.id))
            .filter(unused_now())
            .exec(&txn)
            .await?
            .rows_affected;
        txn.commit().await?;
        if gone == 1 {
            for key in m.storage_key.iter().chain(m.thumbnail_key.iter()) {
                state.media.delete(key).await;
            }
        }
    }
    Ok(())
}

/// Forgets a deleted member's uploads, except those a group or an event still shows; answers
/// the store keys to remove once the deletion is committed.
pub async fn forget_uploads_of<C: ConnectionTrait>(db: &C, member: Uuid) -> AppResult<Vec<String>> {
    let gone = media::Entity::find()
        .filter(media::Column::OwnerId.eq(member))
        .filter(media::Column::Local.eq(true))
        .filter(unused())
        .all(db)
        .await?;
    media::Entity::delete_many().filter(media::Column::Id.is_in(gone.iter().map(|m| m.id))).exec(db).await?;
    Ok(gone.into_iter().flat_map(|m| m.storage_key.into_iter().chain(m.thumbnail_key)).collect())
}

/// A remote picture's type: the one it declares when that is an image type, else the one its
/// address ends with, else unknown.
fn remote_content_type(declared: Option<&str>, url: &Url) -> String {
    let declared = declared.map(|t| t.trim().to_ascii_lowercase());
    if let Some(t) = declared.filter(|t| {
        t.len() <= 64
            && t.strip_prefix("image/")
                .is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)))
    }) {
        return t;
    }
    let ext = url.path().rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "jpeg" => "image/jpeg".into(),
        _ => picture::Kind::of_extension(&ext).map_or("application/octet-stream", |k| k.content_type()).into(),
    }
}

/// Where a picture is seen: ours at `/media/{key}`, a remote one where it is.
pub fn url(state: &AppState, m: &media::Model) -> String {
    match (&m.storage_key, &m.remote_url) {
        (Some(key), _) => format!("{}/media/{key}", state.base_url()),
        (None, Some(remote)) => remote.clone(),
        (None, None) => String::new(),
    }
}

/// The thumbnail's address (a remote picture is its own thumbnail).
pub fn thumbnail_url(state: &AppState, m: &media::Model) -> String {
    match &m.thumbnail_key {
        Some(key) => format!("{}/media/{key}", state.base_url()),
        None => url(state, m),
    }
}

/// Pictures by id, for the pages that show many (one statement).
pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<Vec<media::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(media::Entity::find().filter(media::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<Option<media::Model>> {
    Ok(media::Entity::find_by_id(id).one(db).await?)
}

/// A picture as ActivityPub shows it (`icon`, `image`, an event's `attachment`).
pub async fn image<C: ConnectionTrait>(
    conn: &C,
    state: &AppState,
    id: Option<Uuid>,
) -> AppResult<Option<crate::ap::actor::Image>> {
    let Some(id) = id else { return Ok(None) };
    Ok(find(conn, id).await?.and_then(|m| as_image(state, &m)))
}

pub fn as_image(state: &AppState, m: &media::Model) -> Option<crate::ap::actor::Image> {
    let url = Url::parse(&url(state, m)).ok()?;
    Some(crate::ap::actor::Image::new(url, Some(m.content_type.clone()), m.alt.clone()))
}
