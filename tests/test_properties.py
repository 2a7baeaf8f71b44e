"""Properties that hold for every input, checked with hypothesis.

* Any JSON document, or any bytes, given as a plan file ends in exit 0 or 2 with a message, never a
  traceback.
* No output ever contains a raw control character (or bidi/invisible formatting character) that came
  from plan or tracker data.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planpilot_provider_dry_run.plugin import CAPABILITIES
from planpilot_provider_dry_run.provider import DryRunItem, DryRunProvider
from planpilot_providers_core import registry as registry_module
from planpilot_providers_core.cli import main
from planpilot_providers_core.contracts import CreateItemInput
from planpilot_providers_core.errors import ProviderError
from planpilot_providers_core.hookspecs import Register, hookimpl
from planpilot_providers_core.registry import DISABLE_AUTOLOAD_ENV, ProviderRegistry
from planpilot_providers_core.spec import ProviderSpec

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
#: What must never reach a terminal raw (newline aside, which our own output uses between lines).
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
)
FIELDS = ["id", "type", "title", "goal", "parent_id", "depends_on", "sub_item_ids", "requirements",
          "acceptance_criteria", "estimate", "fields", "scope", "spec_ref", "verification", "motivation"]  # fmt: skip
plan_like = st.fixed_dictionaries(
    {
        "items": st.lists(
            st.dictionaries(
                st.sampled_from(FIELDS),
                json_values | st.sampled_from(["EPIC", "STORY", "TASK", "E1", "S1", "T1"]),
                max_size=9,
            ),
            max_size=5,
        )
    }
)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., tuple[int, str, str]]]:
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _sync_file(run_cli: Callable[..., tuple[int, str, str]], content: bytes) -> tuple[int, str, str]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "plan.json"
        path.write_bytes(content)
        return run_cli("sync", str(path))  # type: ignore[no-any-return]


def _check_outcome(code: int, out: str, err: str) -> None:
    assert code in (0, 2), (code, out, err)
    assert "Traceback" not in out + err
    if code == 2:
        assert err.startswith("error: "), err
    else:
        assert "Sync OK" in out


@PROPERTY_SETTINGS
@given(document=json_values | plan_like)
def test_any_json_document_is_synced_or_refused_with_a_message(
    run_cli: Callable[..., tuple[int, str, str]], document: Any
) -> None:
    _check_outcome(*_sync_file(run_cli, json.dumps(document).encode()))


@PROPERTY_SETTINGS
@given(content=st.binary(max_size=400) | plan_like.map(lambda d: json.dumps(d).encode()[:-1]))
def test_any_bytes_are_synced_or_refused_with_a_message(
    run_cli: Callable[..., tuple[int, str, str]], content: bytes
) -> None:
    _check_outcome(*_sync_file(run_cli, content))


# -- terminal safety -----------------------------------------------------------------------------------

hostile_text = (
    st.lists(
        st.characters(codec="utf-8").map(str)
        | st.sampled_from(["\x1b[2J", "\x1b]0;x\x07", "\u202e", "\x00", "\n", "\r", "\x9b", "\u2066"]),
        min_size=1,
        max_size=12,
    )
    .map("".join)
    .filter(lambda t: t.strip() != "")
)


class HostileTracker(DryRunProvider):
    """A tracker that answers with hostile text: keys and urls, and an error message for one item."""

    text: ClassVar[str] = "x"

    async def create_item(self, item: CreateItemInput) -> DryRunItem:
        if item.title.endswith("fail me"):
            raise ProviderError(f"the tracker said: {self.text}")
        created = await super().create_item(item)
        return attrs.evolve(created, key=f"K{self.text}", url=f"https://t.example/{self.text}")


class _HostilePlugin:
    @hookimpl
    def planpilot_register_providers(self, register: Register) -> None:
        register(
            ProviderSpec(
                name="hostile",
                provider_class=f"{__name__}:HostileTracker",
                capabilities=CAPABILITIES,
                summary="answers with hostile text",
                default_target="acme/roadmap",
            )
        )


@pytest.fixture
def hostile_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DISABLE_AUTOLOAD_ENV, raising=False)
    registry = ProviderRegistry(autoload=True, blocked=())
    registry.register_plugin(_HostilePlugin(), name="hostile-test-plugin")
    monkeypatch.setattr(registry_module, "get_registry", lambda: registry)


def _plan_with(titles: list[str], goal: str) -> bytes:
    items = [
        {
            "id": "E1",
            "type": "EPIC",
            "title": titles[0],
            "goal": goal,
            "requirements": [goal],
            "acceptance_criteria": ["a"],
        }
    ]
    for n, title in enumerate(titles[1:], start=1):
        items.append(
            {
                "id": f"S{n}",
                "type": "STORY",
                "parent_id": "E1",
                "title": title,
                "goal": "g",
                "requirements": ["r"],
                "acceptance_criteria": ["a"],
            }
        )
    items.append(
        {
            "id": "S99",
            "type": "STORY",
            "parent_id": "E1",
            "title": "fail me",
            "goal": "g",
            "requirements": ["r"],
            "acceptance_criteria": ["a"],
        }
    )
    return json.dumps({"items": items}).encode()


@PROPERTY_SETTINGS
@given(titles=st.lists(hostile_text, min_size=1, max_size=3), goal=hostile_text, remote=hostile_text)
def test_no_output_carries_a_raw_control_character_from_plan_or_tracker(
    run_cli: Callable[..., tuple[int, str, str]], hostile_registry: None, titles: list[str], goal: str, remote: str
) -> None:
    HostileTracker.text = remote
    for extra in ((), ("--json",)):
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "plan.json"
            path.write_bytes(_plan_with(titles, goal))
            code, out, err = run_cli("sync", str(path), "--provider", "hostile", *extra)
        assert code == 4, err  # the failing item makes the sync fail: its message is shown
        assert not UNSAFE.search(out + err), [c for c in out + err if UNSAFE.match(c)]
        for text in (*titles, remote):
            if "\n" in text.strip("\n"):
                assert text not in out + err, "a line break from data reached the output raw"
