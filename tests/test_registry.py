"""Discovery and the factory, against real (temporary) plugin distributions found through entry points."""

from __future__ import annotations

import inspect
import sys
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pytest

from planpilot_providers_core.capabilities import DISCOVERY_CAPABILITIES, Capability
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.contracts import FieldConfig
from planpilot_providers_core.errors import PluginError, ProviderCapabilityError
from planpilot_providers_core.hookspecs import hookimpl
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.registry import (
    BLOCK_PLUGINS_ENV,
    DISABLE_AUTOLOAD_ENV,
    ProviderRegistry,
    ProviderSpec,
    RegisteredProvider,
    create_provider,
    get_registry,
    list_providers,
)

if TYPE_CHECKING:
    from conftest import FakeDistributions

DISCOVERY = ["discovery.labels", "discovery.body-text", "discovery.complete"]


def plugin_source(
    *specs: tuple[str, str], capabilities: list[str] = DISCOVERY, summary: str = "A fake provider"
) -> str:
    """A plugin module registering one spec per ``(provider name, "module:Class")``."""
    calls = "".join(
        f"    register(ProviderSpec(name={name!r}, provider_class={path!r}, "
        f"capabilities={capabilities!r}, summary={summary!r}))\n"
        for name, path in specs
    )
    return (
        "from planpilot_providers_core.hookspecs import hookimpl\n"
        "from planpilot_providers_core.registry import ProviderSpec\n\n"
        "@hookimpl\n"
        f"def planpilot_register_providers(register):\n{calls}"
    )


def provider_source(class_name: str, provider_name: str) -> str:
    """A provider module whose class records the arguments the factory passed."""
    return f"""
        from planpilot_providers_core.provider import Provider

        class {class_name}(Provider):
            def __init__(self, config):
                self.received = config
                super().__init__(config)

            async def resolve_context(self): raise NotImplementedError
            async def search_items(self, filters): raise NotImplementedError
            async def create_item(self, item): raise NotImplementedError
            async def update_item(self, item_id, item): raise NotImplementedError
            async def get_item(self, item_id): raise NotImplementedError
            async def delete_item(self, item_id): raise NotImplementedError
        """


def add_provider_dist(
    fake_dists: FakeDistributions,
    provider: str,
    *,
    dist: str | None = None,
    version: str = "1.0.0",
    capabilities: list[str] = DISCOVERY,
    summary: str = "A fake provider",
) -> tuple[str, str]:
    """Install a well-formed plugin distribution for ``provider``; returns its two module names."""
    ident = provider.replace("-", "_")
    plugin_mod, provider_mod = f"fake_{ident}_plugin", f"fake_{ident}_provider"
    fake_dists.add(
        dist or f"fake-provider-{provider}",
        version=version,
        entry_points={provider: plugin_mod},
        modules={
            plugin_mod: plugin_source(
                (provider, f"{provider_mod}:FakeProvider"), capabilities=capabilities, summary=summary
            ),
            provider_mod: provider_source("FakeProvider", provider),
        },
    )
    return plugin_mod, provider_mod


CREATE_ARGS: dict[str, Any] = {
    "target": "acme/roadmap",
    "token": "t0ken",
    "board_url": "https://example.test/b/1",
}


def create(registry: ProviderRegistry, name: str, **keywords: Any) -> Provider[Any]:
    """``registry.create`` with the factory's keywords, as ``create_provider`` calls it."""
    return registry.create(ProviderConfig.from_keywords(name, **keywords))


def test_plugin_spec_is_listed_with_its_distribution_and_version(fake_dists: FakeDistributions) -> None:
    """Listing is how users see what is installed: name, distribution, version, capabilities, summary."""
    add_provider_dist(
        fake_dists,
        "alpha",
        dist="fake-alpha-dist",
        version="3.1.4",
        capabilities=[*DISCOVERY, "items.delete"],
    )

    registry = ProviderRegistry()
    reg = registry.providers["alpha"]

    assert reg.spec.name == "alpha"
    assert reg.distribution == "fake-alpha-dist"
    assert reg.version == "3.1.4"
    assert reg.plugin == "alpha"
    assert reg.spec.capabilities == {*DISCOVERY_CAPABILITIES, Capability.ITEM_DELETE}
    assert reg.spec.summary == "A fake provider"
    assert "alpha" in [r.spec.name for r in list_providers()]


