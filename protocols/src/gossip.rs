//! Gossip: a key-value store replicated by epidemics, in two consistency
//! flavours (causal and eventual).
//!
//! ## The algorithm
//!
//! Every replica serves every client request on its own, at once: a `get`
//! reads the local copy, a `put` writes it and becomes an *update*
//! `(origin, seq, stamp, deps, key, value)` that must reach every other
//! replica. Nobody leads and nobody waits for anyone, so a replica cut off
//! by a partition keeps serving its clients. Updates travel two ways
//! (Demers et al., "Epidemic Algorithms for Replicated Database
//! Maintenance", PODC 1987):
//!
//! - **Rumor mongering** (fast, unreliable). A replica that learns a new
//!   update makes it a *hot rumor*. Every `rumor_interval_ns` it sends each
//!   hot rumor (`Rumor`) to `fanout` peers picked at random, and after
//!   `rounds` such rounds the rumor is no longer hot (the paper's "blind,
//!   counter" variant). Most replicas hear of an update within a few rounds,
//!   but a lost message or a partition can leave some out.
//! - **Anti-entropy** (slow, complete). Every `anti_entropy_interval_ns`
//!   (jittered) a replica picks a random peer and the two compare what they
//!   have, then exchange what the other lacks: *push-pull*. The initiator
//!   sends a digest; the peer answers with the updates the initiator lacks
//!   (`Updates`: the pull), and if the digest shows the initiator has
//!   something the peer lacks, a digest of its own (`reply: false`, so the
//!   exchange stops there), which the initiator answers with the missing
//!   updates (the push). Anti-entropy is what makes every replica converge
//!   once the network heals.
//!
//! What a replica does with an update is the *flavour*:
//!
//! - **causal** (lazy replication with vector clocks: Ladin, Liskov,
//!   Shrira, Ghemawat, "Providing High Availability Using Lazy
//!   Replication", TOCS 1992; causal delivery as in Birman, Schiper,
//!   Stephenson, TOCS 1991). Each replica keeps a vector clock `clock[o]` =
//!   how many of origin `o`'s updates it has applied, and each origin's
//!   updates in a log. A local write carries the replica's whole causal
//!   context as its dependencies (`deps` = the clock at the time of the
//!   write): everything the writing client (and every other client of that
//!   replica) could have seen. A received update waits in `pending` until it
//!   is *deliverable*: it is the next one from its origin
//!   (`clock[origin] = seq - 1`) and every dependency is applied
//!   (`clock[k] >= deps[k]` for every other `k`). The digest is the clock,
//!   and the answer is the log suffix the peer lacks, sorted by stamp (a
//!   causally ordered sequence). Clients keep their session on one replica
//!   (the KV clients stick to a node), so a replica's applied set always
//!   contains the session's causal past. Concurrent writes to one key are
//!   resolved by last-writer-wins on the Lamport stamp `(lamport, node)`,
//!   which extends the causal order, so all replicas pick the same winner:
//!   the store is causally consistent *and* convergent (CCv, "causal
//!   convergence", in the terms of Bouajjani et al., POPL 2017).
//! - **eventual** (last-writer-wins registers, as in Dynamo or Cassandra;
//!   Lamport, "Time, Clocks, and the Ordering of Events", CACM 1978, for the
//!   timestamps, with the node id breaking ties). An update is applied the
//!   moment it arrives, if its stamp beats the key's current one, and no log
//!   is kept: the digest (`Stamps`) lists each key's stamp and the answer
//!   holds the entries that are newer. Replicas converge, but a client can
//!   see an effect before its cause (y's new value and x's old one, though y
//!   was written after reading x's new value), so histories are in general
//!   not causally consistent.
//!
//! `append` is served as a read-modify-write of the local copy (the result
//! is put as a new value); under concurrency one append overwrites another.
//! The causal checker judges get/put histories, so gossip scenarios use no
//! appends.
//!
//! A replica persists its store, clock, log and client sessions before it
//! answers a write (`Durable` = [`Replica`]); hot rumors and pending updates
//! are volatile and are made good by anti-entropy after a restart.
//!
//! ## Invariants
//! - `vector-clock-matches-log` (causal): `clock[o]` equals the number of
//!   `o`'s updates in the log, and the log holds them in sequence order.
//! - `lamport-dominates-store`: a replica's Lamport clock is at least the
//!   stamp of every value it stores (so its next write wins over them).
//! - `causal-delivery` (causal): every applied update's dependencies are
//!   applied too. Checking each origin's last update suffices, because an
//!   origin's dependencies only grow.
//!
//! Causal consistency itself is a property of what clients see, judged from
//! the outside on the recorded history by the `causal` checker (CC and CCv),
//! and convergence is judged on the final states (the catalog's end-of-run
//! check). `causal-delivery` catches a replica breaking causality the moment
//! it does; with invariants off (`--no-invariants`) the checker must find the
//! same bug from the clients' side alone, as it would for a real system.
//!
//! ## Bug variants
//! - `no-deps` (causal flavour): applies an update as soon as it is the next
//!   one from its origin, ignoring its dependencies on other origins. A
//!   replica can then show `y = b` (written by a client that had read
//!   `x = a`) while still holding the old `x`; a client reading `y` then
//!   `x` there sees an effect without its cause: WriteCOInitRead or
//!   WriteCORead in the causal checker (and `causal-delivery` breaks the
//!   moment the replica applies it). Exposed when a rumor overtakes the
//!   one it depends on: lossy, reordering links with long tails and
//!   partitions that let updates reach a replica by different paths.

