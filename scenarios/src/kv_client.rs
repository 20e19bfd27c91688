//! Clients of a replicated key-value service, recording the history.
//!
//! Each client runs one operation at a time: it picks an operation and a key
//! from the workload stream, sends it to the node it believes is the leader,
//! follows `NotLeader` hints, and after an attempt timeout retries (with the
//! same request id, so the service executes it at most once) at another
//! node. The operation returns when the client *accepts* a reply; if none is
//! accepted within the operation timeout, it is recorded as `info` (unknown:
//! it may or may not have taken effect) and the client moves on. Written
//! values are unique (`c<client>.<seq>`), which makes histories easy to judge.

use crate::scenario::WorkloadSpec;
use checkers::{Event, EventType, History, Value};
use protocols::kv::{KvCommand, KvOutcome, KvReply, KvRequest, RequestId};
use sim_core::{stable_hash, ClientCtx, ClientId, NodeId, Protocol, Time, Workload};

#[derive(Clone, Debug)]
struct PendingOp {
    seq: u64,
    command: KvCommand,
    started: Time,
    attempt: u64,
}

#[derive(Clone, Debug)]
struct ClientState {
    next_seq: u64,
    target: NodeId,
    pending: Option<PendingOp>,
    finished: bool,
}

/// The workload: clients plus the history they record.
#[derive(Clone, Debug)]
pub struct KvClients {
    spec: WorkloadSpec,
    clients: Vec<ClientState>,
    history: History,
    completed_ops: u64,
}

/// Timer tokens carry (sequence, attempt) so stale timers are recognised.
pub(crate) fn token(seq: u64, attempt: u64, kind: u64) -> u64 {
    (seq << 24) | ((attempt & 0x3f_ffff) << 2) | kind
}
/// The inverse of [`token`]: (kind, sequence, attempt modulo 2^22).
pub(crate) fn untoken(tok: u64) -> (u64, u64, u64) {
    (tok & 3, tok >> 24, (tok >> 2) & 0x3f_ffff)
}
pub(crate) const TIMER_NEXT_OP: u64 = 0;
pub(crate) const TIMER_ATTEMPT: u64 = 1;
const TIMER_RETRY: u64 = 2;
/// After a "not leader" with no hint (say, during an election), a client
/// waits this long before asking another node, instead of spinning.
const RETRY_BACKOFF_MIN_NS: u64 = 1_000_000;
const RETRY_BACKOFF_MAX_NS: u64 = 5_000_000;

impl KvClients {
    pub fn new(spec: WorkloadSpec) -> Self {
        KvClients { spec, clients: Vec::new(), history: History::new(), completed_ops: 0 }
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn into_history(self) -> History {
        self.history
    }

    /// Operations that returned `ok`.
    pub fn completed_ops(&self) -> u64 {
        self.completed_ops
    }

    fn record(&mut self, client: ClientId, kind: EventType, command: &KvCommand, value: Value, time: Time) {
        let (f, key) = match command {
            KvCommand::Get { key } => ("get", key),
            KvCommand::Put { key, .. } => ("put", key),
            KvCommand::Append { key, .. } => ("append", key),
        };
        self.history.push(Event {
            process: client.0 as u64,
            kind,
            f: f.to_string(),
            key: Some(key.clone()),
            value,
            time: Some(time),
        });
    }

    fn start_next<P: Protocol<Request = KvRequest, Response = KvReply>>(
        &mut self,
        client: ClientId,
        ctx: &mut ClientCtx<'_, P>,
    ) {
        let c = client.index();
        if self.clients[c].next_seq >= self.spec.ops_per_client || ctx.now() >= self.spec.end_ns {
            self.clients[c].finished = true;
            return;
        }
        let seq = self.clients[c].next_seq;
        self.clients[c].next_seq += 1;
        let (command, input) = next_command(&self.spec, client, seq, &mut |bound| ctx.random(bound));
        self.record(client, EventType::Invoke, &command, input, ctx.now());
        let cmd = command.clone();
        ctx.invoke(client, stable_hash(&command), || format!("invoke {cmd:?}"));
        self.clients[c].pending = Some(PendingOp { seq, command, started: ctx.now(), attempt: 0 });
        self.send_attempt(client, ctx);
    }

    fn send_attempt<P: Protocol<Request = KvRequest, Response = KvReply>>(
        &mut self,
        client: ClientId,
        ctx: &mut ClientCtx<'_, P>,
    ) {
        let c = &self.clients[client.index()];
        let op = c.pending.as_ref().expect("an attempt needs a pending operation");
        let request = KvRequest { id: RequestId { client, seq: op.seq }, command: op.command.clone() };
        let (seq, attempt) = (op.seq, op.attempt);
        ctx.send(client, c.target, request);
        ctx.set_timer(client, self.spec.attempt_timeout_ns, token(seq, attempt, TIMER_ATTEMPT));
    }

    fn think<P: Protocol>(&mut self, client: ClientId, ctx: &mut ClientCtx<'_, P>) {
        let pause = ctx.random_range(self.spec.think_min_ns, self.spec.think_max_ns);
        let seq = self.clients[client.index()].next_seq;
        ctx.set_timer(client, pause, token(seq, 0, TIMER_NEXT_OP));
    }

    fn other_node<P: Protocol>(&self, current: NodeId, ctx: &mut ClientCtx<'_, P>) -> NodeId {
        let n = ctx.node_count() as u64;
        if n <= 1 {
            return current;
        }
        NodeId(((current.0 as u64 + 1 + ctx.random(n - 1)) % n) as u32)
    }
}

impl<P: Protocol<Request = KvRequest, Response = KvReply>> Workload<P> for KvClients {
    fn start(&mut self, ctx: &mut ClientCtx<'_, P>) {
        let n = ctx.node_count() as u64;
        for i in 0..self.spec.clients {
            let target = NodeId(ctx.random(n) as u32);
            self.clients.push(ClientState { next_seq: 0, target, pending: None, finished: false });
            self.think(ClientId(i as u32), ctx);
        }
    }

