//! The bank that 2PC and 3PC commit transactions for.
//!
//! Accounts `a0`, `a1`, ... live on the participants (nodes 1..n; node 0 is
//! the coordinator): account `k` lives on participant `1 + k % (n - 1)`, and
//! every account starts with [`INITIAL_BALANCE`]. A client asks the
//! coordinator to move an amount from one account to another; the transfer
//! becomes one atomic-commit transaction whose participants are the homes of
//! the two accounts.
//!
//! Each participant keeps a [`Ledger`]: its balances and one [`TxRecord`] per
//! transaction it heard of (its vote, its phase). Participants persist the
//! ledger before every answer, so it is also what survives a crash.
//!
//! The [`BankMonitor`] holds the history variables behind the invariants both
//! commit protocols share:
//! - `atomic-commit`: no participant commits a transaction another aborts;
//! - `commit-validity`: a transaction commits only if every participant voted yes;
//! - `conservation`: money neither appears nor vanishes. The total of all
//!   balances equals the initial total, once the money "in transit" is
//!   counted: the part of a committed transfer applied at some participants
//!   while others are still undecided.

use sim_core::{NodeId, Time, Violation};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Every account's balance at the start.
pub const INITIAL_BALANCE: i64 = 100;

/// An account number (`a<k>` in traces).
pub type Account = u32;

/// A transfer a client asks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Transfer {
    pub from: Account,
    pub to: Account,
    pub amount: i64,
}

/// A client's request: its own sequence number (echoed in the reply) and the transfer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TransferRequest {
    pub seq: u64,
    pub transfer: Transfer,
}

/// The coordinator's answer: the transaction committed or aborted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TransferReply {
    pub seq: u64,
    pub committed: bool,
}

/// A transaction id: the coordinator's incarnation (bumped at every restart,
/// so ids are never reused) and a sequence number within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxId {
    pub epoch: u32,
    pub seq: u32,
}

impl std::fmt::Display for TxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "t{}.{}", self.epoch, self.seq)
    }
}

/// Commit or abort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Commit,
    Abort,
}

/// The account layout of a cluster of `nodes` nodes with `accounts` accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bank {
    pub nodes: usize,
    pub accounts: u32,
}

impl Bank {
    /// The participant holding `account`.
    pub fn home(&self, account: Account) -> NodeId {
        let participants = (self.nodes.max(2) - 1) as u32;
        NodeId(1 + account % participants)
    }

    /// The accounts `node` holds.
    pub fn accounts_of(&self, node: NodeId) -> Vec<Account> {
        (0..self.accounts).filter(|&a| self.home(a) == node).collect()
    }

    /// The money in the bank, always.
    pub fn total(&self) -> i64 {
        self.accounts as i64 * INITIAL_BALANCE
    }

    /// Splits a transfer into each participant's part: the sorted
    /// participants, and for each its `(account, delta)` changes.
    pub fn split(&self, t: &Transfer) -> Vec<(NodeId, Vec<(Account, i64)>)> {
        let mut parts: BTreeMap<NodeId, Vec<(Account, i64)>> = BTreeMap::new();
        parts.entry(self.home(t.from)).or_default().push((t.from, -t.amount));
        parts.entry(self.home(t.to)).or_default().push((t.to, t.amount));
        parts.into_iter().collect()
    }
}

/// Where a participant stands on one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Voted yes and waits for the decision: it may neither commit nor abort
    /// on its own (2PC), or aborts after a timeout (3PC).
    Uncertain,
    /// 3PC only: received PreCommit; commits after a timeout.
    PreCommitted,
    Committed,
    Aborted,
}

impl Phase {
    pub fn decided(self) -> bool {
        matches!(self, Phase::Committed | Phase::Aborted)
    }
}

/// One transaction as a participant knows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TxRecord {
    /// Every participant of the transaction (sorted).
    pub participants: Vec<NodeId>,
    /// This participant's part: `(account, delta)`.
    pub deltas: Vec<(Account, i64)>,
    pub voted_yes: bool,
    pub phase: Phase,
}

