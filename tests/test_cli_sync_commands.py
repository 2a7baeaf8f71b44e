"""``planpilot-providers sync`` and ``check``: end to end on dry-run, exit codes, the token, ``--json``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest

from planpilot_provider_dry_run.plugin import CAPABILITIES
from planpilot_provider_dry_run.provider import DryRunContext, DryRunItem, DryRunProvider, DryRunRelations
from planpilot_provider_github.testing import GitHubEmulator, serve_in_thread
from planpilot_providers_core import registry as registry_module
from planpilot_providers_core.cli import main
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import CreateItemInput
from planpilot_providers_core.errors import AuthenticationError, CreateItemPartialFailureError
from planpilot_providers_core.hookspecs import hookimpl
from planpilot_providers_core.registry import DISABLE_AUTOLOAD_ENV, ProviderRegistry
from planpilot_providers_core.spec import CredentialSpec, ProviderSpec
from planpilot_providers_core.sync.body import parse_metadata

ROOT = Path(__file__).resolve().parents[1]
ROADMAP = str(ROOT / "examples" / "roadmap.json")
SPLIT = [str(ROOT / "examples" / "split" / f"{name}.json") for name in ("epics", "stories", "tasks")]
CLI = Path(sys.executable).with_name("planpilot-providers")
BOARD = "https://github.com/orgs/acme/projects/1"
SENTINEL = "ghp_SENTINEL_token_must_never_be_shown_0123456789"


STUB_CREDENTIAL = CredentialSpec(name="stub token", env=("STUB_TOKEN",))


class SharedDryRun(DryRunProvider):
    """A dry run whose instances all share one store, like one remote tracker across CLI runs.

    It declares a credential (``STUB_TOKEN``) and records the token each instance was given.
    ``partial_once`` names an ITEM_ID whose next create stops midway: the item is created without
    its size (as if the board fields were never set) and ``CreateItemPartialFailureError`` is raised.
    """

    store: ClassVar[Any] = None
    partial_once: ClassVar[str | None] = None
    tokens: ClassVar[list[str]] = []

    def __init__(self, config: ProviderConfig) -> None:
        SharedDryRun.tokens.append(config.token)
        super().__init__(config)
        if SharedDryRun.store is None:
            SharedDryRun.store = self._store
        self._store = SharedDryRun.store
        self._relations = DryRunRelations(
            self._store, ensure_entered=self.ensure_entered, ensure_writable=self.ensure_writable, require=self.require
        )

    @classmethod
    def reset(cls) -> None:
        cls.store, cls.partial_once, cls.tokens = None, None, []

    @classmethod
    def stored(cls, item_id: str) -> list[DryRunItem]:
        items = cls.store.items.values() if cls.store is not None else []
        return [i for i in items if (m := parse_metadata(i.body)) and m.item_id == item_id]

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        meta = parse_metadata(item.body)
        if meta is None or meta.item_id != SharedDryRun.partial_once:
            return await super().create_item(item)
        SharedDryRun.partial_once = None
        created = await super().create_item(attrs.evolve(item, size=None))
        raise CreateItemPartialFailureError(
            "could not set the board fields",
            created_item_id=created.id,
            created_item_key=created.key,
            created_item_url=created.url,
            completed_steps=("issue_created", "issue_type_set", "labels_set", "project_item_added"),
            retryable=True,
        )


class RefusingProvider(DryRunProvider):
    """Refuses its credentials with the worst possible message: one that repeats the token."""

    async def resolve_context(self) -> DryRunContext:
        raise AuthenticationError(f"Bad credentials: token {self.config.token} was refused")


class _StubPlugin:
    @hookimpl
    def planpilot_register_providers(self, register: Callable[[ProviderSpec], None]) -> None:
        for name, cls in (("shared-dry-run", SharedDryRun), ("refusing", RefusingProvider)):
            register(
                ProviderSpec(
                    name=name,
                    provider_class=f"{__name__}:{cls.__name__}",
                    capabilities=CAPABILITIES,
                    summary=f"test stub {name}",
                    credential=STUB_CREDENTIAL,
                    target_hint="OWNER/REPO",
                )
            )


@pytest.fixture(autouse=True)
def registry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ProviderRegistry]:
    """The installed plugins plus the stubs above; no credential in the environment and no ``gh`` on PATH."""
    monkeypatch.delenv(DISABLE_AUTOLOAD_ENV, raising=False)
    for variable in ("GITHUB_TOKEN", "GH_TOKEN", "STUB_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    reg = ProviderRegistry(autoload=True, blocked=())
    reg.register_plugin(_StubPlugin(), name="cli-sync-test-stubs")
    monkeypatch.setattr(registry_module, "get_registry", lambda: reg)
    SharedDryRun.reset()
    yield reg
    SharedDryRun.reset()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _summary_row(out: str, level: str) -> list[int]:
    match = re.search(rf"^{level}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", out, re.MULTILINE)
    assert match, out
    return [int(n) for n in match.groups()]


# -- end to end on dry-run -------------------------------------------------------------------------------


def test_sync_on_the_dry_run_default_shows_what_would_be_created(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "sync", ROADMAP)

    assert code == 0
    assert out.startswith("Preview by dry-run: nothing was written to a tracker")
    assert len(re.findall(r"^\s*\d+\. create\s+DRY-\d+", out, re.MULTILINE)) == 43
    assert re.search(r"^EPIC\s+E1\s+created\s+DRY-\d+\s+dry-run://example/roadmap/items/\d+\s+Usage-based", out, re.M)
    assert _summary_row(out, "EPIC") == [3, 0, 0, 0, 0]
    assert _summary_row(out, "STORY") == [10, 0, 0, 0, 0]
    assert _summary_row(out, "TASK") == [30, 0, 0, 0, 0]
    assert _summary_row(out, "total") == [43, 0, 0, 0, 0]
    # The preview lists changes; the summary says how many write calls made them (one reconcile = several).
    changes = len(re.findall(r"^\s*\d+\. ", out, re.MULTILINE))
    assert re.search(rf"Sync OK \(\d+ write call\(s\) making {changes} change\(s\)\)\.$", out.rstrip())
    for phase, total in (("discover", 1), ("upsert", 43), ("enrich", 43), ("relations", 43)):
        assert f"{phase}: 0/{total}" in err
        assert f"{phase}: {total}/{total}" in err


def test_split_files_sync_the_same_plan(capsys: pytest.CaptureFixture[str]) -> None:
    _, unified, _ = _run(capsys, "sync", ROADMAP, "--json")
    code, split, _ = _run(capsys, "sync", *SPLIT, "--json")

    assert code == 0
    assert json.loads(split)["plan_id"] == json.loads(unified)["plan_id"]
    assert json.loads(split)["items"] == json.loads(unified)["items"]


def test_json_output_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "sync", ROADMAP, "--json", "--max-concurrent", "8", "--label", "roadmap")

    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {
        "plan_id",
        "content_id",
        "identity",
        "removed",
        "provider",
        "target",
        "ok",
        "finished",
        "exit_code",
        "writes",
        "summary",
        "items",
        "relations",
        "problems",
        "warnings",
        "operations",
        "merged",
        "merged_copies",
    }
    assert (payload["provider"], payload["target"], payload["ok"], payload["exit_code"]) == (
        "dry-run",
        "example/roadmap",
        True,
        0,
    )
    assert re.fullmatch(r"[0-9a-f]{12}", payload["plan_id"])
    assert payload["summary"] == {
        "EPIC": {"created": 3, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 0},
        "STORY": {"created": 10, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 0},
        "TASK": {"created": 30, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 0},
    }
    assert len(payload["items"]) == 43
    first = payload["items"][0]
    assert set(first) == {"id", "type", "title", "action", "key", "url", "relations", "reason"}
    assert (first["id"], first["type"], first["action"]) == ("E1", "EPIC", "created")
    assert first["key"].startswith("DRY-")
    assert first["url"].startswith("dry-run://example/roadmap/items/")
    # Parents are set at creation (CreateItemInput.parent_id), so only items with blockers need a relation update.
    assert payload["relations"] == {"updated": 35, "unchanged": 8, "unsupported": []}
    assert payload["problems"] == []
    assert sum(op.lstrip().startswith("create") for op in payload["operations"]) == 43
    assert "upsert: 43/43" in err, "progress stays on stderr"


def test_cli_runs_as_an_installed_command_without_token_or_network(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    completed = subprocess.run(
        [str(CLI), "sync", ROADMAP, "--json"], capture_output=True, text=True, env=env, timeout=60, check=False
    )

    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["ok"] is True
    assert payload["summary"]["TASK"]["created"] == 30
    assert "relations: 43/43" in completed.stderr

    human = subprocess.run([str(CLI), "sync", *SPLIT], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert human.returncode == 0, human.stderr
    assert f"Plan {payload['plan_id']} (43 items, new: its content hash) -> dry-run example/roadmap" in human.stdout


def test_help_and_list_do_not_import_the_sync_machinery(tmp_path: Path) -> None:
    script = (
        "import sys, contextlib, io\n"
        "from planpilot_providers_core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['list'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('planpilot_providers_core.sync'))\n"
        "assert not loaded, loaded\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr


def test_sync_and_check_against_the_github_emulator_with_api_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", SENTINEL)
    emulator = GitHubEmulator.with_default_scenario()
    with serve_in_thread(emulator) as url:
        github = ("--provider", "github", "--target", "acme/roadmap", "--board-url", BOARD, "--api-url", url)

        code, out, err = _run(capsys, "check", *github, "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["context"]["create_type_strategy"] == "issue-type"
        assert "Size" in report["context"]["fields"]
        assert SENTINEL not in out + err

        code, out, err = _run(capsys, "sync", ROADMAP, *github, "--max-concurrent", "16")
        assert code == 0, err
        assert "Dry run" not in out
        assert _summary_row(out, "total") == [43, 0, 0, 0, 0]
        assert re.search(r"^TASK\s+T30\s+created\s+#\d+\s+https://github.com/acme/roadmap/issues/\d+", out, re.M)

        code, out, err = _run(capsys, "sync", ROADMAP, *github, "--json")
        assert code == 0, err
        assert json.loads(out)["writes"] == 0
        assert json.loads(out)["summary"]["TASK"]["unchanged"] == 30
        assert SENTINEL not in out + err
    assert len(emulator.state.issues("acme/roadmap")) == 43


# -- exit codes ----------------------------------------------------------------------------------------


def test_exit_2_for_an_invalid_plan_naming_file_and_item(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = json.loads(Path(ROADMAP).read_text())
    plan["items"][-1]["depends_on"] = ["T404"]
    plan["items"][-2]["title"] = ["not", "a", "string"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(plan))
    last, second_last = plan["items"][-1]["id"], plan["items"][-2]["id"]

    code, out, err = _run(capsys, "sync", str(path))
    assert code == 2
    assert out == ""
    assert f'{path}: item "{last}": depends_on "T404" does not name an item in the plan' in err
    assert f'{path}: item "{second_last}": field "title" must be a string, got an array' in err

    code, out, _ = _run(capsys, "sync", str(path), "--json")
    assert code == 2
    error = json.loads(out)
    assert (error["ok"], error["exit_code"], error["error"]["kind"]) == (False, 2, "plan")
    assert error["error"]["problems"] == [
        {
            "file": str(path),
            "item_id": second_last,
            "index": len(plan["items"]) - 1,
            "message": 'field "title" must be a string, got an array',
        },
        {
            "file": str(path),
            "item_id": last,
            "index": None,
            "message": 'depends_on "T404" does not name an item in the plan',
        },
    ]


def test_exit_2_for_malformed_json_and_bad_configuration(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"items": [\n  {"id": "E1"\n]}')
    code, _, err = _run(capsys, "sync", str(broken))
    assert code == 2
    assert f"{broken}: malformed JSON at line 3, column 1" in err

    code, _, err = _run(capsys, "sync", ROADMAP, "--provider", "shared-dry-run")
    assert code == 2
    assert "--target is required for provider 'shared-dry-run'" in err

    code, _, err = _run(capsys, "sync", ROADMAP, "--api-url", "http://127.0.0.1:1/graphql")
    assert code == 2
    assert "provider 'dry-run' does not accept option(s) api_url" in err

    monkeypatch.setenv("GITHUB_TOKEN", SENTINEL)
    code, _, err = _run(capsys, "sync", ROADMAP, "--provider", "github", "--target", "acme/roadmap")
    assert code == 2
    assert "board URL '' is not a GitHub Projects v2 URL" in err

    assert main(["sync", ROADMAP, "--max-concurrent", "0"]) == 2, "a usage error returns 2, as argparse exits"
    assert "must be between 1 and 64" in capsys.readouterr().err


def test_exit_3_for_an_unknown_provider(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "sync", ROADMAP, "--provider", "youtrack", "--target", "ACME", "--json")

    assert code == 3
    assert "unknown provider 'youtrack'; known providers:" in err
    assert "dry-run" in err
    assert json.loads(out)["error"]["kind"] == "provider"


def test_exit_3_when_no_token_can_be_found(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", SENTINEL)  # another provider's credential is no substitute
    code, _, err = _run(capsys, "sync", ROADMAP, "--provider", "shared-dry-run", "--target", "acme/roadmap")

    assert code == 3
    assert "no stub token found for provider 'shared-dry-run': looked in STUB_TOKEN; set STUB_TOKEN" in err
    assert SharedDryRun.tokens == [], "the provider is never made without its credential"


def test_exit_3_for_refused_credentials_and_the_token_is_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_TOKEN", SENTINEL)

    code, out, err = _run(capsys, "sync", ROADMAP, "--provider", "refusing", "--target", "acme/roadmap", "--json")

    assert code == 3
    assert SENTINEL not in out
    assert SENTINEL not in err
    assert "Bad credentials: token *** was refused" in err
    assert json.loads(out)["error"]["message"].endswith("Bad credentials: token *** was refused")


def test_token_reaches_the_provider_and_is_never_printed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_TOKEN", SENTINEL)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not_for_this_provider_0123456789")

    for extra in ((), ("--json",)):
        code, out, err = _run(
            capsys, "sync", ROADMAP, "--provider", "shared-dry-run", "--target", "acme/roadmap", *extra
        )
        assert code == 0
        assert SENTINEL not in out
        assert SENTINEL not in err
    code, out, err = _run(capsys, "check", "--provider", "shared-dry-run", "--target", "acme/roadmap", "--json")
    assert code == 0
    assert SENTINEL not in out + err
    assert SharedDryRun.tokens == [SENTINEL] * 3


def test_dry_run_declares_no_credential_and_gets_none(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, registry: ProviderRegistry
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", SENTINEL)
    monkeypatch.setenv("GH_TOKEN", SENTINEL)
    made: list[ProviderConfig] = []
    create = registry.create
    monkeypatch.setattr(registry, "create", lambda config: made.append(config) or create(config))
    code, out, err = _run(capsys, "sync", ROADMAP)
    assert code == 0
    assert [config.token for config in made] == [""], "a provider that declares no credential is handed none"
    assert SENTINEL not in out + err


def test_exit_4_on_a_partial_create_then_a_second_run_converges(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUB_TOKEN", SENTINEL)
    SharedDryRun.partial_once = "S7"
    argv = ("sync", ROADMAP, "--provider", "shared-dry-run", "--target", "acme/roadmap")

    code, out, _ = _run(capsys, *argv)

    assert code == 4
    tracker = SharedDryRun
    (created,) = tracker.stored("S7")
    assert "Problems (1):" in out
    assert "S7 (upsert): CreateItemPartialFailureError: could not set the board fields" in out
    assert f"created {created.key} {created.url}" in out
    assert "completed steps: issue_created, issue_type_set, labels_set, project_item_added; retryable: True" in out
    assert re.search(r"^STORY\s+S7\s+failed\s+" + re.escape(created.key), out, re.MULTILINE)
    assert "T19 skipped: its parent S7 was failed" in out
    assert "T20 skipped: its parent S7 was failed" in out
    assert "Sync FAILED" in out
    assert _summary_row(out, "STORY") == [9, 0, 0, 1, 0]
    assert _summary_row(out, "TASK") == [27, 0, 0, 0, 3]

    code, out, _ = _run(capsys, *argv, "--json")

    assert code == 0
    payload = json.loads(out)
    s7 = next(i for i in payload["items"] if i["id"] == "S7")
    assert (s7["action"], s7["key"]) == ("updated", created.key)
    assert payload["summary"]["TASK"] == {"created": 3, "updated": 0, "unchanged": 27, "failed": 0, "skipped": 0}
    assert len(tracker.stored("S7")) == 1
    assert tracker.stored("S7")[0].size == "M"
    assert len(tracker.store.items) == 43

    code, out, _ = _run(capsys, *argv, "--json")
    assert code == 0
    assert json.loads(out)["writes"] == 0


# -- check ---------------------------------------------------------------------------------------------


def test_check_shows_capabilities_and_the_resolved_context(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "check", "--provider", "dry-run", "--json")

    assert code == 0
    report = json.loads(out)
    assert report["provider"] == "dry-run"
    assert report["distribution"] == "planpilot-provider-dry-run"
    assert report["target"] == "example/roadmap"
    assert report["capabilities"] == sorted(CAPABILITIES)
    assert report["context"] == {
        "provider": "dry-run",
        "capabilities": report["capabilities"],
        "target": "example/roadmap",
        "board_url": "",
        "label": "planpilot",
        "type_labels": {"EPIC": "Epic", "STORY": "Story", "TASK": "Task"},
    }

    code, out, _ = _run(
        capsys, "check", "--provider", "dry-run", "--target", "acme/x", "--board-url", "https://tracker.example/b/1"
    )
    assert code == 0
    assert "Capabilities: " + ", ".join(report["capabilities"]) in out
    assert "  target: acme/x" in out
    assert '  type_labels: {"EPIC": "Epic", "STORY": "Story", "TASK": "Task"}' in out


def test_check_exit_codes(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(capsys, "check", "--provider", "nope")[0] == 3
    code, _, err = _run(capsys, "check", "--provider", "github")
    assert code == 2
    assert "--target is required for provider 'github'" in err
    monkeypatch.setenv("STUB_TOKEN", SENTINEL)
    code, out, err = _run(capsys, "check", "--provider", "refusing", "--target", "a/b")
    assert code == 3
    assert SENTINEL not in out + err
    assert main(["check"]) == 2
    assert "--provider" in capsys.readouterr().err