use crate::kv::{KvCommand, KvOutcome, KvReply, KvRequest};
use sim_core::{ClientId, Ctx, NodeId, Protocol, SystemView, Violation, NANOS_PER_MILLI};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// What a replica does with an update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// Vector clocks: apply an update only once its dependencies are applied.
    Causal,
    /// Last-writer-wins by Lamport stamp, applied on arrival.
    Eventual,
}

/// Configuration: immutable for the whole run.
#[derive(Clone, Debug)]
pub struct Gossip {
    pub flavour: Flavour,
    pub bug: Option<GossipBug>,
    /// Peers a hot rumor is sent to per round.
    pub fanout: usize,
    /// Rounds a rumor stays hot.
    pub rounds: u32,
    pub rumor_interval_ns: u64,
    /// Mean pause between anti-entropy exchanges (drawn in 1/2..3/2 of it).
    pub anti_entropy_interval_ns: u64,
    /// At most this many updates in one anti-entropy answer.
    pub max_batch: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GossipBug {
    /// Ignores dependencies across origins: breaks causal consistency.
    NoDeps,
}

impl GossipBug {
    pub const ALL: [GossipBug; 1] = [GossipBug::NoDeps];

    /// The name `--bug` takes.
    pub fn name(self) -> &'static str {
        match self {
            GossipBug::NoDeps => "no-deps",
        }
    }
}

impl fmt::Display for GossipBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for GossipBug {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        GossipBug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let known: Vec<&str> = GossipBug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown gossip bug `{s}` (known: {})", known.join(", "))
        })
    }
}

/// A Lamport timestamp with the writing node as tiebreak: a total order on
/// writes that extends causality (last-writer-wins compares these).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub lamport: u64,
    pub node: u32,
}

/// One write, as it travels between replicas.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Update {
    /// The replica that accepted the write.
    pub origin: NodeId,
    /// 1, 2, ... per origin.
    pub seq: u64,
    pub stamp: Stamp,
    /// Causal flavour: the origin's vector clock when it wrote (its causal
    /// context). Empty in the eventual flavour.
    pub deps: Vec<u64>,
    pub key: String,
    pub value: String,
}

impl Update {
    pub fn id(&self) -> (u32, u64) {
        (self.origin.0, self.seq)
    }
}

/// Updates are shared, not copied, between logs, stores and messages.
pub type UpdateRef = Arc<Update>;

