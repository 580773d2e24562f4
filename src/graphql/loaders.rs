//! Per-request DataLoaders: lists that show each row's member or group load them in one query.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::db::enums::ValueKind;
use crate::db::{
    actor, event, group, harvest_action, harvest_item, learning_question, member, post, reflection, registration,
    resource, thread,
};
use crate::domain::shared_rows::{through, SharedAt};
use crate::domain::{actors, events, events::registrations, follows, groups, learning, members, resources, threads};

pub struct Loaders {
    pub members: DataLoader<MemberLoader, HashMapCache>,
    pub groups: DataLoader<GroupLoader, HashMapCache>,
    pub actors: DataLoader<ActorLoader, HashMapCache>,
    pub followers: DataLoader<FollowerCountLoader, HashMapCache>,
    pub events: DataLoader<EventLoader, HashMapCache>,
    pub hosts: DataLoader<HostsLoader, HashMapCache>,
    pub registrations: DataLoader<RegistrationLoader, HashMapCache>,
    pub roles: DataLoader<RolesLoader, HashMapCache>,
    pub threads: DataLoader<ThreadLoader, HashMapCache>,
    pub posts: DataLoader<PostLoader, HashMapCache>,
    pub resources: DataLoader<ResourceLoader, HashMapCache>,
    pub questions: DataLoader<QuestionLoader, HashMapCache>,
    pub reflections: DataLoader<ReflectionLoader, HashMapCache>,
    pub evidence: DataLoader<EvidenceLoader, HashMapCache>,
    pub reflection_questions: DataLoader<ReflectionQuestionsLoader, HashMapCache>,
    pub reflection_values: DataLoader<ReflectionValuesLoader, HashMapCache>,
    pub resonance: DataLoader<ResonanceLoader, HashMapCache>,
    pub harvest_items: DataLoader<HarvestItemsLoader, HashMapCache>,
    pub harvest_actions: DataLoader<HarvestActionsLoader, HashMapCache>,
    /// Pictures by id (avatars, banners, event pictures of a list in one statement).
    pub media: DataLoader<MediaLoader, HashMapCache>,
    /// Whose learning records the viewer sees, loaded once per request (never kept on a
    /// long-lived connection: see `uncached`).
    pub record_scope: tokio::sync::OnceCell<crate::domain::visibility::RecordScope>,
    /// The instance's profile, read once per request.
    pub instance: tokio::sync::OnceCell<crate::domain::instance::Profile>,
    pub keep_record_scope: bool,
}

impl Loaders {
    /// For a WebSocket connection, which lives long: loads are batched but not cached, so
    /// every subscription message shows current rows. (Per request they are cached: a list
    /// primes them, and its rows' fields read from the cache.)
    pub fn uncached(db: &DatabaseConnection) -> Self {
        let mut loaders = Loaders::new(db);
        loaders.members.enable_all_cache(false);
        loaders.groups.enable_all_cache(false);
        loaders.actors.enable_all_cache(false);
        loaders.followers.enable_all_cache(false);
        loaders.events.enable_all_cache(false);
        loaders.hosts.enable_all_cache(false);
        loaders.registrations.enable_all_cache(false);
        loaders.roles.enable_all_cache(false);
        loaders.threads.enable_all_cache(false);
        loaders.posts.enable_all_cache(false);
        loaders.resources.enable_all_cache(false);
        loaders.questions.enable_all_cache(false);
        loaders.reflections.enable_all_cache(false);
        loaders.evidence.enable_all_cache(false);
        loaders.reflection_questions.enable_all_cache(false);
        loaders.reflection_values.enable_all_cache(false);
        loaders.resonance.enable_all_cache(false);
        loaders.harvest_items.enable_all_cache(false);
        loaders.harvest_actions.enable_all_cache(false);
        loaders.media.enable_all_cache(false);
        loaders.keep_record_scope = false;
        loaders
    }

    /// Fresh per request, so nothing cached outlives it or crosses between viewers.
    pub fn new(db: &DatabaseConnection) -> Self {
        Loaders::reading(db, None)
    }

