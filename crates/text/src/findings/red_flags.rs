//! The red-flag screen: the words of the lexicon's `[red_flags]` that stand in the reply where
//! nothing the analysis found explains them. A word is explained when a benign word covers it
//! (血 in 血压) or a term the analysis read there covers it — asserted or not (血 in 没有出血).
//! What is left means the rules did not understand a reply that may be dangerous (吐了一口血,
//! 我爸叫不醒了): it goes to a nurse to read instead of being filed silently.

use super::Analysis;
use super::lexicon::LEXICON;

/// The red-flag words of `text` (normalised) that nothing in `analysis` explains, each once.
pub fn unexplained(text: &str, analysis: &Analysis) -> Vec<String> {
    let spans =
        |word: &str| -> Vec<(usize, usize)> { text.match_indices(word).map(|(at, w)| (at, at + w.len())).collect() };
    let flags = &LEXICON.red_flags;
    let mut covers: Vec<(usize, usize)> = flags.benign.iter().flat_map(|w| spans(w)).collect();
    let terms = analysis
        .findings
        .iter()
        .flat_map(|f| f.terms.iter())
        .chain(analysis.not_asserted.iter().map(|m| &m.term));
    covers.extend(terms.flat_map(|t| spans(t)));
    let mut out: Vec<String> = Vec::new();
    for word in &flags.words {
        let bare = spans(word)
            .into_iter()
            .any(|(s, e)| !covers.iter().any(|(cs, ce)| *cs <= s && e <= *ce));
        if bare && !out.contains(word) {
            out.push(word.clone());
        }
    }
    out
}
