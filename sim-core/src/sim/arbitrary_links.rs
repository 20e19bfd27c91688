//! Arbitrary links: the adversary of a link with an
//! [`Adversary`](crate::link::Adversary) model, applied to every message
//! that survives the link's ordinary model.
//!
//! When a model with an adversary is installed (at the start, or by a
//! `set-link` fault), each affected link draws its own rates below the
//! model's bounds. Per message the adversary may drop it, delay it, corrupt
//! it (its envelope then fails at the receiver), deliver an old message of
//! the link again (genuine, so it passes: replays are the protocol's
//! problem) and inject a forgery (which fails). All draws come from the
//! `adversary` stream.

use super::Simulator;
use crate::auth::Envelope;
use crate::choices::Stream;
use crate::hash::stable_hash;
use crate::ids::{Actor, NodeId};
use crate::link::Adversary;
use crate::protocol::Protocol;
use crate::ratio::Ratio;
use crate::time::{format_duration_ns, Time};
use crate::trace::TraceKind;
use crate::workload::Workload;

/// How many recent messages a link's adversary keeps for replays.
const LINK_MEMORY: usize = 8;

/// Per-message probabilities in millionths, as drawn for one link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rates {
    drop: Ratio,
    delay: Ratio,
    delay_max_ns: Time,
    replay: Ratio,
    corrupt: Ratio,
    forge: Ratio,
}

/// A message the link carried, as the adversary saw it leave.
pub(super) struct Remembered<P: Protocol> {
    msg: P::Msg,
    send: u64,
    envelope: Option<Box<Envelope>>,
}

const MILLION: u64 = 1_000_000;

impl<P: Protocol, W: Workload<P>> Simulator<P, W> {
    /// A rate between 0 and `bound`, drawn in thousandths of it.
    fn draw_rate(&mut self, bound: Ratio) -> Ratio {
        let ppm = bound.numerator as u64 * MILLION / bound.denominator.max(1) as u64;
        let k = self.choices.draw(Stream::Adversary, 1001);
        Ratio::new((ppm * k / 1000) as u32, MILLION as u32)
    }

    /// Draws the rates of link `l` for `adversary` (or clears them).
    pub(super) fn install_adversary(&mut self, l: usize, adversary: Option<Adversary>) {
        self.byz.rates[l] = adversary.map(|a| Rates {
            drop: self.draw_rate(a.drop),
            delay: self.draw_rate(a.delay),
            delay_max_ns: a.delay_max_ns,
            replay: self.draw_rate(a.replay),
            corrupt: self.draw_rate(a.corrupt),
            forge: self.draw_rate(a.forge),
        });
    }

    /// Draws the rates of every link whose model has an adversary.
    pub(super) fn install_adversaries(&mut self) {
        for l in 0..self.links.len() {
            if self.links[l].adversary.is_some() {
                self.install_adversary(l, self.links[l].adversary);
            }
        }
    }

    /// The adversary's turn on a message leaving `from -> to` (send event
    /// `send`). Returns the extra delay it imposes, or `None` if it drops the
    /// message. May corrupt `auth` and queue replays and forgeries.
    pub(super) fn link_adversary(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: &P::Msg,
        send: u64,
        auth: &mut Option<Box<Envelope>>,
    ) -> Option<Time> {
        let l = from.index() * self.config.nodes + to.index();
        let rates = self.byz.rates[l]?;
        let rates = &rates;
        let link = (from, to);
        if self.choices.chance(Stream::Adversary, rates.drop) {
            self.stats.messages_dropped += 1;
            self.stats.byzantine_actions += 1;
            self.trace.record(
                self.now,
                TraceKind::Drop,
                Actor::Node(from),
                Some(Actor::Node(to)),
                Some(send),
                0,
                || "dropped by the link's adversary".into(),
            );
            return None;
        }
        let mut extra = 0;
        if self.choices.chance(Stream::Adversary, rates.delay) {
            extra = self.choices.range(Stream::Adversary, 0, rates.delay_max_ns);
            self.record_byzantine(from, Some(to), Some(send), extra, || {
                format!("link {}->{} adversary holds the message back {}", link.0, link.1, format_duration_ns(extra))
            });
        }
        if self.choices.chance(Stream::Adversary, rates.replay) && !self.byz.history[l].is_empty() {
            let i = self.choices.index(Stream::Adversary, self.byz.history[l].len());
            let old = &self.byz.history[l][i];
            let (msg, cause, envelope) = (old.msg.clone(), old.send, old.envelope.clone());
            let event = self.record_byzantine(from, Some(to), Some(cause), stable_hash(&msg), || {
                format!("link {}->{} adversary replays {msg:?}", link.0, link.1)
            });
            let after = self.links[l].delay.sample(&mut self.choices);
            self.inject(from, to, msg, event, envelope, after);
        }
        if self.choices.chance(Stream::Adversary, rates.forge) {
            let claimed = NodeId(self.choices.draw(Stream::Adversary, self.config.nodes as u64) as u32);
            let bits = self.choices.draw(Stream::Adversary, u64::MAX);
            let event = self.record_byzantine(from, Some(to), None, stable_hash(&(claimed.0, bits)), || {
                format!("link {}->{} adversary injects a forgery claiming to come from {claimed}", link.0, link.1)
            });
            let after = self.links[l].delay.sample(&mut self.choices);
            self.inject(from, to, msg.clone(), event, Some(Box::new(Envelope::forged(claimed, bits))), after);
        }
        let history = &mut self.byz.history[l];
        if history.len() == LINK_MEMORY {
            history.remove(0);
        }
        history.push(Remembered { msg: msg.clone(), send, envelope: auth.clone() });
        if self.choices.chance(Stream::Adversary, rates.corrupt) {
            let flips = self.choices.draw(Stream::Adversary, u64::MAX) | 1;
            self.record_byzantine(from, Some(to), Some(send), flips, || {
                format!("link {}->{} adversary corrupts the message in transit", link.0, link.1)
            });
            let sealed = auth.get_or_insert_with(|| Box::new(Envelope::forged(from, 0)));
            sealed.flips ^= flips;
        }
        Some(extra)
    }
}
