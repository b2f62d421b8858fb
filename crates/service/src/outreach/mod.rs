//! Reaching patients (触达): the outbox, the channels that send, quiet hours, and the providers'
//! adapters (Aliyun SMS so far).

pub mod aliyun_sms;
pub mod delivery;
