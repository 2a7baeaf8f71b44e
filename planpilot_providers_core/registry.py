"""Plugin discovery through entry points, the provider registry and the ``create_provider`` factory.

pluggy's own ``load_setuptools_entrypoints`` stops at the first plugin that fails to import and
silently drops a second distribution using the same entry-point name, so discovery walks the entry
points itself: every failure is recorded with its distribution and the remaining plugins still load.

This module is on the start-up path of ``planpilot-providers list``, so its value types are stdlib
dataclasses (importing attrs would cost more than the whole discovery) and entry points come from
:mod:`~planpilot_providers_core.entrypoints`, which avoids importing ``importlib.metadata`` when
nothing was installed since the last run.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pkgutil
import re
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from planpilot_providers_core import hookspecs
from planpilot_providers_core.capabilities import check_capabilities
from planpilot_providers_core.contract import CONTRACT_VERSION, fits
from planpilot_providers_core.defaults import BLOCK_PLUGINS_ENV, DEFAULT_LABEL, DISABLE_AUTOLOAD_ENV, ENTRY_POINT_GROUP
from planpilot_providers_core.entrypoints import entry_points
from planpilot_providers_core.errors import PluginError
from planpilot_providers_core.spec import CredentialSpec, ProviderSpec

if TYPE_CHECKING:
    from planpilot_providers_core.config import ProviderConfig
    from planpilot_providers_core.contracts import FieldConfig
    from planpilot_providers_core.provider import Provider

__all__ = [
    "BLOCK_PLUGINS_ENV",
    "DISABLE_AUTOLOAD_ENV",
    "ENTRY_POINT_GROUP",
    "CredentialSpec",
    "PluginProblem",
    "ProviderRegistry",
    "ProviderSpec",
    "RegisteredProvider",
    "create_provider",
    "get_registry",
    "list_providers",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegisteredProvider:
    """A spec together with the plugin and distribution that registered it."""

    spec: ProviderSpec
    plugin: str
    distribution: str | None = None
    version: str | None = None

    @property
    def contract_problem(self) -> str | None:
        """Why the provider does not fit the contract this core implements, or ``None`` when it does."""
        written_for = self.spec.contract
        if any(fits(version) for version in written_for):
            return None
        versions = " or ".join(written_for)
        return (
            f"provider {self.spec.name!r} from {self.origin} was written for provider contract {versions}, "
            f"but this planpilot-providers-core implements contract {CONTRACT_VERSION}; install a version of "
            f"the plugin written for {CONTRACT_VERSION.split('.')[0]}.x, or a core that implements {versions}"
        )

    @property
    def origin(self) -> str:
        if self.distribution:
            return f"distribution {self.distribution} {self.version or ''}".rstrip()
        return f"plugin {self.plugin!r}"

    def load(self) -> type[Provider[Any]]:
        """Import the provider class, turning any failure into a ``PluginError`` naming the origin."""
        from planpilot_providers_core.provider import Provider

        try:
            cls = pkgutil.resolve_name(self.spec.provider_class)
        except Exception as exc:
            raise PluginError(
                f"provider {self.spec.name!r} from {self.origin} could not be imported "
                f"({self.spec.provider_class}): {type(exc).__name__}: {exc}"
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, Provider)):
            raise PluginError(
                f"provider {self.spec.name!r} from {self.origin}: {self.spec.provider_class} is not a Provider subclass"
            )
        return cls


@dataclasses.dataclass(frozen=True, kw_only=True)
class PluginProblem:
    """A plugin that could not be used, and why; the other plugins are unaffected."""

    plugin: str
    distribution: str | None
    error: str

    def __str__(self) -> str:
        origin = f"{self.distribution} ({self.plugin})" if self.distribution else self.plugin
        return f"{origin}: {self.error}"


def _normalize(name: str) -> str:
    """Distribution names compare as PEP 503 does: case and ``-_.`` runs do not matter."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _env_blocked() -> frozenset[str]:
    return frozenset(n.strip() for n in os.environ.get(BLOCK_PLUGINS_ENV, "").split(",") if n.strip())


def _env_autoload() -> bool:
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip() in ("", "0")


@dataclasses.dataclass(kw_only=True)
class _Origin:
    distribution: str | None
    version: str | None


