//! Per-request DataLoaders: lists that show each row's member or group load them in one query.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::db::{group, member};
use crate::domain::actors::ActorKind;
use crate::domain::{follows, groups, members};

pub struct Loaders {
    pub members: DataLoader<MemberLoader>,
    pub groups: DataLoader<GroupLoader>,
    pub followers: DataLoader<FollowerCountLoader>,
}

impl Loaders {
    /// Fresh per request, so nothing cached outlives it or crosses between viewers.
    pub fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            members: DataLoader::new(MemberLoader(db.clone()), tokio::spawn),
            groups: DataLoader::new(GroupLoader(db.clone()), tokio::spawn),
            followers: DataLoader::new(FollowerCountLoader(db.clone()), tokio::spawn),
        }
    }
}

pub struct MemberLoader(DatabaseConnection);
pub struct GroupLoader(DatabaseConnection);
/// Accepted-follower counts by (actor kind, id): a list of groups counts in one query.
pub struct FollowerCountLoader(DatabaseConnection);

/// Loader errors must be `Clone`; the cause was already logged when this was made.
#[derive(Clone, Debug)]
pub struct LoadError(Arc<String>);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn load_error(e: crate::error::AppError) -> LoadError {
    let gql: async_graphql::Error = e.into();
    LoadError(Arc::new(gql.message))
}

impl Loader<Uuid> for MemberLoader {
    type Value = member::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, member::Model>, LoadError> {
        let rows = members::load_many(&self.0, keys).await.map_err(load_error)?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}

impl Loader<Uuid> for GroupLoader {
    type Value = group::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, group::Model>, LoadError> {
        let rows = groups::load_many(&self.0, keys).await.map_err(load_error)?;
        Ok(rows.into_iter().map(|g| (g.id, g)).collect())
    }
}

impl Loader<(ActorKind, Uuid)> for FollowerCountLoader {
    type Value = u64;
    type Error = LoadError;
    async fn load(&self, keys: &[(ActorKind, Uuid)]) -> Result<HashMap<(ActorKind, Uuid), u64>, LoadError> {
        let mut out = HashMap::new();
        for kind in [ActorKind::Member, ActorKind::Group] {
            let ids: Vec<Uuid> = keys.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
            if ids.is_empty() {
                continue;
            }
            let counts = follows::followers_counts(&self.0, kind, &ids).await.map_err(load_error)?;
            out.extend(ids.into_iter().map(|id| ((kind, id), counts.get(&id).copied().unwrap_or(0))));
        }
        Ok(out)
    }
}
