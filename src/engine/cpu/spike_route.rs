//! The router: every packet sent during a tick goes, by its key, to the cores of the matching
//! routing-table entry. Cores' packets are taken in core order, then in sending order, so every
//! inbox is filled in the same order whatever the number of workers.

use super::team::Outboxes;
use crate::machine::state::CoreRun;
use crate::mapping::{route_of, RouteEntry};
use std::ops::Range;

/// The router for one worker: every packet sent during tick `t`, taken in core order then sending
/// order, goes to the inboxes of the worker's cores (`range`) that its routing entry names.
/// Returns the packets sent by the worker's cores that matched no entry.
pub fn spike_route(table: &[RouteEntry], outs: &Outboxes, t: u32, range: Range<usize>, mine: &mut [CoreRun]) -> u64 {
    let mut lost = 0;
    for (src, out) in outs.iter().enumerate() {
        let out = out[(t & 1) as usize].lock().expect("an outbox lock");
        // A core's packets share its key: the entry of the previous packet is tried first
        // (entries do not overlap, so a matching entry is the only one).
        let mut last: Option<&RouteEntry> = None;
        for p in out.iter() {
            let entry = match last {
                Some(e) if p.key & e.mask == e.key => Some(e),
                _ => route_of(table, p.key),
            };
            last = entry.or(last);
            match entry {
                Some(e) => {
                    for &d in &e.destinations {
                        if range.contains(&(d as usize)) {
                            mine[d as usize - range.start].inbox.push(*p);
                        }
                    }
                }
                None => lost += u64::from(range.contains(&src)),
            }
        }
    }
    lost
}