# Usable providers by name, names claimed more than once, and registration hooks that failed.
_Collected = tuple[dict[str, RegisteredProvider], dict[str, list[RegisteredProvider]], tuple[PluginProblem, ...]]


class ProviderRegistry:
    """Holds the plugin manager and the providers its plugins registered."""

    def __init__(self, *, autoload: bool | None = None, blocked: Iterable[str] | None = None) -> None:
        self.plugin_manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.plugin_manager.add_hookspecs(hookspecs)
        self._blocked = frozenset(_normalize(n) for n in (blocked if blocked is not None else _env_blocked()))
        self._origins: dict[str, _Origin] = {}
        self._problems: list[PluginProblem] = []
        self._collected: _Collected | None = None
        self._unfit: dict[str, str] = {}
        """Provider name -> why it does not fit this core's contract version."""
        if autoload if autoload is not None else _env_autoload():
            self.load_entry_points()

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Load every plugin in ``group``, recording failures instead of raising them."""
        for ep in entry_points(group):
            dist, version = ep.distribution, ep.version
            if _normalize(ep.name) in self._blocked or (dist and _normalize(dist) in self._blocked):
                continue
            try:
                module = ep.load()
            except Exception as exc:
                self._problems.append(
                    PluginProblem(
                        plugin=ep.name, distribution=dist, error=f"import failed: {type(exc).__name__}: {exc}"
                    )
                )
                continue
            self.register_plugin(module, name=ep.name, distribution=dist, version=version)

    def register_plugin(
        self,
        plugin: ModuleType | object,
        *,
        name: str,
        distribution: str | None = None,
        version: str | None = None,
    ) -> None:
        """Register a plugin object by hand (built-ins, tests, or an app embedding its own provider)."""
        if _normalize(name) in self._blocked or self.plugin_manager.is_blocked(name):
            return
        if self.plugin_manager.has_plugin(name):
            other = self._origins[name]
            self._problems.append(
                PluginProblem(
                    plugin=name,
                    distribution=distribution,
                    error=f"plugin name {name!r} is already used by {other.distribution or 'another plugin'}; skipped",
                )
            )
            return
        try:
            self.plugin_manager.register(plugin, name=name)
            self.plugin_manager.check_pending()
        except Exception as exc:
            if self.plugin_manager.has_plugin(name):
                self.plugin_manager.unregister(name=name)
            self._problems.append(
                PluginProblem(
                    plugin=name,
                    distribution=distribution,
                    error=f"invalid plugin: {type(exc).__name__}: {exc}",
                )
            )
            return
        self._origins[name] = _Origin(distribution=distribution, version=version)
        self._collected = None

    def _collect(self) -> _Collected:
        if self._collected is not None:
            return self._collected
        claims: dict[str, list[RegisteredProvider]] = {}
        self._unfit = {}
        # Hook failures belong to this collection: a re-collection (after register_plugin) replaces them.
        hook_problems: list[PluginProblem] = []
        for impl in self.plugin_manager.hook.planpilot_register_providers.get_hookimpls():
            origin = self._origins[impl.plugin_name]
            specs: list[ProviderSpec] = []

            def register(spec: ProviderSpec, _specs: list[ProviderSpec] = specs) -> None:
                if not isinstance(spec, ProviderSpec):
                    raise TypeError(f"register() takes a ProviderSpec, got {type(spec).__name__}")
                _specs.append(spec)

            try:
                # pluggy lets an implementation accept fewer arguments than the spec declares.
                impl.function(**{arg: register for arg in impl.argnames if arg == "register"})
            except Exception as exc:
                hook_problems.append(
                    PluginProblem(
                        plugin=impl.plugin_name,
                        distribution=origin.distribution,
                        error=f"planpilot_register_providers failed: {type(exc).__name__}: {exc}",
                    )
                )
                continue
            for spec in specs:
                claims.setdefault(spec.name, []).append(
                    RegisteredProvider(
                        spec=spec,
                        plugin=impl.plugin_name,
                        distribution=origin.distribution,
                        version=origin.version,
                    )
                )
        conflicts = {name: regs for name, regs in claims.items() if len(regs) > 1}
        providers: dict[str, RegisteredProvider] = {}
        for name, regs in claims.items():
            if len(regs) != 1:
                continue
            if (problem := regs[0].contract_problem) is None:
                providers[name] = regs[0]
            else:  # listed as a problem; get() names both versions
                hook_problems.append(
                    PluginProblem(plugin=regs[0].plugin, distribution=regs[0].distribution, error=problem)
                )
                self._unfit[name] = problem
        self._collected = (providers, conflicts, tuple(hook_problems))
        return self._collected

    @property
    def plugins(self) -> dict[str, tuple[str | None, str | None]]:
        """Every registered plugin: name -> (distribution, version)."""
        return {name: (o.distribution, o.version) for name, o in sorted(self._origins.items())}

    @property
    def providers(self) -> Mapping[str, RegisteredProvider]:
        """Usable providers by name, sorted; names claimed twice are left out (see ``problems``)."""
        return dict(sorted(self._collect()[0].items()))

    @property
    def problems(self) -> tuple[PluginProblem, ...]:
        """Plugins that failed to load or register, and provider names claimed more than once."""
        _, conflicts, hook_problems = self._collect()
        duplicate_problems = [
            PluginProblem(plugin=regs[0].plugin, distribution=regs[0].distribution, error=_conflict_message(name, regs))
            for name, regs in sorted(conflicts.items())
        ]
        return (*self._problems, *hook_problems, *duplicate_problems)

    def get(self, name: str) -> RegisteredProvider:
        """The registration for ``name``; ``ValueError`` naming the known ones if there is none."""
        providers, conflicts, _ = self._collect()
        if name in conflicts:
            raise PluginError(_conflict_message(name, conflicts[name]))
        if name not in providers and name in self._unfit:
            raise PluginError(self._unfit[name])
        failed = [p for p in self.problems if _normalize(p.plugin) == _normalize(name)]
        if name not in providers and failed:
            raise PluginError(f"provider {name!r} could not be loaded: {failed[0]}")
        if name not in providers:
            known = ", ".join(sorted(providers)) or "none (install a provider plugin, e.g. planpilot-provider-dry-run)"
            raise ValueError(f"unknown provider {name!r}; known providers: {known}")
        return providers[name]

    def create(self, config: ProviderConfig) -> Provider[Any]:
        """Instantiate the provider ``config.provider`` names (not entered).

        Fails before any network call when its declared capabilities fall short of the required ones;
        the declared set travels in the config, so entering catches a provider resolving more.
        """
        registered = self.get(config.provider)
        check_capabilities(config.provider, registered.spec.capabilities, config.required_capabilities)
        if config.declared_capabilities is None:
            import attrs

            config = attrs.evolve(config, declared_capabilities=registered.spec.capabilities)
        return registered.load()(config)


def _conflict_message(name: str, regs: list[RegisteredProvider]) -> str:
    origins = " and ".join(r.origin for r in regs)
    return (
        f"provider name {name!r} is registered by both {origins}; uninstall one, or block one with "
        f"{BLOCK_PLUGINS_ENV}=<entry point or distribution name>"
    )


@functools.cache
def get_registry() -> ProviderRegistry:
    """The process-wide registry, discovered from entry points on first use."""
    return ProviderRegistry()


def list_providers() -> list[RegisteredProvider]:
    """Every usable provider: name, distribution, version, capabilities and summary."""
    return list(get_registry().providers.values())


def create_provider(
    name: str,
    *,
    target: str,
    token: str,
    board_url: str,
    label: str = DEFAULT_LABEL,
    field_config: FieldConfig | None = None,
    **kwargs: object,
) -> Provider[Any]:
    """Create a provider instance by name (not yet entered).

    ``required_capabilities`` and ``read_only`` go into the :class:`ProviderConfig`; every other
    keyword becomes one of its ``options`` (GitHub: ``api_url``, ``transport``, ...).

    Raises:
        ValueError: If no installed plugin registers ``name``; the message lists the known providers.
        PluginError: If the plugin fails to import or two distributions register ``name``.
        ProviderConfigError: If the provider cannot use the configuration (a ``ValueError`` too).
        ProviderCapabilityError: If the provider declares less than ``required_capabilities`` asks.
    """
    from planpilot_providers_core.config import ProviderConfig

    registry = get_registry()
    registry.get(name)  # an unknown name is reported as such before the configuration is checked
    config = ProviderConfig.from_keywords(
        name, target=target, token=token, board_url=board_url, label=label, field_config=field_config, **kwargs
    )
    return registry.create(config)
