//! Precision and recall of the analysis on the labelled replies (`testdata/replies.tsv`,
//! written for this project): per class, for urgency, and agreement on stated degrees.

use super::lexicon::LEXICON;
use super::{Severity, analyze};

/// The development set: the lexicon was written and tuned against it.
pub const LABELLED_REPLIES: &str = include_str!("../../testdata/replies.tsv");
/// The first held-out set: measured once untouched, then used to extend the lexicon.
pub const HELDOUT_1_REPLIES: &str = include_str!("../../testdata/replies-heldout-1.tsv");
/// The second held-out set: measured once untouched, then used to extend the lexicon and to
/// write the value readings and the red-flag screen.
pub const HELDOUT_2_REPLIES: &str = include_str!("../../testdata/replies-heldout-2.tsv");
/// The held-out set: 165 replies (58 urgent) written and labelled before the value readings and
/// the red-flag screen, never used to change the lexicon or the rules. Its figures are the ones
/// to trust; replace it when the analysis learns from it.
pub const HELDOUT_REPLIES: &str = include_str!("../../testdata/replies-heldout-3.tsv");

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassScore {
    pub class: String,
    pub zh: String,
    /// Replies labelled with the class.
    pub support: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl ClassScore {
    /// `None` when nothing was predicted (precision undefined).
    pub fn precision(&self) -> Option<f64> {
        let predicted = self.true_positives + self.false_positives;
        (predicted > 0).then(|| self.true_positives as f64 / predicted as f64)
    }

    pub fn recall(&self) -> Option<f64> {
        (self.support > 0).then(|| self.true_positives as f64 / self.support as f64)
    }
}

#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    pub replies: usize,
    pub classes: Vec<ClassScore>,
    pub urgent: ClassScore,
    /// Urgent replies the rules missed that the red-flag screen sent to a human read.
    pub urgent_read: usize,
    /// Replies not urgent that the red-flag screen sent to a human read (the nurse's extra reading).
    pub read_not_urgent: usize,
    /// Findings whose label states a degree, and how many of them the analysis graded the same.
    pub degrees_labelled: usize,
    pub degrees_agreed: usize,
    /// Replies where the analysis and the labels disagree: (reply, what differed).
    pub errors: Vec<(String, String)>,
}

struct Labelled<'a> {
    text: &'a str,
    labels: Vec<(&'a str, Option<Severity>)>,
    urgent: bool,
}

fn parse(tsv: &str) -> Result<Vec<Labelled<'_>>, String> {
    let mut out = Vec::new();
    for (n, line) in tsv.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [text, labels, urgent] = cols[..] else {
            return Err(format!("line {}: expected 3 tab-separated columns", n + 1));
        };
        let mut parsed = Vec::new();
        for label in labels.split_whitespace().filter(|l| *l != "-") {
            let (class, degree) = match label.split_once(':') {
                Some((c, "mild")) => (c, Some(Severity::Mild)),
                Some((c, "severe")) => (c, Some(Severity::Severe)),
                Some((_, d)) => return Err(format!("line {}: unknown degree {d}", n + 1)),
                None => (label, None),
            };
            if !LEXICON.classes.iter().any(|c| c.id == class) {
                return Err(format!("line {}: unknown class {class}", n + 1));
            }
            parsed.push((class, degree));
        }
        let urgent = match urgent {
            "1" => true,
            "0" => false,
            other => return Err(format!("line {}: urgent must be 0 or 1, not {other}", n + 1)),
        };
        out.push(Labelled {
            text,
            labels: parsed,
            urgent,
        });
    }
    Ok(out)
}

