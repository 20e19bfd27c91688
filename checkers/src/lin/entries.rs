//! The history of one partition as a doubly linked list of call and return
//! entries in real-time order (Lowe; Porcupine's `node` list). Linearizing
//! an operation lifts its call and return out of the list; backtracking
//! puts them back in O(1) (dancing links: undo happens in reverse order).

/// Marks "no entry" (an operation with unknown outcome has no return).
pub const NONE: u32 = u32::MAX;
/// The sentinel before the first entry.
pub const HEAD: u32 = 0;

pub struct Entries {
    pub next: Vec<u32>,
    pub prev: Vec<u32>,
    /// The operation (partition-local index) of each entry.
    pub op: Vec<u32>,
    /// For a call entry, its return entry (`NONE` for an operation with
    /// unknown outcome); `NONE` for a return entry.
    pub ret_of: Vec<u32>,
    pub is_call: Vec<bool>,
    /// For a return entry, its call entry; `NONE` for a call entry.
    pub call_of: Vec<u32>,
}

impl Entries {
    /// `spans[i] = (call position, return position or None)` for op `i`.
    pub fn new(spans: &[(usize, Option<usize>)]) -> Self {
        // (position, is_return, op); returns and calls never share a position.
        let mut events: Vec<(usize, bool, u32)> = Vec::with_capacity(spans.len() * 2);
        for (i, &(call, ret)) in spans.iter().enumerate() {
            events.push((call, false, i as u32));
            if let Some(r) = ret {
                events.push((r, true, i as u32));
            }
        }
        events.sort_unstable();
        let m = events.len() as u32;
        let tail = m + 1;
        let size = (m + 2) as usize;
        let mut e = Entries {
            next: (1..=size as u32).collect(),
            prev: (0..size as u32).map(|i| i.wrapping_sub(1)).collect(),
            op: vec![NONE; size],
            ret_of: vec![NONE; size],
            is_call: vec![false; size],
            call_of: vec![NONE; size],
        };
        e.next[tail as usize] = NONE;
        e.prev[HEAD as usize] = NONE;
        let mut call_entry = vec![NONE; spans.len()];
        for (k, &(_, is_return, op)) in events.iter().enumerate() {
            let idx = k + 1;
            e.op[idx] = op;
            if is_return {
                e.ret_of[call_entry[op as usize] as usize] = idx as u32;
                e.call_of[idx] = call_entry[op as usize];
            } else {
                e.is_call[idx] = true;
                call_entry[op as usize] = idx as u32;
            }
        }
        e
    }

    /// Removes a call entry and its return entry from the list.
    #[inline]
    pub fn lift(&mut self, call: u32) {
        self.unlink(call);
        let ret = self.ret_of[call as usize];
        if ret != NONE {
            self.unlink(ret);
        }
    }

    /// Undoes `lift` (must be called in reverse order of the lifts).
    #[inline]
    pub fn unlift(&mut self, call: u32) {
        let ret = self.ret_of[call as usize];
        if ret != NONE {
            self.relink(ret);
        }
        self.relink(call);
    }

    #[inline]
    fn unlink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = n;
        self.prev[n as usize] = p;
    }

    #[inline]
    fn relink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = e;
        self.prev[n as usize] = e;
    }
}