    fn on_response(&mut self, client: ClientId, from: NodeId, reply: KvReply, ctx: &mut ClientCtx<'_, P>) {
        let c = client.index();
        let Some(op) = &self.clients[c].pending else { return };
        if reply.id.seq != op.seq {
            return; // a late reply to an operation already given up on
        }
        match reply.outcome {
            KvOutcome::Ok { value } => {
                let op = self.clients[c].pending.take().expect("pending");
                let output = match (&op.command, value) {
                    (KvCommand::Get { .. }, Some(v)) => Value::Str(v),
                    (KvCommand::Get { .. }, None) => Value::Nil,
                    (KvCommand::Put { value, .. } | KvCommand::Append { value, .. }, _) => Value::Str(value.clone()),
                };
                self.record(client, EventType::Ok, &op.command, output.clone(), ctx.now());
                self.completed_ops += 1;
                self.clients[c].target = from;
                ctx.complete(client, stable_hash(&output), || format!("ok {output}"));
                self.think(client, ctx);
            }
            KvOutcome::NotLeader { hint } => {
                let op = self.clients[c].pending.as_mut().expect("pending");
                op.attempt += 1;
                let (seq, attempt) = (op.seq, op.attempt);
                match hint {
                    Some(h) if h != from => {
                        self.clients[c].target = h;
                        self.send_attempt(client, ctx);
                    }
                    _ => {
                        self.clients[c].target = self.other_node(from, ctx);
                        let pause = ctx.random_range(RETRY_BACKOFF_MIN_NS, RETRY_BACKOFF_MAX_NS);
                        ctx.set_timer(client, pause, token(seq, attempt, TIMER_RETRY));
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, client: ClientId, tok: u64, ctx: &mut ClientCtx<'_, P>) {
        let c = client.index();
        let (kind, seq, attempt) = untoken(tok);
        if kind == TIMER_NEXT_OP {
            if self.clients[c].pending.is_none() && !self.clients[c].finished && self.clients[c].next_seq == seq {
                self.start_next(client, ctx);
            }
            return;
        }
        let Some(op) = &self.clients[c].pending else { return };
        if op.seq != seq || (op.attempt & 0x3f_ffff) != attempt {
            return; // stale
        }
        if kind == TIMER_RETRY {
            self.send_attempt(client, ctx);
            return;
        }
        if ctx.now() >= op.started + self.spec.op_timeout_ns {
            let op = self.clients[c].pending.take().expect("pending");
            self.record(client, EventType::Info, &op.command, Value::Nil, ctx.now());
            ctx.complete(client, 0, || "info (timed out)".into());
            self.think(client, ctx);
            return;
        }
        let current = self.clients[c].target;
        self.clients[c].target = self.other_node(current, ctx);
        self.clients[c].pending.as_mut().expect("pending").attempt += 1;
        self.send_attempt(client, ctx);
    }

    fn is_done(&self) -> bool {
        self.clients.len() == self.spec.clients && self.clients.iter().all(|c| c.finished)
    }

    fn finish(&mut self, now: Time) {
        for i in 0..self.clients.len() {
            if let Some(op) = self.clients[i].pending.take() {
                self.record(ClientId(i as u32), EventType::Info, &op.command, Value::Nil, now);
            }
        }
    }
}

/// Draws a client's next operation: its kind by the spec's weights, then its
/// key. The value names the client and the operation's sequence number, so
/// every written value is unique (which keeps linearizability checks sharp).
/// Returns the command and the history's input value for it.
pub(crate) fn next_command(
    spec: &WorkloadSpec,
    client: ClientId,
    seq: u64,
    random: &mut dyn FnMut(u64) -> u64,
) -> (KvCommand, Value) {
    let total = spec.get_weight as u64 + spec.put_weight as u64 + spec.append_weight as u64;
    let pick = random(total);
    let key = format!("k{}", random(spec.keys as u64));
    let value = format!("c{}.{}", client.0, seq);
    let command = if pick < spec.get_weight as u64 {
        KvCommand::Get { key }
    } else if pick < (spec.get_weight + spec.put_weight) as u64 {
        KvCommand::Put { key, value }
    } else {
        KvCommand::Append { key, value }
    };
    let input = match &command {
        KvCommand::Get { .. } => Value::Nil,
        KvCommand::Put { value, .. } | KvCommand::Append { value, .. } => Value::Str(value.clone()),
    };
    (command, input)
}
