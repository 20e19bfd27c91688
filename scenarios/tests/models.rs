//! The explorer's reference models: state counts equal to those
//! `../shared/reference/models.md` gives (TLC and stateright 0.31).

use scenarios::models::paxos::PaxosModel;
use scenarios::models::two_pc::TwoPhaseSys;
use sim_core::explore::{check, Options, Status};

#[test]
fn two_pc_counts() {
    for (rms, unique) in [(3, 288u64), (4, 1_568), (5, 8_832)] {
        let model = TwoPhaseSys::new(rms).unwrap();
        let r = check(&model, &Options::bfs());
        eprintln!("rms={rms} unique={} total={} depth={}", r.unique_states, r.transitions, r.max_depth);
        assert_eq!(r.unique_states, unique);
    }
}

#[test]
fn paxos_counts() {
    for (clients, unique) in [(1, 265u64), (2, 16_668)] {
        let model = PaxosModel::new(clients).unwrap();
        let r = check(&model, &Options::bfs());
        eprintln!("clients={clients} unique={} total={} depth={} {:?}", r.unique_states, r.transitions, r.max_depth, r.verdicts.iter().map(|v| (&v.name, &v.status)).collect::<Vec<_>>());
        assert_eq!(r.unique_states, unique);
        assert_eq!(r.verdict("linearizable").unwrap().status, Status::Holds);
    }
}
