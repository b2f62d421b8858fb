//! Reading the protocols stored as JSON documents.

use crate::{Result, ServiceError};
use careloop_domain::followup::protocol::Protocol;

/// A stored protocol document as a protocol. It was validated when it was stored, so a failure
/// here is the database's fault, not the user's.
pub fn read_stored(document: serde_json::Value) -> Result<Protocol> {
    serde_json::from_value(document).map_err(|_| ServiceError::Internal("stored protocol unreadable"))
}
