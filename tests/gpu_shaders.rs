//! Every WGSL file parses and validates with naga: the whole module, and each stage file with
//! only the shared declarations and the fixed-point library before it.

use naga::valid::{Capabilities, ValidationFlags, Validator};
use spinnsim::engine::gpu::shaders::{common, constants, source, Access, BINDINGS, FILES, TICK};

fn validate(name: &str, src: &str) -> naga::Module {
    let module = naga::front::wgsl::parse_str(src).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
    Validator::new(ValidationFlags::all(), Capabilities::default())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
    module
}

#[test]
fn the_whole_module_validates_and_has_every_entry_point_of_a_tick() {
    let module = validate("module", &source());
    for (entry, _, _) in TICK {
        assert!(module.entry_points.iter().any(|e| e.name == entry), "no entry point {entry}");
    }
    assert_eq!(module.entry_points.len(), TICK.len(), "an entry point outside the tick");
}

#[test]
fn each_file_parses_with_the_shared_declarations() {
    let common = common();
    let fixed = FILES[1].1;
    validate("common.wgsl", &common);
    validate("fixed.wgsl", fixed);
    for (name, src) in &FILES[2..] {
        // A stage may call functions of other stages; it must at least parse on its own.
        let joined = format!("{common}\n{fixed}\n{src}");
        if let Err(e) = naga::front::wgsl::parse_str(&joined) {
            let msg = e.emit_to_string(&joined);
            assert!(msg.contains("no definition in scope"), "{name}: {msg}");
        }
    }
}

/// The constants Rust emits are the only declarations of their names: no WGSL file declares one
/// again (the module would not validate), and every one is used by some shader.
#[test]
fn the_constants_shared_with_rust_are_declared_once_and_used() {
    let emitted: Vec<String> =
        constants().lines().filter_map(|l| l.strip_prefix("const ")?.split(':').next().map(str::to_string)).collect();
    assert!(emitted.len() > 40, "{emitted:?}");
    for (name, src) in FILES {
        for c in &emitted {
            assert!(!src.contains(&format!("const {c}:")), "{name} declares {c} again");
        }
    }
    let all: String = FILES.iter().map(|(_, s)| *s).collect();
    for c in &emitted {
        let used = all.match_indices(c.as_str()).any(|(i, _)| {
            let after = all[i + c.len()..].chars().next().unwrap_or(' ');
            let before = all[..i].chars().last().unwrap_or(' ');
            !(after.is_alphanumeric() || after == '_' || before.is_alphanumeric() || before == '_')
        });
        assert!(used, "the constant {c} is emitted but no shader uses it");
    }
}

/// The module's group-0 variables are exactly `BINDINGS`, each at its number, with its access;
/// no WGSL file declares a group-0 binding itself.
#[test]
fn the_bindings_are_declared_once_from_the_rust_table() {
    for (name, src) in FILES {
        assert!(!src.contains("@group(0)"), "{name} declares a group-0 binding; add it to shaders::BINDINGS");
    }
    let module = validate("module", &source());
    let mut seen = 0;
    for (_, var) in module.global_variables.iter() {
        let Some(rb) = &var.binding else { continue };
        if rb.group != 0 {
            continue;
        }
        let b = &BINDINGS[rb.binding as usize];
        assert_eq!(var.name.as_deref(), Some(b.var), "binding {}", rb.binding);
        let access = match var.space {
            naga::AddressSpace::Uniform => Access::Uniform,
            naga::AddressSpace::Storage { access } if !access.contains(naga::StorageAccess::STORE) => Access::Read,
            _ => Access::ReadWrite,
        };
        assert_eq!(access, b.access, "access of {}", b.var);
        seen += 1;
    }
    assert_eq!(seen, BINDINGS.len());
}
