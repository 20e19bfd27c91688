//! Bank clients for the atomic-commit protocols (2PC, 3PC).
//!
//! Each client runs one transfer at a time: it picks two different accounts
//! and an amount (1..=30) from the workload stream and asks the coordinator
//! (node 0) to move the money. A committed transfer returns `ok`, an aborted
//! one `fail` (it definitely did not happen); one without an answer within
//! `op_timeout_ns` is recorded as `info` (unknown) and the client moves on.
//!
//! The scenario's `workload` fields mean: `clients`, `ops_per_client`
//! (transfers per client), `keys` (the number of accounts, spread over the
//! participants), `think_min_ns`/`think_max_ns`, `op_timeout_ns` and `end_ns`
//! as for the key-value clients; the operation weights and
//! `attempt_timeout_ns` are not used (a transfer is never retried).
//!
//! The history has one operation per transfer: `f` = `transfer`, `key` =
//! `a<from>->a<to>`, `value` = the amount.

use crate::scenario::WorkloadSpec;
use checkers::{Event, EventType, History, Value};
use protocols::bank::{Transfer, TransferReply, TransferRequest};
use sim_core::{stable_hash, ClientCtx, ClientId, NodeId, Protocol, Time, Workload};

/// Transfers move between 1 and this much money.
pub const MAX_AMOUNT: u64 = 30;

#[derive(Clone, Debug)]
struct ClientState {
    next_seq: u64,
    pending: Option<(u64, Transfer, Time)>,
    finished: bool,
}

/// The workload: bank clients plus the history they record.
#[derive(Clone, Debug)]
pub struct BankClients {
    spec: WorkloadSpec,
    clients: Vec<ClientState>,
    history: History,
    /// Transfers that returned committed / aborted.
    pub committed: u64,
    pub aborted: u64,
}

const NEXT: u64 = 0;
const TIMEOUT: u64 = 1;

impl BankClients {
    pub fn new(spec: WorkloadSpec) -> Self {
        BankClients { spec, clients: Vec::new(), history: History::new(), committed: 0, aborted: 0 }
    }

    pub fn into_history(self) -> History {
        self.history
    }

    fn record(&mut self, client: ClientId, kind: EventType, t: &Transfer, time: Time) {
        self.history.push(Event {
            process: client.0 as u64,
            kind,
            f: "transfer".into(),
            key: Some(format!("a{}->a{}", t.from, t.to)),
            value: Value::Int(t.amount),
            time: Some(time),
        });
    }

    fn think<P: Protocol>(&mut self, client: ClientId, ctx: &mut ClientCtx<'_, P>) {
        let pause = ctx.random_range(self.spec.think_min_ns, self.spec.think_max_ns);
        let seq = self.clients[client.index()].next_seq;
        ctx.set_timer(client, pause, (seq << 1) | NEXT);
    }

    fn start_next<P: Protocol<Request = TransferRequest, Response = TransferReply>>(
        &mut self,
        client: ClientId,
        ctx: &mut ClientCtx<'_, P>,
    ) {
        let c = client.index();
        let accounts = self.spec.keys as u64;
        if self.clients[c].next_seq >= self.spec.ops_per_client || ctx.now() >= self.spec.end_ns || accounts < 2 {
            self.clients[c].finished = true;
            return;
        }
        let seq = self.clients[c].next_seq;
        self.clients[c].next_seq += 1;
        let from = ctx.random(accounts);
        let to = (from + 1 + ctx.random(accounts - 1)) % accounts;
        let amount = ctx.random_range(1, MAX_AMOUNT) as i64;
        let transfer = Transfer { from: from as u32, to: to as u32, amount };
        self.record(client, EventType::Invoke, &transfer, ctx.now());
        let t = transfer.clone();
        ctx.invoke(client, stable_hash(&transfer), || format!("invoke transfer {} a{}->a{}", t.amount, t.from, t.to));
        ctx.send(client, NodeId(0), TransferRequest { seq, transfer: transfer.clone() });
        ctx.set_timer(client, self.spec.op_timeout_ns, (seq << 1) | TIMEOUT);
        self.clients[c].pending = Some((seq, transfer, ctx.now()));
    }
}

impl<P: Protocol<Request = TransferRequest, Response = TransferReply>> Workload<P> for BankClients {
    fn start(&mut self, ctx: &mut ClientCtx<'_, P>) {
        for i in 0..self.spec.clients {
            self.clients.push(ClientState { next_seq: 0, pending: None, finished: false });
            self.think(ClientId(i as u32), ctx);
        }
    }

    fn on_response(&mut self, client: ClientId, _from: NodeId, reply: TransferReply, ctx: &mut ClientCtx<'_, P>) {
        let c = client.index();
        let Some((seq, _, _)) = &self.clients[c].pending else { return };
        if *seq != reply.seq {
            return; // a late answer to a transfer already given up on
        }
        let (_, transfer, _) = self.clients[c].pending.take().expect("pending");
        let kind = if reply.committed { EventType::Ok } else { EventType::Fail };
        if reply.committed {
            self.committed += 1;
        } else {
            self.aborted += 1;
        }
        self.record(client, kind, &transfer, ctx.now());
        let committed = reply.committed;
        ctx.complete(
            client,
            committed as u64,
            || if committed { "ok committed".into() } else { "fail aborted".into() },
        );
        self.think(client, ctx);
    }

    fn on_timer(&mut self, client: ClientId, token: u64, ctx: &mut ClientCtx<'_, P>) {
        let c = client.index();
        let seq = token >> 1;
        if token & 1 == NEXT {
            if self.clients[c].pending.is_none() && !self.clients[c].finished && self.clients[c].next_seq == seq {
                self.start_next(client, ctx);
            }
            return;
        }
        if matches!(&self.clients[c].pending, Some((s, _, _)) if *s == seq) {
            let (_, transfer, _) = self.clients[c].pending.take().expect("pending");
            self.record(client, EventType::Info, &transfer, ctx.now());
            ctx.complete(client, 0, || "info (timed out)".into());
            self.think(client, ctx);
        }
    }

    fn is_done(&self) -> bool {
        self.clients.len() == self.spec.clients && self.clients.iter().all(|c| c.finished)
    }

    fn finish(&mut self, now: Time) {
        for i in 0..self.clients.len() {
            if let Some((_, transfer, _)) = self.clients[i].pending.take() {
                self.record(ClientId(i as u32), EventType::Info, &transfer, now);
            }
        }
    }
}
