"""PyNN 0.13's own scenario tests (test/system/scenarios of its source distribution) run against
spinnsim registered as ``pyNN.spinnsim`` (oracles.md §3). The ones listed in PASSING must pass;
docs/pynn.md lists the others and why they do not.

The scenarios come from PyNN's sdist, fetched (SHA-256 checked) by ``python3
tools/oracle_inputs.py fetch`` into ``target/oracle-inputs``, or from an unpacked
``test/system/scenarios`` folder named by PYNN_SCENARIOS; without either the test is skipped, and
fails when CI is set.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import oracle_inputs  # noqa: E402
from conftest import skip_or_fail  # noqa: E402

MISSING = ""

PASSING = [
    "test__simulation_control.py::test_reset",
    "test__simulation_control.py::test_reset_with_clear",
    "test__simulation_control.py::test_reset_with_spikes",
    "test__simulation_control.py::test_setup",
    "test__simulation_control.py::test_run_until",
    "test_cell_types.py::test_SpikeSourcePoisson",
    "test_cell_types.py::test_issue511",
    "test_cell_types.py::test_update_SpikeSourceArray",
    "test_connection_handling.py::test_connections_attribute",
    "test_connection_handling.py::test_connection_access_weight_and_delay",
    "test_connection_handling.py::test_issue672",
    "test_connectors.py::test_all_to_all_static_no_self",
    "test_connectors.py::test_fixed_number_pre_no_replacement",
    "test_connectors.py::test_fixed_number_post_no_replacement",
    "test_connectors.py::test_issue309",
    "test_electrodes.py::test_issue165",
    "test_electrodes.py::test_changing_electrode",
    "test_electrodes.py::test_issue451",
    "test_electrodes.py::test_issue759",
    "test_issue274.py::test_issue274",
    "test_parameter_handling.py::test_issue241",
    "test_parameter_handling.py::test_issue302",
    "test_procedural_api.py::test_ticket195",
    "test_recording.py::test_mix_procedural_and_oo",
    "test_recording.py::test_record_with_filename",
    "test_recording.py::test_issue499",
    "test_scenario1.py::test_scenario1",
    "test_ticket166.py::test_ticket166",
]

CONFTEST = '''
import sys
import pyNN
import spinnsim.pynn
sys.modules["pyNN.spinnsim"] = spinnsim.pynn
pyNN.spinnsim = spinnsim.pynn
'''


def _scenarios_source():
    """PyNN 0.13.0's scenarios folder (tools/oracle_inputs.py: $PYNN_SCENARIOS, then the cache in
    target/); None, with the reason in `MISSING`, when it is not there."""
    global MISSING
    try:
        return oracle_inputs.pynn_scenarios_dir()
    except oracle_inputs.MissingInput as e:
        MISSING = str(e)
        return None


def test_pynn_scenarios_pass_on_spinnsim(tmp_path):
    src = _scenarios_source()
    if src is None:
        skip_or_fail(MISSING)
    dest = tmp_path / "scenarios"
    shutil.copytree(src, dest)
    for f in dest.glob("test_*.py"):
        text = re.sub(r'@run_with_simulators\([^)]*\)', '@run_with_simulators("spinnsim")', f.read_text())
        f.write_text(text)
    (tmp_path / "conftest.py").write_text(CONFTEST)
    ids = [f"scenarios/{t}" for t in PASSING]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *ids],
                         cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
