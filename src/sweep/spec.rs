//! A sweep file (TOML) and the points its axes give.
//!
//! ```toml
//! network = "vogels_abbott_cuba.toml"   # the base network, relative to this file
//! run_ms = 1000
//! method = "grid"                       # grid (default), zip, list or random
//! tables = ["summary", "spikes"]        # default: summary only
//!
//! [[axis]]
//! name = "w_exc"                        # the column of instances.parquet
//! path = "projection.exc_exc.weight"    # where the value goes in the network file
//! linspace = { start = 0.002, stop = 0.006, num = 5 }
//!
//! [[axis]]
//! name = "seed"
//! path = "seed"
//! values = [1, 2, 3]
//! ```
//!
//! An axis gives its values as `values = [...]`, `linspace = {start, stop, num}`, `range =
//! {start, stop, step}` (stop excluded) or `logspace = {start, stop, num, base}` (`base^x` over
//! the linspace, base 10 by default), all computed as numpy computes them. `grid` takes the
//! Cartesian product of the axes (the first slowest); axes with the same `group` move together
//! within it. `zip` moves every axis together. `list` takes the explicit `[[point]]` tables.
//! `random` draws `n` points with `seed` from each axis's `distribution` (`uniform = [lo, hi]`,
//! `loguniform = [lo, hi]`, `normal = [mean, sd]`, `randint = [lo, hi]` (hi excluded), or
//! `choice = [...]`).

use crate::error::{Error, Result};
use crate::model::host_rng;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use toml::Value;

/// A sweep file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// The base network file, relative to the sweep file.
    #[serde(default)]
    pub network: Option<String>,
    pub run_ms: f64,
    #[serde(default)]
    pub method: Method,
    #[serde(default = "default_tables")]
    pub tables: Vec<Table>,
    /// Arithmetic profile: spinnaker-7 (default) or spinnaker-2019.
    #[serde(default)]
    pub profile: Option<String>,
    /// The most instances one batch holds (default [`DEFAULT_BATCH_SIZE`]).
    #[serde(default)]
    pub batch_size: Option<u32>,
    /// `random`: the number of points.
    #[serde(default)]
    pub n: Option<u32>,
    /// `random`: the seed of the draws.
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default, rename = "axis")]
    pub axes: Vec<AxisSpec>,
    /// `list`: the points, each a table of axis name = value.
    #[serde(default, rename = "point")]
    pub points: Vec<toml::Table>,
}

/// Instances per batch when the sweep file does not say.
pub const DEFAULT_BATCH_SIZE: u32 = 64;

fn default_tables() -> Vec<Table> {
    vec![Table::Summary]
}

/// How the axes make points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    #[default]
    Grid,
    Zip,
    List,
    Random,
}

/// A table a sweep writes, one folder of the output each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    /// Per instance and population recording spikes: spikes, mean rate, CV of the ISIs.
    Summary,
    Spikes,
    Samples,
    Provenance,
    /// The connections of every projection as the rows hold them after the run.
    Connections,
}

impl Table {
    pub const ALL: [Table; 5] = [Table::Summary, Table::Spikes, Table::Samples, Table::Provenance, Table::Connections];

