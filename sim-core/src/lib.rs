//! sim-core: the deterministic engine of faultline.
//!
//! Owns simulated time, the event queue, the choices source (seeded streams
//! and tapes), links, node faults, clocks, fault schedules and the nemesis,
//! the trace and its hash, and the simulator driver. Knows nothing of any
//! particular protocol, of histories or of checkers.

pub mod auth;
pub mod byzantine;
pub mod choices;
pub mod hash;
pub mod ids;
pub mod protocol;
pub mod ratio;
pub mod tape;
pub mod time;

pub use auth::{Envelope, Signature, Signed};
pub use byzantine::{ByzantineCtx, Strategy};
pub use choices::{ChoiceSource, Choices, Recorded, Stream};
pub use hash::{hash_hex, stable_hash, StableHasher};
pub use ids::{Actor, ClientId, NodeId};
pub use protocol::{Ctx, Effect, Protocol, SystemView, Violation};
pub use ratio::Ratio;
pub use tape::{Lane, Tapes};
pub use time::{Time, NANOS_PER_MICRO, NANOS_PER_MILLI, NANOS_PER_SEC};

pub mod clock;
pub mod explore;
pub mod fault;
pub mod link;
pub mod nemesis;
pub mod queue;
pub mod sim;
pub mod testing;
pub mod trace;
pub mod workload;
pub mod world;

pub use clock::ClockModel;
pub use fault::{Fault, FaultSchedule, ScheduledFault};
pub use link::{Adversary, Delay, LinkModel};
pub use nemesis::Nemesis;
pub use sim::{Outcome, RunResult, RunStats, Simulator};
pub use trace::{Trace, TraceEvent, TraceKind, TraceLevel};
pub use workload::{ClientCtx, ClientEffect, NoClients, Workload};
pub use world::{Limits, WorldConfig};
