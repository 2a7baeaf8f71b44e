"""Generate a GraphQL plugin's typed sgqlc layer from its vendored schema and `.graphql` operation documents.

Dev-time tool (not shipped in any wheel), shared by every plugin that speaks GraphQL. Each plugin runs it
through its own ``plugins/<name>/tools/codegen.py``, which names its :class:`Target`; the layout is the same
for all of them (``planpilot_provider_<name>/graphql/``: ``schema/<name>.graphql``, ``operations/``,
``generated/``, and ``PINNED_VERSION`` in ``__init__.py``). Pipeline:

1. build the vendored SDL with graphql-core and validate every operation document in
   ``operations/*.graphql`` against it;
2. prune the schema to what the operations use: every selected field with all its arguments, every named
   type referenced by those fields, arguments, variables and fragment conditions, the full closure of input
   types, interface fields copied onto kept implementations, interfaces/possibleTypes filtered to kept types;
3. write the pruned introspection JSON to a temporary directory and run
   ``sgqlc-codegen schema`` into ``generated/schema.py`` (symbol ``<name>_schema``) and
   ``sgqlc-codegen operation`` once per ``<module>.graphql`` into ``generated/<module>.py``.

Usage (from the repository root)::

    python plugins/github/tools/codegen.py            # write the plugin's graphql/generated/
    python plugins/github/tools/codegen.py --check    # exit 1 and list files that differ

The output is deterministic: the same inputs give byte-identical files.
"""

from __future__ import annotations

import argparse
import ast
import functools
import gc
import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from attrs import frozen
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    NamedTypeNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    get_named_type,
    introspection_from_schema,
    parse,
    specified_directives,
    validate,
    visit,
)
from graphql.error import GraphQLSyntaxError

REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA_MODULE = "schema"  # generated/schema.py
ALWAYS_KEPT_SCALARS = ("Boolean", "String")  # __typename and the standard directives use them


@frozen
class Target:
    """One plugin's GraphQL layer: where its schema and operations are, where the code goes, what it is called."""

    name: str  # "github": the plugin directory, the schema file and the schema symbol derive from it
    package_dir: Path  # .../planpilot_provider_<name>/graphql

    @classmethod
    def for_plugin(cls, name: str, repo_root: Path = REPO_ROOT) -> Target:
        """The conventional layout: ``plugins/<name>/planpilot_provider_<name>/graphql``."""
        module = f"planpilot_provider_{name.replace('-', '_')}"
        return cls(name=name, package_dir=repo_root / "plugins" / name / module / "graphql")

    @property
    def schema_file(self) -> str:
        return f"{self.name}.graphql"

    @property
    def schema_path(self) -> Path:
        return self.package_dir / "schema" / self.schema_file

    @property
    def operations_dir(self) -> Path:
        return self.package_dir / "operations"

    @property
    def generated_dir(self) -> Path:
        return self.package_dir / "generated"

    @property
    def schema_symbol(self) -> str:
        """The ``sgqlc.types.Schema`` instance inside ``generated/schema.py``."""
        return f"{self.name.replace('-', '_')}_schema"

    @property
    def command(self) -> str:
        """How to regenerate, as the header of every generated file says."""
        return f"python plugins/{self.name}/tools/codegen.py  (nox -s codegen)"


class CodegenError(Exception):
    """An input problem the user has to fix (invalid operation, sgqlc-codegen failure)."""


# --------------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------------


def pinned_version(target: Target) -> str:
    """Read ``PINNED_VERSION`` from the plugin's ``graphql/__init__.py`` without importing the package."""
    init = target.package_dir / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["PINNED_VERSION"]
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise CodegenError(f"PINNED_VERSION not found in {init}")


@functools.cache
def load_schema(sdl: str) -> GraphQLSchema:
    """Build (and strictly validate) the full schema; cached for in-process reuse (tests)."""
    gc.disable()  # the SDL builds ~10^6 objects; the cyclic collector only slows that down
    try:
        return build_schema(sdl)
    finally:
        gc.enable()


