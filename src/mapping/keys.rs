//! Routing keys: PACMAN's ZonedRoutingInfoAllocator in its flexible mode, which 7.4.1 uses by
//! default (`info_allocator = ZonedRoutingInfoAllocator` → `flexible_allocate`).

use crate::error::{Error, Result};

/// `allocator_bits_needed`: ceil(log2(size)), 0 for 0.
pub fn allocator_bits_needed(size: u64) -> u32 {
    if size <= 1 {
        0
    } else {
        64 - (size - 1).leading_zeros()
    }
}

pub use super::words::get_n_bits;

/// One application vertex with an outgoing partition, as the allocator sees it.
pub struct KeyRequest {
    /// Keys needed by each machine vertex, in lo_atom order.
    pub keys_per_core: Vec<u64>,
}

/// Keys of one application vertex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppKeys {
    pub app_key: u32,
    pub app_mask: u32,
    /// Width of the atom field (the pop table's mask_shift).
    pub n_bits_atoms: u32,
    /// Pop-table core mask: 2^allocator_bits_needed(n cores) − 1.
    pub core_mask: u32,
    /// (key, mask) per machine vertex.
    pub cores: Vec<(u32, u32)>,
}

fn mask(bits: u32) -> u32 {
    if bits >= 32 {
        0
    } else {
        !((1u32 << bits) - 1)
    }
}

/// Allocates keys to the partitions in order.
pub fn allocate(requests: &[KeyRequest]) -> Result<Vec<AppKeys>> {
    let mut atoms_and_mac = 0;
    let mut atom_bits = Vec::with_capacity(requests.len());
    for r in requests {
        let max_keys = r.keys_per_core.iter().copied().max().unwrap_or(0);
        let ab = allocator_bits_needed(max_keys);
        let mb = allocator_bits_needed(r.keys_per_core.len() as u64);
        atoms_and_mac = atoms_and_mac.max(ab + mb);
        atom_bits.push(ab);
    }
    let app_bits = allocator_bits_needed(requests.len() as u64);
    if app_bits + atoms_and_mac > 32 {
        return Err(Error::Mapping(format!(
            "the routing keys need {app_bits} + {atoms_and_mac} bits, more than the 32 of a SpiNNaker key; \
             use fewer populations or fewer neurons per population"
        )));
    }
    let mut out = Vec::with_capacity(requests.len());
    for (index, (r, &ab)) in requests.iter().zip(&atom_bits).enumerate() {
        let n_bits_machine = atoms_and_mac - ab;
        let cores = (0..r.keys_per_core.len() as u32)
            .map(|mi| ((((index as u32) << n_bits_machine) | mi) << ab, mask(ab)))
            .collect();
        out.push(AppKeys {
            app_key: ((index as u64) << atoms_and_mac) as u32,
            app_mask: mask(atoms_and_mac),
            n_bits_atoms: ab,
            core_mask: (1u32 << allocator_bits_needed(r.keys_per_core.len() as u64)) - 1,
            cores,
        });
    }
    Ok(out)
}

/// Fails if two (key, mask) pairs can match the same key.
pub fn check_no_overlap(entries: &[(u32, u32, String)]) -> Result<()> {
    for (i, a) in entries.iter().enumerate() {
        for b in &entries[i + 1..] {
            let common = a.1 & b.1;
            if a.0 & common == b.0 & common {
                return Err(Error::Mapping(format!(
                    "routing keys overlap: {} ({:#x}/{:#x}) and {} ({:#x}/{:#x})",
                    a.2, a.0, a.1, b.2, b.0, b.1
                )));
            }
        }
    }
    Ok(())
}

/// The keys of a mapped network: which allocated partition each population's cores and delay
/// cores send with, and the partitions themselves (docs/spynnaker-mapping.md §4).
pub(super) struct Keys {
    pub pop_key: Vec<Option<usize>>,
    pub delay_key: Vec<Option<usize>>,
    pub partitions: Vec<AppKeys>,
}