    /// The table's folder in the output.
    pub fn name(self) -> &'static str {
        match self {
            Table::Summary => "summary",
            Table::Spikes => "spikes",
            Table::Samples => "samples",
            Table::Provenance => "provenance",
            Table::Connections => "connections",
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// One axis as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSpec {
    pub name: String,
    /// Where the value goes in the network file; none when a build function takes the values.
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub values: Option<Vec<Value>>,
    #[serde(default)]
    pub linspace: Option<Linspace>,
    #[serde(default)]
    pub range: Option<RangeSpec>,
    #[serde(default)]
    pub logspace: Option<Logspace>,
    #[serde(default)]
    pub distribution: Option<Distribution>,
    /// `grid`: axes of one group move together.
    #[serde(default)]
    pub group: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Linspace {
    pub start: f64,
    pub stop: f64,
    pub num: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    pub start: Value,
    pub stop: Value,
    #[serde(default)]
    pub step: Option<Value>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logspace {
    pub start: f64,
    pub stop: f64,
    pub num: u32,
    #[serde(default = "ten")]
    pub base: f64,
}

fn ten() -> f64 {
    10.0
}

/// A `random` axis's distribution.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Distribution {
    Uniform([f64; 2]),
    LogUniform([f64; 2]),
    Normal([f64; 2]),
    RandInt([i64; 2]),
    Choice(Vec<Value>),
}

/// Points past this many are refused (a typo in `num` should not plan a billion instances).
pub const MOST_INSTANCES: usize = 10_000_000;

/// numpy's `linspace(start, stop, num)`: `start + i·step`, the last point `stop` exactly.
pub fn linspace(l: Linspace) -> Vec<f64> {
    let n = l.num as usize;
    if n == 1 {
        return vec![l.start];
    }
    let step = (l.stop - l.start) / (n - 1) as f64;
    let mut v: Vec<f64> = (0..n).map(|i| l.start + i as f64 * step).collect();
    if let Some(last) = v.last_mut() {
        *last = l.stop;
    }
    v
}

fn err(axis: &str, message: impl std::fmt::Display) -> Error {
    Error::Sweep(format!("axis `{axis}`: {message}"))
}

/// numpy's `arange(start, stop, step)`: integers when all three are, else floats.
fn range(axis: &str, r: &RangeSpec) -> Result<Vec<Value>> {
    let step = r.step.clone().unwrap_or(Value::Integer(1));
    if let (Value::Integer(a), Value::Integer(b), Value::Integer(s)) = (&r.start, &r.stop, &step) {
        if *s == 0 {
            return Err(err(axis, "range: step must not be 0"));
        }
        let n = ((b - a) as f64 / *s as f64).ceil().max(0.0) as usize;
        if n > MOST_INSTANCES {
            return Err(err(axis, format!("range gives {n} values, more than {MOST_INSTANCES}")));
        }
        return Ok((0..n as i64).map(|i| Value::Integer(a + i * s)).collect());
    }
    let num = |v: &Value| match v {
        Value::Integer(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        other => Err(err(axis, format!("range: {other} is not a number"))),
    };
    let (a, b, s) = (num(&r.start)?, num(&r.stop)?, num(&step)?);
    if s == 0.0 || !(a.is_finite() && b.is_finite() && s.is_finite()) {
        return Err(err(axis, "range: start, stop and step must be finite and step not 0"));
    }
    let n = ((b - a) / s).ceil().max(0.0);
    if n > MOST_INSTANCES as f64 {
        return Err(err(axis, format!("range gives {n} values, more than {MOST_INSTANCES}")));
    }
    Ok((0..n as usize).map(|i| Value::Float(a + i as f64 * s)).collect())
}

impl AxisSpec {
    /// The axis's values (not for `random` axes, which draw theirs).
    pub fn values(&self) -> Result<Vec<Value>> {
        let given = [self.values.is_some(), self.linspace.is_some(), self.range.is_some(), self.logspace.is_some()];
        if given.iter().filter(|&&g| g).count() != 1 {
            return Err(err(
                &self.name,
                "give its values in exactly one of `values`, `linspace`, `range` or `logspace`",
            ));
        }
        if self.distribution.is_some() {
            return Err(err(&self.name, "`distribution` is for method = \"random\" only"));
        }
        let too_many = |n: u32| n as usize > MOST_INSTANCES;
        let v = if let Some(v) = &self.values {
            v.clone()
        } else if let Some(l) = self.linspace {
            if l.num == 0 || too_many(l.num) || !(l.start.is_finite() && l.stop.is_finite()) {
                return Err(err(&self.name, "linspace: start and stop must be finite and num between 1 and 10^7"));
            }
            linspace(l).into_iter().map(Value::Float).collect()
        } else if let Some(r) = &self.range {
            range(&self.name, r)?
        } else {
            let l = self.logspace.expect("one of the four is given");
            if l.num == 0 || too_many(l.num) || !(l.start.is_finite() && l.stop.is_finite() && l.base > 0.0) {
                return Err(err(&self.name, "logspace: start, stop finite, base > 0 and num between 1 and 10^7"));
            }
            let exps = linspace(Linspace { start: l.start, stop: l.stop, num: l.num });
            exps.into_iter().map(|x| Value::Float(l.base.powf(x))).collect()
        };
        if v.is_empty() {
            return Err(err(&self.name, "has no values"));
        }
        Ok(v)
    }

    /// `n` draws from the axis's distribution, from the stream of axis `index`.
    pub fn draw(&self, index: usize, n: usize, seed: u64) -> Result<Vec<Value>> {
        let d = self.distribution.as_ref().ok_or_else(|| {
            err(
                &self.name,
                "method = \"random\" needs a `distribution` (uniform, loguniform, normal, randint or choice)",
            )
        })?;
        if self.values.is_some() || self.linspace.is_some() || self.range.is_some() || self.logspace.is_some() {
            return Err(err(&self.name, "method = \"random\" draws its values: give a `distribution` only"));
        }
        let mut rng = host_rng(seed, &[SWEEP_STREAM, index as u64]);
        let finite = |p: &[f64; 2]| p.iter().all(|x| x.is_finite());
        let bad = |what: &str| Err(err(&self.name, format!("distribution: {what}")));
        Ok(match d {
            Distribution::Uniform(p) if finite(p) && p[0] <= p[1] => {
                (0..n).map(|_| Value::Float(p[0] + (p[1] - p[0]) * rng.random::<f64>())).collect()
            }
            Distribution::LogUniform(p) if finite(p) && 0.0 < p[0] && p[0] <= p[1] => {
                let (a, b) = (p[0].ln(), p[1].ln());
                (0..n).map(|_| Value::Float((a + (b - a) * rng.random::<f64>()).exp())).collect()
            }
            Distribution::Normal(p) if finite(p) && p[1] >= 0.0 => {
                let normal = rand_distr::Normal::new(p[0], p[1]).map_err(|e| err(&self.name, e))?;
                (0..n).map(|_| Value::Float(rng.sample(normal))).collect()
            }
            Distribution::RandInt([lo, hi]) if lo < hi => {
                (0..n).map(|_| Value::Integer(rng.random_range(*lo..*hi))).collect()
            }
            Distribution::Choice(v) if !v.is_empty() => {
                (0..n).map(|_| v[rng.random_range(0..v.len())].clone()).collect()
            }
            Distribution::Uniform(_) => return bad("uniform = [lo, hi] needs finite lo <= hi"),
            Distribution::LogUniform(_) => return bad("loguniform = [lo, hi] needs finite 0 < lo <= hi"),
            Distribution::Normal(_) => return bad("normal = [mean, sd] needs finite values and sd >= 0"),
            Distribution::RandInt(_) => return bad("randint = [lo, hi] needs lo < hi (hi is excluded)"),
            Distribution::Choice(_) => return bad("choice = [...] needs at least one value"),
        })
    }
}

/// The host-RNG stream of a sweep's random draws (apart from every network's own streams).
const SWEEP_STREAM: u64 = 0x0053_5745_4550; // "SWEEP"

/// The points of a sweep: per point, one value per axis (in the axes' order).
pub fn points(spec: &SpecFile) -> Result<Vec<Vec<Value>>> {
    let names: Vec<&str> = spec.axes.iter().map(|a| a.name.as_str()).collect();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() || names[..i].contains(n) {
            return Err(Error::Sweep(format!("axis names must be given and unique: `{n}` is not")));
        }
        // An axis `seed` of the network seed is the `seed` column itself.
        let network_seed = *n == "seed" && spec.axes[i].path.as_deref() == Some("seed");
        if RESERVED_COLUMNS.contains(n) && !network_seed {
            return Err(err(n, format!("the name is a column of instances.parquet already ({RESERVED_COLUMNS:?})")));
        }
    }
    if spec.method != Method::Grid && spec.axes.iter().any(|a| a.group.is_some()) {
        return Err(Error::Sweep("`group` is for method = \"grid\" only".into()));
    }
    let pts = match spec.method {
        Method::Grid => grid(&spec.axes)?,
        Method::Zip => zip(&spec.axes)?,
        Method::List => list(spec)?,
        Method::Random => random(spec)?,
    };
    if pts.len() > MOST_INSTANCES {
        return Err(Error::Sweep(format!("{} instances: more than {MOST_INSTANCES}", pts.len())));
    }
    Ok(pts)
}

/// Columns of instances.parquet that an axis cannot be named.
pub const RESERVED_COLUMNS: [&str; 6] = ["instance", "batch", "structure", "seed", "status", "message"];

/// Axes of one group, zipped: their values side by side.
fn zipped(axes: &[&AxisSpec]) -> Result<Vec<Vec<Value>>> {
    let cols: Vec<Vec<Value>> = axes.iter().map(|a| a.values()).collect::<Result<_>>()?;
    let n = cols[0].len();
    if let Some((a, c)) = axes.iter().zip(&cols).find(|(_, c)| c.len() != n) {
        return Err(err(
            &a.name,
            format!("has {} values but `{}`, which moves with it, has {n}", c.len(), axes[0].name),
        ));
    }
    Ok((0..n).map(|i| cols.iter().map(|c| c[i].clone()).collect()).collect())
}

fn zip(axes: &[AxisSpec]) -> Result<Vec<Vec<Value>>> {
    if axes.is_empty() {
        return Ok(vec![Vec::new()]);
    }
    zipped(&axes.iter().collect::<Vec<_>>())
}

/// The Cartesian product of the groups (an axis without a group is a group of its own), the
/// first group slowest, as `itertools.product`.
fn grid(axes: &[AxisSpec]) -> Result<Vec<Vec<Value>>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, a) in axes.iter().enumerate() {
        let with = a.group.as_ref().and_then(|g| groups.iter().position(|gr| axes[gr[0]].group.as_ref() == Some(g)));
        match with {
            Some(k) => groups[k].push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut points: Vec<Vec<Option<Value>>> = vec![vec![None; axes.len()]];
    for g in &groups {
        let rows = zipped(&g.iter().map(|&i| &axes[i]).collect::<Vec<_>>())?;
        if points.len().saturating_mul(rows.len()) > MOST_INSTANCES {
            return Err(Error::Sweep(format!("the grid has more than {MOST_INSTANCES} points")));
        }
        points = points
            .iter()
            .flat_map(|p| {
                rows.iter().map(move |row| {
                    let mut p = p.clone();
                    for (&i, v) in g.iter().zip(row) {
                        p[i] = Some(v.clone());
                    }
                    p
                })
            })
            .collect();
    }
    Ok(points.into_iter().map(|p| p.into_iter().map(|v| v.expect("every axis is in a group")).collect()).collect())
}

fn list(spec: &SpecFile) -> Result<Vec<Vec<Value>>> {
    if let Some(a) = spec.axes.iter().find(|a| a.values.is_some() || a.linspace.is_some() || a.range.is_some()) {
        return Err(err(&a.name, "method = \"list\" takes the values from the [[point]] tables; give the axis none"));
    }
    if spec.points.is_empty() {
        return Err(Error::Sweep("method = \"list\" needs [[point]] tables (one per instance)".into()));
    }
    spec.points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if let Some(k) = p.keys().find(|k| !spec.axes.iter().any(|a| &a.name == *k)) {
                return Err(Error::Sweep(format!("point {i}: `{k}` is not an axis")));
            }
            spec.axes
                .iter()
                .map(|a| p.get(&a.name).cloned().ok_or_else(|| Error::Sweep(format!("point {i} has no `{}`", a.name))))
                .collect()
        })
        .collect()
}