def operation_files(operations_dir: Path) -> list[Path]:
    files = sorted(operations_dir.glob("*.graphql"))
    if not files:
        raise CodegenError(f"no *.graphql files in {operations_dir}")
    for path in files:
        if not path.stem.isidentifier() or path.stem in (SCHEMA_MODULE, "__init__"):
            raise CodegenError(
                f"{path.name}: the file name must be a Python identifier other than "
                f"'{SCHEMA_MODULE}' (it names the generated module)"
            )
    return files


def load_operations(schema: GraphQLSchema, files: Sequence[Path]) -> list[DocumentNode]:
    """Parse and validate every operation file against the full schema; raise listing all problems."""
    documents: list[DocumentNode] = []
    problems: list[str] = []
    for path in files:
        try:
            document = parse(path.read_text(encoding="utf-8"))
        except GraphQLSyntaxError as exc:
            problems.append(f"{path.name}: {exc.message} at {exc.locations}")
            continue
        problems.extend(
            f"{path.name}: named fragment {d.name.value!r}: write its fields inline instead "
            "(sgqlc 18 loses fragment definitions spread under a type condition)"
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        )
        problems.extend(
            f"{path.name}:{err.locations[0].line if err.locations else '?'}: {err.message}"
            for err in validate(schema, document)
        )
        documents.append(document)
    if problems:
        raise CodegenError("invalid operations:\n  " + "\n  ".join(problems))
    return documents


# --------------------------------------------------------------------------------------------------
# pruning
# --------------------------------------------------------------------------------------------------


class _UsageCollector(Visitor):
    """Record the fields selected on each parent type and every named type the documents mention."""

    def __init__(self, type_info: TypeInfo, fields: dict[str, set[str]], types: set[str]) -> None:
        super().__init__()
        self.type_info = type_info
        self.fields = fields
        self.types = types

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        parent = self.type_info.get_parent_type()
        field_def = self.type_info.get_field_def()
        name = node.name.value
        if parent is None or field_def is None or name.startswith("__"):
            return
        self.fields.setdefault(parent.name, set()).add(name)

    def enter_named_type(self, node: NamedTypeNode, *_args: Any) -> None:
        # variable types and fragment type conditions
        self.types.add(node.name.value)


def collect_usage(schema: GraphQLSchema, documents: Iterable[DocumentNode]) -> dict[str, set[str]]:
    """Selected fields per type; types referenced only by name get an empty field set."""
    fields: dict[str, set[str]] = {}
    types: set[str] = set()
    for document in documents:
        type_info = TypeInfo(schema)
        visit(document, TypeInfoVisitor(type_info, _UsageCollector(type_info, fields, types)))
    for root in (schema.query_type, schema.mutation_type):
        if root is not None and root.name in fields:
            types.add(root.name)
    for name in types:
        fields.setdefault(name, set())
    return fields