/// What a replica keeps across crashes (its `Durable`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Replica {
    pub lamport: u64,
    /// key -> the winning update.
    pub store: BTreeMap<String, UpdateRef>,
    /// Causal: updates applied per origin. Eventual: only this replica's own
    /// entry counts (its next sequence number).
    pub clock: Vec<u64>,
    /// Causal: each origin's applied updates in sequence order. Eventual: empty.
    pub log: Vec<Vec<UpdateRef>>,
    /// Per client: its last request's sequence number and result (requests
    /// are executed at most once; a retry gets the same answer).
    pub sessions: BTreeMap<ClientId, (u64, Option<String>)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct GossipState {
    pub replica: Replica,
    /// Causal: received updates waiting for their dependencies, by (origin, seq).
    pub pending: BTreeMap<(u32, u64), UpdateRef>,
    /// Hot rumors, by (origin, seq): the update and the rounds left.
    pub hot: BTreeMap<(u32, u64), (UpdateRef, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GossipMsg {
    /// Rumor mongering: one hot update.
    Rumor(UpdateRef),
    /// Causal anti-entropy digest: the sender's vector clock. `reply`: answer
    /// with a digest of your own if the sender has something you lack.
    Digest { clock: Vec<u64>, reply: bool },
    /// Eventual anti-entropy digest: the stamp of each key the sender holds.
    Stamps { stamps: Vec<(String, Stamp)>, reply: bool },
    /// Anti-entropy answer: updates the digest's sender lacks.
    Updates(Vec<UpdateRef>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GossipTimer {
    Rumor,
    AntiEntropy,
}

impl Gossip {
    /// The causal flavour with the default tuning.
    pub fn causal() -> Self {
        Gossip {
            flavour: Flavour::Causal,
            bug: None,
            fanout: 2,
            rounds: 2,
            rumor_interval_ns: 10 * NANOS_PER_MILLI,
            anti_entropy_interval_ns: 100 * NANOS_PER_MILLI,
            max_batch: 256,
        }
    }

    /// The eventual (last-writer-wins) flavour with the default tuning.
    pub fn eventual() -> Self {
        Gossip { flavour: Flavour::Eventual, ..Gossip::causal() }
    }

    pub fn with_bug(mut self, bug: Option<GossipBug>) -> Self {
        self.bug = bug;
        self
    }

    fn causal_flavour(&self) -> bool {
        self.flavour == Flavour::Causal
    }

    fn fresh(&self, n: usize) -> GossipState {
        let replica = Replica { clock: vec![0; n], log: vec![Vec::new(); n], ..Replica::default() };
        GossipState { replica, ..GossipState::default() }
    }

    fn arm(&self, ctx: &mut Ctx<'_, Self>) {
        ctx.set_timer(GossipTimer::Rumor, self.rumor_interval_ns);
        self.arm_anti_entropy(ctx);
    }

    fn arm_anti_entropy(&self, ctx: &mut Ctx<'_, Self>) {
        let mean = self.anti_entropy_interval_ns.max(2);
        let after = ctx.random_range(mean / 2, mean + mean / 2);
        ctx.set_timer(GossipTimer::AntiEntropy, after);
    }

    /// `k` distinct peers other than `id`, at random.
    fn pick_peers(&self, id: NodeId, k: usize, ctx: &mut Ctx<'_, Self>) -> Vec<NodeId> {
        let mut peers: Vec<NodeId> = ctx.nodes().filter(|&p| p != id).collect();
        let k = k.min(peers.len());
        for i in 0..k {
            let j = i + ctx.random((peers.len() - i) as u64) as usize;
            peers.swap(i, j);
        }
        peers.truncate(k);
        peers
    }

    /// Last-writer-wins: keeps `u` if its stamp beats the key's current one.
    fn merge(replica: &mut Replica, u: &UpdateRef) -> bool {
        match replica.store.get(&u.key) {
            Some(current) if current.stamp >= u.stamp => false,
            _ => {
                replica.store.insert(u.key.clone(), u.clone());
                true
            }
        }
    }

    /// A client write at this replica: a new update, applied and made hot.
    fn write(&self, id: NodeId, state: &mut GossipState, key: String, value: String) -> UpdateRef {
        let r = &mut state.replica;
        let i = id.index();
        r.lamport += 1;
        let seq = r.clock[i] + 1;
        let deps = if self.causal_flavour() { r.clock.clone() } else { Vec::new() };
        let u = Arc::new(Update { origin: id, seq, stamp: Stamp { lamport: r.lamport, node: id.0 }, deps, key, value });
        r.clock[i] = seq;
        if self.causal_flavour() {
            r.log[i].push(u.clone());
        }
        Self::merge(r, &u);
        state.hot.insert(u.id(), (u.clone(), self.rounds));
        u
    }

    /// Causal delivery: the next update from its origin, every dependency applied.
    fn deliverable(&self, clock: &[u64], u: &Update) -> bool {
        if self.bug == Some(GossipBug::NoDeps) {
            return true; // BUG: dependencies on other origins are ignored
        }
        clock.iter().zip(&u.deps).enumerate().all(|(k, (&have, &need))| k == u.origin.index() || have >= need)
    }

    /// Updates arriving by rumor or anti-entropy.
    fn receive(&self, state: &mut GossipState, updates: Vec<UpdateRef>, ctx: &mut Ctx<'_, Self>) {
        let n = ctx.node_count();
        let mut changed = false;
        if !self.causal_flavour() {
            for u in updates {
                if u.origin.index() >= n || u.seq == 0 {
                    continue; // malformed
                }
                let r = &mut state.replica;
                r.lamport = r.lamport.max(u.stamp.lamport);
                if Self::merge(r, &u) {
                    ctx.note(|| format!("applied {}={} from n{}#{}", u.key, u.value, u.origin.0, u.seq));
                    state.hot.insert(u.id(), (u, self.rounds));
                    changed = true;
                }
            }
        } else {
            for u in updates {
                if u.origin.index() >= n || u.seq == 0 || u.deps.len() != n {
                    continue; // malformed
                }
                if u.seq <= state.replica.clock[u.origin.index()] || state.pending.contains_key(&u.id()) {
                    continue; // already applied, or already waiting
                }
                state.pending.insert(u.id(), u);
            }
            // Apply whatever became deliverable, until nothing more does.
            loop {
                let mut progress = false;
                for o in 0..n {
                    loop {
                        let next = (o as u32, state.replica.clock[o] + 1);
                        let Some(u) = state.pending.get(&next) else { break };
                        if !self.deliverable(&state.replica.clock, u) {
                            break;
                        }
                        let u = state.pending.remove(&next).expect("present");
                        let r = &mut state.replica;
                        r.clock[o] = u.seq;
                        r.log[o].push(u.clone());
                        r.lamport = r.lamport.max(u.stamp.lamport);
                        let won = Self::merge(r, &u);
                        ctx.note(|| {
                            format!(
                                "applied {}={} from n{}#{}{}",
                                u.key,
                                u.value,
                                o,
                                u.seq,
                                if won { "" } else { " (older)" }
                            )
                        });
                        state.hot.insert(u.id(), (u, self.rounds));
                        progress = true;
                        changed = true;
                    }
                }
                if !progress {
                    break;
                }
            }
            if !state.pending.is_empty() {
                ctx.note(|| format!("{} updates wait for their dependencies", state.pending.len()));
            }
        }
        if changed {
            ctx.persist(state.replica.clone());
        }
    }

    /// Causal anti-entropy: answer a digest with the log suffixes the sender lacks.
    fn on_digest(&self, state: &GossipState, from: NodeId, theirs: &[u64], reply: bool, ctx: &mut Ctx<'_, Self>) {
        let r = &state.replica;
        let mut missing: Vec<UpdateRef> = Vec::new();
        for (o, log) in r.log.iter().enumerate() {
            let have = theirs.get(o).copied().unwrap_or(0).min(log.len() as u64) as usize;
            missing.extend(log[have..].iter().cloned());
        }
        // Stamp order is causal order, so any prefix is complete for the
        // dependencies it carries.
        missing.sort_by_key(|u| u.stamp);
        missing.truncate(self.max_batch);
        if !missing.is_empty() {
            ctx.send(from, GossipMsg::Updates(missing));
        }
        let they_have_more = theirs.iter().zip(&r.clock).any(|(t, mine)| t > mine);
        if reply && they_have_more {
            ctx.send(from, GossipMsg::Digest { clock: r.clock.clone(), reply: false });
        }
    }

    /// Eventual anti-entropy: answer a digest of stamps with the newer entries.
    fn on_stamps(
        &self,
        state: &GossipState,
        from: NodeId,
        stamps: &[(String, Stamp)],
        reply: bool,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let theirs: BTreeMap<&str, Stamp> = stamps.iter().map(|(k, s)| (k.as_str(), *s)).collect();
        let store = &state.replica.store;
        let mut newer: Vec<UpdateRef> =
            store.values().filter(|u| theirs.get(u.key.as_str()).is_none_or(|s| u.stamp > *s)).cloned().collect();
        newer.truncate(self.max_batch);
        if !newer.is_empty() {
            ctx.send(from, GossipMsg::Updates(newer));
        }
        let they_have_more = theirs.iter().any(|(k, s)| store.get(*k).is_none_or(|u| *s > u.stamp));
        if reply && they_have_more {
            ctx.send(from, GossipMsg::Stamps { stamps: Self::stamps(state), reply: false });
        }
    }

    fn stamps(state: &GossipState) -> Vec<(String, Stamp)> {
        state.replica.store.iter().map(|(k, u)| (k.clone(), u.stamp)).collect()
    }
}

impl Protocol for Gossip {
    type State = GossipState;
    type Msg = GossipMsg;
    type Timer = GossipTimer;
    type Durable = Replica;
    type Request = KvRequest;
    type Response = KvReply;
    type Monitor = ();

    fn name(&self) -> &'static str {
        match self.flavour {
            Flavour::Causal => "gossip",
            Flavour::Eventual => "gossip-eventual",
        }
    }

    fn init(&self, _id: NodeId, ctx: &mut Ctx<'_, Self>) -> GossipState {
        self.arm(ctx);
        self.fresh(ctx.node_count())
    }

    fn on_message(&self, _id: NodeId, state: &mut GossipState, from: NodeId, msg: GossipMsg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            GossipMsg::Rumor(u) => self.receive(state, vec![u], ctx),
            GossipMsg::Updates(us) => self.receive(state, us, ctx),
            GossipMsg::Digest { clock, reply } => {
                if self.causal_flavour() {
                    self.on_digest(state, from, &clock, reply, ctx);
                }
            }
            GossipMsg::Stamps { stamps, reply } => {
                if !self.causal_flavour() {
                    self.on_stamps(state, from, &stamps, reply, ctx);
                }
            }
        }
    }

    fn on_timer(&self, id: NodeId, state: &mut GossipState, timer: GossipTimer, ctx: &mut Ctx<'_, Self>) {
        match timer {
            GossipTimer::Rumor => {
                let ids: Vec<(u32, u64)> = state.hot.keys().copied().collect();
                for rumor in ids {
                    let peers = self.pick_peers(id, self.fanout, ctx);
                    let Some((u, left)) = state.hot.get_mut(&rumor) else { continue };
                    for p in peers {
                        ctx.send(p, GossipMsg::Rumor(u.clone()));
                    }
                    *left = left.saturating_sub(1);
                    if *left == 0 {
                        state.hot.remove(&rumor);
                    }
                }
                ctx.set_timer(GossipTimer::Rumor, self.rumor_interval_ns);
            }
            GossipTimer::AntiEntropy => {
                if let Some(&peer) = self.pick_peers(id, 1, ctx).first() {
                    let msg = if self.causal_flavour() {
                        GossipMsg::Digest { clock: state.replica.clock.clone(), reply: true }
                    } else {
                        GossipMsg::Stamps { stamps: Self::stamps(state), reply: true }
                    };
                    ctx.send(peer, msg);
                }
                self.arm_anti_entropy(ctx);
            }
        }
    }

    fn on_request(
        &self,
        id: NodeId,
        state: &mut GossipState,
        client: ClientId,
        request: KvRequest,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let rid = request.id;
        if let Some((seq, result)) = state.replica.sessions.get(&rid.client) {
            if rid.seq == *seq {
                let outcome = KvOutcome::Ok { value: result.clone() };
                ctx.reply(client, KvReply { id: rid, outcome });
                return; // a retry: answered, not executed again
            }
            if rid.seq < *seq {
                return; // older than what this client already had executed
            }
        }
        let (value, wrote) = match request.command {
            KvCommand::Get { key } => (state.replica.store.get(&key).map(|u| u.value.clone()), false),
            KvCommand::Put { key, value } => {
                let u = self.write(id, state, key, value);
                ctx.note(|| format!("write {}={} as n{}#{} {:?}", u.key, u.value, id.0, u.seq, u.stamp));
                (None, true)
            }
            KvCommand::Append { key, value } => {
                let mut v = state.replica.store.get(&key).map(|u| u.value.clone()).unwrap_or_default();
                v.push_str(&value);
                self.write(id, state, key, v);
                (None, true)
            }
        };
        state.replica.sessions.insert(rid.client, (rid.seq, value.clone()));
        if wrote {
            ctx.persist(state.replica.clone());
        }
        ctx.reply(client, KvReply { id: rid, outcome: KvOutcome::Ok { value } });
    }

    fn recover(&self, id: NodeId, durable: Option<&Replica>, ctx: &mut Ctx<'_, Self>) -> GossipState {
        let n = ctx.node_count();
        match durable {
            Some(r) if r.clock.len() == n && r.log.len() == n => {
                self.arm(ctx);
                GossipState { replica: r.clone(), ..GossipState::default() }
            }
            _ => self.init(id, ctx),
        }
    }

    fn check_invariants(&self, _monitor: &mut (), view: &SystemView<'_, Self>) -> Result<(), Violation> {
        let nodes: Vec<usize> = match view.changed {
            Some(n) => vec![n.index()],
            None => (0..view.states.len()).collect(),
        };
        for i in nodes {
            let Some(Some(s)) = view.states.get(i) else { continue };
            let r = &s.replica;
            if self.causal_flavour() {
                for (o, log) in r.log.iter().enumerate() {
                    let in_order = log.last().is_none_or(|u| u.seq == log.len() as u64 && u.origin.index() == o);
                    if r.clock.get(o) != Some(&(log.len() as u64)) || !in_order {
                        return Err(Violation::new(
                            "vector-clock-matches-log",
                            format!(
                                "n{i}: clock[{o}] = {:?} but its log holds {} updates of n{o}",
                                r.clock.get(o),
                                log.len()
                            ),
                        ));
                    }
                }
            }
            if self.causal_flavour() {
                for (o, log) in r.log.iter().enumerate() {
                    let Some(u) = log.last() else { continue };
                    let missing =
                        r.clock.iter().zip(&u.deps).enumerate().find(|(k, (have, need))| *k != o && have < need);
                    if let Some((k, (have, need))) = missing {
                        return Err(Violation::new(
                            "causal-delivery",
                            format!(
                                "n{i} applied {}={} (n{o}#{}), which depends on {need} updates of n{k}; it has {have}",
                                u.key, u.value, u.seq
                            ),
                        ));
                    }
                }
            }
            if let Some(u) = r.store.values().find(|u| u.stamp.lamport > r.lamport) {
                return Err(Violation::new(
                    "lamport-dominates-store",
                    format!(
                        "n{i}: Lamport clock {} is below the stamp {:?} of {}={}",
                        r.lamport, u.stamp, u.key, u.value
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::RequestId;
    use sim_core::{Choices, Effect};

    /// Runs one handler on `node` of a cluster of 3; returns its effects.
    fn step(
        g: &Gossip,
        node: u32,
        state: &mut GossipState,
        f: impl FnOnce(&Gossip, &mut GossipState, &mut Ctx<'_, Gossip>),
    ) -> Vec<Effect<Gossip>> {
        let mut effects = Vec::new();
        let mut choices = Choices::seeded(7);
        let mut ctx = Ctx::new(NodeId(node), 3, 0, true, &mut effects, &mut choices);
        f(g, state, &mut ctx);
        effects
    }

    fn put(client: u32, seq: u64, key: &str, value: &str) -> KvRequest {
        KvRequest {
            id: RequestId { client: ClientId(client), seq },
            command: KvCommand::Put { key: key.into(), value: value.into() },
        }
    }

    fn get(client: u32, seq: u64, key: &str) -> KvRequest {
        KvRequest { id: RequestId { client: ClientId(client), seq }, command: KvCommand::Get { key: key.into() } }
    }

    fn read(g: &Gossip, node: u32, s: &mut GossipState, key: &str, seq: u64) -> Option<String> {
        let effects = step(g, node, s, |g, s, ctx| g.on_request(NodeId(node), s, ClientId(9), get(9, seq, key), ctx));
        effects
            .into_iter()
            .find_map(|e| match e {
                Effect::Reply { response: KvReply { outcome: KvOutcome::Ok { value }, .. }, .. } => Some(value),
                _ => None,
            })
            .expect("a reply")
    }

    /// n0 writes x=a; n1 applies it, a client there writes y=b (depending on x=a).
    fn two_dependent_updates(g: &Gossip) -> (UpdateRef, UpdateRef) {
        let (mut s0, mut s1) = (g.fresh(3), g.fresh(3));
        step(g, 0, &mut s0, |g, s, ctx| g.on_request(NodeId(0), s, ClientId(0), put(0, 1, "x", "a"), ctx));
        let ux = s0.replica.log[0][0].clone();
        step(g, 1, &mut s1, |g, s, ctx| g.on_message(NodeId(1), s, NodeId(0), GossipMsg::Rumor(ux.clone()), ctx));
        step(g, 1, &mut s1, |g, s, ctx| g.on_request(NodeId(1), s, ClientId(1), put(1, 1, "y", "b"), ctx));
        let uy = s1.replica.log[1][0].clone();
        assert_eq!(uy.deps, vec![1, 0, 0], "y=b carries n1's causal context");
        (ux, uy)
    }

    #[test]
    fn causal_waits_for_dependencies() {
        let g = Gossip::causal();
        let (ux, uy) = two_dependent_updates(&g);
        let mut s2 = g.fresh(3);
        step(&g, 2, &mut s2, |g, s, ctx| g.on_message(NodeId(2), s, NodeId(1), GossipMsg::Rumor(uy.clone()), ctx));
        assert_eq!(read(&g, 2, &mut s2, "y", 1), None, "y=b waits for x=a");
        assert_eq!(s2.pending.len(), 1);
        step(&g, 2, &mut s2, |g, s, ctx| g.on_message(NodeId(2), s, NodeId(0), GossipMsg::Rumor(ux.clone()), ctx));
        assert_eq!(read(&g, 2, &mut s2, "y", 2), Some("b".into()));
        assert_eq!(read(&g, 2, &mut s2, "x", 3), Some("a".into()));
        assert_eq!(s2.replica.clock, vec![1, 1, 0]);
        assert!(s2.pending.is_empty());
    }

    #[test]
    fn no_deps_shows_the_effect_before_its_cause() {
        let g = Gossip::causal().with_bug(Some(GossipBug::NoDeps));
        let (_ux, uy) = two_dependent_updates(&g);
        let mut s2 = g.fresh(3);
        step(&g, 2, &mut s2, |g, s, ctx| g.on_message(NodeId(2), s, NodeId(1), GossipMsg::Rumor(uy.clone()), ctx));
        assert_eq!(read(&g, 2, &mut s2, "y", 1), Some("b".into()));
        assert_eq!(read(&g, 2, &mut s2, "x", 2), None, "x=a is not there yet");
    }

    #[test]
    fn anti_entropy_sends_what_the_peer_lacks_in_causal_order() {
        let g = Gossip::causal();
        let (ux, uy) = two_dependent_updates(&g);
        let mut s1 = g.fresh(3);
        step(&g, 1, &mut s1, |g, s, ctx| g.receive(s, vec![uy.clone(), ux.clone()], ctx));
        assert_eq!(s1.replica.clock, vec![1, 1, 0], "out-of-order batch applied in causal order");
        let effects = step(&g, 1, &mut s1, |g, s, ctx| {
            g.on_message(NodeId(1), s, NodeId(2), GossipMsg::Digest { clock: vec![0, 0, 1], reply: true }, ctx)
        });
        let sent: Vec<&GossipMsg> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send { to, msg } if *to == NodeId(2) => Some(msg),
                _ => None,
            })
            .collect();
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert_eq!(sent[0], &GossipMsg::Updates(vec![ux, uy]));
        assert_eq!(sent[1], &GossipMsg::Digest { clock: vec![1, 1, 0], reply: false });
    }

    #[test]
    fn eventual_is_last_writer_wins_by_stamp() {
        let g = Gossip::eventual();
        let mk = |lamport, node: u32, value: &str| {
            Arc::new(Update {
                origin: NodeId(node),
                seq: 1,
                stamp: Stamp { lamport, node },
                deps: Vec::new(),
                key: "x".into(),
                value: value.into(),
            })
        };
        let mut s = g.fresh(3);
        step(&g, 0, &mut s, |g, s, ctx| {
            g.receive(s, vec![mk(5, 2, "late"), mk(5, 1, "tie-lost"), mk(3, 1, "old")], ctx)
        });
        assert_eq!(read(&g, 0, &mut s, "x", 1), Some("late".into()));
        // A local write wins over everything seen so far.
        step(&g, 0, &mut s, |g, s, ctx| g.on_request(NodeId(0), s, ClientId(0), put(0, 1, "x", "mine"), ctx));
        assert_eq!(s.replica.store["x"].stamp, Stamp { lamport: 6, node: 0 });
    }

    #[test]
    fn retries_are_answered_not_re_executed() {
        let g = Gossip::causal();
        let mut s = g.fresh(3);
        step(&g, 0, &mut s, |g, s, ctx| g.on_request(NodeId(0), s, ClientId(0), put(0, 1, "x", "a"), ctx));
        let effects =
            step(&g, 0, &mut s, |g, s, ctx| g.on_request(NodeId(0), s, ClientId(0), put(0, 1, "x", "a"), ctx));
        assert_eq!(s.replica.clock[0], 1);
        assert!(effects.iter().any(|e| matches!(e, Effect::Reply { .. })));
    }

    #[test]
    fn malformed_updates_are_ignored() {
        let g = Gossip::causal();
        let mut s = g.fresh(3);
        let bad = Arc::new(Update {
            origin: NodeId(7),
            seq: 1,
            stamp: Stamp::default(),
            deps: vec![0; 3],
            key: "x".into(),
            value: "v".into(),
        });
        let short = Arc::new(Update { origin: NodeId(1), deps: vec![0], ..(*bad).clone() });
        step(&g, 0, &mut s, |g, s, ctx| g.receive(s, vec![bad, short], ctx));
        step(&g, 0, &mut s, |g, s, ctx| {
            g.on_message(NodeId(0), s, NodeId(1), GossipMsg::Digest { clock: vec![u64::MAX], reply: true }, ctx)
        });
        assert!(s.replica.store.is_empty() && s.pending.is_empty());
    }
}