    /// As [`new`](Self::new), but members, groups, hosts, events, threads and posts are read through `shared`
    /// (rows that read the same whoever asks, kept while the data version holds: for queries).
    pub fn reading(db: &DatabaseConnection, shared: Option<SharedAt>) -> Self {
        Loaders {
            members: DataLoader::with_cache(
                MemberLoader(db.clone(), shared.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            groups: DataLoader::with_cache(
                GroupLoader(db.clone(), shared.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            actors: DataLoader::with_cache(ActorLoader(db.clone()), crate::db::version::spawn, HashMapCache::default()),
            followers: DataLoader::with_cache(
                FollowerCountLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            events: DataLoader::with_cache(
                EventLoader(db.clone(), shared.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            hosts: DataLoader::with_cache(
                HostsLoader(db.clone(), shared.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            registrations: DataLoader::with_cache(
                RegistrationLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            roles: DataLoader::with_cache(RolesLoader(db.clone()), crate::db::version::spawn, HashMapCache::default()),
            threads: DataLoader::with_cache(
                ThreadLoader(db.clone(), shared.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            posts: DataLoader::with_cache(
                PostLoader(db.clone(), shared.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            resources: DataLoader::with_cache(
                ResourceLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            questions: DataLoader::with_cache(
                QuestionLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            reflections: DataLoader::with_cache(
                ReflectionLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            evidence: DataLoader::with_cache(
                EvidenceLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            reflection_questions: DataLoader::with_cache(
                ReflectionQuestionsLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            reflection_values: DataLoader::with_cache(
                ReflectionValuesLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            resonance: DataLoader::with_cache(
                ResonanceLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            harvest_items: DataLoader::with_cache(
                HarvestItemsLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            harvest_actions: DataLoader::with_cache(
                HarvestActionsLoader(db.clone()),
                crate::db::version::spawn,
                HashMapCache::default(),
            ),
            media: DataLoader::with_cache(MediaLoader(db.clone()), crate::db::version::spawn, HashMapCache::default()),
            record_scope: tokio::sync::OnceCell::new(),
            instance: tokio::sync::OnceCell::new(),
            keep_record_scope: true,
        }
    }
}

/// Members and groups by id; through the shared rows when the request has them.
pub struct MemberLoader(DatabaseConnection, Option<SharedAt>);
pub struct GroupLoader(DatabaseConnection, Option<SharedAt>);
/// Accepted-follower counts by (actor kind, id): a list of groups counts in one query.
pub struct ActorLoader(DatabaseConnection);
pub struct FollowerCountLoader(DatabaseConnection);

/// Events by id (an events page's rows, a registration's event), through the shared rows when
/// the request has them. Visibility was checked where the id came from.
pub struct EventLoader(DatabaseConnection, Option<SharedAt>);
/// An event's host groups and the groups invited to co-host, by (event id, its group id): its
/// `event_host` rows with their groups, a list's in one statement (`domain::events::EventHosts`:
/// an event without host rows is hosted by its own group).
pub struct HostsLoader(DatabaseConnection, Option<SharedAt>);
/// Registrations by (member, event): `myRegistration` across a list in one query.
pub struct RegistrationLoader(DatabaseConnection);

/// A member's roles by group (hosts' rights over the events of a list in one query).
pub struct RolesLoader(DatabaseConnection);

/// Threads, posts and resources by id (a thread's posts, a post's thread and parent, a
/// resource's thread); threads and posts through the shared rows when the request has them.
/// Visibility is checked by the fields that hand them out.
pub struct ThreadLoader(DatabaseConnection, Option<SharedAt>);
pub struct PostLoader(DatabaseConnection, Option<SharedAt>);
pub struct ResourceLoader(DatabaseConnection);
pub struct QuestionLoader(DatabaseConnection);
pub struct ReflectionLoader(DatabaseConnection);
pub struct EvidenceLoader(DatabaseConnection);
pub struct ReflectionQuestionsLoader(DatabaseConnection);
pub struct ReflectionValuesLoader(DatabaseConnection);
/// Keyed by (reflection, viewer): how many it resonates with, and whether with the viewer.
pub struct ResonanceLoader(DatabaseConnection);
pub struct HarvestItemsLoader(DatabaseConnection);
pub struct HarvestActionsLoader(DatabaseConnection);
pub struct MediaLoader(DatabaseConnection);

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

/// Shared (`Arc`), as the shared rows keep them: a list's rows hand out the same few members
/// and groups many times.
impl Loader<Uuid> for MemberLoader {
    type Value = Arc<member::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        through(
            self.1.as_ref(),
            |s| &s.members,
            keys,
            |keys| async move { members::by_ids(&self.0, &keys).await.map_err(load_error) },
        )
        .await
    }
}

impl Loader<Uuid> for FollowerCountLoader {
    type Value = u64;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, u64>, LoadError> {
        let counts = follows::followers_counts(&self.0, keys).await.map_err(load_error)?;
        Ok(keys.iter().map(|id| (*id, counts.get(id).copied().unwrap_or(0))).collect())
    }
}

impl Loader<(Uuid, Uuid)> for HostsLoader {
    type Value = Arc<events::EventHosts>;
    type Error = LoadError;
    async fn load(&self, keys: &[(Uuid, Uuid)]) -> Result<HashMap<(Uuid, Uuid), Self::Value>, LoadError> {
        through(
            self.1.as_ref(),
            |s| &s.hosts,
            keys,
            |keys| async move {
                let mut found = events::hosts_and_invited_of_many(&self.0, &keys).await.map_err(load_error)?;
                Ok(keys.iter().map(|k| (*k, Arc::new(found.remove(&k.0).unwrap_or_default()))).collect())
            },
        )
        .await
    }
}

/// `None` for "no registration", so that a primed list caches the absences too.
impl Loader<(Uuid, Uuid)> for RegistrationLoader {
    type Value = Option<registration::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[(Uuid, Uuid)]) -> Result<HashMap<(Uuid, Uuid), Self::Value>, LoadError> {
        let mut out: HashMap<(Uuid, Uuid), Self::Value> = keys.iter().map(|k| (*k, None)).collect();
        let mut members: Vec<Uuid> = keys.iter().map(|(m, _)| *m).collect();
        members.sort();
        members.dedup();
        for member in members {
            let events: Vec<Uuid> = keys.iter().filter(|(m, _)| *m == member).map(|(_, e)| *e).collect();
            let rows = registrations::of_member_for_events(&self.0, member, &events).await.map_err(load_error)?;
            out.extend(rows.into_iter().map(|r| ((r.member_id, r.event_id), Some(r))));
        }
        Ok(out)
    }
}

impl Loader<Uuid> for RolesLoader {
    type Value = HashMap<Uuid, crate::db::enums::Role>;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = groups::memberships_of_members(&self.0, keys).await.map_err(load_error)?;
        let mut out: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, HashMap::new())).collect();
        for m in rows {
            out.entry(m.member_id).or_default().insert(m.group_id, m.role);
        }
        Ok(out)
    }
}

macro_rules! by_id_loader {
    ($loader:ident, $model:ty, $load:path) => {
        impl Loader<Uuid> for $loader {
            type Value = $model;
            type Error = LoadError;
            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, $model>, LoadError> {
                let rows = $load(&self.0, keys).await.map_err(load_error)?;
                Ok(rows.into_iter().map(|r| (r.id, r)).collect())
            }
        }
    };
}

by_id_loader!(ActorLoader, actor::Model, actors::load_many);

/// A loader of rows by id, shared (`Arc`) and read through the shared rows of `kind` when the
/// request has them.
macro_rules! shared_by_id_loader {
    ($loader:ident, $model:ty, $kind:ident, $load:path) => {
        impl Loader<Uuid> for $loader {
            type Value = Arc<$model>;
            type Error = LoadError;
            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
                through(
                    self.1.as_ref(),
                    |s| &s.$kind,
                    keys,
                    |keys| async move {
                        let rows = $load(&self.0, &keys).await.map_err(load_error)?;
                        Ok(rows.into_iter().map(|r| (r.id, Arc::new(r))).collect())
                    },
                )
                .await
            }
        }
    };
}

shared_by_id_loader!(GroupLoader, group::Model, groups, groups::load_many);
shared_by_id_loader!(EventLoader, event::Model, events, events::load_many);
shared_by_id_loader!(ThreadLoader, thread::Model, threads, threads::load_many);
shared_by_id_loader!(PostLoader, post::Model, posts, threads::load_posts);

by_id_loader!(ResourceLoader, resource::Model, resources::load_many);

by_id_loader!(QuestionLoader, learning_question::Model, learning::load_questions);
by_id_loader!(ReflectionLoader, reflection::Model, learning::load_reflections);

/// A loader of what a grouped statement answers per id.
macro_rules! grouped_loader {
    ($loader:ident, $value:ty, $load:path) => {
        impl Loader<Uuid> for $loader {
            type Value = $value;
            type Error = LoadError;
            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, $value>, LoadError> {
                $load(&self.0, keys).await.map_err(load_error)
            }
        }
    };
}

grouped_loader!(EvidenceLoader, u64, learning::evidence_counts);
grouped_loader!(ReflectionQuestionsLoader, Vec<Uuid>, learning::questions_of);
grouped_loader!(ReflectionValuesLoader, Vec<ValueKind>, learning::values_of);
grouped_loader!(HarvestItemsLoader, Vec<harvest_item::Model>, learning::items_of);
grouped_loader!(HarvestActionsLoader, Vec<harvest_action::Model>, learning::actions_of);

impl Loader<(Uuid, Option<Uuid>)> for ResonanceLoader {
    type Value = (u64, bool);
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[(Uuid, Option<Uuid>)],
    ) -> Result<HashMap<(Uuid, Option<Uuid>), (u64, bool)>, LoadError> {
        let mut viewers: Vec<Option<Uuid>> = keys.iter().map(|(_, v)| *v).collect();
        viewers.sort();
        viewers.dedup();
        let mut out = HashMap::new();
        for viewer in viewers {
            let ids: Vec<Uuid> = keys.iter().filter(|(_, v)| *v == viewer).map(|(id, _)| *id).collect();
            let found = learning::resonance(&self.0, &ids, viewer).await.map_err(load_error)?;
            out.extend(ids.into_iter().map(|id| ((id, viewer), found.get(&id).copied().unwrap_or((0, false)))));
        }
        Ok(out)
    }
}

impl Loader<Uuid> for MediaLoader {
    type Value = crate::db::media::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, crate::db::media::Model>, LoadError> {
        let rows = crate::domain::media::by_ids(&self.0, keys).await.map_err(load_error)?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}
