//! Primary-backup replication, written outside the workspace crates against
//! faultline's public API: `sim_core::Protocol` for the nodes, a small
//! `Workload` for the clients, `WorldConfig` for a lossy network, and the
//! `reports` crate to draw what happened.
//!
//! ```sh
//! cargo run --example primary_backup                    # correct: every check holds
//! cargo run --example primary_backup -- --bug           # replies before the backups have the write
//! cargo run --example primary_backup -- --bug --svg pb.svg --seed 3
//! ```
//!
//! The algorithm (Alsberg & Day 1976, in its simplest form): node 0 is the
//! primary; clients send it writes. The primary gives each write the next
//! sequence number, applies it, and sends `Update { seq, value }` to every
//! backup. A backup applies updates in sequence order and answers with a
//! cumulative `Ack { applied }`. The primary replies to the client only when
//! every backup has acknowledged the write, so a reply means "the write is
//! on every replica". Links lose, duplicate and reorder messages; a
//! retransmission timer resends what a backup has not acknowledged.
//!
//! Invariant `replied-writes-replicated`: every backup has applied every
//! write the primary has replied to. The bug variant (`--bug`) replies as
//! soon as the primary applies the write, which breaks it at the first
//! reply.

use sim_core::{
    Choices, ClientCtx, ClientId, Ctx, LinkModel, NodeId, Outcome, Protocol, Ratio, Simulator, SystemView, TraceLevel,
    Violation, Workload, WorldConfig, NANOS_PER_MILLI, NANOS_PER_SEC,
};
use std::collections::BTreeMap;

/// The protocol's configuration (immutable during a run).
#[derive(Clone, Debug)]
struct PrimaryBackup {
    retransmit_ns: u64,
    reply_before_ack: bool,
}

