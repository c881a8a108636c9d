//! The Python references that the engine's fixtures and tests come from still compute what the
//! sPyNNaker 7.4.1 ARM binaries compute, run under the emulator (tools/binaries, tools/reference):
//! the neuron updates of every model, each neuron-model fixture replayed through its binary, and
//! the STDP row and post-event code. They need unicorn and the images (`.ci/run` installs and
//! fetches them); without them the checks are skipped with a notice, and fail when CI is set.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `python3 SCRIPT ARGS` from the repository root: its stdout, or None (a notice; a failure in CI)
/// when it cannot run here.
fn python(script: &str, args: &[String]) -> Option<String> {
    let out = match Command::new("python3").arg(root().join(script)).args(args).current_dir(root()).output() {
        Ok(o) => o,
        Err(e) => return skip(&format!("python3 cannot be started: {e}")),
    };
    let err = String::from_utf8_lossy(&out.stderr);
    let missing = ["MissingInput", "No module named 'unicorn'", "No module named 'capstone'"];
    if out.status.code() == Some(3) || missing.iter().any(|m| err.contains(m)) {
        return skip(&format!("{script}: {}", err.lines().last().unwrap_or("")));
    }
    assert!(out.status.success(), "{script} failed:\n{}{err}", String::from_utf8_lossy(&out.stdout));
    Some(String::from_utf8(out.stdout).unwrap())
}

fn skip(why: &str) -> Option<String> {
    assert!(std::env::var_os("CI").is_none(), "in CI every comparison with the binaries must run, but: {why}");
    println!("SKIPPED: {why} (`python3 tools/oracle_inputs.py fetch` and `pip install unicorn capstone`)");
    None
}

#[test]
fn the_neuron_models_are_the_binaries_update_code() {
    let Some(out) = python("tools/binaries/check_fragments.py", &["300".into()]) else { return };
    for model in ["IF_curr_exp_neuron", "IF_cond_exp_neuron", "IF_curr_delta_neuron", "IZK_curr_exp_neuron"] {
        assert!(out.lines().any(|l| l.contains(model) && l.contains("300/300 bit-exact")), "{model}:\n{out}");
    }
    // The alternatives of the fact sheet do not match the binaries (each line says how many agree).
    let agree: Vec<&str> = out.lines().filter(|l| l.ends_with("agree")).collect();
    assert!(!agree.is_empty() && agree.iter().all(|l| !l.contains("300/300")), "{out}");
}

#[test]
fn every_neuron_model_fixture_replays_through_its_binary() {
    let fixtures: Vec<String> = std::fs::read_dir(root().join("tests/fixtures/neuron_models"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".json"))
        .collect();
    assert!(fixtures.len() >= 14, "{fixtures:?}");
    let Some(out) = python("tools/reference/emulate_update.py", &fixtures) else { return };
    assert_eq!(out.lines().filter(|l| l.ends_with("identical to the binary")).count(), fixtures.len(), "{out}");
}

#[test]
fn the_stdp_reference_is_the_binaries_row_and_post_code() {
    let Some(out) = python("tools/reference/stdp_reference.py", &["--check-aplx".into(), "200".into()]) else { return };
    assert!(out.contains("200 scenarios") && out.contains("all bit-identical"), "{out}");
}
