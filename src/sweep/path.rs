//! Axis paths into a network file: `population.exc.parameters.tau_m`, `projection.e2e.weight`,
//! `current_source.0.source.amplitude`, `seed`, `population.noise.seed`.
//!
//! A path walks the network file's tables by key. The arrays of tables (`population`,
//! `projection`, `current_source`) are entered by an element's `label` or by its index; other
//! arrays by index. The last key is set, or added when the table lacks it (a parameter left at
//! its default); whether the result is a valid network is for the network's own checks.

use toml::{Table, Value};

/// Settings of the sweep itself that an axis cannot change.
const NOT_SWEPT: [&str; 1] = ["run_ms"];

/// Sets the value at `path` in `doc`; the error says where the path went wrong.
pub fn set_path(doc: &mut Table, path: &str, value: Value) -> Result<(), String> {
    let keys: Vec<&str> = path.split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(format!("`{path}` is not a path (keys joined by `.`)"));
    }
    if NOT_SWEPT.contains(&keys[0]) {
        return Err(format!("`{}` is the sweep's own setting, not an axis", keys[0]));
    }
    let (last, walk) = keys.split_last().expect("a path has a key");
    let mut node = DocNode::Table(doc);
    let mut at = String::new();
    for key in walk {
        node = node.child(key, &at)?;
        at = if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
    }
    node.set(last, value, &at)
}

/// Where a path stands: in a table or an array.
enum DocNode<'a> {
    Table(&'a mut Table),
    Array(&'a mut Vec<Value>),
}

impl<'a> DocNode<'a> {
    fn of(v: &'a mut Value, at: &str) -> Result<DocNode<'a>, String> {
        match v {
            Value::Table(t) => Ok(DocNode::Table(t)),
            Value::Array(a) => Ok(DocNode::Array(a)),
            other => Err(format!("`{at}` is {}, which has no keys", kind(other))),
        }
    }

    /// The child `key`: a table's entry (an empty table when missing, so that a parameter left
    /// at its default can be set), or an array's element by index or label.
    fn child(self, key: &str, at: &str) -> Result<DocNode<'a>, String> {
        let here = if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
        match self {
            DocNode::Table(t) => {
                if !t.contains_key(key) && !at.is_empty() {
                    t.insert(key.to_string(), Value::Table(Table::new()));
                }
                let v = t.get_mut(key).ok_or_else(|| format!("the network file has no `{key}`"))?;
                DocNode::of(v, &here)
            }
            DocNode::Array(a) => {
                let i = element(a, key, at)?;
                DocNode::of(&mut a[i], &here)
            }
        }
    }

    fn set(self, key: &str, value: Value, at: &str) -> Result<(), String> {
        match self {
            DocNode::Table(t) => {
                t.insert(key.to_string(), value);
                Ok(())
            }
            DocNode::Array(a) => {
                let i = element(a, key, at)?;
                a[i] = value;
                Ok(())
            }
        }
    }
}

/// The index of element `key` of the array at `at`: a number, or the label of a table in it.
fn element(a: &[Value], key: &str, at: &str) -> Result<usize, String> {
    if let Ok(i) = key.parse::<usize>() {
        return if i < a.len() { Ok(i) } else { Err(format!("`{at}` has {} entries: there is no `{key}`", a.len())) };
    }
    let label = |v: &Value| v.get("label").and_then(Value::as_str).map(str::to_string);
    a.iter().position(|v| label(v).as_deref() == Some(key)).ok_or_else(|| {
        let labels: Vec<String> = a.iter().filter_map(label).map(|l| format!("`{l}`")).collect();
        format!("no `{at}` is labelled `{key}` (labels: {}; or give an index)", labels.join(", "))
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Table {
        toml::from_str(
            r#"seed = 1
            [[population]]
            label = "exc"
            size = 10
            cell_type = "IF_curr_exp"
            [[projection]]
            label = "e2e"
            pre = "exc"
            post = "exc"
            weight = 0.1
            connector = { type = "FixedProbabilityConnector", p_connect = 0.1 }
            [[current_source]]
            population = "exc"
            source = { type = "DCSource", amplitude = 0.5 }"#,
        )
        .unwrap()
    }

    #[test]
    fn paths_set_and_add() {
        let mut d = doc();
        set_path(&mut d, "population.exc.parameters.tau_m", Value::Float(12.0)).unwrap();
        set_path(&mut d, "projection.0.connector.p_connect", Value::Float(0.2)).unwrap();
        set_path(&mut d, "current_source.0.source.amplitude", Value::Float(0.7)).unwrap();
        set_path(&mut d, "seed", Value::Integer(9)).unwrap();
        let s = toml::to_string(&d).unwrap();
        for want in ["tau_m = 12.0", "p_connect = 0.2", "amplitude = 0.7", "seed = 9"] {
            assert!(s.contains(want), "{s} lacks {want}");
        }
    }

    #[test]
    fn bad_paths_say_where() {
        let mut d = doc();
        for (path, want) in [
            ("population.inh.size", "no `population` is labelled `inh` (labels: `exc`"),
            ("current_source.3.source", "`current_source` has 1 entries"),
            ("projection.e2e.weight.mean", "`projection.e2e.weight` is a number"),
            ("run_ms", "the sweep's own setting"),
            ("neurons..x", "not a path"),
            ("nothing.x", "the network file has no `nothing`"),
        ] {
            let e = set_path(&mut d, path, Value::Integer(1)).unwrap_err();
            assert!(e.contains(want), "{path}: {e} lacks {want}");
        }
    }
}
