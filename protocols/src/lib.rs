//! Protocols: one readable module per protocol, each a pure state machine
//! over the `sim_core::Protocol` API, with its invariants and bug variants.

pub mod bank;
pub mod echo;
pub mod gossip;
pub mod kv;
pub mod lamport_mutex;
pub mod paxos;
pub mod pbft;
pub mod raft;
pub mod three_pc;
pub mod two_pc;