def prune(schema: GraphQLSchema, selected: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Close the selection over types: returns kept type name -> kept field names (empty for leaves)."""
    kept: dict[str, set[str]] = {name: set(names) for name, names in selected.items()}
    kept.update({name: set() for name in ALWAYS_KEPT_SCALARS})

    def keep(named: GraphQLNamedType) -> bool:
        if named.name in kept:
            return False
        kept[named.name] = set()
        return True

    changed = True
    while changed:
        changed = False
        for name in sorted(kept):
            gql_type = schema.get_type(name)
            if gql_type is None:
                raise CodegenError(f"type {name!r} is not in the schema")
            if isinstance(gql_type, GraphQLInputObjectType):
                for input_field in gql_type.fields.values():
                    changed |= keep(get_named_type(input_field.type))
            elif isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType):
                if not kept[name]:
                    # e.g. Node, only used as a return type: keep one field so the pruned schema stays valid
                    kept[name].add("id" if "id" in gql_type.fields else next(iter(gql_type.fields)))
                    changed = True
                for field_name in sorted(kept[name]):
                    field = gql_type.fields[field_name]
                    changed |= keep(get_named_type(field.type))
                    for arg in field.args.values():
                        changed |= keep(get_named_type(arg.type))
                if isinstance(gql_type, GraphQLInterfaceType):
                    # a kept implementation must still implement the kept part of the interface
                    for impl in _implementations(schema, gql_type):
                        if impl.name in kept and not kept[name] <= kept[impl.name]:
                            kept[impl.name] |= kept[name]
                            changed = True
    return kept


def _implementations(
    schema: GraphQLSchema, interface: GraphQLInterfaceType
) -> list[GraphQLObjectType | GraphQLInterfaceType]:
    impls = schema.get_implementations(interface)
    return [*impls.objects, *impls.interfaces]


def pruned_introspection(schema: GraphQLSchema, kept: Mapping[str, set[str]]) -> dict[str, Any]:
    """Introspection JSON of the full schema, filtered down to ``kept`` (types sorted by name)."""
    full = cast(dict[str, Any], introspection_from_schema(schema, descriptions=False)["__schema"])

    def ref_kept(ref: Mapping[str, Any]) -> bool:
        return ref["name"] in kept

    types: list[dict[str, Any]] = []
    for entry in full["types"]:
        name = entry["name"]
        if name not in kept:
            continue
        entry = dict(entry)
        gql_type = schema.get_type(name)
        if isinstance(gql_type, GraphQLObjectType | GraphQLInterfaceType):
            entry["fields"] = [f for f in entry["fields"] if f["name"] in kept[name]]
            entry["interfaces"] = [i for i in entry["interfaces"] if ref_kept(i)]
        if isinstance(gql_type, GraphQLInterfaceType | GraphQLUnionType):
            entry["possibleTypes"] = [t for t in entry["possibleTypes"] if ref_kept(t)]
            if not entry["possibleTypes"]:
                raise CodegenError(f"{name}: no kept possible type; add a type condition to the selection")
        types.append(entry)
    types.sort(key=lambda t: str(t["name"]))

    standard = {d.name for d in specified_directives}
    mutation = full["mutationType"] if schema.mutation_type and schema.mutation_type.name in kept else None
    return {
        "queryType": full["queryType"],
        "mutationType": mutation,
        "subscriptionType": None,
        "types": types,
        "directives": [d for d in full["directives"] if d["name"] in standard],
    }


# --------------------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------------------


def _run_sgqlc_codegen(jobs: Sequence[Sequence[str]]) -> None:
    """Run ``sgqlc-codegen <args>`` for every job, concurrently; raise listing the failures."""
    # `python -m sgqlc.codegen` is the `sgqlc-codegen` console script, run by this interpreter
    procs = [
        (
            args,
            subprocess.Popen(
                [sys.executable, "-m", "sgqlc.codegen", *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for args in jobs
    ]
    failures = []
    for args, proc in procs:
        _, stderr = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"sgqlc-codegen {' '.join(args)} failed:\n{stderr.strip()}")
    if failures:
        raise CodegenError("\n".join(failures))


HEADER_FIRST_LINE = "# Generated file -- do not edit.\n"


def _header(target: Target, source: str, version: str, sdl_digest: str) -> str:
    return "".join(
        (
            HEADER_FIRST_LINE,
            f"# Generated by: {target.command}\n",
            f"# From: {source}\n",
            f"# Schema: {version} (SDL sha256 {sdl_digest}), pruned to what the operations use.\n",
            "# flake8: noqa\n",
            "# fmt: off\n",
        )
    )


def generate(target: Target, operations_dir: Path, work_dir: Path) -> dict[str, str]:
    """Return generated file name -> content (deterministic)."""
    sdl = target.schema_path.read_text(encoding="utf-8")
    digest = hashlib.sha256(sdl.encode()).hexdigest()[:16]
    version = pinned_version(target)
    schema = load_schema(sdl)
    files = operation_files(operations_dir)
    documents = load_operations(schema, files)
    kept = prune(schema, collect_usage(schema, documents))

    schema_json = work_dir / f"{target.name}_schema_pruned.json"
    schema_json.write_text(
        json.dumps({"data": {"__schema": pruned_introspection(schema, kept)}}, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )

    schema_py = work_dir / f"{SCHEMA_MODULE}.py"
    schema_ref = f".{SCHEMA_MODULE}:{target.schema_symbol}"
    _run_sgqlc_codegen(
        [
            ["schema", "--schema-name", target.schema_symbol, str(schema_json), str(schema_py)],
            *(
                [
                    "operation",
                    "--schema",
                    str(schema_json),
                    schema_ref,
                    str(work_dir / f"{p.stem}.py"),
                    str(p),
                ]
                for p in files
            ),
        ]
    )
    out = {
        schema_py.name: _header(
            target, f"graphql/schema/{target.schema_file} + graphql/operations/*.graphql", version, digest
        )
        + schema_py.read_text(encoding="utf-8")
    }
    for path in files:
        out[f"{path.stem}.py"] = _header(target, f"graphql/operations/{path.name}", version, digest) + (
            work_dir / f"{path.stem}.py"
        ).read_text(encoding="utf-8")

    modules = ", ".join(p.stem for p in files)
    out["__init__.py"] = _header(target, "graphql/operations/*.graphql", version, digest) + (
        f'"""sgqlc schema ({SCHEMA_MODULE}.{target.schema_symbol}) and one operations module per .graphql file:\n'
        f"{modules}.\n\n"
        "Each module exposes ``Operations.query.<snake_case_name>`` / ``Operations.mutation.<name>``.\n"
        '"""\n'
    )
    return out


