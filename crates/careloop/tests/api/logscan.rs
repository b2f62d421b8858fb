//! The whole suite runs with the application's log captured, and every line is scanned for what
//! must never be logged: a session token (64 hex digits), a patient link (`/m/` and its token), a resident ID number, a mobile
//! number, or a fixture patient's name. A hit fails the run after the trials, naming the line's
//! start (never the secret itself in full).

use regex::Regex;
use std::io;
use std::sync::{Arc, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// What a log line must never hold.
fn secrets() -> Vec<(&'static str, Regex)> {
    [
        ("a token", r"\b[0-9a-f]{64}\b"),
        ("a patient link", r"/m/[0-9A-Za-z]{22}\b"),
        ("an ID number", r"\b\d{17}[\dXx]\b"),
        ("a mobile number", r"\b1[3-9]\d{9}\b"),
        (
            "a fixture patient's name",
            r"王一|并发读|极端参数|最新值甲|古丽·买买提|满盘|删标签|负载\d",
        ),
    ]
    .into_iter()
    .map(|(what, re)| (what, Regex::new(re).expect("pattern")))
    .collect()
}

/// Lines of the log that held something they must not.
#[derive(Clone, Default)]
pub struct Findings(Arc<Mutex<Vec<String>>>);

impl Findings {
    pub fn take(&self) -> Vec<String> {
        self.0.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }
}

/// A log writer that keeps nothing but the findings.
pub struct Scanner {
    patterns: Arc<Vec<(&'static str, Regex)>>,
    findings: Findings,
}

impl Scanner {
    pub fn new() -> (Scanner, Findings) {
        let findings = Findings::default();
        let scanner = Scanner {
            patterns: Arc::new(secrets()),
            findings: findings.clone(),
        };
        (scanner, findings)
    }
}

pub struct LineScan {
    patterns: Arc<Vec<(&'static str, Regex)>>,
    findings: Findings,
}

impl io::Write for LineScan {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        for (what, re) in self.patterns.iter() {
            if let Some(m) = re.find(&text) {
                let start: String = text[..m.start()]
                    .chars()
                    .rev()
                    .take(120)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if let Ok(mut f) = self.findings.0.lock()
                    && f.len() < 20
                {
                    f.push(format!("{what} after: …{start}"));
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Scanner {
    type Writer = LineScan;

    fn make_writer(&'a self) -> LineScan {
        LineScan {
            patterns: self.patterns.clone(),
            findings: self.findings.clone(),
        }
    }
}

/// The scanner finds what it looks for, and nothing in an ordinary line.
pub fn the_scanner_finds_planted_identifiers() -> Result<(), libtest_mimic::Failed> {
    let (scanner, findings) = Scanner::new();
    let subscriber = tracing_subscriber::fmt().with_writer(scanner).with_ansi(false).finish();
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(
            path = "/api/v1/patients/01a24a73-9da2-74b1-ae41-cca47731ae4d",
            "request"
        );
    });
    if !findings.take().is_empty() {
        return Err("an ordinary line was reported".into());
    }
    let planted = [
        "11010519491231002X",
        "13812345678",
        "3f9a0c77e1d24b6a3f9a0c77e1d24b6a3f9a0c77e1d24b6a3f9a0c77e1d24b6a",
        "https://followup.example.cn/m/WPNevo4eGdfBNWo9HDNaFV",
        "王一",
    ];
    for p in planted {
        let (scanner, findings) = Scanner::new();
        let subscriber = tracing_subscriber::fmt().with_writer(scanner).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, || tracing::warn!(detail = p, "something"));
        if findings.take().is_empty() {
            return Err(format!("a planted {p:.6}… was not found").into());
        }
    }
    Ok(())
}
