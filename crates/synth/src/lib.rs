//! Synthetic data and scratch databases, shared by `careloop demo`, the benchmarks
//! (`careloop-bench`) and the integration tests — kept out of the use-case crate so that the
//! product's code holds nothing made up.

pub mod population;
pub mod scratch;

pub use population::*;