def test_listing_imports_the_plugin_but_not_the_provider_module(fake_dists: FakeDistributions) -> None:
    """Listing must stay cheap: the provider module (HTTP clients, schemas) is only imported on create."""
    plugin_mod, provider_mod = add_provider_dist(fake_dists, "alpha")

    registry = ProviderRegistry()
    assert "alpha" in registry.providers
    assert plugin_mod in sys.modules
    assert provider_mod not in sys.modules

    provider = create(registry, "alpha", **CREATE_ARGS)

    assert provider_mod in sys.modules
    assert type(provider).__module__ == provider_mod


def test_create_passes_the_seed_arguments_and_extra_kwargs(fake_dists: FakeDistributions) -> None:
    """Providers receive exactly what the caller gave, with the seed's defaults filled in."""
    add_provider_dist(fake_dists, "alpha")
    config = FieldConfig(status="Todo")

    defaults: Any = create(ProviderRegistry(), "alpha", **CREATE_ARGS)
    custom: Any = create(
        ProviderRegistry(),
        "alpha",
        **CREATE_ARGS,
        label="roadmap",
        field_config=config,
        required_capabilities=DISCOVERY,
        api_url="https://example.test/api",
    )

    received: ProviderConfig = defaults.received
    assert (received.provider, received.target, received.token, received.board_url) == ("alpha", *CREATE_ARGS.values())
    assert (received.label, received.field_config, received.options) == ("planpilot", FieldConfig(), {})
    assert received.declared_capabilities == DISCOVERY_CAPABILITIES, "the factory passes the registration's declaration"
    assert defaults.name == "alpha", "the provider's name comes from its registration"
    assert (custom.received.label, custom.received.field_config) == ("roadmap", config)
    assert custom.received.required_capabilities == DISCOVERY_CAPABILITIES
    assert custom.received.options == {"api_url": "https://example.test/api"}


def test_plugin_that_fails_to_import_is_reported_and_others_still_load(fake_dists: FakeDistributions) -> None:
    """One broken plugin must not hide every other provider (pluggy's own loader stops at the first)."""
    fake_dists.add(
        "fake-broken-dist",
        entry_points={"broken": "fake_broken_plugin"},
        modules={"fake_broken_plugin": "import fake_module_that_does_not_exist\n"},
    )
    add_provider_dist(fake_dists, "alpha")

    registry = ProviderRegistry()

    assert "alpha" in registry.providers
    assert "dry-run" in registry.providers
    [problem] = [p for p in registry.problems if p.plugin == "broken"]
    assert problem.distribution == "fake-broken-dist"
    assert "ModuleNotFoundError" in problem.error
    assert "fake_module_that_does_not_exist" in problem.error
    assert "fake-broken-dist" in str(problem)


def test_provider_name_claimed_by_two_distributions_is_an_error_naming_both(
    fake_dists: FakeDistributions,
) -> None:
    """A silently winning duplicate would sync with the wrong provider; the name becomes unusable instead."""
    for dist, ep, mod in [("fake-one", "one", "fake_one_plugin"), ("fake-two", "two", "fake_two_plugin")]:
        fake_dists.add(
            dist,
            version="2.0.0",
            entry_points={ep: mod},
            modules={mod: plugin_source(("shared", "fake_shared_provider:FakeProvider"))},
        )
    add_provider_dist(fake_dists, "gamma")

    registry = ProviderRegistry()

    for call in (lambda: registry.get("shared"), lambda: create(registry, "shared", **CREATE_ARGS)):
        with pytest.raises(PluginError, match="'shared'") as excinfo:
            call()
        assert "fake-one 2.0.0" in str(excinfo.value)
        assert "fake-two 2.0.0" in str(excinfo.value)
        assert BLOCK_PLUGINS_ENV in str(excinfo.value)
    assert "shared" not in registry.providers
    assert "gamma" in registry.providers
    assert isinstance(create(registry, "gamma", **CREATE_ARGS), Provider)
    [problem] = [p for p in registry.problems if "'shared'" in p.error]
    assert "fake-one" in problem.error
    assert "fake-two" in problem.error