impl Keys {
    /// Allocates the keys of every sending population and delay extension and gives each core its
    /// key and mask: the outgoing partitions in the order their first projection was made, then
    /// the delay extensions in the same order (the DelaySupportAdder adds them after the graph is
    /// built).
    pub(super) fn assign(
        drawn: &[super::draw::Drawn],
        layout: &super::layout::Layout,
        placed: &mut super::layout::Placed,
    ) -> Result<Keys> {
        use super::image::CoreKind;
        let n_pops = layout.max_atoms.len();
        let mut senders: Vec<usize> = Vec::new();
        for d in drawn {
            if !senders.contains(&d.pre) {
                senders.push(d.pre);
            }
        }
        let delayed_senders: Vec<usize> = senders.iter().copied().filter(|&pi| layout.delay_stages[pi] > 0).collect();
        let partitions: Vec<&Vec<u32>> = senders
            .iter()
            .map(|&pi| &placed.population_cores[pi])
            .chain(delayed_senders.iter().map(|&pi| &placed.delay_cores[pi]))
            .collect();
        let requests: Vec<KeyRequest> = partitions
            .iter()
            .map(|cs| KeyRequest {
                keys_per_core: cs
                    .iter()
                    .map(|&c| {
                        let core = &placed.cores[c as usize];
                        let n = core.n_atoms as u64;
                        let atoms = match &core.kind {
                            CoreKind::SpikeArray(_) => 1u64 << get_n_bits(n),
                            CoreKind::Delay(d) => (1u64 << get_n_bits(n)) * d.n_stages as u64,
                            _ => n,
                        };
                        atoms << super::N_COLOUR_BITS
                    })
                    .collect(),
            })
            .collect();
        let app_keys = allocate(&requests)?;
        let assigned: Vec<(u32, (u32, u32))> = partitions
            .iter()
            .enumerate()
            .flat_map(|(p, cs)| cs.iter().enumerate().map(move |(mi, &c)| (c, (p, mi))))
            .map(|(c, (p, mi))| (c, app_keys[p].cores[mi]))
            .collect();
        for (c, (k, m)) in assigned {
            placed.cores[c as usize].key = Some(k);
            placed.cores[c as usize].mask = m;
        }
        let mut keys = Keys { pop_key: vec![None; n_pops], delay_key: vec![None; n_pops], partitions: app_keys };
        for (part, &pi) in senders.iter().enumerate() {
            keys.pop_key[pi] = Some(part);
        }
        for (k, &pi) in delayed_senders.iter().enumerate() {
            keys.delay_key[pi] = Some(senders.len() + k);
        }
        Ok(keys)
    }

    /// What a pop-table entry holds of partition `part`, for a pre population of `max_atoms`
    /// atoms per core and `stages` delay stages (1 for the population itself).
    pub(super) fn pop_key(&self, part: usize, max_atoms: u32, stages: u32) -> super::synapses::PopKey {
        let a = &self.partitions[part];
        super::synapses::PopKey {
            key: a.app_key,
            mask: a.app_mask,
            core_mask: a.core_mask,
            core_shift: a.n_bits_atoms,
            n_neurons: max_atoms * stages,
            n_colour_bits: super::N_COLOUR_BITS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synfire_keys_match_spynnaker() {
        // pop_1 (20 neurons × 16 colours) then inputSSA_1 ((1 << get_n_bits(1)) × 16).
        let k = allocate(&[KeyRequest { keys_per_core: vec![320] }, KeyRequest { keys_per_core: vec![32] }]).unwrap();
        assert_eq!(k[0].cores, vec![(0x0, 0xfffffe00)]);
        assert_eq!(k[1].cores, vec![(0x200, 0xffffffe0)]);
        assert_eq!((k[1].app_key, k[1].app_mask, k[1].n_bits_atoms), (0x200, 0xfffffe00, 5));
        assert_eq!((k[0].n_bits_atoms, k[0].core_mask), (9, 0));
    }

    #[test]
    fn overlap_is_detected() {
        let e = vec![(0x0, 0xffffff00, "a".to_string()), (0x80, 0xffffff80, "b".to_string())];
        assert!(check_no_overlap(&e).is_err());
        let e = vec![(0x0, 0xffffff00, "a".to_string()), (0x100, 0xffffff00, "b".to_string())];
        assert!(check_no_overlap(&e).is_ok());
    }

    #[test]
    fn n_bits() {
        assert_eq!(get_n_bits(1), 1);
        assert_eq!(get_n_bits(17), 5);
        assert_eq!(get_n_bits(32), 5);
        assert_eq!(get_n_bits(40), 6);
        assert_eq!(allocator_bits_needed(1), 0);
        assert_eq!(allocator_bits_needed(320), 9);
    }
}
