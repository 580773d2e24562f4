//! Who is asking. Built once per request from the `Authorization` header (or the WebSocket
//! `connection_init` payload). No token means anonymous; a bad token is an error wherever
//! identity is consulted, never a silent fallback to anonymous.
use crate::db::enums::MemberStatus;
use crate::db::member;
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug)]
pub enum Viewer {
    Anonymous,
    Member(Box<member::Model>),
    Invalid(String),
}

impl Viewer {
    /// The signed-in member, or UNAUTHENTICATED.
    pub fn member(&self) -> AppResult<&member::Model> {
        match self {
            Viewer::Member(m) => Ok(m),
            Viewer::Anonymous => Err(AppError::unauthenticated()),
            Viewer::Invalid(why) => Err(AppError::Unauthenticated(why.clone())),
        }
    }

    /// The signed-in member whose account is active (not awaiting approval).
    pub fn active_member(&self) -> AppResult<&member::Model> {
        let m = self.member()?;
        if m.status == MemberStatus::Pending {
            return Err(AppError::forbidden("your account is awaiting approval by an admin"));
        }
        Ok(m)
    }

    /// The signed-in member if any; a bad token is still an error.
    pub fn optional(&self) -> AppResult<Option<&member::Model>> {
        match self {
            Viewer::Member(m) => Ok(Some(m)),
            Viewer::Anonymous => Ok(None),
            Viewer::Invalid(why) => Err(AppError::Unauthenticated(why.clone())),
        }
    }

    pub fn admin(&self) -> AppResult<&member::Model> {
        let m = self.active_member()?;
        if !m.is_admin {
            return Err(AppError::forbidden("only instance admins may do this"));
        }
        Ok(m)
    }

    pub fn is(&self, member_id: uuid::Uuid) -> bool {
        matches!(self, Viewer::Member(m) if m.id == member_id)
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Viewer::Member(m) if m.is_admin)
    }
}
