"""The two contract checks of `make check` can fail: the breaking-change check against the recorded
baseline, and the freshness check of the generated code (which looks at generated files only)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.build.support import ROOT, VENV, copy_tree, run

ORDER_PROTO = "protos/apextick/orders/v1/order.proto"
HOLD_PROTO = "protos/apextick/inventory/v1/hold.proto"


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    return copy_tree(tmp_path, "buf.yaml", "protos", "third_party")


def breaking(tree: Path) -> tuple[int, str]:
    result = run([VENV / "buf", "breaking", "protos", "--against", ROOT / "protos" / "baseline.binpb"], tree)
    return result.returncode, result.stdout + result.stderr


def test_main_has_no_breaking_change_against_the_baseline(contracts: Path) -> None:
    code, output = breaking(contracts)
    assert code == 0, output


def test_a_removed_field_is_a_breaking_change(contracts: Path) -> None:
    proto = contracts / HOLD_PROTO
    text = proto.read_text()
    field = re.search(r"^\s+string event = (\d+)[^;]*;\n", text, re.MULTILINE)
    assert field is not None
    proto.write_text(text.replace(field.group(0), "", 1))
    code, output = breaking(contracts)
    assert code != 0
    assert "deleted" in output


def test_a_renumbered_tag_is_a_breaking_change(contracts: Path) -> None:
    proto = contracts / ORDER_PROTO
    text = proto.read_text()
    field = re.search(r"^(\s+string \w+ = )(\d+)", text, re.MULTILINE)
    assert field is not None
    proto.write_text(text.replace(field.group(0), f"{field.group(1)}{int(field.group(2)) + 90}", 1))
    code, output = breaking(contracts)
    assert code != 0, output


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    return copy_tree(tmp_path, "scripts", "protos", "third_party", "gen")


def freshness(tree: Path) -> tuple[int, str]:
    result = run(["bash", tree / "scripts" / "gen_protos.sh", "--check"], tree, env=_python_env())
    return result.returncode, result.stdout + result.stderr


def _python_env() -> dict[str, str]:
    import os  # noqa: PLC0415 - only these tests hand the interpreter over

    return {**os.environ, "PYTHON": str(VENV / "python")}


def test_caches_beside_the_generated_code_are_not_stale_code(generated: Path) -> None:
    cache = generated / "gen" / "python" / "apextick" / "__pycache__"
    cache.mkdir()
    (cache / "__init__.cpython-311.pyc").write_bytes(b"\x00compiled")
    code, output = freshness(generated)
    assert code == 0, output
    assert "fresh" in output


def test_an_edited_generated_file_is_stale(generated: Path) -> None:
    stub = generated / "gen" / "python" / "apextick" / "orders" / "v1" / "order_pb2.pyi"
    stub.write_text(stub.read_text() + "\n# edited by hand\n")
    code, output = freshness(generated)
    assert code == 1
    assert "order_pb2.pyi" in output


def test_a_missing_generated_file_is_stale(generated: Path) -> None:
    (generated / "gen" / "python" / "apextick" / "orders" / "v1" / "order_pb2.py").unlink()
    code, output = freshness(generated)
    assert code == 1
    assert "order_pb2.py" in output
