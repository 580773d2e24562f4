//! Pictures in the API: the `Media` type, `uploadMedia`, and the one look-up every picture
//! field (`Member.avatar`, `Event.picture`, `Group.banner`) goes through.
use std::io::Read as _;

use async_graphql::{Context, MaybeUndefined, Object, Upload, ID};
use uuid::Uuid;

use crate::db::media;
use crate::domain::media::{self as pictures, picture::MAX_BYTES};
use crate::error::AppError;
use crate::graphql::types::{loaded, parse_id, Result};
use crate::graphql::ContextExt as _;

pub struct Media(pub media::Model);

/// A picture: uploaded here (re-encoded, its metadata stripped) or another server's, shown
/// where it is.
#[Object]
impl Media {
    /// Unique across every kind of object.
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Where the picture is seen: on this server, or on the server it comes from.
    async fn url(&self, ctx: &Context<'_>) -> String {
        pictures::url(ctx.state(), &self.0)
    }
    /// A smaller copy, at most 400 pixels on its longest side (a remote picture's own address).
    async fn thumbnail_url(&self, ctx: &Context<'_>) -> String {
        pictures::thumbnail_url(ctx.state(), &self.0)
    }
    /// What the picture shows, for those who cannot see it.
    async fn alt(&self) -> Option<&str> {
        self.0.alt.as_deref()
    }
    /// In pixels; unknown for remote pictures.
    async fn width(&self) -> Option<i32> {
        self.0.width
    }
    /// In pixels; unknown for remote pictures.
    async fn height(&self) -> Option<i32> {
        self.0.height
    }
    /// `image/png`, `image/jpeg`, `image/webp` or `image/gif` for uploads; what the other
    /// server declared for remote pictures.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
}

/// The picture a row points at, through the request's loader (a list's pictures in one
/// statement).
pub async fn picture(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Media>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaded(ctx.loaders().media.load_one(id).await)?.map(Media))
}

/// A picture input (`avatarId`, `pictureId`, `bannerId`): absent leaves it, null removes it.
pub fn change(field: &str, id: MaybeUndefined<ID>) -> Result<Option<Option<Uuid>>> {
    Ok(match id {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(parse_id(field, &id)?)),
    })
}

#[derive(Default)]
pub struct MediaMutation;

#[Object]
impl MediaMutation {
    /// Uploads a picture (a GraphQL multipart request): PNG, JPEG, WebP or GIF, told apart by
    /// its bytes, at most 10 MB. It is re-encoded without its metadata (EXIF location
    /// included), turned upright, and given a thumbnail. Attach it with `avatarId`,
    /// `pictureId` or `bannerId`.
    async fn upload_media(&self, ctx: &Context<'_>, file: Upload, alt: Option<String>) -> Result<Media> {
        let me = ctx.viewer().active_member()?.id;
        let value = file.value(ctx).map_err(|_| AppError::bad_input("file", "the file is missing from the request"))?;
        let bytes = tokio::task::spawn_blocking(move || {
            let mut bytes = Vec::new();
            let limit = u64::try_from(MAX_BYTES).unwrap_or(u64::MAX) + 1;
            value.into_read().take(limit).read_to_end(&mut bytes).map(|_| bytes)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(|_| AppError::bad_input("file", "the file could not be read"))?;
        Ok(Media(pictures::upload(ctx.state(), me, bytes, alt.as_deref()).await?))
    }
}
