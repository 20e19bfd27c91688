//! The `faultline` command line: parses arguments and hands each command to
//! its module in `commands/`. No logic of its own.

mod commands;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// faultline: a deterministic simulator and model checker for distributed protocols.
///
/// Every run is named by a seed and replays bit for bit. Exit codes: 0 all
/// checks held, 1 a violation was found (its repro written), 2 bad usage or
/// bad input, 3 unknown (a budget ran out).
const START: &str = "Start with:\n  faultline list --long\n  faultline run raft-basic --seed 1\n  faultline run raft-commit-old-term --seed 1   # a bug, caught\n  faultline replay faultline-out/<repro>.json";

#[derive(Parser, Debug)]
#[command(
    name = "faultline",
    version,
    about,
    long_about,
    after_help = START
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the built-in scenarios, protocols, bug variants and checkers.
    List(commands::list::ListArgs),
    /// Run one scenario with one seed and judge it.
    Run(commands::run::RunArgs),
    /// Replay a repro file bit for bit (or say exactly why it cannot).
    Replay(commands::replay::ReplayArgs),
    /// Judge a recorded history for linearizability.
    Lin(commands::lin::LinArgs),
    /// Judge a recorded history for causal consistency (CC, CM, CCv) and session guarantees.
    Causal(commands::causal::CausalArgs),
    /// Draw a run: space-time diagram (SVG), step-through HTML viewer, text timeline, ShiViz log.
    Report(commands::report::ReportArgs),
    /// A fuzz campaign: many seeds over threads and shards, repros for every finding.
    Fuzz(commands::fuzz::FuzzArgs),
    /// Minimise a failing run to a small tape repro with the same violation.
    Shrink(commands::shrink::ShrinkArgs),
    /// Merge the JSON-lines results of fuzz shards into one summary and JUnit file.
    Merge(commands::merge::MergeArgs),
    /// Explore every interleaving of a small model (BFS/DFS model checking).
    Check(commands::check::CheckArgs),
}

fn main() {
    restore_default_sigpipe();
    // The limits section is built from the constants at run time.
    let long_help = format!("{START}\n\n{}", commands::limits::help());
    let matches = Cli::command().after_long_help(long_help).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let code = match &cli.command {
        Command::List(args) => commands::list::execute(args),
        Command::Run(args) => commands::run::execute(args),
        Command::Replay(args) => commands::replay::execute(args),
        Command::Lin(args) => commands::lin::execute(args),
        Command::Causal(args) => commands::causal::execute(args),
        Command::Report(args) => commands::report::execute(args),
        Command::Fuzz(args) => commands::fuzz::execute(args),
        Command::Shrink(args) => commands::shrink::execute(args),
        Command::Merge(args) => commands::merge::execute(args),
        Command::Check(args) => commands::check::execute(args),
    };
    std::process::exit(code);
}

/// Rust ignores SIGPIPE, so `faultline list | head` would panic on a closed
/// pipe; a command-line tool should just stop quietly instead.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal disposition to its default at startup, before any threads exist.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
