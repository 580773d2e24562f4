//! Where uploaded pictures are kept: a directory (the default, `<data_dir>/media`) or any
//! S3-compatible store (`WEAVE_MEDIA_URL=s3://bucket/prefix`), through one interface, so that
//! replicas sharing a store serve the same pictures.
use std::sync::Arc;

use anyhow::Context as _;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _};

use crate::config::Config;
use crate::error::{AppError, AppResult};

pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
}

impl MediaStore {
    pub fn open(config: &Config) -> anyhow::Result<MediaStore> {
        let url = config.media_url.trim();
        let store: Arc<dyn ObjectStore> = if url.is_empty() || url.starts_with("file://") {
            let dir = match url.strip_prefix("file://") {
                Some(path) => std::path::PathBuf::from(path),
                None => config.data_dir.join("media"),
            };
            std::fs::create_dir_all(&dir).with_context(|| format!("creating the media dir {}", dir.display()))?;
            Arc::new(
                object_store::local::LocalFileSystem::new_with_prefix(&dir)
                    .with_context(|| format!("opening the media dir {}", dir.display()))?,
            )
        } else if url.starts_with("s3://") {
            let s3 = object_store::aws::AmazonS3Builder::from_env()
                .with_url(url)
                .build()
                .context("opening the media store named by WEAVE_MEDIA_URL")?;
            // The builder takes the bucket from the URL; the path after it is our prefix.
            let prefix = url::Url::parse(url).map(|u| u.path().trim_matches('/').to_string()).unwrap_or_default();
            if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(object_store::prefix::PrefixStore::new(s3, prefix.as_str()))
            }
        } else {
            anyhow::bail!("WEAVE_MEDIA_URL must be empty, file:///path or s3://bucket/prefix");
        };
        Ok(MediaStore { store })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> AppResult<()> {
        self.store
            .put(&Path::from(key), bytes.into())
            .await
            .map(|_| ())
            .map_err(|e| AppError::internal(anyhow::anyhow!("storing a picture: {e}")))
    }

    /// A stored file, as a stream of chunks (never whole in memory); `None` when there is
    /// none under `key`.
    pub async fn get(
        &self,
        key: &str,
    ) -> AppResult<Option<impl futures_util::Stream<Item = Result<bytes::Bytes, object_store::Error>> + use<>>> {
        match self.store.get(&Path::from(key)).await {
            Ok(found) => Ok(Some(found.into_stream())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(AppError::internal(anyhow::anyhow!("reading a picture: {e}"))),
        }
    }

    /// Removes a stored file; a failure is logged (it leaves an unreferenced file, no more).
    pub async fn delete(&self, key: &str) {
        if let Err(e) = self.store.delete(&Path::from(key)).await {
            tracing::warn!(%key, error = %e, "removing a stored picture");
        }
    }
}
