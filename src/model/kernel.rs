//! sPyNNaker's `KernelConnector` in PyNN terms: pre and post populations seen as 2-D grids
//! (rows × columns, row-major), each post neuron placed on the pre grid and connected to the pre
//! neurons under a kernel centred there, with the kernel's own weights and delays where given.
//! Shapes and coordinates are `[height, width]`, as PyNN writes them.
//!
//! Two arithmetics place the kernel: the synapse expander's (16-bit, every pre neuron;
//! [`crate::expander::KernelGrid::pairs`]) and 7.4.1's host's (`__compute_statistics`, Python
//! integers, only the pre neurons on the sampling grid; [`Kernel::host_pairs`]).

use crate::expander::KernelGrid;
use crate::fixed::encode_s1615;
use serde::{Deserialize, Serialize};

/// `[height, width]`.
pub type Shape = [u32; 2];

const HEIGHT: usize = 0;
const WIDTH: usize = 1;

/// The largest shape, step or start the host's `shape2word` keeps (16 bits).
const MAX_COORDINATE: u32 = 0xFFFF;

/// The parameters of a `KernelConnector`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kernel {
    pub shape_pre: Shape,
    pub shape_post: Shape,
    pub shape_kernel: Shape,
    /// The common coordinate system (the pre shape when absent); written for the machine, used by
    /// neither arithmetic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape_common: Option<Shape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_sample_steps_in_post: Option<Shape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_start_coords_in_post: Option<Shape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_sample_steps_in_pre: Option<Shape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_start_coords_in_pre: Option<Shape>,
    /// The weight of each kernel position, `shape_kernel` rows of columns; the projection's
    /// `weight` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kernel: Option<Vec<Vec<f64>>>,
    /// The delay (ms) of each kernel position; the projection's `delay` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_kernel: Option<Vec<Vec<f64>>>,
}

/// `[width, height]` as `shape2word` takes them.
fn wh(s: Shape) -> [u16; 2] {
    [s[WIDTH] as u16, s[HEIGHT] as u16]
}

impl Kernel {
    /// The kernel's positions (`kernel_h × kernel_w`).
    pub fn size(&self) -> usize {
        self.shape_kernel[HEIGHT] as usize * self.shape_kernel[WIDTH] as usize
    }

    fn pre_steps(&self) -> Shape {
        self.pre_sample_steps_in_post.unwrap_or([1, 1])
    }

    fn post_steps(&self) -> Shape {
        self.post_sample_steps_in_pre.unwrap_or([1, 1])
    }

    fn pre_starts(&self) -> Shape {
        self.pre_start_coords_in_post.unwrap_or([0, 0])
    }

    fn post_starts(&self) -> Shape {
        self.post_start_coords_in_pre.unwrap_or([0, 0])
    }

    /// The weight kernel, row-major.
    pub fn weights(&self) -> Option<Vec<f64>> {
        self.weight_kernel.as_ref().map(|k| k.concat())
    }

    /// The delay kernel (ms), row-major.
    pub fn delays(&self) -> Option<Vec<f64>> {
        self.delay_kernel.as_ref().map(|k| k.concat())
    }

    /// The host's estimate of the connections, for the maxima of drawn weights and delays
    /// (`pre_w · pre_h · kernel_w · kernel_h`).
    pub fn draws_estimate(&self) -> u64 {
        let [h, w] = self.shape_pre;
        u64::from(h) * u64::from(w) * self.size() as u64
    }

