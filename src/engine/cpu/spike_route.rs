//! The router: every packet sent during a tick goes, by its key, to the cores of the matching
//! routing-table entry. Cores' packets are taken in core order, then in sending order.

use super::state::CoreRun;
use crate::mapping::RouteEntry;

/// The routing entry for a key (entries are sorted by key and do not overlap).
pub fn route_of(table: &[RouteEntry], key: u32) -> Option<&RouteEntry> {
    let i = table.partition_point(|e| e.key <= key);
    let e = table.get(i.checked_sub(1)?)?;
    (key & e.mask == e.key).then_some(e)
}

pub fn spike_route(table: &[RouteEntry], runs: &mut [CoreRun]) -> u64 {
    let mut dropped = 0;
    for src in 0..runs.len() {
        let out = std::mem::take(&mut runs[src].outbox);
        for p in &out {
            match route_of(table, p.key) {
                Some(e) => {
                    for &d in &e.destinations {
                        runs[d as usize].inbox.push(*p);
                    }
                }
                None => dropped += 1,
            }
        }
        runs[src].outbox = out;
        runs[src].outbox.clear();
    }
    dropped
}
