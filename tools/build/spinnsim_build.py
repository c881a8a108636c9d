"""The Python package's build backend: maturin, plus the ``spinnsim`` command line.

maturin puts the extension module (``spinnsim._spinnsim``) in the wheel but no cargo binary beside
it (PyO3/maturin#368). This backend builds the ``spinnsim`` binary first (``cargo build --release
--bin spinnsim``) and hands it to maturin as wheel data (``[tool.maturin] data``), whose
``scripts/`` a wheel installs on PATH; so the command line, with its clap, indicatif and ctrlc, is
the binary's only and is not compiled into the extension (docs/decisions.md D15). Every hook is
maturin's, with the binary built before a wheel is.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import maturin
from maturin import (  # noqa: F401  (the hooks this backend passes on unchanged)
    build_sdist,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
)

ROOT = Path(__file__).resolve().parents[2]
# `[tool.maturin] data` in pyproject.toml.
DATA = ROOT / "target" / "wheel-data"


def _scripts() -> Path:
    scripts = DATA / "scripts"
    scripts.mkdir(parents=True, exist_ok=True)
    return scripts


def _build_command_line() -> None:
    """Builds the ``spinnsim`` binary and puts it in the wheel data's scripts."""
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "spinnsim"], cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    exe = "spinnsim.exe" if sys.platform == "win32" else "spinnsim"
    shutil.copy2(target / "release" / exe, _scripts() / exe)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _scripts()
    return maturin.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    _scripts()
    return maturin.prepare_metadata_for_build_editable(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _build_command_line()
    return maturin.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _build_command_line()
    return maturin.build_editable(wheel_directory, config_settings, metadata_directory)