/// A node's state: the primary uses every field, a backup `applied` and `log`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
struct PbState {
    /// Writes applied, in order (the replicated register's history).
    log: Vec<u64>,
    /// Sequence number of the last applied write (= log length).
    applied: u64,
    /// Primary: each backup's cumulative acknowledgement.
    acked: BTreeMap<NodeId, u64>,
    /// Primary: clients waiting for their write's sequence number to be acknowledged.
    waiting: Vec<(u64, ClientId)>,
    /// Primary: the highest sequence number replied to a client.
    replied: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PbMsg {
    Update { seq: u64, value: u64 },
    Ack { applied: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PbTimer {
    Retransmit,
}

const PRIMARY: NodeId = NodeId(0);

impl PrimaryBackup {
    /// Replies to every waiting client whose write every backup acknowledged.
    fn reply_acknowledged(&self, state: &mut PbState, ctx: &mut Ctx<'_, Self>) {
        let everyone = state.acked.values().copied().min().unwrap_or(state.applied);
        let (done, still): (Vec<_>, Vec<_>) = state.waiting.drain(..).partition(|(seq, _)| *seq <= everyone);
        state.waiting = still;
        for (seq, client) in done {
            state.replied = state.replied.max(seq);
            ctx.reply(client, seq);
        }
    }
}

impl Protocol for PrimaryBackup {
    type State = PbState;
    type Msg = PbMsg;
    type Timer = PbTimer;
    type Durable = ();
    type Request = u64;
    type Response = u64;
    type Monitor = ();

    fn name(&self) -> &'static str {
        "primary-backup"
    }

    fn init(&self, id: NodeId, ctx: &mut Ctx<'_, Self>) -> PbState {
        let mut s = PbState::default();
        if id == PRIMARY {
            s.acked = ctx.nodes().filter(|n| *n != PRIMARY).map(|n| (n, 0)).collect();
            ctx.set_timer(PbTimer::Retransmit, self.retransmit_ns);
        }
        s
    }

    fn on_request(&self, id: NodeId, state: &mut PbState, client: ClientId, value: u64, ctx: &mut Ctx<'_, Self>) {
        if id != PRIMARY {
            return; // Clients only talk to the primary in this sketch.
        }
        state.applied += 1;
        state.log.push(value);
        let seq = state.applied;
        ctx.note(|| format!("write {value} gets seq {seq}"));
        for b in ctx.nodes().filter(|n| *n != PRIMARY).collect::<Vec<_>>() {
            ctx.send(b, PbMsg::Update { seq, value });
        }
        if self.reply_before_ack {
            state.replied = state.replied.max(seq);
            ctx.reply(client, seq);
        } else {
            state.waiting.push((seq, client));
        }
    }

    fn on_message(&self, _id: NodeId, state: &mut PbState, from: NodeId, msg: PbMsg, ctx: &mut Ctx<'_, Self>) {
        match msg {
            PbMsg::Update { seq, value } => {
                // Apply in order; anything else (a gap, a duplicate) waits for retransmission.
                if seq == state.applied + 1 {
                    state.applied = seq;
                    state.log.push(value);
                }
                ctx.send(from, PbMsg::Ack { applied: state.applied });
            }
            PbMsg::Ack { applied } => {
                let a = state.acked.entry(from).or_insert(0);
                *a = (*a).max(applied);
                self.reply_acknowledged(state, ctx);
            }
        }
    }

    fn on_timer(&self, _id: NodeId, state: &mut PbState, _t: PbTimer, ctx: &mut Ctx<'_, Self>) {
        // Resend the next missing update to every backup that is behind.
        let behind: Vec<(NodeId, u64)> =
            state.acked.iter().filter(|(_, a)| **a < state.applied).map(|(n, a)| (*n, *a)).collect();
        for (b, a) in behind {
            ctx.send(b, PbMsg::Update { seq: a + 1, value: state.log[a as usize] });
        }
        ctx.set_timer(PbTimer::Retransmit, self.retransmit_ns);
    }

    fn recover(&self, id: NodeId, _durable: Option<&()>, ctx: &mut Ctx<'_, Self>) -> PbState {
        self.init(id, ctx)
    }

    fn is_leader(&self, state: &PbState) -> bool {
        !state.acked.is_empty()
    }

    fn check_invariants(&self, _m: &mut (), view: &SystemView<'_, Self>) -> Result<(), Violation> {
        let Some(Some(primary)) = view.states.first() else { return Ok(()) };
        for (i, s) in view.states.iter().enumerate().skip(1) {
            if let Some(s) = s {
                if s.applied < primary.replied {
                    return Err(Violation::new(
                        "replied-writes-replicated",
                        format!(
                            "the primary replied to write {} but n{i} has only applied {}",
                            primary.replied, s.applied
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Each client writes `ops` values, one at a time, to the primary.
struct Writers {
    ops: u64,
    done: Vec<u64>,
}

impl Workload<PrimaryBackup> for Writers {
    fn start(&mut self, ctx: &mut ClientCtx<'_, PrimaryBackup>) {
        for c in 0..self.done.len() {
            self.write(ClientId(c as u32), ctx);
        }
    }
    fn on_response(&mut self, client: ClientId, _from: NodeId, seq: u64, ctx: &mut ClientCtx<'_, PrimaryBackup>) {
        ctx.complete(client, seq, || format!("ok seq {seq}"));
        self.done[client.index()] += 1;
        if self.done[client.index()] < self.ops {
            self.write(client, ctx);
        }
    }
    fn on_timer(&mut self, _: ClientId, _: u64, _: &mut ClientCtx<'_, PrimaryBackup>) {}
    fn is_done(&self) -> bool {
        self.done.iter().all(|d| *d >= self.ops)
    }
}

impl Writers {
    fn write(&mut self, client: ClientId, ctx: &mut ClientCtx<'_, PrimaryBackup>) {
        let value = client.0 as u64 * 1000 + self.done[client.index()] + 1;
        ctx.invoke(client, value, || format!("invoke write {value}"));
        ctx.send(client, PRIMARY, value);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut bug, mut seed, mut svg) = (false, 1u64, None::<String>);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bug" => bug = true,
            "--seed" => match args.next().and_then(|s| s.parse().ok()) {
                Some(s) => seed = s,
                None => return usage("--seed needs a non-negative integer"),
            },
            "--svg" => match args.next() {
                Some(f) => svg = Some(f),
                None => return usage("--svg needs a file name"),
            },
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }

    let protocol = PrimaryBackup { retransmit_ns: 20 * NANOS_PER_MILLI, reply_before_ack: bug };
    let mut world =
        WorldConfig::new(3).with_links(LinkModel::fair_loss(Ratio::percent(10), Ratio::percent(5), Ratio::percent(20)));
    world.limits.time_ns = 5 * NANOS_PER_SEC;
    world.trace_level = TraceLevel::Full;
    world.stop_when_done = true;
    let workload = Writers { ops: 5, done: vec![0; 2] };
    let mut sim = Simulator::new(protocol, workload, world, Choices::seeded(seed));
    let result = sim.run();

    let events = sim.trace_events();
    println!("primary-backup{}, seed {seed}", if bug { " (bug: reply before ack)" } else { "" });
    println!(
        "{} events, {} messages ({} dropped, {} duplicated), trace hash {}",
        result.stats.events,
        result.stats.messages_sent,
        result.stats.messages_dropped,
        result.stats.messages_duplicated,
        sim_core::hash_hex(result.trace_hash)
    );
    let held = match &result.outcome {
        Outcome::Violation { violation, .. } => {
            println!("VIOLATION {}: {}", violation.invariant, violation.detail);
            false
        }
        Outcome::Panic { message, .. } => {
            println!("PANIC {message}");
            false
        }
        other => {
            println!("held ({other:?})");
            true
        }
    };
    // The last events, with Lamport times, as `faultline report --text` prints them.
    let options = reports::timeline::TextOptions { lamport: true, ..Default::default() };
    let text = reports::timeline::render_text_with(events, options);
    let lines: Vec<&str> = text.lines().collect();
    println!("\nthe last events:");
    for l in &lines[lines.len().saturating_sub(12)..] {
        println!("{l}");
    }
    if let Some(path) = svg {
        let highlight = reports::view::violating_events(events);
        let view = reports::view::select(events, &highlight, &reports::view::ViewOptions::default());
        let drawing = reports::svg::render(events, &view, reports::svg::SvgOptions { standalone: true });
        if let Err(e) = std::fs::write(&path, drawing) {
            eprintln!("error: cannot write {path}: {e}");
            std::process::exit(2);
        }
        println!("\nspace-time diagram: {path}");
    }
    std::process::exit(if held { 0 } else { 1 });
}

fn usage(problem: &str) {
    eprintln!("error: {problem}\nusage: cargo run --example primary_backup -- [--bug] [--seed N] [--svg FILE]");
    std::process::exit(2);
}