    /// Checks the shapes, steps and kernels; the error names the parameter.
    pub fn validate(&self, dt: f64) -> Result<(), (String, String)> {
        let err = |p: &str, m: String| Err((p.to_string(), m));
        let shapes = [
            ("shape_pre", Some(self.shape_pre), 1),
            ("shape_post", Some(self.shape_post), 1),
            ("shape_kernel", Some(self.shape_kernel), 1),
            ("shape_common", self.shape_common, 0),
            ("pre_sample_steps_in_post", self.pre_sample_steps_in_post, 1),
            ("post_sample_steps_in_pre", self.post_sample_steps_in_pre, 1),
            ("pre_start_coords_in_post", self.pre_start_coords_in_post, 0),
            ("post_start_coords_in_pre", self.post_start_coords_in_pre, 0),
        ];
        for (name, shape, least) in shapes {
            if let Some(s) = shape.filter(|s| s.iter().any(|&x| x < least || x > MAX_COORDINATE)) {
                let why =
                    format!("{s:?} ([height, width]) must be in {least}..={MAX_COORDINATE}: the host writes 16 bits");
                return err(name, why);
            }
        }
        let [kh, kw] = self.shape_kernel;
        for (name, values, least) in
            [("weight_kernel", &self.weight_kernel, None), ("delay_kernel", &self.delay_kernel, Some(dt))]
        {
            let Some(rows) = values else { continue };
            if rows.len() != kh as usize || rows.iter().any(|r| r.len() != kw as usize) {
                let got: Vec<usize> = rows.iter().map(Vec::len).collect();
                return err(name, format!("must be {kh} rows of {kw} (shape_kernel); got rows of {got:?}"));
            }
            for (k, &v) in rows.iter().flatten().enumerate() {
                if encode_s1615(v).is_err() {
                    return err(
                        name,
                        format!("position {k}: {v} cannot be written as s16.15 for the synapse expander"),
                    );
                }
                if least.is_some_and(|dt| v < dt * (1.0 - 1e-9)) {
                    return err(name, format!("position {k}: {v} ms is below one timestep ({dt} ms)"));
                }
            }
        }
        Ok(())
    }

    /// The parameters as the host writes them for the synapse expander (`gen_connector_params`).
    pub fn grid(&self) -> KernelGrid {
        let s1615 = |v: Vec<f64>| v.into_iter().map(|x| encode_s1615(x).expect("validated")).collect();
        KernelGrid {
            common: wh(self.shape_common.unwrap_or(self.shape_pre)),
            pre: wh(self.shape_pre),
            post: wh(self.shape_post),
            pre_start: wh(self.pre_starts()),
            post_start: wh(self.post_starts()),
            pre_step: wh(self.pre_steps()),
            post_step: wh(self.post_steps()),
            kernel: wh(self.shape_kernel),
            weights: self.weights().map(s1615),
            delays: self.delays().map(s1615),
        }
    }

    /// The pairs 7.4.1's host builds (`__compute_statistics`), with the kernel position of each:
    /// post core by post core (`post_slices`, first and last neuron), pre-major within a core,
    /// over the `n_pre` pre neurons. A pre neuron off the sampling grid of the pre population
    /// (`(row − start) mod step ≠ 0`) connects nothing; the post coordinates are numpy `uint32`,
    /// so the host's arithmetic on them wraps (a post in row 0 with a pre step of 2 maps far off
    /// the grid, where the machine's signed arithmetic maps it to row 0).
    pub fn host_pairs(&self, n_pre: u32, post_slices: &[(u32, u32)]) -> Vec<(u32, u32, usize)> {
        let ([_, pre_w], [_, post_w], [kh, kw]) = (self.shape_pre, self.shape_post, self.shape_kernel);
        let ([psh, psw], [pth, ptw]) = (self.pre_steps(), self.pre_starts());
        let ([qsh, qsw], [qth, qtw]) = (self.post_steps(), self.post_starts());
        // `__pre_as_post` and the kernel offset, on one axis, in uint32.
        let offset = |pac: u32, start: u32, step: u32, pre: u32, half: u32| {
            let pap = (pac.wrapping_sub(start).wrapping_sub(1) / step).wrapping_add(1);
            half.wrapping_sub(pap.wrapping_sub(pre))
        };
        let mut out = Vec::new();
        for &(lo, hi) in post_slices {
            for pre in 0..n_pre {
                let (pre_r, pre_c) = (pre / pre_w, pre % pre_w);
                let on_grid =
                    |x: u32, start: u32, step: u32| (i64::from(x) - i64::from(start)).rem_euclid(i64::from(step)) == 0;
                if !(on_grid(pre_r, pth, psh) && on_grid(pre_c, ptw, psw)) {
                    continue;
                }
                for post in lo..=hi {
                    let (post_r, post_c) = (post / post_w, post % post_w);
                    let (pac_r, pac_c) =
                        (qth.wrapping_add(post_r.wrapping_mul(qsh)), qtw.wrapping_add(post_c.wrapping_mul(qsw)));
                    let kr = offset(pac_r, pth, psh, pre_r, kh / 2);
                    let kc = offset(pac_c, ptw, psw, pre_c, kw / 2);
                    if kr < kh && kc < kw {
                        out.push((pre, post, (kr * kw + kc) as usize));
                    }
                }
            }
        }
        out
    }