def test_same_entry_point_name_in_two_distributions_is_reported(fake_dists: FakeDistributions) -> None:
    """pluggy silently drops one of two plugins sharing a name; we load one and report the other by name."""
    add_provider_dist(fake_dists, "alpha", dist="fake-alpha-first")
    fake_dists.add(
        "fake-alpha-second",
        entry_points={"alpha": "fake_second_plugin"},
        modules={"fake_second_plugin": plugin_source(("beta", "fake_beta_provider:FakeProvider"))},
    )

    registry = ProviderRegistry()

    loaded = {"alpha", "beta"} & set(registry.providers)
    assert len(loaded) == 1
    [problem] = [p for p in registry.problems if p.plugin == "alpha"]
    skipped, kept = (
        ("fake-alpha-second", "fake-alpha-first") if loaded == {"alpha"} else ("fake-alpha-first", "fake-alpha-second")
    )
    assert problem.distribution == skipped
    assert kept in problem.error


@pytest.mark.parametrize("value", ["1", "yes"])
def test_autoload_switch_loads_no_plugin(
    fake_dists: FakeDistributions, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """The kill switch gives a clean slate (e.g. to debug a plugin that breaks start-up)."""
    plugin_mod, _ = add_provider_dist(fake_dists, "alpha")
    monkeypatch.setenv(DISABLE_AUTOLOAD_ENV, value)

    registry = get_registry()

    assert registry.providers == {}
    assert registry.problems == ()
    assert plugin_mod not in sys.modules


def test_autoload_switch_set_to_zero_keeps_loading(
    fake_dists: FakeDistributions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``0`` means off, as for other tools' boolean environment switches."""
    add_provider_dist(fake_dists, "alpha")
    monkeypatch.setenv(DISABLE_AUTOLOAD_ENV, "0")

    assert "alpha" in get_registry().providers


@pytest.mark.parametrize("blocked", ["alpha", "fake-provider-alpha", "nothing, alpha ,"])
def test_block_list_skips_a_plugin_by_entry_point_or_distribution(
    fake_dists: FakeDistributions, monkeypatch: pytest.MonkeyPatch, blocked: str
) -> None:
    """Blocking fixes a conflict or a broken plugin without uninstalling; the module is not even imported."""
    plugin_mod, _ = add_provider_dist(fake_dists, "alpha")
    add_provider_dist(fake_dists, "beta")
    monkeypatch.setenv(BLOCK_PLUGINS_ENV, blocked)

    registry = ProviderRegistry()

    assert "alpha" not in registry.providers
    assert "beta" in registry.providers
    assert plugin_mod not in sys.modules
    assert not [p for p in registry.problems if p.plugin == "alpha"]


def test_blocking_one_claimant_resolves_a_name_conflict(fake_dists: FakeDistributions) -> None:
    """The conflict message's advice works: block one distribution and the name is usable again."""
    for dist, ep, mod in [("fake-one", "one", "fake_one_plugin"), ("fake-two", "two", "fake_two_plugin")]:
        fake_dists.add(dist, entry_points={ep: mod}, modules={mod: plugin_source(("shared", "fake_shared_provider:X"))})

    registry = ProviderRegistry(blocked=["fake-two"])

    assert registry.get("shared").distribution == "fake-one"


def test_hookimpl_with_a_typo_is_reported(fake_dists: FakeDistributions) -> None:
    """pluggy accepts an impl for an unknown hook until ``check_pending``; a typo must not pass silently."""
    fake_dists.add(
        "fake-typo-dist",
        entry_points={"typo": "fake_typo_plugin"},
        modules={
            "fake_typo_plugin": """
                from planpilot_providers_core.hookspecs import hookimpl

                @hookimpl
                def planpilot_register_provider(register):
                    raise AssertionError("never called")
                """
        },
    )
    add_provider_dist(fake_dists, "alpha")

    registry = ProviderRegistry()

    [problem] = [p for p in registry.problems if p.plugin == "typo"]
    assert problem.distribution == "fake-typo-dist"
    assert "planpilot_register_provider" in problem.error
    assert "alpha" in registry.providers
    assert not registry.plugin_manager.has_plugin("typo")


def test_failing_registration_hook_is_reported(fake_dists: FakeDistributions) -> None:
    """An invalid spec inside a plugin's hook is that plugin's problem, not everyone's."""
    fake_dists.add(
        "fake-badspec-dist",
        entry_points={"badspec": "fake_badspec_plugin"},
        modules={
            "fake_badspec_plugin": plugin_source(("Bad Name", "fake_x:Y")),
        },
    )
    add_provider_dist(fake_dists, "alpha")

    registry = ProviderRegistry()

    [problem] = [p for p in registry.problems if p.plugin == "badspec"]
    assert problem.distribution == "fake-badspec-dist"
    assert "Bad Name" in problem.error
    assert "alpha" in registry.providers


def test_hook_problems_are_not_repeated_when_more_plugins_register(fake_dists: FakeDistributions) -> None:
    """Registering a plugin after listing re-collects specs; a failing hook is still one problem."""
    fake_dists.add(
        "fake-badspec-dist",
        entry_points={"badspec": "fake_badspec_plugin"},
        modules={"fake_badspec_plugin": plugin_source(("Bad Name", "fake_x:Y"))},
    )
    registry = ProviderRegistry()
    assert len([p for p in registry.problems if p.plugin == "badspec"]) == 1

    class Late:
        @hookimpl
        def planpilot_register_providers(self, register: Any) -> None:
            register(ProviderSpec(name="late", provider_class="x:Y", capabilities=DISCOVERY, summary="late"))

    registry.register_plugin(Late(), name="late")

    assert "late" in registry.providers
    assert len([p for p in registry.problems if p.plugin == "badspec"]) == 1


def test_provider_class_that_is_not_a_provider_is_a_plugin_error(fake_dists: FakeDistributions) -> None:
    """A spec naming the wrong object fails with the distribution named, not an obscure TypeError."""
    fake_dists.add(
        "fake-wrong-dist",
        version="0.9.0",
        entry_points={"wrong": "fake_wrong_plugin"},
        modules={
            "fake_wrong_plugin": plugin_source(("wrong", "fake_wrong_provider:NotAProvider")),
            "fake_wrong_provider": "class NotAProvider:\n    pass\n",
        },
    )

    with pytest.raises(PluginError, match="not a Provider subclass") as excinfo:
        create(ProviderRegistry(), "wrong", **CREATE_ARGS)
    assert "fake-wrong-dist 0.9.0" in str(excinfo.value)


def test_provider_module_that_fails_to_import_is_a_plugin_error(fake_dists: FakeDistributions) -> None:
    """The deferred import can fail too; the error names the distribution and the original exception."""
    fake_dists.add(
        "fake-lazybroken-dist",
        entry_points={"lazy": "fake_lazy_plugin"},
        modules={
            "fake_lazy_plugin": plugin_source(("lazy", "fake_lazy_provider:LazyProvider")),
            "fake_lazy_provider": "raise RuntimeError('missing optional dependency')\n",
        },
    )

    registry = ProviderRegistry()
    assert "lazy" in registry.providers

    with pytest.raises(PluginError, match="fake-lazybroken-dist") as excinfo:
        create(registry, "lazy", **CREATE_ARGS)
    assert "RuntimeError: missing optional dependency" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, RuntimeError)


def test_factory_fails_fast_on_declared_capabilities_before_importing(fake_dists: FakeDistributions) -> None:
    """A provider that cannot offer what the caller needs is refused without paying for its import."""
    _, provider_mod = add_provider_dist(fake_dists, "weak", capabilities=["discovery.labels"])
    registry = ProviderRegistry()

    with pytest.raises(ProviderCapabilityError) as excinfo:
        create(registry, "weak", **CREATE_ARGS)
    assert excinfo.value.capability == "discovery.body-text"
    assert set(excinfo.value.missing) == {"discovery.body-text", "discovery.complete"}
    assert provider_mod not in sys.modules

    with pytest.raises(ProviderCapabilityError, match=r"relations\.parent"):
        create(registry, "weak", **CREATE_ARGS, required_capabilities=["relations.parent"])
    assert provider_mod not in sys.modules

    provider = create(registry, "weak", **CREATE_ARGS, required_capabilities=["discovery.labels"])
    assert provider.required_capabilities == {Capability.DISCOVERY_BY_LABELS}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "GitHub", "provider name"),
        ("name", "my_provider", "provider name"),
        ("name", "-x", "provider name"),
        ("name", "", "provider name"),
        ("provider_class", "pkg.module.Class", "import path"),
        ("provider_class", "pkg.module:", "import path"),
        ("provider_class", "pkg module:Class", "import path"),
        ("summary", "first line\nsecond line", "one non-empty line"),
        ("summary", "   ", "one non-empty line"),
        ("capabilities", ["discovery.labels", "discovery.everything"], "discovery.everything"),
    ],
)
def test_provider_spec_validation(field: str, value: object, message: str) -> None:
    """A malformed spec is rejected where the plugin author writes it, with what was wrong."""
    good: dict[str, object] = {
        "name": "jira-cloud",
        "provider_class": "planpilot_provider_jira.provider:JiraProvider",
        "capabilities": DISCOVERY,
        "summary": "Jira Cloud issues and boards",
    }
    ProviderSpec(**good)  # type: ignore[arg-type]

    with pytest.raises(ValueError, match=message):
        ProviderSpec(**{**good, field: value})  # type: ignore[arg-type]


