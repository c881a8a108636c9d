//! The kernel connection generator (connector id 6, sPyNNaker's `KernelConnector`;
//! docs/expander.md §3): pre and post populations seen as 2-D grids, each post neuron mapped
//! onto the pre grid and connected to the pre neurons under a kernel centred there. No connect
//! draws; the weight and delay of a synapse are the kernel's own where the host gave them, else
//! drawn (weight first) from the core's generator.
//!
//! The arithmetic is the binary's: grid coordinates in 16 bits (`uidiv`, `post_in_pre_world`),
//! signed differences truncated to 16 bits (`pre_in_post_world`, the kernel offsets).

/// The kernel's shapes and offsets as `gen_connector_params` writes them, each a (width, height)
/// pair (`shape2word(w, h)`: width in the low half-word), and its own weights and delays (s16.15,
/// row-major over the kernel) when the host has them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelGrid {
    /// The common coordinate system (written, not used by the generator).
    pub common: [u16; 2],
    pub pre: [u16; 2],
    pub post: [u16; 2],
    pub pre_start: [u16; 2],
    pub post_start: [u16; 2],
    pub pre_step: [u16; 2],
    pub post_step: [u16; 2],
    pub kernel: [u16; 2],
    pub weights: Option<Vec<i32>>,
    pub delays: Option<Vec<i32>>,
}

/// The words of the fixed part of the parameters (`N_KERNEL_PARAMS`).
pub const KERNEL_PARAM_WORDS: usize = 9;

const W: usize = 0;
const H: usize = 1;

fn shape_word([w, h]: [u16; 2]) -> u32 {
    (u32::from(h) << 16) | u32::from(w)
}

fn word_shape(word: u32) -> [u16; 2] {
    [word as u16, (word >> 16) as u16]
}

impl KernelGrid {
    /// The kernel's positions (`kernelWidth × kernelHeight`).
    pub fn size(&self) -> usize {
        usize::from(self.kernel[W]) * usize::from(self.kernel[H])
    }

    /// The parameter words: nine (width, height) words, then the weights and the delays present.
    pub fn words(&self) -> Vec<u32> {
        let present = [self.weights.is_some() as u16, self.delays.is_some() as u16];
        let shapes = [
            self.common,
            self.pre,
            self.post,
            self.pre_start,
            self.post_start,
            self.pre_step,
            self.post_step,
            self.kernel,
            present,
        ];
        let mut w: Vec<u32> = shapes.into_iter().map(shape_word).collect();
        for values in [&self.weights, &self.delays].into_iter().flatten() {
            w.extend(values.iter().map(|&v| v as u32));
        }
        w
    }

    /// The grid whose parameters start `w`, and how many words they took.
    pub fn from_words(w: &[u32]) -> Option<(KernelGrid, usize)> {
        let s: Vec<[u16; 2]> = w.get(..KERNEL_PARAM_WORDS)?.iter().map(|&x| word_shape(x)).collect();
        let mut g = KernelGrid {
            common: s[0],
            pre: s[1],
            post: s[2],
            pre_start: s[3],
            post_start: s[4],
            pre_step: s[5],
            post_step: s[6],
            kernel: s[7],
            weights: None,
            delays: None,
        };
        let (k, mut at) = (g.size(), KERNEL_PARAM_WORDS);
        let mut take = |present: u16| {
            let values = (present != 0).then(|| w.get(at..at + k).map(|v| v.iter().map(|&x| x as i32).collect()));
            at += if present != 0 { k } else { 0 };
            values
        };
        g.weights = take(s[8][W]).map(|v| v.ok_or(())).transpose().ok()?;
        g.delays = take(s[8][H]).map(|v| v.ok_or(())).transpose().ok()?;
        Some((g, at))
    }

    /// The pairs the generator connects, pre-major (pre outer, post inner) as the binary makes
    /// them, with the kernel position of each: `(pre, post, k)`. `pres` and `posts` are
    /// population indices (the pre view's range, the core's part of the post view).
    pub fn pairs(
        &self,
        (pre_lo, pre_hi): (u32, u32),
        posts: std::ops::RangeInclusive<u32>,
    ) -> impl Iterator<Item = (u32, u32, usize)> + '_ {
        let (hlf_kw, hlf_kh) = (i32::from(self.kernel[W] >> 1), i32::from(self.kernel[H] >> 1));
        (pre_lo..=pre_hi).flat_map(move |pre| {
            let (pre_r, pre_c) = uidiv(pre, self.pre[W]);
            posts.clone().filter_map(move |post| {
                let (post_r, post_c) = uidiv(post, self.post[W]);
                // `post_in_pre_world`: the post neuron in the common coordinates, 16 bits.
                let pac_r = self.post_start[H].wrapping_add(post_r.wrapping_mul(self.post_step[H]));
                let pac_c = self.post_start[W].wrapping_add(post_c.wrapping_mul(self.post_step[W]));
                let pap_r = pre_in_post_world(pac_r, self.pre_start[H], self.pre_step[H]);
                let pap_c = pre_in_post_world(pac_c, self.pre_start[W], self.pre_step[W]);
                let r_diff = (i32::from(pap_r) - i32::from(pre_r as i16)) as i16;
                let c_diff = (i32::from(pap_c) - i32::from(pre_c as i16)) as i16;
                let k_r = (hlf_kh - i32::from(r_diff)) as i16;
                let k_c = (hlf_kw - i32::from(c_diff)) as i16;
                let inside = |k: i16, n: u16| 0 <= k && i32::from(k) < i32::from(n);
                (inside(k_r, self.kernel[H]) && inside(k_c, self.kernel[W]))
                    .then(|| (pre, post, k_r as usize * usize::from(self.kernel[W]) + k_c as usize))
            })
        })
    }
}

