//! Faults of the machine under the server: a full disk.

use crate::helpers::{Served, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;

/// A tmpfs of `mb` megabytes mounted at a fresh directory, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(mb: u32) -> SmallDisk {
        let dir = std::env::temp_dir().join(format!("careloop-full-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(&dir)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a {mb} MB tmpfs needs root (CI runs as root)"
        );
        SmallDisk(dir)
    }

    /// Write zeros until the disk refuses more; returns the filler's path.
    fn fill(&self) -> PathBuf {
        let filler = self.0.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = [0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: a file the stopped server's threads still hold keeps the mount busy for a
        // moment; it goes when they let go, and the directory is free now.
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn status_of(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// With the disk full, a write is refused as 507 storage_full and nothing of it is stored, a
/// read of patient data too (its audit row cannot be written, and no read goes unaudited), and
/// /healthz says the database takes no writes (503 read_only, where it said 200). Once space is freed every read and write succeeds at once: a connection whose
/// transaction SQLite had rolled back itself used to return to the pool still counted as in a
/// transaction, and 40 of 40 requests failed after the disk was freed ("begin_with at non-zero
/// transaction depth"). SQLite only: the disk is a 8 MB tmpfs under this process.
pub async fn a_full_disk_refuses_writes_cleanly_and_the_server_recovers_when_space_is_freed(_app: TestApp) {
    let disk = SmallDisk::mount(8);
    let served = Served::start(&format!("sqlite://{}/careloop.db", disk.0.display()))
        .await
        .unwrap();
    let app = served.app();
    let (_, token) = app.admin_and_nurse().await;
    let patient = app.enrol_simple(&token, "满盘", 90).await;
    let http = app.http.clone();
    let url = |p: &str| app.url(p);
    let values = url(&format!("/api/v1/patients/{patient}/observations"));
    let write = |n: usize| {
        http.post(&values)
            .bearer_auth(&token)
            .json(&json!([{"code": "sbp", "value": 120 + n % 40, "source": "x".repeat(40)}]))
    };

    let filler = disk.fill();
    let mut refused = Vec::new();
    for n in 0..10 {
        let (status, body) = status_of(write(n)).await;
        refused.push(status);
        if status == StatusCode::INSUFFICIENT_STORAGE {
            assert_eq!(body["error"]["code"], "storage_full", "{body}");
        }
    }
    assert!(
        refused
            .iter()
            .all(|s| *s == StatusCode::INSUFFICIENT_STORAGE || *s == StatusCode::CREATED),
        "no write fails otherwise than as storage_full: {refused:?}"
    );
    assert!(
        refused.contains(&StatusCode::INSUFFICIENT_STORAGE),
        "the disk was full: {refused:?}"
    );
    let (status, health) = status_of(http.get(url("/healthz"))).await;
    assert_eq!(
        (status, health["database"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("read_only")),
        "{health}"
    );
    // Every read of patient data writes its audit row: with no room for it, the read is
    // refused too rather than served unaudited.
    let (status, body) = status_of(http.get(&values).bearer_auth(&token)).await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");

    std::fs::remove_file(&filler).unwrap();
    let mut failures = Vec::new();
    for n in 0..20 {
        let (s, b) = status_of(http.get(&values).bearer_auth(&token)).await;
        if s != StatusCode::OK {
            failures.push(format!("read {s} {b}"));
        }
        let (s, b) = status_of(write(n)).await;
        if s != StatusCode::CREATED {
            failures.push(format!("write {s} {b}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 40 failed after freeing space: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    tokio::time::sleep(careloop_web::api::WRITE_PROBE_EVERY).await;
    let (status, health) = status_of(http.get(url("/healthz"))).await;
    assert_eq!(status, StatusCode::OK, "{health}");

    served.stop().await;
}
crate::register!(sqlite: a_full_disk_refuses_writes_cleanly_and_the_server_recovers_when_space_is_freed);
