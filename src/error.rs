//! One error type for the whole server. Each variant maps to one GraphQL `extensions.code`
//! and one HTTP status; internal causes are logged with an id and never sent to clients.
use actix_web::http::StatusCode;
use async_graphql::ErrorExtensions as _;
use sea_orm::{DbErr, SqlErr, TransactionError};

///
/// It deliberately implements neither `Display` nor `std::error::Error`: async-graphql converts
/// anything displayable into an error *without* a code, so the only way out of a resolver is
/// the `From<AppError>` below, which always sets `extensions.code`.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    /// Bad input; `field` names the offending input field when there is one.
    BadInput {
        field: Option<String>,
        message: String,
    },
    NotFound(String),
    Conflict(String),
    RateLimited(String),
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        AppError::BadInput { field: Some(field.to_string()), message: message.into() }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict(message.into())
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into())
    }
    pub fn unauthenticated() -> Self {
        AppError::Unauthenticated("sign in to do this".into())
    }
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::BadInput { .. } => "BAD_USER_INPUT",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict(_) => "CONFLICT",
            AppError::RateLimited(_) => "RATE_LIMITED",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadInput { .. } => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message a client may see. Internal errors are logged here, once, with an id the
    /// operator can grep for; the client gets only that id.
    pub fn client_message(&self) -> String {
        match self {
            AppError::Internal(cause) => {
                let id = uuid::Uuid::now_v7();
                tracing::error!(error_id = %id, error = ?cause, "internal error");
                format!("internal error (id {id})")
            }
            AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::RateLimited(m)
            | AppError::BadInput { message: m, .. } => m.clone(),
            AppError::NotFound(what) => format!("{what} not found"),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::conflict("that already exists"),
            _ => AppError::Internal(e.into()),
        }
    }
}

impl From<TransactionError<AppError>> for AppError {
    fn from(e: TransactionError<AppError>) -> Self {
        match e {
            TransactionError::Connection(db) => db.into(),
            TransactionError::Transaction(app) => app,
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

impl AppError {
    fn to_graphql(&self) -> async_graphql::Error {
        let field = match self {
            AppError::BadInput { field, .. } => field.clone(),
            _ => None,
        };
        async_graphql::Error::new(self.client_message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let Some(field) = field {
                ext.set("field", field);
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        e.to_graphql()
    }
}

impl From<AppError> for actix_web::Error {
    fn from(e: AppError) -> Self {
        let response = actix_web::HttpResponse::build(e.status())
            .json(serde_json::json!({ "error": e.client_message(), "code": e.code() }));
        actix_web::error::InternalError::from_response(e.code(), response).into()
    }
}
