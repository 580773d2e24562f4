//! `Flag`: another server reports our members or content (Mastodon forwards its users'
//! reports this way): into `domain::reports`, attributed to the sending server.
use super::{activity, FedData, FedError};
use crate::ap::inbound::FlagJson;
use crate::domain::reports::{self, ReceivedFlag};
use crate::state::State;

#[derive(Clone, Debug)]
pub struct Flag(pub FlagJson);

activity!(Flag, a => a.0);

impl Flag {
    async fn check(&self, _data: &FedData<State>) -> Result<(), FedError> {
        if self.0.object.is_empty() {
            return Err(FedError::BadRequest("Flag without object".into()));
        }
        Ok(())
    }

    async fn apply(self, data: &FedData<State>) -> Result<(), FedError> {
        let flag = ReceivedFlag {
            origin_domain: crate::ap::authority(&self.0.actor),
            objects: self.0.object.iter().map(|u| u.to_string()).collect(),
            comment: self.0.content,
        };
        let filed = reports::receive_flag(data.app_data(), flag).await?;
        if filed == 0 {
            return Err(FedError::Ignored("Flag of nothing we know".into()));
        }
        Ok(())
    }
}