/// `uidiv`: the quotient and remainder of `dividend / divider`, both cut to 16 bits. The host
/// never writes a width of 0 (the binary would divide by zero); 0 is read as 1 here.
fn uidiv(dividend: u32, divider: u16) -> (u16, u16) {
    if dividend < u32::from(divider) {
        return (0, dividend as u16);
    }
    let d = u32::from(divider.max(1));
    ((dividend / d) as u16, (dividend % d) as u16)
}

/// `pre_in_post_world` on one axis: `(x − start − 1) div step + 1` rounding towards −∞, in the
/// binary's 16-bit steps (a step of 0, which the host never writes, is read as 1).
fn pre_in_post_world(x: u16, start: u16, step: u16) -> i16 {
    let d = (i32::from(x) - i32::from(start) - 1) as i16;
    match d {
        0 => 1,
        d if d < 0 => {
            let (q, r) = uidiv(u32::from((-i32::from(d)) as u16), step);
            let q = q as i16;
            if r == 0 {
                q.wrapping_neg().wrapping_add(1)
            } else {
                q.wrapping_neg()
            }
        }
        d => (uidiv(u32::from(d as u16), step).0 as i16).wrapping_add(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(pre: [u16; 2], post: [u16; 2], kernel: [u16; 2]) -> KernelGrid {
        KernelGrid {
            common: pre,
            pre,
            post,
            pre_start: [0, 0],
            post_start: [0, 0],
            pre_step: [1, 1],
            post_step: [1, 1],
            kernel,
            weights: None,
            delays: None,
        }
    }

    #[test]
    fn words_round_trip_with_and_without_the_kernels_own_values() {
        let mut g = grid([5, 4], [3, 2], [3, 3]);
        g.pre_step = [2, 1];
        assert_eq!(g.words()[1], (4 << 16) | 5, "shape2word(width, height)");
        assert_eq!(KernelGrid::from_words(&g.words()), Some((g.clone(), 9)));
        g.delays = Some((0..9).map(|i| i << 15).collect());
        assert_eq!(g.words()[8], 1 << 16, "delays present in the high half-word");
        assert_eq!(KernelGrid::from_words(&g.words()), Some((g.clone(), 18)));
        g.weights = Some((0..9).map(|i| -i).collect());
        assert_eq!(KernelGrid::from_words(&g.words()), Some((g.clone(), 27)));
        assert_eq!(KernelGrid::from_words(&g.words()[..26]), None, "an array cut short");
    }

    #[test]
    fn a_three_by_three_kernel_on_one_grid_is_each_neurons_neighbourhood() {
        // With no starts and steps of 1 the post (r, c) is the pre (r, c) (`(x - 0 - 1) // 1 + 1`),
        // and kernel position (k_r, k_c) is the pre at (r - 1 + k_r, c - 1 + k_c).
        let g = grid([4, 4], [4, 4], [3, 3]);
        let pairs: Vec<_> = g.pairs((0, 15), 5..=5).collect();
        let pres: Vec<u32> = pairs.iter().map(|p| p.0).collect();
        assert_eq!(pres, vec![0, 1, 2, 4, 5, 6, 8, 9, 10], "the 3 × 3 block around pre 5");
        assert_eq!(pairs[0].2, 0, "pre 0 (row 0, col 0) is the kernel's first position");
        assert_eq!(pairs[4], (5, 5, 4), "the post's own place is the kernel's centre");
        let corner: Vec<u32> = g.pairs((0, 15), 0..=0).map(|p| p.0).collect();
        assert_eq!(corner, vec![0, 1, 4, 5], "cut at the grid's edge");
    }

    #[test]
    fn pre_in_post_world_rounds_towards_minus_infinity() {
        for step in 1..5u16 {
            for start in 0..4u16 {
                for x in 0..12u16 {
                    let want = (i32::from(x) - i32::from(start) - 1).div_euclid(i32::from(step)) + 1;
                    assert_eq!(i32::from(pre_in_post_world(x, start, step)), want, "x {x} start {start} step {step}");
                }
            }
        }
    }
}
