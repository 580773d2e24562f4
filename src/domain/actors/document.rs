//! The ActivityPub document of a local actor (the wire side of [`ApActor`]).
use url::Url;

use super::actor::{parse_url, ActorSource, ApActor};
use crate::ap::actor::{self as wire, ActorJson};
use crate::error::AppResult;
use crate::state::AppState;

impl ApActor {
    /// The actor document of a local actor. Local members and groups must have their keys
    /// (see [`ensure_keys`](super::ensure_keys)).
    pub async fn document(&self, state: &AppState) -> AppResult<ActorJson> {
        let url = |u: &Option<String>| u.as_deref().and_then(|u| Url::parse(u).ok());
        let (avatar, banner) = match &self.source {
            ActorSource::Member(m) => (m.avatar_id, None),
            ActorSource::Group(g) => (None, g.banner_id),
            ActorSource::Instance => (None, None),
        };
        let avatar = crate::domain::media::image(&state.db, state, avatar).await?;
        let banner = crate::domain::media::image(&state.db, state, banner).await?;
        let shared_inbox = parse_url(&format!("{}/inbox", state.base_url()))?;
        let following = Url::parse(&format!("{}/following", self.id)).ok();
        let doc = match &self.source {
            ActorSource::Member(m) => wire::LocalActor {
                kind: "Person",
                preferred_username: m.username.clone(),
                name: m.display_name.clone().unwrap_or_else(|| m.username.clone()),
                summary_html: m.bio_html.clone(),
                outbox: url(&self.row.outbox_url),
                followers: url(&self.row.followers_url),
                following,
                icon: avatar,
                image: None,
                manually_approves_followers: self.row.manually_approves_followers,
                discoverable: m.discoverable,
                published: Some(m.created_at),
                url: self.id.to_string(),
                id: self.id.clone(),
                inbox: self.inbox.clone(),
                shared_inbox,
                public_key_pem: self.public_key_pem.clone(),
            },
            ActorSource::Group(g) => wire::LocalActor {
                kind: "Group",
                preferred_username: g.slug.clone(),
                name: g.name.clone(),
                summary_html: g.summary_html.clone(),
                outbox: url(&self.row.outbox_url),
                followers: url(&self.row.followers_url),
                following,
                icon: url(&g.avatar_url).map(|u| wire::Image::new(u, None, None)),
                image: banner,
                manually_approves_followers: self.row.manually_approves_followers,
                discoverable: true,
                published: Some(g.created_at),
                url: self.id.to_string(),
                id: self.id.clone(),
                inbox: self.inbox.clone(),
                shared_inbox,
                public_key_pem: self.public_key_pem.clone(),
            },
            ActorSource::Instance => wire::LocalActor {
                kind: "Application",
                preferred_username: state.config.domain.clone(),
                name: state.config.instance_name.clone(),
                summary_html: None,
                outbox: None,
                followers: None,
                following: None,
                icon: None,
                image: None,
                manually_approves_followers: true,
                discoverable: false,
                published: None,
                url: state.base_url(),
                id: self.id.clone(),
                inbox: self.inbox.clone(),
                shared_inbox,
                public_key_pem: self.public_key_pem.clone(),
            },
        };
        Ok(wire::document(doc))
    }
}
