//! PBFT's clients, recording the history the linearizability checker judges.
//!
//! A client of a Byzantine service cannot trust any single reply: up to f
//! replicas may lie. It accepts a result once **f+1 replicas** sent the
//! same one (Castro & Liskov 1999, §4.1): at least one of them is correct.
//! Each client runs one operation at a time and multicasts it to every
//! replica (each replica authenticates it on its own channel; see
//! `protocols::pbft`); when no result is accepted within the attempt
//! timeout it multicasts it again with the same request id (replicas
//! execute it at most once and answer retransmissions from their cache).
//! An operation without a result within the operation timeout is recorded as
//! `info` (unknown outcome). Written values are unique (`c<client>.<seq>`),
//! as in [`crate::kv_client`], whose history format this follows.

use crate::kv_client::{next_command, token, untoken, TIMER_ATTEMPT, TIMER_NEXT_OP};
use crate::scenario::WorkloadSpec;
use checkers::{Event, EventType, History, Value};
use protocols::kv::{KvCommand, KvRequest, RequestId};
use protocols::pbft::{max_faulty, Pbft, PbftReply};
use sim_core::{stable_hash, ClientCtx, ClientId, NodeId, Time, Workload};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
struct PendingOp {
    seq: u64,
    command: KvCommand,
    started: Time,
    attempt: u64,
    /// Replies so far: replica -> the value it answered.
    replies: BTreeMap<NodeId, Option<String>>,
}

#[derive(Clone, Debug)]
struct ClientState {
    next_seq: u64,
    pending: Option<PendingOp>,
    finished: bool,
}

/// The workload: PBFT clients plus the history they record.
#[derive(Clone, Debug)]
pub struct PbftClients {
    spec: WorkloadSpec,
    clients: Vec<ClientState>,
    history: History,
    completed_ops: u64,
}

impl PbftClients {
    pub fn new(spec: WorkloadSpec) -> Self {
        PbftClients { spec, clients: Vec::new(), history: History::new(), completed_ops: 0 }
    }

    pub fn into_history(self) -> History {
        self.history
    }

    /// Operations that returned `ok`.
    pub fn completed_ops(&self) -> u64 {
        self.completed_ops
    }

    fn record(&mut self, client: ClientId, kind: EventType, command: &KvCommand, value: Value, time: Time) {
        let f = match command {
            KvCommand::Get { .. } => "get",
            KvCommand::Put { .. } => "put",
            KvCommand::Append { .. } => "append",
        };
        self.history.push(Event {
            process: client.0 as u64,
            kind,
            f: f.to_string(),
            key: Some(command.key().to_string()),
            value,
            time: Some(time),
        });
    }

    fn start_next(&mut self, client: ClientId, ctx: &mut ClientCtx<'_, Pbft>) {
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
        self.clients[c].pending =
            Some(PendingOp { seq, command, started: ctx.now(), attempt: 0, replies: BTreeMap::new() });
        self.multicast(client, ctx);
    }

    /// Sends the pending request to every replica and arms the attempt timer.
    fn multicast(&mut self, client: ClientId, ctx: &mut ClientCtx<'_, Pbft>) {
        let op = self.clients[client.index()].pending.as_ref().expect("an attempt needs a pending operation");
        let request = KvRequest { id: RequestId { client, seq: op.seq }, command: op.command.clone() };
        let (seq, attempt) = (op.seq, op.attempt);
        for node in 0..ctx.node_count() as u32 {
            ctx.send(client, NodeId(node), request.clone());
        }
        ctx.set_timer(client, self.spec.attempt_timeout_ns, token(seq, attempt, TIMER_ATTEMPT));
    }

    fn think(&mut self, client: ClientId, ctx: &mut ClientCtx<'_, Pbft>) {
        let pause = ctx.random_range(self.spec.think_min_ns, self.spec.think_max_ns);
        let seq = self.clients[client.index()].next_seq;
        ctx.set_timer(client, pause, token(seq, 0, TIMER_NEXT_OP));
    }
}

impl Workload<Pbft> for PbftClients {
    fn start(&mut self, ctx: &mut ClientCtx<'_, Pbft>) {
        for i in 0..self.spec.clients {
            self.clients.push(ClientState { next_seq: 0, pending: None, finished: false });
            self.think(ClientId(i as u32), ctx);
        }
    }

    fn on_response(&mut self, client: ClientId, from: NodeId, reply: PbftReply, ctx: &mut ClientCtx<'_, Pbft>) {
        let c = client.index();
        let needed = max_faulty(ctx.node_count()) + 1;
        let Some(op) = self.clients[c].pending.as_mut() else { return };
        if reply.id != (RequestId { client, seq: op.seq }) {
            return; // a late reply to an operation already given up on
        }
        op.replies.insert(from, reply.value.clone());
        let matching = op.replies.values().filter(|v| **v == reply.value).count();
        if matching < needed {
            return;
        }
        let op = self.clients[c].pending.take().expect("pending");
        let output = match (&op.command, reply.value) {
            (KvCommand::Get { .. }, Some(v)) => Value::Str(v),
            (KvCommand::Get { .. }, None) => Value::Nil,
            (KvCommand::Put { value, .. } | KvCommand::Append { value, .. }, _) => Value::Str(value.clone()),
        };
        self.record(client, EventType::Ok, &op.command, output.clone(), ctx.now());
        self.completed_ops += 1;
        ctx.complete(client, stable_hash(&output), || format!("ok {output} ({matching} matching replies)"));
        self.think(client, ctx);
    }

    fn on_timer(&mut self, client: ClientId, tok: u64, ctx: &mut ClientCtx<'_, Pbft>) {
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
        if ctx.now() >= op.started + self.spec.op_timeout_ns {
            let op = self.clients[c].pending.take().expect("pending");
            self.record(client, EventType::Info, &op.command, Value::Nil, ctx.now());
            ctx.complete(client, 0, || "info (timed out)".into());
            self.think(client, ctx);
            return;
        }
        self.clients[c].pending.as_mut().expect("pending").attempt += 1;
        self.multicast(client, ctx);
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
