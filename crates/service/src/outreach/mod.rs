//! Reaching patients (触达): the outbox, the channels that send, quiet hours, and the providers'
//! adapters (Aliyun SMS so far).

pub mod aliyun_sms;
pub mod delivery;
pub mod inbox;
pub mod reach;
pub mod receipts;
pub mod replies;
pub mod thread;

/// Choose the process's TLS crypto (ring) before any HTTPS client is built; a second call does
/// nothing. With reqwest's `rustls-no-provider`, building a client without it panics, so every
/// binary calls this first thing (the adapters call it too).
pub fn use_ring_for_tls() {
    #[allow(
        deprecated,
        reason = "ring lacks post-quantum key exchange, which the providers' TLS does not need; aws-lc-rs, which has it, builds a far larger C library"
    )]
    let _ = rustls::crypto::ring::default_provider().install_default();
}
