//! Staff authentication: Argon2id password hashes, login (failures counted, never locking the account),
//! and sessions identified by random tokens of which only a BLAKE2 hash is stored.
//!
//! One session table serves both the API (bearer token) and the web UI (cookie, plus a CSRF
//! token bound to the session for every form).

use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use blake2::{Blake2s256, Digest};
use careloop_domain::access::Actor;
use careloop_domain::staff::Role;
use careloop_store::{Db, sessions, users};
use time::{Duration, OffsetDateTime};

/// How long a session lasts from login.
pub const API_SESSION: Duration = Duration::hours(12);
pub const WEB_SESSION: Duration = Duration::hours(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Api,
    Web,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Api => "api",
            SessionKind::Web => "web",
        }
    }
}

pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| ServiceError::Internal("password hashing failed"))
}

fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// A fresh random token, hex-encoded (256 bits).
pub fn new_token() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// A patient link's token: 22 letters and digits, about 131 random bits — as hard to guess as
/// a session token for anyone (the phone pages are rate-limited besides), and 42 characters
/// shorter in the SMS than 64 hex digits, so a questionnaire message takes fewer segments.
pub fn new_link_token() -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(22);
    while out.len() < 22 {
        // Bytes of 248 and above are dropped, so each letter is equally likely (248 = 4 × 62).
        for b in rand::random::<[u8; 32]>() {
            if b < 248 && out.len() < 22 {
                out.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    out
}

/// Whether `token` is shaped as a link token: 22 letters and digits, or the 64 hex digits of
/// links sent before tokens were shortened (they work until they expire).
pub fn is_link_token(token: &str) -> bool {
    (token.len() == 22 && token.bytes().all(|b| b.is_ascii_alphanumeric()))
        || (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn token_hash(token: &str) -> String {
    hex(&Blake2s256::digest(token.as_bytes()))
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
    pub actor: Actor,
}

/// Verified against on unknown usernames so that timing does not reveal which usernames exist.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no such user 0").unwrap_or_default());

/// Argon2 costs tens of milliseconds of CPU: it runs on the blocking pool, never on an async
/// worker, and never inside a transaction.
async fn password_matches(password: &str, hash: Option<String>) -> Result<bool> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            verify_password(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .map_err(|_| ServiceError::Internal("password check failed"))
}

/// Exchange a username and password for a session. A wrong password, an unknown username and a
/// deactivated account all answer `Unauthenticated`, alike: the account is never locked (which
/// would let anyone lock a named colleague out); the web layer limits how often a client and
/// an account may try. The password is checked before any write begins, and a failure is
/// counted on the account atomically.
pub async fn login(
    db: &Db,
    username: &str,
    password: &str,
    kind: SessionKind,
    ip: Option<String>,
    now: OffsetDateTime,
) -> Result<LoggedIn> {
    let mut read = db.begin_read().await?;
    let user = users::find_by_username(&mut read, username.trim()).await?;
    read.commit().await?;
    let matches = password_matches(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = user else {
        return Err(ServiceError::Unauthenticated);
    };
    let mut actor = Actor {
        user_id: user.id,
        username: user.username.clone(),
        role: Role::parse(&user.role)?,
        department_id: user.department_id,
        ip,
    };
    let mut tx = db.begin().await?;
    if !user.active || !matches {
        users::count_failed_login(&mut tx, user.id).await?;
        record(&mut tx, event(&actor, "auth.login_failed", None, None, now)).await?;
        tx.commit().await?;
        return Err(ServiceError::Unauthenticated);
    }
    users::clear_failed_logins(&mut tx, user.id).await?;
    let token = new_token();
    let csrf_token = new_token();
    let expires_at = now
        + if kind == SessionKind::Api {
            API_SESSION
        } else {
            WEB_SESSION
        };
    sessions::insert(
        &mut tx,
        &sessions::Session {
            token_hash: token_hash(&token),
            user_id: user.id,
            kind: kind.as_str().into(),
            csrf_token: csrf_token.clone(),
            created_at: now,
            expires_at,
        },
    )
    .await?;
    sessions::delete_expired(&mut tx, now).await?;
    record(
        &mut tx,
        event(&actor, "auth.login", None, Some(kind.as_str().into()), now),
    )
    .await?;
    tx.commit().await?;
    actor.ip = None;
    Ok(LoggedIn {
        token,
        csrf_token,
        expires_at,
        actor,
    })
}

/// The actor and CSRF token of a live session.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    pub csrf_token: String,
    pub display_name: String,
}

pub async fn authenticate(db: &Db, token: &str, ip: Option<String>, now: OffsetDateTime) -> Result<Authenticated> {
    let mut tx = db.begin_read().await?;
    let session = sessions::find_valid(&mut tx, &token_hash(token), now)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    let user = users::find(&mut tx, session.user_id)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    tx.commit().await?;
    if !user.active {
        return Err(ServiceError::Unauthenticated);
    }
    Ok(Authenticated {
        actor: Actor {
            user_id: user.id,
            username: user.username,
            role: Role::parse(&user.role)?,
            department_id: user.department_id,
            ip,
        },
        csrf_token: session.csrf_token,
        display_name: user.display_name,
    })
}

pub async fn logout(db: &Db, actor: &Actor, token: &str, now: OffsetDateTime) -> Result<()> {
    let mut tx = db.begin().await?;
    sessions::delete(&mut tx, &token_hash(token)).await?;
    record(&mut tx, event(actor, "auth.logout", None, None, now)).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash_password("changeme2026").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("changeme2026", &h));
        assert!(!verify_password("changeme2027", &h));
    }

    #[test]
    fn tokens_are_random_and_hashed_deterministically() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn link_tokens_are_short_alphanumeric_and_spread_over_their_alphabet() {
        let tokens: Vec<String> = (0..2000).map(|_| new_link_token()).collect();
        assert!(
            tokens
                .iter()
                .all(|t| t.len() == 22 && t.chars().all(|c| c.is_ascii_alphanumeric()))
        );
        let mut distinct = tokens.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), tokens.len());
        // 44,000 letters over 62: each appears about 710 times; none is missing or doubled.
        let mut counts = std::collections::HashMap::new();
        for c in tokens.iter().flat_map(|t| t.chars()) {
            *counts.entry(c).or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 62);
        assert!(counts.values().all(|n| (550..900).contains(n)), "{counts:?}");
    }
}
