"""``check`` enters providers read_only: it shows what they resolved and writes nothing."""

import json

import pytest

from planpilot_provider_dry_run.provider import DryRunProvider
from planpilot_provider_github.testing import GitHubEmulator, serve_in_thread
from planpilot_providers_core.cli import main
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import CreateItemInput, ItemSearchFilters
from planpilot_providers_core.errors import ProviderError

BOARD = "https://github.com/orgs/acme/projects/1"


def test_check_on_github_creates_no_label(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "check-token")
    emulator = GitHubEmulator.with_default_scenario()
    with serve_in_thread(emulator) as url:
        code = main(
            [
                *("check", "--provider", "github", "--target", "acme/roadmap", "--board-url", BOARD),
                *("--api-url", url, "--label", "brand-new-label", "--json"),
            ]
        )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["context"]["read_only"] is True
    assert emulator.stats.mutation_requests == 0
    assert "brand-new-label" not in emulator.state.summary()["repositories"]["acme/roadmap"]["labels"]


async def test_read_only_providers_refuse_writes_but_read() -> None:
    async with DryRunProvider(
        ProviderConfig.from_keywords("dry-run", target="acme/roadmap", read_only=True)
    ) as provider:
        with pytest.raises(ProviderError, match="read_only"):
            await provider.create_item(CreateItemInput(title="t", body="b", item_type="TASK"))
        assert await provider.search_items(ItemSearchFilters(labels=("planpilot",))) == []
        assert provider.operations == ()
