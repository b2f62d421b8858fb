//! `careloop-bench text-eval`: precision and recall of the free-text analysis on the labelled replies,
//! and its speed beside jieba segmentation alone on the same texts (the raw cost of the words).

use careloop_text::{
    HELDOUT_1_REPLIES, HELDOUT_2_REPLIES, HELDOUT_REPLIES, LABELLED_REPLIES, analyze, evaluate, segment, warm_up,
};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct TextEvalArgs {
    /// Passes over the replies for the speed figures.
    #[arg(long, default_value_t = 200)]
    pub rounds: usize,
    /// Also list every reply where the analysis and the labels disagree.
    #[arg(long)]
    pub errors: bool,
}

pub fn run(args: TextEvalArgs) -> anyhow::Result<()> {
    let sets = [
        (
            "Development set (replies.tsv; the lexicon was written against it)",
            LABELLED_REPLIES,
        ),
        (
            "First held-out set (replies-heldout-1.tsv; since used to extend the lexicon)",
            HELDOUT_1_REPLIES,
        ),
        (
            "Second held-out set (replies-heldout-2.tsv; since used to extend the analysis)",
            HELDOUT_2_REPLIES,
        ),
        ("Held-out set (replies-heldout-3.tsv; never tuned on)", HELDOUT_REPLIES),
    ];
    let mut texts: Vec<&str> = Vec::new();
    for (name, set) in sets {
        let report = evaluate(set).map_err(anyhow::Error::msg)?;
        println!("### {name}\n\n{}", report.to_markdown());
        if args.errors {
            for (text, why) in &report.errors {
                println!("- {why}: {text}");
            }
            println!();
        }
        texts.extend(
            set.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.split('\t').next()),
        );
    }
    warm_up();
    let t = Instant::now();
    let mut words = 0;
    for _ in 0..args.rounds {
        words += texts.iter().map(|t| segment(t).len()).sum::<usize>();
    }
    let raw = (texts.len() * args.rounds) as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut found = 0;
    for _ in 0..args.rounds {
        found += texts.iter().map(|t| analyze(t).findings.len()).sum::<usize>();
    }
    let analysed = (texts.len() * args.rounds) as f64 / t.elapsed().as_secs_f64();
    println!(
        "| replies analysed/s (one core) | jieba segmentation alone, replies/s |\n| --- | --- |\n| {analysed:.0} | {raw:.0} |\n\n({} replies × {} rounds; {words} words, {found} findings)",
        texts.len(),
        args.rounds
    );
    Ok(())
}