def test_provider_spec_is_frozen() -> None:
    """Specs are shared by every lookup; changing one would change what later lookups get."""
    spec = ProviderSpec(name="x", provider_class="m:C", capabilities=(), summary="s")
    with pytest.raises(AttributeError):
        spec.name = "y"  # type: ignore[misc]


def test_unknown_provider_names_the_installed_ones(clean_env: None) -> None:
    """A typo'd name must tell the user what they could have typed (here: the real dry-run plugin)."""
    with pytest.raises(ValueError, match="unknown provider 'nope'") as excinfo:
        create_provider("nope", target="a/b", token="", board_url="")

    known = [r.spec.name for r in list_providers()]
    assert "dry-run" in known
    for name in known:
        assert name in str(excinfo.value)


def test_unknown_provider_with_nothing_installed_says_what_to_install() -> None:
    """With no plugin at all, the message points at installing one rather than listing nothing."""
    with pytest.raises(ValueError, match="install a provider plugin"):
        ProviderRegistry(autoload=False).get("dry-run")


def test_real_dry_run_plugin_is_discovered(clean_env: None) -> None:
    """The shipped dry-run plugin is found through its entry point and attributed to its distribution."""
    reg = get_registry().get("dry-run")

    assert reg.distribution == "planpilot-provider-dry-run"
    assert reg.version == metadata.version("planpilot-provider-dry-run")
    assert reg.spec.capabilities >= DISCOVERY_CAPABILITIES


