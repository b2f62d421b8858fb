//! `careloop-bench`: each capability's benchmark, reporting its figure beside the raw speed of
//! the same database on the same machine. Not part of the product binary: a hospital's operator
//! never needs it. Every benchmark makes its own scratch databases and drops them afterwards.

mod bench;
mod bench_followup;
mod bench_import;
mod bench_latest;
mod bench_questionnaire;
mod bench_replies;
mod bench_risk;
mod bench_trends;
mod bench_worklist;
mod text_eval;

use clap::{Parser, Subcommand};

/// Bulk imports allocate and free large buffers per batch, as in the product binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CareLoop benchmarks (see README, "Benchmarks").
#[derive(Parser)]
#[command(name = "careloop-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enrolment and observation import through the service beside raw inserts; search latency.
    Search(bench::BenchArgs),
    /// Follow-up: plan creation, draining due automated steps, worklist latency.
    Followup(bench_followup::FollowupBenchArgs),
    /// Questionnaires: checking and scoring, storing responses, the patient's page under load.
    Questionnaire(bench_questionnaire::QuestionnaireBenchArgs),
    /// Imports: a synthetic FHIR bulk export through `careloop import`'s path, beside raw inserts.
    Import(bench_import::ImportBenchArgs),
    /// Risk models: evaluations per second on one core beside the bare equation.
    Risk(bench_risk::RiskBenchArgs),
    /// Trends: a patient with ten years of values, the trends API and the patient page.
    Trends(bench_trends::TrendBenchArgs),
    /// Latest values: one patient with a home monitor's 100,000 readings, the latest value per
    /// indicator and the patient page.
    Latest(bench_latest::LatestBenchArgs),
    /// Free-text analysis: precision and recall on the labelled replies, and its speed.
    TextEval(text_eval::TextEvalArgs),
    /// Patients' SMS replies: matched, analysed, stored and alerted per push, beside raw inserts.
    Replies(bench_replies::RepliesBenchArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Search(args) => bench::run(args).await,
        Command::Followup(args) => bench_followup::run(args).await,
        Command::Questionnaire(args) => bench_questionnaire::run(args).await,
        Command::Import(args) => bench_import::run(args).await,
        Command::Risk(args) => bench_risk::run(args),
        Command::Trends(args) => bench_trends::run(args).await,
        Command::Latest(args) => bench_latest::run(args).await,
        Command::TextEval(args) => text_eval::run(args),
        Command::Replies(args) => bench_replies::run(args).await,
    }
}
