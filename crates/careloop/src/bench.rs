//! `careloop bench`: import and search speed, reported beside the raw insert rate of the same
//! database measured in the same run.

/// Options of `careloop bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Patients to import.
    #[arg(long, default_value_t = 100_000)]
    pub patients: usize,
}

pub async fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("benchmark not built yet")
}
