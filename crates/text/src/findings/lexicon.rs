//! The lexicon (`lexicons/findings.toml`): classes of symptoms and emotions with the words
//! patients use for them, and the words that negate, grade or make a mention hypothetical.
//! Compiled into the binary and parsed once.

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::LazyLock;

use super::Severity;

const SOURCE: &str = include_str!("../../lexicons/findings.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Symptom,
    Emotion,
}

/// When a finding of a class is urgent on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Any,
    Severe,
    Never,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Class {
    pub id: String,
    pub kind: Kind,
    pub zh: String,
    pub en: String,
    pub urgent: Urgency,
    pub terms: Vec<String>,
    #[serde(default)]
    pub severe: Vec<String>,
    #[serde(default)]
    pub mild: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modifiers {
    pub negators: Vec<String>,
    pub resolved: Vec<String>,
    pub hypothetical: Vec<String>,
    pub mild_before: Vec<String>,
    pub severe_before: Vec<String>,
    pub mild_after: Vec<String>,
    pub severe_after: Vec<String>,
    pub clause_breaks: Vec<String>,
    pub idioms: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    class: Vec<Class>,
    modifiers: Modifiers,
    red_flags: RedFlags,
}

/// The red-flag screen's words (see the file).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedFlags {
    pub words: Vec<String>,
    pub benign: Vec<String>,
}

/// A word of the lexicon and what it means where it stands.
#[derive(Debug, Default, Clone)]
pub struct Entry {
    /// Classes the word names, each with the degree the word carries itself, if any.
    pub classes: Vec<(usize, Option<Severity>)>,
    pub negator: bool,
    pub resolved: bool,
    pub hypothetical: bool,
    pub before: Option<Severity>,
    pub after: Option<Severity>,
    pub clause_break: bool,
    /// A set phrase that looks like a finding and is not one (让人头疼, 怕什么).
    pub idiom: bool,
}

pub struct Lexicon {
    pub classes: Vec<Class>,
    pub red_flags: RedFlags,
    pub words: HashMap<String, Entry>,
    /// Longest word, in characters: how many segments a merge may join.
    pub longest: usize,
}

pub static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    let file: File = toml::from_str(SOURCE).expect("lexicons/findings.toml is valid (tested)");
    Lexicon::new(file)
});

impl Lexicon {
    fn new(file: File) -> Lexicon {
        let mut words: HashMap<String, Entry> = HashMap::new();
        for (i, class) in file.class.iter().enumerate() {
            let graded = [
                (&class.terms, None),
                (&class.severe, Some(Severity::Severe)),
                (&class.mild, Some(Severity::Mild)),
            ];
            for (list, degree) in graded {
                for term in list {
                    let entry = words.entry(term.clone()).or_default();
                    match entry.classes.iter_mut().find(|(c, _)| *c == i) {
                        // A word listed as a term and as graded keeps its grade.
                        Some(slot) => slot.1 = slot.1.or(degree),
                        None => entry.classes.push((i, degree)),
                    }
                }
            }
        }
        let m = &file.modifiers;
        let mut mark = |list: &Vec<String>, set: &dyn Fn(&mut Entry)| {
            for w in list {
                set(words.entry(w.clone()).or_default());
            }
        };
        mark(&m.negators, &|e| e.negator = true);
        mark(&m.resolved, &|e| e.resolved = true);
        mark(&m.hypothetical, &|e| e.hypothetical = true);
        mark(&m.mild_before, &|e| e.before = Some(Severity::Mild));
        mark(&m.severe_before, &|e| e.before = Some(Severity::Severe));
        mark(&m.mild_after, &|e| e.after = Some(Severity::Mild));
        mark(&m.severe_after, &|e| e.after = Some(Severity::Severe));
        mark(&m.clause_breaks, &|e| e.clause_break = true);
        mark(&m.idioms, &|e| e.idiom = true);
        let longest = words.keys().map(|w| w.chars().count()).max().unwrap_or(1);
        Lexicon {
            classes: file.class,
            red_flags: file.red_flags,
            words,
            longest,
        }
    }
}

/// The classes of the lexicon as (id, kind, zh, en, urgency), in file order.
pub fn classes() -> Vec<(&'static str, Kind, &'static str, &'static str, Urgency)> {
    LEXICON
        .classes
        .iter()
        .map(|c| (c.id.as_str(), c.kind, c.zh.as_str(), c.en.as_str(), c.urgent))
        .collect()
}
