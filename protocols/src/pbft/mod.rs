//! # PBFT: Practical Byzantine Fault Tolerance
//!
//! Miguel Castro and Barbara Liskov, "Practical Byzantine Fault Tolerance",
//! OSDI 1999. Section numbers below are that paper's.
//!
//! ## The problem (§2, §3)
//!
//! Raft and Paxos tolerate replicas that crash. PBFT tolerates replicas
//! that do *anything*: lie, send different messages to different peers,
//! collude. With n = 3f+1 replicas it stays safe when at most f of them are
//! faulty (Byzantine), whatever the network does, and live when the network
//! is eventually timely. Why 3f+1: a replica can only wait for n-f answers
//! (f may never reply), and of those n-f up to f may be lies; the n-f must
//! still hold more truths than lies, so n-2f > f. Two quorums of 2f+1
//! intersect in f+1 replicas: at least one of them correct.
//!
//! ## The algorithm
//!
//! Replicas move through **views**; the **primary** of view v is replica
//! v mod n, the others are **backups** (§4.1). A client sends its request and
//! waits for **f+1 matching replies** from distinct replicas: at least one
//! comes from a correct replica, so the result is right (§4.1).
//!
//! **Normal case (§4.2), three phases.** The primary gives the request a
//! sequence number n and multicasts ⟨PRE-PREPARE, v, n, d⟩ (d: the
//! request's digest). A backup accepts it if it is in view v, n is between
//! the watermarks h and H, and it has not accepted a different pre-prepare
//! for (v, n); it then multicasts ⟨PREPARE, v, n, d, i⟩. A replica is
//! **prepared** when it has the pre-prepare and 2f matching prepares from
//! distinct backups: then no correct replica can prepare another request at
//! (v, n). It multicasts ⟨COMMIT, v, n, d, i⟩ and is **committed-local** with
//! 2f+1 matching commits: then the request will keep sequence number n in
//! every later view. Replicas execute in sequence-number order and reply.
//!
//! **Checkpoints (§4.3).** Every K requests replicas multicast the digest of
//! their state; 2f+1 matching digests make a **stable checkpoint** with a
//! proof. The log below it is discarded and the watermarks move: h is the
//! stable checkpoint, H = h + window.
//!
//! **View changes (§4.4, §4.5.2).** A backup waiting too long for a request
//! to execute suspects the primary and multicasts ⟨VIEW-CHANGE, v+1, n, C, P,
//! i⟩: its stable checkpoint n with proof C and a prepared certificate for
//! everything it prepared above n. The new primary gathers 2f+1 of them (V),
//! re-proposes in view v+1 every request prepared in V (the certificate of
//! the highest view wins) and fills gaps with null requests (O), and sends
//! ⟨NEW-VIEW, v+1, V, O⟩. Backups check V and recompute O before entering
//! the view. Timeouts double with every failed view change, so once the
//! network is timely the correct replicas spend long enough in one view with
//! a correct primary (liveness).
//!
//! ## This implementation
//!
//! * [`messages`]: the messages; every protocol message is signed
//!   ([`sim_core::Signed`]: only a node can sign as itself), the paper's
//!   signed variant, so certificates can be forwarded as proofs.
//! * [`state`]: a replica's state; [`replica`]: the normal case, execution,
//!   timers and the status exchange that retransmits what a lagging replica
//!   misses (links lose messages); [`checkpoint`]: checkpoints, garbage
//!   collection and state transfer; [`view_change`]: view changes.
//! * The state machine is the key-value store of [`crate::kv`]: every
//!   request, reads included, goes through the three phases.
//! * **Client authentication.** Clients multicast each request to every
//!   replica, each of which authenticates it on its own channel from the
//!   client (the paper's per-replica MACs, §4.1 and §5). A backup accepts a
//!   pre-prepare only for a request it holds from the client, or with a
//!   certificate of 2f others who do; so a faulty primary cannot invent or
//!   alter requests.
//! * [`byzantine`]: what `equivocate`, `corrupt`, `forge` and
//!   `lie-about-state` mean for a PBFT replica.
//!
//! ## Invariants ([`invariants`]), over correct replicas only
//!
//! * `agreement`: no two correct replicas execute different requests at the
//!   same sequence number.
//! * `validity`: correct replicas execute only requests clients issued.
//!
//! ## Bug variants ([`PbftBug`], `--bug NAME`)
//!
//! * `small-quorum`: prepared on f prepares and committed on f+1 commits
//!   (instead of 2f and 2f+1). Quorums of f+1 need not intersect in a
//!   correct replica: an equivocating primary gets two halves of the
//!   replicas to commit different requests at one sequence number, breaking
//!   `agreement` even with only f faulty replicas (n = 7, f = 2, one
//!   equivocating primary).
//! * `trust-new-view`: backups enter a new view without checking V or
//!   recomputing O. A faulty new primary can then reorder or drop requests
//!   that already committed at some correct replicas: `agreement` breaks.
//! * `skip-request-check`: backups accept any request inside a pre-prepare,
//!   without holding it from the client. A corrupting primary then gets
//!   requests no client issued executed: `validity` breaks.

