//! One module per subcommand. Each exposes `XArgs` (clap) and
//! `execute(&XArgs) -> i32` returning the exit code.

pub mod causal;
pub mod check;
pub mod fuzz;
pub mod limits;
pub mod lin;
pub mod list;
pub mod merge;
pub mod replay;
pub mod report;
pub mod run;
mod shared;
pub mod shrink;