fn random(spec: &SpecFile) -> Result<Vec<Vec<Value>>> {
    let n = spec.n.ok_or_else(|| Error::Sweep("method = \"random\" needs `n`, the number of points".into()))? as usize;
    let seed =
        spec.seed.ok_or_else(|| Error::Sweep("method = \"random\" needs `seed` (draws are reproducible)".into()))?;
    if n == 0 || n > MOST_INSTANCES {
        return Err(Error::Sweep(format!("n = {n}: give between 1 and {MOST_INSTANCES} points")));
    }
    let cols: Vec<Vec<Value>> = spec.axes.iter().enumerate().map(|(i, a)| a.draw(i, n, seed)).collect::<Result<_>>()?;
    Ok((0..n).map(|i| cols.iter().map(|c| c[i].clone()).collect()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> SpecFile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn linspace_is_numpys() {
        let v = linspace(Linspace { start: 0.1, stop: 0.7, num: 4 });
        // numpy.linspace(0.1, 0.7, 4) and (0.002, 0.006, 5), as numpy 2 prints them.
        assert_eq!(v, vec![0.1, 0.3, 0.5, 0.7]);
        let v = linspace(Linspace { start: 0.002, stop: 0.006, num: 5 });
        assert_eq!(v, vec![0.002, 0.003, 0.004, 0.005, 0.006]);
    }

    #[test]
    fn grid_is_a_product_with_the_first_axis_slowest_and_groups_zipped() {
        let s = spec(
            r#"run_ms = 1
            [[axis]]
            name = "a"
            path = "seed"
            values = [1, 2]
            [[axis]]
            name = "b"
            path = "x"
            values = [10, 20, 30]
            group = "g"
            [[axis]]
            name = "c"
            path = "y"
            values = ["p", "q", "r"]
            group = "g""#,
        );
        let p = points(&s).unwrap();
        assert_eq!(p.len(), 6);
        assert_eq!(p[0], vec![Value::Integer(1), Value::Integer(10), Value::String("p".into())]);
        assert_eq!(p[4], vec![Value::Integer(2), Value::Integer(20), Value::String("q".into())]);
    }

    #[test]
    fn zip_needs_equal_lengths() {
        let s = spec(
            r#"run_ms = 1
            method = "zip"
            [[axis]]
            name = "a"
            values = [1, 2]
            [[axis]]
            name = "b"
            values = [1, 2, 3]"#,
        );
        let e = points(&s).unwrap_err().to_string();
        assert!(e.contains("`b` has 3 values") || e.contains("axis `b`"), "{e}");
    }

    #[test]
    fn random_draws_are_seeded_and_ranged() {
        let text = r#"run_ms = 1
            method = "random"
            n = 50
            seed = 7
            [[axis]]
            name = "w"
            distribution = { uniform = [0.5, 1.5] }
            [[axis]]
            name = "k"
            distribution = { randint = [3, 6] }"#;
        let a = points(&spec(text)).unwrap();
        assert_eq!(a, points(&spec(text)).unwrap());
        assert_eq!(a.len(), 50);
        for p in &a {
            let w = p[0].as_float().unwrap();
            assert!((0.5..1.5).contains(&w), "{w}");
            assert!((3..6).contains(&p[1].as_integer().unwrap()));
        }
        let other = points(&spec(&text.replace("seed = 7", "seed = 8"))).unwrap();
        assert_ne!(a, other);
    }

    #[test]
    fn ranges_and_logspace() {
        let s = spec(
            r#"run_ms = 1
            method = "zip"
            [[axis]]
            name = "r"
            range = { start = 2, stop = 8, step = 3 }
            [[axis]]
            name = "l"
            logspace = { start = 0, stop = 1, num = 2 }"#,
        );
        let p = points(&s).unwrap();
        assert_eq!(p, vec![vec![Value::Integer(2), Value::Float(1.0)], vec![Value::Integer(5), Value::Float(10.0)]]);
    }

    #[test]
    fn bad_axes_are_named() {
        for (text, want) in [
            ("[[axis]]\nname = \"a\"\nvalues = []", "axis `a`: has no values"),
            ("[[axis]]\nname = \"a\"\nvalues = [1]\nlinspace = { start = 0, stop = 1, num = 2 }", "exactly one"),
            ("[[axis]]\nname = \"status\"\nvalues = [1]", "axis `status`"),
            ("[[axis]]\nname = \"a\"\nrange = { start = 0, stop = 1, step = 0 }", "step must not be 0"),
        ] {
            let e = points(&spec(&format!("run_ms = 1\n{text}"))).unwrap_err().to_string();
            assert!(e.contains(want), "{e} lacks {want}");
        }
    }
}
