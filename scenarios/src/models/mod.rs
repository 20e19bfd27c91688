//! Models for the explorer (`faultline check`): abstract specifications
//! written directly against `sim_core::explore::Model`, and protocols run
//! through the actor adapter. The reference models follow
//! `../shared/reference/models.md` exactly, so their state counts can be
//! compared with TLC and stateright.

pub mod paxos;
pub mod two_pc;