/// A participant's accounts and transaction records (volatile and durable).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Ledger {
    pub balances: BTreeMap<Account, i64>,
    /// Shared records (`Arc`): persisting the ledger after every change
    /// copies pointers, not every record.
    pub txs: BTreeMap<TxId, Arc<TxRecord>>,
    /// Voted yes and not yet decided (these hold their accounts locked).
    pub open: BTreeSet<TxId>,
    /// Transactions in the order this participant decided them; lets the
    /// monitor look at what changed instead of every record after every event.
    pub journal: Vec<TxId>,
}

impl Ledger {
    /// A participant's ledger at the start of the run.
    pub fn new(bank: &Bank, node: NodeId) -> Ledger {
        Ledger {
            balances: bank.accounts_of(node).into_iter().map(|a| (a, INITIAL_BALANCE)).collect(),
            ..Ledger::default()
        }
    }

    /// Records a transaction heard of for the first time (voted, or aborted
    /// before its Prepare arrived).
    pub fn record(&mut self, tx: TxId, record: TxRecord) {
        if record.phase.decided() {
            self.journal.push(tx);
        } else {
            self.open.insert(tx);
        }
        self.txs.insert(tx, Arc::new(record));
    }

    /// Whether this participant can vote yes: it holds every account, none
    /// is locked by another undecided transaction, and no balance would go
    /// below zero.
    pub fn can_prepare(&self, deltas: &[(Account, i64)]) -> bool {
        deltas.iter().all(|&(account, delta)| {
            let Some(balance) = self.balances.get(&account) else { return false };
            let locked = self.undecided().any(|(_, r)| r.deltas.iter().any(|&(a, _)| a == account));
            !locked && balance + delta >= 0
        })
    }

    /// Applies a commit once (a second commit of the same transaction is a no-op).
    pub fn commit(&mut self, tx: TxId) -> bool {
        let Some(record) = self.txs.get_mut(&tx) else { return false };
        if record.phase.decided() {
            return false;
        }
        let record = Arc::make_mut(record);
        for &(account, delta) in &record.deltas {
            *self.balances.entry(account).or_insert(0) += delta;
        }
        record.phase = Phase::Committed;
        self.open.remove(&tx);
        self.journal.push(tx);
        true
    }

    /// Aborts an undecided transaction (false if it was already decided).
    pub fn abort(&mut self, tx: TxId) -> bool {
        match self.txs.get_mut(&tx) {
            Some(r) if !r.phase.decided() => {
                Arc::make_mut(r).phase = Phase::Aborted;
                self.open.remove(&tx);
                self.journal.push(tx);
                true
            }
            _ => false,
        }
    }

    /// Transactions that voted yes and are still undecided.
    pub fn undecided(&self) -> impl Iterator<Item = (TxId, &TxRecord)> {
        self.open.iter().filter_map(|t| self.txs.get(t).map(|r| (*t, &**r)))
    }
}

/// History variables for the shared invariants, and the blocking record.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct BankMonitor {
    /// The first decision seen for each transaction, and where.
    decided: BTreeMap<TxId, (Decision, NodeId)>,
    /// Per node, how much of its journal has been looked at.
    journal_seen: BTreeMap<NodeId, usize>,
    /// Per transaction not yet committed everywhere: the money applied so far
    /// and how many participants applied it.
    in_transit: BTreeMap<TxId, (i64, usize)>,
    /// The sum of `in_transit` amounts.
    transit_total: i64,
    /// Since when each (node, transaction) has been undecided after voting yes.
    pub uncertain_since: BTreeMap<(NodeId, TxId), Time>,
    /// The longest finished uncertain episode: node, transaction, from, to.
    pub longest_uncertain: Option<(NodeId, TxId, Time, Time)>,
}