    /// How the population sizes differ from the shapes, for the run to say so, or `None` when
    /// they match: the machine places neurons beyond a shape on rows below it.
    pub fn size_mismatch(&self, n_pre: u32, n_post: u32) -> Option<String> {
        let cells = |s: Shape| u64::from(s[HEIGHT]) * u64::from(s[WIDTH]);
        let mut parts = Vec::new();
        for (side, s, n) in [("shape_pre", self.shape_pre, n_pre), ("shape_post", self.shape_post, n_post)] {
            if cells(s) != u64::from(n) {
                parts.push(format!("{side} {}×{} holds {} neurons, the population {n}", s[HEIGHT], s[WIDTH], cells(s)));
            }
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(pre: Shape, post: Shape, k: Shape) -> Kernel {
        Kernel {
            shape_pre: pre,
            shape_post: post,
            shape_kernel: k,
            shape_common: None,
            pre_sample_steps_in_post: None,
            pre_start_coords_in_post: None,
            post_sample_steps_in_pre: None,
            post_start_coords_in_pre: None,
            weight_kernel: None,
            delay_kernel: None,
        }
    }

    #[test]
    fn the_hosts_pairs_are_the_machines_on_a_grid_of_unit_steps() {
        let mut k = kernel([5, 4], [3, 3], [3, 3]);
        k.post_sample_steps_in_pre = Some([2, 1]);
        k.post_start_coords_in_pre = Some([1, 0]);
        let host = k.host_pairs(20, &[(0, 4), (5, 8)]);
        let machine: Vec<_> = [(0, 4), (5, 8)]
            .iter()
            .flat_map(|&(lo, hi)| k.grid().pairs((0, 19), lo..=hi).collect::<Vec<_>>())
            .collect();
        assert!(!host.is_empty());
        assert_eq!(host, machine);
    }

    #[test]
    fn the_host_skips_pre_neurons_off_the_sampling_grid_where_the_machine_does_not() {
        let mut k = kernel([4, 4], [2, 2], [3, 3]);
        k.pre_sample_steps_in_post = Some([2, 2]);
        let host = k.host_pairs(16, &[(0, 3)]);
        assert!(host.iter().all(|&(pre, _, _)| (pre / 4) % 2 == 0 && (pre % 4) % 2 == 0), "{host:?}");
        let machine: Vec<_> = k.grid().pairs((0, 15), 0..=3).collect();
        assert!(machine.len() > host.len(), "the machine connects pres off the grid too");
    }

    #[test]
    fn kernels_of_the_wrong_shape_and_zero_steps_are_refused_by_name() {
        let mut k = kernel([4, 4], [4, 4], [3, 2]);
        k.weight_kernel = Some(vec![vec![1.0, 2.0]; 2]);
        assert_eq!(k.validate(1.0).unwrap_err().0, "weight_kernel");
        k.weight_kernel = Some(vec![vec![1.0, 2.0]; 3]);
        assert!(k.validate(1.0).is_ok());
        k.delay_kernel = Some(vec![vec![1.0, 0.5]; 3]);
        assert!(k.validate(1.0).unwrap_err().1.contains("below one timestep"));
        k.delay_kernel = None;
        k.pre_sample_steps_in_post = Some([0, 1]);
        assert_eq!(k.validate(1.0).unwrap_err().0, "pre_sample_steps_in_post");
        k.pre_sample_steps_in_post = None;
        k.shape_pre = [70000, 1];
        assert_eq!(k.validate(1.0).unwrap_err().0, "shape_pre");
    }
}
