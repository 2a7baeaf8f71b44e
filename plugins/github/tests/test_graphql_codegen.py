"""The shared generator (tools/graphql_codegen.py) run on the GitHub plugin through plugins/github/tools/codegen.py:
drift check, failure modes, pruning."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLObjectType,
    assert_valid_schema,
    build_client_schema,
    parse,
    validate,
)

from planpilot_provider_github import graphql as gql_pkg

CODEGEN_PATH = Path(__file__).resolve().parents[1] / "tools" / "codegen.py"
GENERATED_DIR = gql_pkg.OPERATIONS_DIR.parent / "generated"


@pytest.fixture(scope="module")
def codegen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("planpilot_github_codegen", CODEGEN_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_generated_code_is_up_to_date() -> None:
    """Fails when a .graphql file (or the schema) changed without `nox -s codegen`."""
    proc = subprocess.run([sys.executable, str(CODEGEN_PATH), "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"generated code drifted; run `nox -s codegen`\n{proc.stderr}"
    assert "up to date" in proc.stdout


def test_check_reports_edited_operation_missing_and_stale_files(
    codegen: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ops = tmp_path / "operations"
    shutil.copytree(gql_pkg.OPERATIONS_DIR, ops)
    search = ops / "search.graphql"
    search.write_text(search.read_text().replace("issueCount", "issueCount\n    repositoryCount"))
    out = tmp_path / "generated"
    shutil.copytree(GENERATED_DIR, out, ignore=shutil.ignore_patterns("__pycache__"))
    (out / "project.py").unlink()
    (out / "old_ops.py").write_text("# Generated file -- do not edit.\n")

    assert codegen.main(["--check", "--operations-dir", str(ops), "--out-dir", str(out)]) == 1

    err = capsys.readouterr().err
    problems = {line.strip() for line in err.splitlines()[1:]}
    # search.py changed; schema.py too (repositoryCount is a new field); nothing else did
    assert problems == {
        "differs: schema.py",
        "differs: search.py",
        "missing: project.py",
        "stale (not generated from any .graphql): old_ops.py",
    }


def test_write_mode_replaces_out_of_date_files_and_keeps_foreign_ones(codegen: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    out.mkdir()
    (out / "search.py").write_text("# Generated file -- do not edit.\nstale\n")
    (out / "gone.py").write_text("# Generated file -- do not edit.\n")
    (out / "handwritten.py").write_text("x = 1\n")

    assert codegen.main(["--out-dir", str(out)]) == 0

    names = {p.name for p in out.glob("*.py")}
    assert names == {p.name for p in GENERATED_DIR.glob("*.py")} | {"handwritten.py"}
    for path in GENERATED_DIR.glob("*.py"):
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("query Q { viewer { logn } }", "Cannot query field 'logn' on type 'User'"),
        (
            "query Q { viewer { ...U } } fragment U on User { login }",
            "named fragment 'U': write its fields inline",
        ),
        ("query Q { viewer { login }", "Syntax Error"),
    ],
)
def test_invalid_operations_are_rejected_with_file_name(
    codegen: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str], document: str, expected: str
) -> None:
    ops = tmp_path / "operations"
    ops.mkdir()
    (ops / "broken.graphql").write_text(document)

    assert codegen.main(["--check", "--operations-dir", str(ops), "--out-dir", str(tmp_path)]) == 2

    err = capsys.readouterr().err
    assert "broken.graphql" in err
    assert expected in err


def test_pruned_schema_is_valid_and_enough_for_every_operation(codegen: ModuleType) -> None:
    tool = codegen.graphql_codegen  # the shared generator the plugin's script runs
    assert codegen.TARGET.schema_path.parts[-4:] == gql_pkg.SCHEMA_PATH.parts[-4:]  # installed or not
    schema = tool.load_schema(gql_pkg.SCHEMA_PATH.read_text(encoding="utf-8"))
    files = tool.operation_files(gql_pkg.OPERATIONS_DIR)
    documents = tool.load_operations(schema, files)
    kept = tool.prune(schema, tool.collect_usage(schema, documents))

    pruned = build_client_schema({"__schema": tool.pruned_introspection(schema, kept)})

    assert_valid_schema(pruned)
    for path in files:
        assert validate(pruned, parse(path.read_text())) == [], path.name
    assert len(pruned.type_map) < 150  # vs ~1,750 in the full schema
    # an input type is kept whole (closure), an object type only with the selected fields
    pruned_input, full_input = pruned.type_map["CreateIssueInput"], schema.type_map["CreateIssueInput"]
    assert isinstance(pruned_input, GraphQLInputObjectType)
    assert isinstance(full_input, GraphQLInputObjectType)
    assert set(pruned_input.fields) == set(full_input.fields)
    issue = pruned.type_map["Issue"]
    assert isinstance(issue, GraphQLObjectType)
    assert {"issueType", "parent", "blockedBy", "projectItems"} <= set(issue.fields)
    assert "milestone" not in issue.fields
