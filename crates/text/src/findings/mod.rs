//! Symptoms and emotions in a patient's free-text reply (自由文本分析).
//!
//! The reply is cut into clauses (punctuation and words like 但是), each clause is segmented
//! with jieba (the lexicon's words added so they stay whole), and each lexicon term found is a
//! mention. A mention is dropped when a negator stands just before it (不疼, 没有发烧), when a
//! word after it says it has gone (头晕已经消失), or when its clause is a question or a
//! condition (如果发烧…); otherwise its degree comes from the term itself (剧痛), from the word
//! before it (有点头晕) or after it (疼得厉害), and is moderate when nothing says. A body
//! temperature in the text is graded by itself. A finding is urgent when its class says so.
//!
//! Rules, not a trained model: every finding can be explained by the words that produced it,
//! and the labelled set in `testdata/replies.tsv` measures what the rules miss.

pub mod eval;
pub mod lexicon;
mod segment;

pub use segment::warm_up;

/// The words of a text as the analysis segments it (jieba with the lexicon's words), for
/// benchmarks and for explaining a finding.
pub fn segment(text: &str) -> Vec<String> {
    segment::clauses(text).into_iter().flat_map(|c| c.words).collect()
}
mod numerals;
mod pain_score;
pub mod readings;
mod red_flags;
mod temperature;

use lexicon::{Kind, LEXICON, Urgency};
use readings::Reading;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Mild,
    Moderate,
    Severe,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Mild => "mild",
            Severity::Moderate => "moderate",
            Severity::Severe => "severe",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Severity::Mild => "轻度",
            Severity::Moderate => "中度",
            Severity::Severe => "重度",
        }
    }
}

/// One class found in the reply, with the words that showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub class: &'static str,
    pub kind: Kind,
    pub zh: &'static str,
    pub en: &'static str,
    pub severity: Severity,
    pub terms: Vec<String>,
    pub urgent: bool,
}

/// A term the reply mentions without asserting it (negated, gone, or hypothetical).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mention {
    pub class: &'static str,
    pub term: String,
    pub why: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub not_asserted: Vec<Mention>,
    /// Blood pressure and glucose values the reply reports, each checked against the national
    /// emergency limits.
    pub readings: Vec<Reading>,
    /// Red-flag words nothing found explains (死, 血, 叫不醒 …): see [`Analysis::needs_human_read`].
    pub unexplained: Vec<String>,
}

impl Analysis {
    /// An urgent finding (self-harm, a severe red-flag symptom) or a value past its emergency
    /// limit: the patient should be called within the hour.
    pub fn urgent(&self) -> bool {
        self.findings.iter().any(|f| f.urgent) || self.readings.iter().any(|r| r.critical.is_some())
    }

    /// Not urgent by the rules, yet holding red-flag words they do not explain: a nurse reads
    /// it rather than it being filed silently.
    pub fn needs_human_read(&self) -> bool {
        !self.urgent() && !self.unexplained.is_empty()
    }

    pub fn symptoms(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.kind == Kind::Symptom)
    }

    pub fn emotions(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.kind == Kind::Emotion)
    }

    pub fn class(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.class == id)
    }
}

/// A term at a place in a clause, before it is decided whether the reply asserts it.
struct Hit {
    class: usize,
    term: String,
    severity: Option<Severity>,
    denied: Option<&'static str>,
}

/// Analyse one reply. Pure: the same text always gives the same findings.
pub fn analyze(text: &str) -> Analysis {
    let mut hits: Vec<(usize, Hit)> = Vec::new();
    let mut previous_clause: Option<usize> = None;
    let normal = segment::normalise(text);
    // 疼得厉害，8分: a score may stand in the clause after the pain it rates.
    let pain_named = ["疼", "痛", "评分"].iter().any(|w| normal.contains(w));
    for (n, clause) in segment::clauses(text).iter().enumerate() {
        let mut found = clause_hits(clause);
        found.extend(temperature::fever(&clause.text));
        found.extend(pain_score::pain(&clause.text, pain_named));
        // A clause that only says "it has gone" (…，后来好了) clears the clause before it.
        if found.is_empty()
            && clause.words.iter().any(|w| entry(w).is_some_and(|e| e.resolved))
            && let Some(p) = previous_clause
        {
            for (_, h) in hits.iter_mut().filter(|(c, h)| *c == p && h.denied.is_none()) {
                h.denied = Some("resolved");
            }
        }
        if !found.is_empty() {
            previous_clause = Some(n);
        }
        hits.extend(found.into_iter().map(|h| (n, h)));
    }
    // What the reply says last about a class is the patient's state now: 疼是不疼了 and
    // 那几天很疼，现在不疼了 deny the pain; a hypothetical last mention changes nothing.
    let last_denied: Vec<usize> = LEXICON
        .classes
        .iter()
        .enumerate()
        .filter(|(c, _)| {
            let last = hits
                .iter()
                .rev()
                .find(|(_, h)| h.class == *c && h.denied != Some("hypothetical"));
            last.is_some_and(|(_, h)| h.denied.is_some())
        })
        .map(|(c, _)| c)
        .collect();
    let mut analysis = Analysis::default();
    let mut explicit: Vec<usize> = Vec::new();
    for (_, hit) in hits {
        let class = &LEXICON.classes[hit.class];
        let denied = hit
            .denied
            .or_else(|| last_denied.contains(&hit.class).then_some("negated"));
        if let Some(why) = denied {
            analysis.not_asserted.push(Mention {
                class: &class.id,
                term: hit.term,
                why,
            });
            continue;
        }
        // A stated degree (有点, 评分2分, 38.5度) outranks the moderate default of a bare word.
        let severity = hit.severity.unwrap_or(Severity::Moderate);
        match analysis.findings.iter_mut().find(|f| f.class == class.id) {
            Some(f) => {
                f.severity = match (hit.severity, explicit.contains(&hit.class)) {
                    (Some(s), true) => f.severity.max(s),
                    (Some(s), false) => s,
                    (None, true) => f.severity,
                    (None, false) => f.severity.max(severity),
                };
                if !f.terms.contains(&hit.term) {
                    f.terms.push(hit.term);
                }
            }
            None => analysis.findings.push(Finding {
                class: &class.id,
                kind: class.kind,
                zh: &class.zh,
                en: &class.en,
                severity,
                terms: vec![hit.term],
                urgent: false,
            }),
        }
        if hit.severity.is_some() && !explicit.contains(&hit.class) {
            explicit.push(hit.class);
        }
    }
    for f in &mut analysis.findings {
        let urgency = LEXICON.classes.iter().find(|c| c.id == f.class).map(|c| c.urgent);
        f.urgent = match urgency {
            Some(Urgency::Any) => true,
            Some(Urgency::Severe) => f.severity == Severity::Severe,
            _ => false,
        };
    }
    analysis.readings = readings::readings(&normal);
    analysis.unexplained = red_flags::unexplained(&normal, &analysis);
    analysis
}

