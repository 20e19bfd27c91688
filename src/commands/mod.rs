//! One module per subcommand. Each exposes `XArgs` (clap) and
//! `execute(&XArgs) -> i32` returning the exit code.

pub mod causal;
pub mod lin;
pub mod list;
pub mod replay;
pub mod report;
pub mod run;
mod shared;
