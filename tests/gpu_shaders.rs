//! Every WGSL file parses and validates with naga: the whole module, and each stage file with
//! only the shared declarations and the fixed-point library before it.

use naga::valid::{Capabilities, ValidationFlags, Validator};
use spinnsim::engine::gpu::shaders::{source, FILES, TICK};

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
    let (common, fixed) = (FILES[0].1, FILES[1].1);
    validate("common.wgsl", common);
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
