//! Production layer over `dixa-client`: auth, retries, rate limiting,
//! pagination streams and bulk outcomes.

pub mod bulk;
pub mod client;
pub mod clock;
pub mod config;
pub mod error;
pub mod paginate;
pub mod rate_limit;
pub mod retry;
pub mod transport;
