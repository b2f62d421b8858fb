//! Login, logout and the language switch.

use super::i18n::Tr;
use super::{LANG_COOKIE, SESSION_COOKIE, UiUser, lang_of, render};
use crate::AppState;
use crate::extract::{client_addr, client_ip, cookie_value, session_cookie};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use careloop_service::ServiceError;
use careloop_service::admin::auth::{self, SessionKind, new_token};
use serde::Deserialize;
use time::OffsetDateTime;

/// Before login there is no session, so the login form's CSRF token is a double-submit cookie.
const LOGIN_CSRF_COOKIE: &str = "careloop_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Tr,
    csrf: String,
    error: Option<String>,
    username: String,
    lang_href: &'static str,
}

/// A session or login cookie: the whole site, never readable by scripts, never sent from another
/// site, `Secure` when served over HTTPS; `max_age` 0 deletes it.
fn cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let c = Cookie::build((name.to_string(), value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::seconds(max_age))
        .secure(state.secure_cookies)
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn render_login(
    state: &AppState,
    parts: &Parts,
    status: StatusCode,
    error: Option<String>,
    username: String,
) -> Response {
    let t = lang_of(parts).tr();
    let csrf = new_token();
    let page = LoginPage {
        t,
        csrf: csrf.clone(),
        error,
        username,
        lang_href: if t.other_lang_code == "en" {
            "/lang/en?next=%2Flogin"
        } else {
            "/lang/zh?next=%2Flogin"
        },
    };
    let mut res = render(&page);
    *res.status_mut() = status;
    res.headers_mut()
        .append(SET_COOKIE, cookie(state, LOGIN_CSRF_COOKIE, &csrf, 3600));
    res
}

pub async fn login_page(State(state): State<AppState>, parts: Parts) -> Response {
    render_login(&state, &parts, StatusCode::OK, None, String::new())
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

pub async fn login(State(state): State<AppState>, parts: Parts, Form(form): Form<LoginForm>) -> Response {
    let t = lang_of(&parts).tr();
    let zh = t.html_lang == "zh-CN";
    let expected = cookie_value(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let same: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), form.csrf.as_bytes()).into();
    if !same || form.csrf.is_empty() {
        return render_login(
            &state,
            &parts,
            StatusCode::FORBIDDEN,
            Some(t.forbidden.into()),
            form.username,
        );
    }
    if let Err(wait) = state.limits.login(client_addr(&parts), &form.username) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let msg = if zh {
            format!("登录尝试过于频繁，请 {minutes} 分钟后再试")
        } else {
            format!("Too many login attempts: try again in {minutes} min")
        };
        let mut res = render_login(&state, &parts, StatusCode::TOO_MANY_REQUESTS, Some(msg), form.username);
        res.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, (minutes * 60).into());
        return res;
    }
    match auth::login(
        &state.db,
        &form.username,
        &form.password,
        SessionKind::Web,
        client_ip(&parts),
        OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(ok) => {
            // Home is today's work (UX.md §1).
            let mut res = Redirect::to("/worklist").into_response();
            let max_age = (ok.expires_at - OffsetDateTime::now_utc()).whole_seconds();
            res.headers_mut()
                .append(SET_COOKIE, cookie(&state, SESSION_COOKIE, &ok.token, max_age));
            res.headers_mut()
                .append(SET_COOKIE, cookie(&state, LOGIN_CSRF_COOKIE, "", 0));
            res
        }
        Err(ServiceError::Unauthenticated) => {
            let msg = if zh {
                "用户名或密码错误"
            } else {
                "Wrong username or password"
            };
            render_login(
                &state,
                &parts,
                StatusCode::UNAUTHORIZED,
                Some(msg.into()),
                form.username,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "login failed");
            render_login(
                &state,
                &parts,
                StatusCode::SERVICE_UNAVAILABLE,
                Some(t.error_title.into()),
                form.username,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(State(state): State<AppState>, parts: Parts, u: UiUser, Form(form): Form<CsrfForm>) -> Response {
    if let Err(r) = u.check_csrf(&form.csrf) {
        return r;
    }
    if let Some(token) = session_cookie(&parts) {
        let _ = auth::logout(&state.db, &u.who.actor, &token, OffsetDateTime::now_utc()).await;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut()
        .append(SET_COOKIE, cookie(&state, SESSION_COOKIE, "", 0));
    res
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// A path on this site and nothing else: it begins with one `/`, holds only visible ASCII (a
/// tab, newline or space could turn `/\t/evil.example` into `//evil.example` in a browser, or
/// split the header), no backslash, and parses as a path and query.
fn is_same_site_path(next: &str) -> bool {
    let mut chars = next.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && next.chars().all(|c| c.is_ascii_graphic() && c != '\\')
        && next.parse::<axum::http::uri::PathAndQuery>().is_ok()
}

/// Set the UI language and go back to the page the user was on (same-site paths only).
pub async fn switch_language(Path(code): Path<String>, Query(q): Query<Next>) -> Response {
    let lang = if code == "en" { "en" } else { "zh" };
    let next = q
        .next
        .filter(|n| is_same_site_path(n))
        .unwrap_or_else(|| "/patients".into());
    let mut res = Redirect::to(&next).into_response();
    let c = Cookie::build((LANG_COOKIE, lang))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .build();
    if let Ok(h) = HeaderValue::from_str(&c.to_string()) {
        res.headers_mut().append(SET_COOKIE, h);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::is_same_site_path;

    #[test]
    fn only_a_path_on_this_site_is_a_place_to_go_back_to() {
        for ok in ["/", "/patients", "/patients?q=%E5%BC%A0&page=2", "/login"] {
            assert!(is_same_site_path(ok), "{ok}");
        }
        for bad in [
            "",
            "patients",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/ /evil.example",
            "/\\/evil.example",
            "/\u{3000}/evil.example",
            "https://evil.example/",
            "/\u{7f}",
        ] {
            assert!(!is_same_site_path(bad), "{bad:?}");
        }
    }
}