def test_create_provider_keeps_the_seed_signature() -> None:
    """Callers written against the seed's factory must keep working unchanged."""
    params = inspect.signature(create_provider).parameters
    kinds = {name: (p.kind, p.default) for name, p in params.items()}
    empty = inspect.Parameter.empty

    assert list(kinds) == ["name", "target", "token", "board_url", "label", "field_config", "kwargs"]
    assert kinds["name"] == (inspect.Parameter.POSITIONAL_OR_KEYWORD, empty)
    for keyword in ("target", "token", "board_url"):
        assert kinds[keyword] == (inspect.Parameter.KEYWORD_ONLY, empty)
    assert kinds["label"] == (inspect.Parameter.KEYWORD_ONLY, "planpilot")
    assert kinds["field_config"] == (inspect.Parameter.KEYWORD_ONLY, None)
    assert kinds["kwargs"][0] == inspect.Parameter.VAR_KEYWORD


def test_register_plugin_by_hand_attributes_no_distribution() -> None:
    """Apps may embed a provider without packaging it; it is listed with its plugin name as origin."""

    class Embedded:
        @hookimpl
        def planpilot_register_providers(self, register: Any) -> None:
            register(ProviderSpec(name="embedded", provider_class="m:C", capabilities=DISCOVERY, summary="e"))

    registry = ProviderRegistry(autoload=False)
    registry.register_plugin(Embedded(), name="my-app")

    reg: RegisteredProvider = registry.get("embedded")
    assert (reg.plugin, reg.distribution, reg.version) == ("my-app", None, None)
    assert reg.origin == "plugin 'my-app'"
