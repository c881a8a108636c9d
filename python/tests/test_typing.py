"""The type stub of the extension module (`_spinnsim.pyi`) names what the module has, no more and
no less; errors keep their kind across the boundary; the package says it is typed."""

import ast
import inspect
import json
from pathlib import Path

import pytest

import spinnsim
from spinnsim import _spinnsim

STUB = Path(spinnsim.__file__).with_name("_spinnsim.pyi")


def _stub():
    tree = ast.parse(STUB.read_text())
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    classes = {n.name: {m.name for m in n.body if isinstance(m, ast.FunctionDef)}
               for n in tree.body if isinstance(n, ast.ClassDef)}
    return functions, classes


def test_the_stub_names_every_function_and_method_of_the_extension():
    functions, classes = _stub()
    module = {n for n, v in vars(_spinnsim).items()
              if callable(v) and not inspect.isclass(v) and not n.startswith("__")}
    assert functions == module
    for name, methods in classes.items():
        cls = getattr(_spinnsim, name)
        have = {n for n in vars(cls)
                if not n.startswith("_") or n in ("__init__", "__len__") or n.startswith("__arrow")}
        if name == "SpinnsimError":
            continue
        have.discard("__init__")
        methods.discard("__init__")
        assert methods == have, f"{name}: stub {sorted(methods - have)}, module {sorted(have - methods)}"
    public = {n for n, v in vars(_spinnsim).items() if inspect.isclass(v)}
    assert public == set(classes), public ^ set(classes)
    assert (STUB.parent / "py.typed").exists()


def test_errors_keep_their_kind_owner_and_parameter():
    net = {"population": [{"label": "exc", "size": 2, "cell_type": "IF_curr_exp", "parameters": {"tau_m": -1.0}}]}
    with pytest.raises(spinnsim.SpinnsimError) as e:
        spinnsim.Simulation(json.dumps(net))
    assert (e.value.kind, e.value.owner, e.value.parameter) == ("parameter", "population `exc`", "tau_m")
    with pytest.raises(spinnsim.SpinnsimError) as e:
        spinnsim.Simulation("{}").run(-1)
    assert (e.value.kind, e.value.owner, e.value.parameter) == ("run", None, None)
    with pytest.raises(spinnsim.SpinnsimError) as e:
        spinnsim.Simulation("{}", profile="nonsense")
    assert e.value.kind == "value"