def existing_files(out_dir: Path) -> dict[str, str]:
    if not out_dir.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out_dir.glob("*.py"))}


def diff_files(expected: Mapping[str, str], actual: Mapping[str, str]) -> list[str]:
    problems = []
    for name in sorted(expected.keys() | actual.keys()):
        if name not in actual:
            problems.append(f"missing: {name}")
        elif name not in expected:
            problems.append(f"stale (not generated from any .graphql): {name}")
        elif expected[name] != actual[name]:
            problems.append(f"differs: {name}")
    return problems


def main(target: Target, argv: Sequence[str] | None = None) -> int:
    """The command line of ``plugins/<name>/tools/codegen.py``: write (or ``--check``) ``target``'s code."""
    parser = argparse.ArgumentParser(
        prog=f"python plugins/{target.name}/tools/codegen.py",
        description=f"Generate the {target.name} plugin's typed sgqlc layer from its schema and .graphql files.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary directory and exit 1 listing files that differ from --out-dir",
    )
    parser.add_argument("--operations-dir", type=Path, default=target.operations_dir, help="default: %(default)s")
    parser.add_argument("--out-dir", type=Path, default=target.generated_dir, help="default: %(default)s")
    args = parser.parse_args(argv)
    out_dir: Path = args.out_dir

    try:
        with tempfile.TemporaryDirectory(prefix="planpilot-codegen-") as tmp:
            generated = generate(target, args.operations_dir, Path(tmp))
    except CodegenError as exc:
        print(f"codegen: error: {exc}", file=sys.stderr)
        return 2

    current = existing_files(out_dir)
    problems = diff_files(generated, current)
    if args.check:
        if problems:
            print(f"codegen: {out_dir} is out of date; run {target.command}", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        print(f"codegen: {out_dir} is up to date ({len(generated)} files)")
        return 0

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, content in sorted(generated.items()):
        if current.get(name) != content:
            (out_dir / name).write_text(content, encoding="utf-8")
            print(f"codegen: wrote {out_dir / name}")
    for name in sorted(current.keys() - generated.keys()):
        if current[name].startswith(HEADER_FIRST_LINE):  # never delete a file this tool did not write
            (out_dir / name).unlink()
            print(f"codegen: removed stale {out_dir / name}")
        else:
            print(f"codegen: warning: {out_dir / name} was not generated; left in place", file=sys.stderr)
    print(f"codegen: {out_dir} is up to date ({len(generated)} files, {len(problems)} changed)")
    return 0