impl BankMonitor {
    /// Checks the shared invariants after an event on `node`. `ledger(i)`
    /// gives participant `i`'s ledger (the durable one: it survives crashes).
    pub fn observe<'a>(
        &mut self,
        node: NodeId,
        now: Time,
        bank: &Bank,
        ledger: impl Fn(NodeId) -> Option<&'a Ledger>,
    ) -> Result<(), Violation> {
        let Some(mine) = ledger(node) else { return Ok(()) };
        for &tx in &mine.open {
            self.uncertain_since.entry((node, tx)).or_insert(now);
        }
        let seen = self.journal_seen.entry(node).or_insert(0);
        let fresh = mine.journal.get(*seen..).unwrap_or(&[]);
        *seen = mine.journal.len();
        for &tx in fresh {
            let Some(record) = mine.txs.get(&tx) else { continue };
            if let Some(from) = self.uncertain_since.remove(&(node, tx)) {
                if self.longest_uncertain.is_none_or(|(_, _, f, t)| now - from > t - f) {
                    self.longest_uncertain = Some((node, tx, from, now));
                }
            }
            let decision = match record.phase {
                Phase::Committed => Decision::Commit,
                Phase::Aborted => Decision::Abort,
                _ => continue,
            };
            match self.decided.get(&tx) {
                Some(&(first, at)) if first != decision => {
                    let (c, a) = if decision == Decision::Commit { (node, at) } else { (at, node) };
                    return Err(Violation::new(
                        "atomic-commit",
                        format!("{tx}: participant n{} committed while n{} aborted", c.0, a.0),
                    ));
                }
                Some(_) => {}
                None => {
                    self.decided.insert(tx, (decision, node));
                }
            }
            if decision == Decision::Commit {
                let record = &**record;
                for &p in &record.participants {
                    let voted = ledger(p).and_then(|l| l.txs.get(&tx)).is_some_and(|r| r.voted_yes);
                    if !voted {
                        return Err(Violation::new(
                            "commit-validity",
                            format!("{tx} committed at n{} but participant n{} did not vote yes", node.0, p.0),
                        ));
                    }
                }
                let delta: i64 = record.deltas.iter().map(|&(_, d)| d).sum();
                let entry = self.in_transit.entry(tx).or_insert((0, 0));
                entry.0 += delta;
                entry.1 += 1;
                self.transit_total += delta;
                if entry.1 >= record.participants.len() {
                    let (sum, _) = self.in_transit.remove(&tx).expect("present");
                    self.transit_total -= sum;
                    if sum != 0 {
                        return Err(Violation::new(
                            "conservation",
                            format!("{tx} committed everywhere but its parts sum to {sum}, not 0"),
                        ));
                    }
                }
            }
        }
        let mut total = 0;
        for i in 1..bank.nodes {
            if let Some(l) = ledger(NodeId(i as u32)) {
                total += l.balances.values().sum::<i64>();
            }
        }
        if total - self.transit_total != bank.total() {
            return Err(Violation::new(
                "conservation",
                format!(
                    "the accounts hold {total} with {} in transit, but the bank started with {}",
                    self.transit_total,
                    bank.total()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_layout() {
        let bank = Bank { nodes: 4, accounts: 6 };
        assert_eq!(bank.home(0), NodeId(1));
        assert_eq!(bank.home(4), NodeId(2));
        assert_eq!(bank.accounts_of(NodeId(3)), vec![2, 5]);
        let parts = bank.split(&Transfer { from: 4, to: 2, amount: 7 });
        assert_eq!(parts, vec![(NodeId(2), vec![(4, -7)]), (NodeId(3), vec![(2, 7)])]);
        assert_eq!(bank.total(), 600);
    }

    #[test]
    fn ledger_locks_and_overdraft() {
        let bank = Bank { nodes: 3, accounts: 2 };
        let mut l = Ledger::new(&bank, NodeId(1));
        assert!(l.can_prepare(&[(0, -100)]));
        assert!(!l.can_prepare(&[(0, -101)]));
        assert!(!l.can_prepare(&[(1, 5)]), "account 1 lives on n2");
        let tx = TxId { epoch: 0, seq: 1 };
        l.record(
            tx,
            TxRecord { participants: vec![NodeId(1)], deltas: vec![(0, -5)], voted_yes: true, phase: Phase::Uncertain },
        );
        assert!(!l.can_prepare(&[(0, 1)]), "locked by an undecided transaction");
        assert!(l.commit(tx));
        assert!(!l.commit(tx), "a duplicate commit is not applied twice");
        assert_eq!(l.balances[&0], 95);
    }
}