pub mod byzantine;
pub mod checkpoint;
pub mod invariants;
pub mod messages;
pub mod replica;
pub mod state;
#[cfg(test)]
mod tests;
pub mod view_change;

pub use invariants::PbftMonitor;
pub use messages::{primary, Digest, Payload, PbftMsg, PbftReply, PbftTimer};
pub use state::PbftState;

use crate::kv::KvRequest;
use sim_core::{ByzantineCtx, ClientId, Ctx, NodeId, Protocol, SystemView, Violation, NANOS_PER_MILLI};
use std::fmt;
use std::str::FromStr;

pub const AGREEMENT: &str = "agreement";
pub const VALIDITY: &str = "validity";

/// The most faulty replicas `n` replicas tolerate: n = 3f+1.
pub fn max_faulty(n: usize) -> usize {
    n.saturating_sub(1) / 3
}

/// PBFT's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pbft {
    /// K: a checkpoint every this many sequence numbers.
    pub checkpoint_interval: u64,
    /// H - h: how many sequence numbers above the stable checkpoint the log
    /// accepts (a multiple of K).
    pub window: u64,
    /// The first view-change timeout (local clock); doubles per failed view change.
    pub view_change_timeout_ns: u64,
    /// Status and retransmission period.
    pub tick_ns: u64,
    pub bug: Option<PbftBug>,
}

impl Default for Pbft {
    fn default() -> Self {
        Pbft {
            checkpoint_interval: 10,
            window: 20,
            view_change_timeout_ns: 400 * NANOS_PER_MILLI,
            tick_ns: 50 * NANOS_PER_MILLI,
            bug: None,
        }
    }
}

impl Pbft {
    pub fn with_bug(bug: Option<PbftBug>) -> Self {
        Pbft { bug, ..Pbft::default() }
    }

    fn has_bug(&self, bug: PbftBug) -> bool {
        self.bug == Some(bug)
    }

    fn f(&self, n: usize) -> usize {
        max_faulty(n)
    }

    /// Matching prepares (from distinct backups) that make a replica prepared: 2f.
    fn prepare_quorum(&self, n: usize) -> usize {
        if self.has_bug(PbftBug::SmallQuorum) {
            self.f(n).max(1)
        } else {
            2 * self.f(n)
        }
    }

    /// Matching commits that make a request committed-local: 2f+1.
    fn commit_quorum(&self, n: usize) -> usize {
        if self.has_bug(PbftBug::SmallQuorum) {
            self.f(n) + 1
        } else {
            self.strong_quorum(n)
        }
    }

    /// 2f+1: view changes, stable checkpoints.
    fn strong_quorum(&self, n: usize) -> usize {
        2 * self.f(n) + 1
    }
}

/// Known-buggy variants of PBFT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PbftBug {
    /// Quorums of f (prepares) and f+1 (commits) instead of 2f and 2f+1.
    SmallQuorum,
    /// New-view messages are not checked against their view-change proofs.
    TrustNewView,
    /// Backups accept requests in pre-prepares without holding them from the client.
    SkipRequestCheck,
}

