//! `ssam`, the native command-line tool: builds the index the app ships, answers a query,
//! and benchmarks the forest against exact search (and, through `bench/`, its peers).
//! It owns the file system and the clock; the engine has neither.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
