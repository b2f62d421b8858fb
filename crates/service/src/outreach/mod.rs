//! Reaching patients (触达): the outbox, the channels that send, quiet hours.

pub mod delivery;
