//! Chinese text helpers, a stable leaf with no IO:
//! - pinyin keys for search (nurses find 张三丰 by typing `zsf`);
//! - findings in patients' free-text replies: symptoms and emotions, with negation, degree and
//!   hypothetical mentions handled, and which findings are urgent.

mod findings;
mod pinyin_keys;

pub use findings::eval::{
    ClassScore, EvalReport, HELDOUT_1_REPLIES, HELDOUT_2_REPLIES, HELDOUT_REPLIES, LABELLED_REPLIES, evaluate,
};
pub use findings::lexicon::{Kind, Urgency, classes};
pub use findings::readings::{Past, Quantity, Reading};
pub use findings::{Analysis, Finding, Mention, Severity, analyze, segment, warm_up};
pub use pinyin_keys::{pinyin_full, pinyin_initials};