fn entry(word: &str) -> Option<&'static lexicon::Entry> {
    LEXICON.words.get(word)
}

/// Words that may stand between a modifier and its term without breaking the link (很是疼,
/// 疼得厉害, 还会晕).
const FILLERS: [&str; 12] = ["都", "也", "还", "又", "会", "得", "是", "的", "了", "就", "还会", "有"];

fn clause_hits(clause: &segment::Clause) -> Vec<Hit> {
    let words = &clause.words;
    let hypothetical = words.iter().any(|w| entry(w).is_some_and(|e| e.hypothetical));
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let (found, head) = terms_in(word);
        for (class, own, term) in found {
            let negated = (i.saturating_sub(3)..i)
                .rev()
                .any(|j| entry(&words[j]).is_some_and(|e| e.negator))
                || head.is_some_and(|h| h.negator);
            let resolved = words[i + 1..].iter().any(|w| entry(w).is_some_and(|e| e.resolved));
            let denied = if negated {
                Some("negated")
            } else if resolved {
                Some("resolved")
            } else if hypothetical {
                Some("hypothetical")
            } else {
                None
            };
            let severity = own.or_else(|| degree(words, i)).or_else(|| head.and_then(|h| h.before));
            out.push(Hit {
                class,
                term,
                severity,
                denied,
            });
        }
    }
    out
}

type Terms = Vec<(usize, Option<Severity>, String)>;

/// The lexicon terms in one segmented word: the word itself; else a modifier fused to a term
/// (不疼, 很烦: the modifier is returned as the head); else the longest terms of two or more
/// characters inside it (术后伤口疼 → 伤口疼) — never a single character inside a longer word
/// (心疼 is not 疼).
fn terms_in(word: &str) -> (Terms, Option<&'static lexicon::Entry>) {
    let of = |e: &lexicon::Entry, term: &str| -> Terms {
        e.classes.iter().map(|(c, s)| (*c, *s, term.to_string())).collect()
    };
    if let Some(e) = entry(word).filter(|e| !e.classes.is_empty() || e.idiom) {
        return (of(e, word), None);
    }
    for (at, _) in word.char_indices().skip(1) {
        let (head, tail) = word.split_at(at);
        let head = entry(head).filter(|h| h.negator || h.before.is_some() || FILLERS.contains(&head));
        if let (Some(h), Some(t)) = (head, entry(tail).filter(|t| !t.classes.is_empty())) {
            return (of(t, tail), Some(h));
        }
    }
    // Longest pieces first, each a hash lookup: a word has few pieces, the lexicon many terms.
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let byte = |i: usize| chars.get(i).map_or(word.len(), |(b, _)| *b);
    let mut taken = vec![false; chars.len()];
    let mut out = Vec::new();
    for len in (2..chars.len()).rev() {
        for start in 0..=chars.len() - len {
            if taken[start..start + len].iter().any(|t| *t) {
                continue;
            }
            let piece = &word[byte(start)..byte(start + len)];
            if let Some(e) = entry(piece).filter(|e| !e.classes.is_empty()) {
                out.extend(of(e, piece));
                taken[start..start + len].iter_mut().for_each(|t| *t = true);
            }
        }
    }
    (out, None)
}

/// The degree the words next to a term give it: after it first (疼得厉害), then before it
/// (有点头晕), each looking past fillers.
fn degree(words: &[String], i: usize) -> Option<Severity> {
    let after = words[i + 1..]
        .iter()
        .take(3)
        .skip_while(|w| FILLERS.contains(&w.as_str()))
        .take(1)
        .find_map(|w| entry(w).and_then(|e| e.after));
    let before = words[..i]
        .iter()
        .rev()
        .take(3)
        .skip_while(|w| FILLERS.contains(&w.as_str()))
        .take(1)
        .find_map(|w| entry(w).and_then(|e| e.before));
    match (after, before) {
        (Some(Severity::Severe), _) | (_, Some(Severity::Severe)) => Some(Severity::Severe),
        (Some(a), _) => Some(a),
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests;