/// Score the analysis against a labelled set in the `replies.tsv` format.
pub fn evaluate(tsv: &str) -> Result<EvalReport, String> {
    let set = parse(tsv)?;
    let mut report = EvalReport {
        replies: set.len(),
        classes: LEXICON
            .classes
            .iter()
            .map(|c| ClassScore {
                class: c.id.clone(),
                zh: c.zh.clone(),
                ..ClassScore::default()
            })
            .collect(),
        urgent: ClassScore {
            class: "urgent".into(),
            zh: "紧急".into(),
            ..ClassScore::default()
        },
        ..EvalReport::default()
    };
    for reply in &set {
        let analysis = analyze(reply.text);
        let mut differences = Vec::new();
        for score in &mut report.classes {
            let label = reply.labels.iter().find(|(c, _)| *c == score.class);
            let found = analysis.class(&score.class);
            score.support += usize::from(label.is_some());
            match (label, found) {
                (Some((_, degree)), Some(f)) => {
                    score.true_positives += 1;
                    if let Some(d) = degree {
                        report.degrees_labelled += 1;
                        if *d == f.severity {
                            report.degrees_agreed += 1;
                        } else {
                            differences.push(format!("{} {} not {}", score.class, f.severity.as_str(), d.as_str()));
                        }
                    }
                }
                (Some(_), None) => {
                    score.false_negatives += 1;
                    differences.push(format!("missed {}", score.class));
                }
                (None, Some(f)) => {
                    score.false_positives += 1;
                    differences.push(format!("extra {} ({})", score.class, f.terms.join("/")));
                }
                (None, None) => {}
            }
        }
        let urgent = analysis.urgent();
        let read = analysis.needs_human_read();
        report.urgent_read += usize::from(reply.urgent && read);
        report.read_not_urgent += usize::from(!reply.urgent && read);
        if !reply.urgent && read {
            differences.push(format!("sent to a human read ({})", analysis.unexplained.join("/")));
        }
        let u = &mut report.urgent;
        u.support += usize::from(reply.urgent);
        match (reply.urgent, urgent) {
            (true, true) => u.true_positives += 1,
            (true, false) => {
                u.false_negatives += 1;
                differences.push(if read {
                    format!(
                        "missed urgent, sent to a human read ({})",
                        analysis.unexplained.join("/")
                    )
                } else {
                    "missed urgent, filed silently".into()
                });
            }
            (false, true) => {
                u.false_positives += 1;
                differences.push("extra urgent".into());
            }
            (false, false) => {}
        }
        if !differences.is_empty() {
            report.errors.push((reply.text.to_string(), differences.join("; ")));
        }
    }
    Ok(report)
}

impl EvalReport {
    /// Urgent replies that reach a person: flagged urgent, or sent to a human read.
    pub fn urgent_reached(&self) -> Option<f64> {
        let reached = self.urgent.true_positives + self.urgent_read;
        (self.urgent.support > 0).then(|| reached as f64 / self.urgent.support as f64)
    }

    /// Precision and recall over all classes together (micro-averaged).
    pub fn overall(&self) -> (f64, f64) {
        let sum = |f: fn(&ClassScore) -> usize| self.classes.iter().map(f).sum::<usize>() as f64;
        let tp = sum(|s| s.true_positives);
        let precision = tp / (tp + sum(|s| s.false_positives)).max(1.0);
        let recall = tp / (tp + sum(|s| s.false_negatives)).max(1.0);
        (precision, recall)
    }

    /// The figures as a Markdown table, for the README.
    pub fn to_markdown(&self) -> String {
        let pct = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{:.0}%", v * 100.0));
        let u = &self.urgent;
        let mut out = format!(
            "{} labelled replies, {} urgent. **Urgent:** flagged urgent {}/{} (recall {}, precision {}); \
             flagged or sent to a human read {}/{} ({}); {} replies not urgent sent to a human read.\n\n",
            self.replies,
            u.support,
            u.true_positives,
            u.support,
            pct(u.recall()),
            pct(u.precision()),
            u.true_positives + self.urgent_read,
            u.support,
            pct(self.urgent_reached()),
            self.read_not_urgent,
        );
        out.push_str(&format!(
            "Degree agreement {}/{} where the label states one.\n\n| class | 类别 | replies | precision | recall |\n| --- | --- | --- | --- | --- |\n",
            self.degrees_agreed, self.degrees_labelled
        ));
        let (precision, recall) = self.overall();
        out.push_str(&format!(
            "| all classes (micro) | 合计 | {} | {:.0}% | {:.0}% |\n",
            self.classes.iter().map(|s| s.support).sum::<usize>(),
            precision * 100.0,
            recall * 100.0
        ));
        for s in self.classes.iter().chain(std::iter::once(&self.urgent)) {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                s.class,
                s.zh,
                s.support,
                pct(s.precision()),
                pct(s.recall())
            ));
        }
        out
    }
}
