//! Clauses and words: punctuation and clause-break words (但是, 不过) end a clause, jieba cuts
//! each clause into words, and neighbouring pieces that together spell a lexicon word are
//! joined again (jieba's general dictionary sometimes cuts 头晕 as 头 / 晕).

use jieba_rs::Jieba;
use std::sync::LazyLock;

use super::lexicon::LEXICON;

pub struct Clause {
    pub text: String,
    pub words: Vec<String>,
}

static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    // Single characters need no entry; longer lexicon words must come out whole.
    for word in LEXICON.words.keys().filter(|w| w.chars().count() >= 2) {
        jieba.add_word(word, None, None);
    }
    jieba
});

/// Build the segmenter now rather than on the first reply (about a second's work).
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

pub fn clauses(text: &str) -> Vec<Clause> {
    let text = normalise(text);
    let mut out = Vec::new();
    for piece in split_punctuation(&text) {
        let cut: Vec<&str> = JIEBA.cut(&piece, false).iter().map(|t| t.word).collect();
        let mut words: Vec<String> = Vec::new();
        for word in join_lexicon_words(&cut) {
            if LEXICON.words.get(&word).is_some_and(|e| e.clause_break) && !words.is_empty() {
                out.push(Clause {
                    text: words.concat(),
                    words: std::mem::take(&mut words),
                });
                continue;
            }
            if !word.trim().is_empty() {
                words.push(word);
            }
        }
        if !words.is_empty() {
            out.push(Clause {
                text: words.concat(),
                words,
            });
        }
    }
    out
}

/// Full-width digits, letters and the decimal point become ASCII (患者常用全角输入), so
/// ３８．５度 reads as 38.5度.
pub(super) fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            '\u{FF0E}' => '.',
            '\u{FF0F}' => '/',
            _ => c,
        })
        .collect::<String>()
        .to_lowercase()
}

fn split_punctuation(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let decimal_point =
            c == '.' && i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
        let ends = !decimal_point
            && (matches!(
                c,
                '，' | ',' | '。' | '.' | '！' | '!' | '？' | '?' | '；' | ';' | '…' | '~' | '～' | '\n' | '\r' | '\t'
            ) || c.is_whitespace());
        if ends {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Join neighbouring pieces when together they spell a lexicon word, longest first.
fn join_lexicon_words(pieces: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let mut taken = 1;
        let mut joined = pieces[i].to_string();
        let mut candidate = joined.clone();
        for (n, piece) in pieces[i + 1..].iter().enumerate().take(3) {
            candidate.push_str(piece);
            if candidate.chars().count() > LEXICON.longest {
                break;
            }
            if LEXICON.words.contains_key(&candidate) {
                taken = n + 2;
                joined = candidate.clone();
            }
        }
        out.push(joined);
        i += taken;
    }
    out
}
