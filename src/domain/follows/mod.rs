//! Follows between actors, local or remote: following partner networks from here, accepting
//! (or, where approval is manual, reviewing) followers from elsewhere, and the activities
//! each step publishes. GraphQL mutations and inbox handlers both end here.
//!
//! - `rules`: who follows in whose name, who reviews followers;
//! - `store`: look-ups, counts and follower lists;
//! - `outgoing`: following and unfollowing from here;
//! - `incoming`: `Follow`, `Accept`/`Reject` and `Undo` from elsewhere;
//! - `review`: pending requests and their answers.
mod incoming;
mod outgoing;
mod review;
mod rules;
mod store;

pub use incoming::{receive_follow, receive_response, receive_undo};
pub use outgoing::{follow, unfollow};
pub use review::{pending_requests, review};
pub use rules::follower_for;
pub use store::{
    delete_all_of, follower_ids, followers_count, followers_counts, following_count, follows_group, is_followed_here,
};