impl PbftBug {
    pub const ALL: [PbftBug; 3] = [PbftBug::SmallQuorum, PbftBug::TrustNewView, PbftBug::SkipRequestCheck];

    pub fn name(self) -> &'static str {
        match self {
            PbftBug::SmallQuorum => "small-quorum",
            PbftBug::TrustNewView => "trust-new-view",
            PbftBug::SkipRequestCheck => "skip-request-check",
        }
    }
}

impl fmt::Display for PbftBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PbftBug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        PbftBug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let known: Vec<&str> = PbftBug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown pbft bug `{s}` (known: {})", known.join(", "))
        })
    }
}

/// Clears what the invariants read about the previous event.
fn begin(s: &mut PbftState) {
    s.just_executed.clear();
    s.just_received.clear();
}

impl Protocol for Pbft {
    type State = PbftState;
    type Msg = PbftMsg;
    type Timer = PbftTimer;
    /// Nothing survives a crash: a restarted replica rejoins empty and
    /// catches up by state transfer. (A replica that forgets what it
    /// prepared may contradict itself: a crashed replica counts among the f.)
    type Durable = ();
    type Request = KvRequest;
    type Response = PbftReply;
    type Monitor = PbftMonitor;

    fn name(&self) -> &'static str {
        "pbft"
    }

    fn init(&self, id: NodeId, ctx: &mut Ctx<'_, Self>) -> PbftState {
        ctx.set_timer(PbftTimer::Tick, self.tick_ns);
        PbftState::new(id, ctx.node_count())
    }

    fn on_message(&self, _id: NodeId, s: &mut PbftState, from: NodeId, msg: PbftMsg, ctx: &mut Ctx<'_, Self>) {
        begin(s);
        match msg {
            PbftMsg::PrePrepare(pp) => self.on_pre_prepare(s, pp, ctx),
            PbftMsg::Prepare(vote) => self.on_prepare(s, vote, ctx),
            PbftMsg::Commit(vote) => self.on_commit(s, vote, ctx),
            PbftMsg::Checkpoint(vote) => self.on_checkpoint(s, vote, ctx),
            PbftMsg::ViewChange(vc) => self.on_view_change(s, vc, ctx),
            PbftMsg::NewView(nv) => self.on_new_view(s, nv, ctx),
            PbftMsg::Status(status) => self.on_status(s, from, status, ctx),
            PbftMsg::StableState { proof, store } => self.on_stable_state(s, proof, store, ctx),
        }
    }

    fn on_timer(&self, _id: NodeId, s: &mut PbftState, timer: PbftTimer, ctx: &mut Ctx<'_, Self>) {
        begin(s);
        match timer {
            PbftTimer::ViewChange => self.on_view_change_timer(s, ctx),
            PbftTimer::Tick => self.on_tick(s, ctx),
        }
    }

    fn on_request(
        &self,
        _id: NodeId,
        s: &mut PbftState,
        client: ClientId,
        request: KvRequest,
        ctx: &mut Ctx<'_, Self>,
    ) {
        begin(s);
        self.on_client_request(s, client, request, ctx);
    }

    fn recover(&self, id: NodeId, _durable: Option<&()>, ctx: &mut Ctx<'_, Self>) -> PbftState {
        self.init(id, ctx)
    }

    fn is_leader(&self, s: &PbftState) -> bool {
        !s.view_changing && primary(s.view, s.n) == s.id
    }

    fn tamper(&self, s: &PbftState, to: NodeId, msg: &PbftMsg, byz: &mut ByzantineCtx<'_>) -> Option<PbftMsg> {
        byzantine::tamper(s, to, msg, byz)
    }

    fn lie_about_state(&self, s: &mut PbftState, byz: &mut ByzantineCtx<'_>) -> Option<String> {
        byzantine::lie_about_state(s, byz)
    }

    fn check_invariants(&self, monitor: &mut PbftMonitor, view: &SystemView<'_, Self>) -> Result<(), Violation> {
        monitor.check(view)
    }
}
