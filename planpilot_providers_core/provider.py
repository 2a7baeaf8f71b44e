"""The ``Provider`` ABC: an issue tracker behind the contract, with its lifecycle kept by the base class.

A provider is created from a :class:`~planpilot_providers_core.config.ProviderConfig`, entered with
``async with`` (which resolves remote state into a frozen context and runs the capability check), used
from concurrent tasks, and exited. The base class owns that lifecycle, so no provider can forget part
of it:

* ``name`` comes from the registration (``config.provider``), never from a class attribute;
* every contract method is guarded: reads need an entered provider, writes also need one that is not
  ``read_only``. After exit they raise ``ProviderError``. The same checks are public
  (:meth:`Provider.ensure_entered`, :meth:`Provider.ensure_writable`) and also pass *inside*
  :meth:`Provider.resolve_context`, where the context does not exist yet;
* resources opened with :meth:`Provider.open_resource` while entering (an HTTP client) are closed on
  exit, or when entering fails, in reverse order.
"""

from __future__ import annotations

import abc
import contextlib
import enum
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

from planpilot_providers_core.capabilities import Capability, check_capabilities, undeclared
from planpilot_providers_core.config import ProviderConfig
from planpilot_providers_core.context import ProviderContext
from planpilot_providers_core.contracts import (
    CreateItemInput,
    Estimate,
    Item,
    ItemLimits,
    ItemRelations,
    ItemSearchFilters,
    RelationChange,
    UpdateItemInput,
    Workload,
)
from planpilot_providers_core.errors import ProviderCapabilityError, ProviderError

__all__ = ["ContextT", "Provider"]

ContextT = TypeVar("ContextT", bound=ProviderContext)
_R = TypeVar("_R")

#: Contract methods that only read, and those that write; the base class guards both kinds.
_READS = ("search_items", "get_item", "fetch_relations")
_WRITES = ("create_item", "update_item", "delete_item", "update_items", "reconcile_many", "close_duplicate")


class _Phase(enum.Enum):
    NEW = "not entered yet"
    ENTERING = "entering"
    ENTERED = "entered"
    EXITED = "exited"


def _guard(method: Callable[..., Awaitable[_R]], *, write: bool) -> Callable[..., Awaitable[_R]]:
    @functools.wraps(method)
    async def guarded(self: Provider[Any], *args: Any, **kwargs: Any) -> _R:
        self.ensure_writable() if write else self.ensure_entered()
        return await method(self, *args, **kwargs)

    guarded.__planpilot_guarded__ = True  # type: ignore[attr-defined]
    return guarded


class Provider(abc.ABC, Generic[ContextT]):
    """An issue tracker adapter. Enter it (``async with``) before calling anything else.

    Subclasses implement :meth:`resolve_context` (look up remote state, open clients with
    :meth:`open_resource`) and the item methods. Every method must be safe under concurrent calls.
    ``Provider[MyContext]`` makes :attr:`context` return ``MyContext``.

    Constructor contract: ``__init__(self, config: ProviderConfig)``; call ``super().__init__(config)``
    first, then read your own keywords with ``parse_options(MyOptions, config)``. Validate what can be
    validated without the network in :meth:`validate_config`, which also runs before any credential
    is looked up.
    """

    item_limits: ClassVar[ItemLimits] = ItemLimits()
    """The longest title and body the tracker accepts; a sync refuses a plan that breaks them before writing."""

    def __init__(self, config: ProviderConfig) -> None:
        if not isinstance(config, ProviderConfig):
            raise TypeError(
                f"{type(self).__name__} takes a ProviderConfig (build providers with create_provider), "
                f"got {type(config).__name__}"
            )
        type(self).validate_config(config)
        self.config = config
        self._phase = _Phase.NEW
        self._context: ContextT | None = None
        self._resources: contextlib.AsyncExitStack | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in (*_READS, *_WRITES):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "__planpilot_guarded__", False):
                setattr(cls, name, _guard(method, write=name in _WRITES))

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> None:
        """Raise ``ProviderConfigError`` for a configuration this provider cannot use (override it).

        Runs before the credential is looked up and without the network: check the shape of
        ``target``, ``board_url`` and your options here, so a typo is reported as a typo.
        """

    # -- identity and state ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The name the provider was registered (and created) under."""
        return self.config.provider

    @property
    def read_only(self) -> bool:
        """Enter and read without writing anything; every write raises ``ProviderError``."""
        return self.config.read_only

    @property
    def required_capabilities(self) -> frozenset[Capability]:
        return self.config.required_capabilities

    @property
    def context(self) -> ContextT:
        """The frozen state resolved on enter."""
        if self._context is None:
            self.ensure_entered()
            raise ProviderError(f"provider {self.name!r} is still entering; its context is not resolved yet")
        return self._context

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.context.capabilities

    def ensure_entered(self) -> None:
        """Raise ``ProviderError`` unless the provider is entered (or entering) and not exited."""
        if self._phase is _Phase.NEW:
            raise ProviderError(f"provider {self.name!r} is not entered; use 'async with provider:' first")
        if self._phase is _Phase.EXITED:
            raise ProviderError(
                f"provider {self.name!r} is not entered (it was exited); enter it again with 'async with provider:'"
            )

    def ensure_writable(self) -> None:
        """:meth:`ensure_entered`, and raise ``ProviderError`` when the provider was created ``read_only``."""
        self.ensure_entered()
        if self.read_only:
            raise ProviderError(f"provider {self.name!r} was created read_only; create it without read_only to write")

    def require(self, capability: Capability) -> None:
        """Raise ``ProviderCapabilityError`` unless the entered provider offers ``capability``."""
        check_capabilities(self.name, self.capabilities, (capability,))

    async def open_resource(self, resource: contextlib.AbstractAsyncContextManager[_R]) -> _R:
        """Enter ``resource`` (e.g. a ``PooledClient``) for as long as the provider is entered.

        Call it from :meth:`resolve_context`; it is exited on exit, or at once if entering fails.
        """
        if self._resources is None or self._phase is not _Phase.ENTERING:
            raise ProviderError(f"provider {self.name!r}: open_resource() belongs in resolve_context()")
        return await self._resources.enter_async_context(resource)

    # -- lifecycle --------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._phase in (_Phase.ENTERING, _Phase.ENTERED):
            raise ProviderError(f"provider {self.name!r} is already entered")
        self._phase = _Phase.ENTERING
        self._resources = contextlib.AsyncExitStack()
        try:
            context = await self.resolve_context()
            if not isinstance(context, ProviderContext):
                raise ProviderError(
                    f"provider {self.name!r}: resolve_context() returned {type(context).__name__}, "
                    "not a ProviderContext"
                )
            declared = self.config.declared_capabilities
            extra = undeclared(declared, context.capabilities) if declared is not None else []
            if extra:
                names = ", ".join(extra)
                raise ProviderCapabilityError(
                    f"provider {self.name!r} resolved {names}, which its registration does not declare; "
                    "add them to the capabilities of its ProviderSpec",
                    capability=extra[0],
                    missing=extra,
                )
            check_capabilities(self.name, context.capabilities, self.required_capabilities)
        except BaseException:
            self._phase = _Phase.EXITED
            await self._release()
            raise
        self._context = context
        self._phase = _Phase.ENTERED
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._phase = _Phase.EXITED
        self._context = None
        await self._release()

    async def _release(self) -> None:
        resources, self._resources = self._resources, None
        try:
            await self.aclose()
        finally:
            if resources is not None:
                await resources.aclose()

    @abc.abstractmethod
    async def resolve_context(self) -> ContextT:
        """Open connections and resolve remote state; called once per ``async with``."""

    async def aclose(self) -> None:
        """Release what :meth:`open_resource` does not cover; safe after a failed ``resolve_context``."""

    # -- the contract -----------------------------------------------------------------------------

    @abc.abstractmethod
    async def search_items(self, filters: ItemSearchFilters) -> Sequence[Item]:
        """Every item matching ``filters`` exactly once, or an error; never a silent partial list."""

    @abc.abstractmethod
    async def create_item(self, item: CreateItemInput) -> Item:
        """Create an item and configure it fully.

        Once the item exists, any failure must be raised as ``CreateItemPartialFailureError`` with its
        identity and the canonical steps that completed (:mod:`planpilot_providers_core.steps`).
        """

    @abc.abstractmethod
    async def update_item(self, item_id: str, item: UpdateItemInput) -> Item:
        """Apply the plan-authoritative fields that differ; labels are only ever added."""

    @abc.abstractmethod
    async def get_item(self, item_id: str) -> Item:
        """The item with this id; ``ItemNotFoundError`` when there is none (never ``None``)."""

    @abc.abstractmethod
    async def delete_item(self, item_id: str) -> None:
        """Delete the item; ``ItemNotFoundError`` when there is none."""

    async def close_duplicate(self, item_id: str, kept: Item, *, label: str) -> None:
        """Close the item as a duplicate of ``kept`` and take the discovery ``label`` off it; never delete it.

        A sync calls it for the surplus copies of a plan item (two syncs ran at once: every run keeps the
        same copy, see ``sync.identity``). Afterwards a search for ``label`` must no longer return the item,
        so no later discovery (this project's, or PlanPilot's, which searches the same label) takes it for a
        copy of the plan again; ``get_item`` still finds it. Link it to ``kept`` where the tracker can
        (GitHub: closed as a duplicate of that issue). Closing an item already closed so succeeds; an id
        that does not exist raises ``ItemNotFoundError``. Relations are not the method's business: the
        sync detaches the item before closing it.

        Providers that declare ``items.close-duplicate`` override it; the default raises
        ``ProviderCapabilityError``.
        """
        self.require(Capability.ITEM_CLOSE_DUPLICATE)
        raise ProviderError(
            f"provider {self.name!r} declares {Capability.ITEM_CLOSE_DUPLICATE.value} but does not implement "
            "close_duplicate"
        )

    async def fetch_relations(self, items: Sequence[Item]) -> dict[str, ItemRelations]:
        """Current relations of many items, keyed by item id.

        The default asks each item in turn; providers that can read many items per request
        (GitHub: ``nodes(ids:)``) override it so a sync reads relations in batches.
        """
        return {item.id: await item.get_relations() for item in items}

    async def update_items(self, updates: Sequence[tuple[str, UpdateItemInput]]) -> list[Item | Exception]:
        """Apply many updates; one result per update, in order: the updated item, or the exception for it.

        The default calls :meth:`update_item` for each in turn. A provider that can batch writes (GitHub:
        aliased mutations in one request) overrides it; a failure stays reportable per item.
        """
        results: list[Item | Exception] = []
        for item_id, update in updates:
            try:
                results.append(await self.update_item(item_id, update))
            except Exception as exc:
                results.append(exc)
        return results

    async def reconcile_many(self, changes: Sequence[RelationChange]) -> list[Exception | None]:
        """Reconcile many items' relations; one result per change, in order: ``None``, or its exception.

        The default calls ``Item.reconcile_relations`` for each; a provider that can batch overrides it.
        """
        results: list[Exception | None] = []
        for change in changes:
            try:
                await change.item.reconcile_relations(parent=change.parent, blockers=change.blockers)
                results.append(None)
            except Exception as exc:
                results.append(exc)
        return results

    def canonical_body(self, body: str) -> str:
        """The form in which a sync compares bodies: what the tracker shows and what the plan renders are
        both passed through it, and equal results mean "unchanged".

        Bodies in the contract are Markdown with PlanPilot's metadata block at the top. A provider whose
        tracker stores another format (Jira's ADF or wiki text) converts on write, converts back on read
        (``Item.body``), and returns here the text its conversion round-trips to (e.g. Markdown -> ADF ->
        Markdown), so an unchanged re-sync writes nothing. The metadata block must survive the round trip
        as plain lines, so that a search for it still finds the item. The default: the body as it is.
        """
        return body

    def estimate(self, work: Workload) -> Estimate | None:
        """How long ``work`` takes at the tracker's pace (its rate budgets), or ``None`` when unknown.

        A sync shows it as the ETA of its progress line and ``check`` for a whole plan.
        """
        return None

    def budget_report(self) -> Mapping[str, float] | None:
        """Budget units spent so far (per budget) and limit responses met, for a sync's report; ``None``
        for a provider that keeps no budgets."""
        return None

    def field_problems(self, fields: Mapping[str, str]) -> list[str]:
        """What is wrong with the board field values a plan item declares, checked before any write.

        Called on the entered provider for every item with ``fields``; return one message per problem
        (an unknown field, an option the board does not have, naming the choices). The default: a
        provider without ``project.fields`` accepts no fields; one with it accepts any.
        """
        if fields and Capability.PROJECT_FIELDS not in self.capabilities:
            return [f"provider {self.name!r} has no board fields, but the item sets {', '.join(fields)}"]
        return []

    def size_problems(self, size: str) -> list[str]:
        """What is wrong with a plan size (an estimate's t-shirt size) on this tracker, checked before any write.

        Called on the entered provider for every size the sync would write (``fields`` naming the size
        field win over the estimate's size and are checked by :meth:`field_problems` instead). Return one
        message per problem, naming the choices (a size the board has no option for). The default: none.
        """
        return []

    def recorded_changes(self) -> Sequence[str] | None:
        """The changes a simulating provider recorded instead of making them, one line each.

        ``None`` (the default) for providers that write to a real tracker. The dry-run provider returns
        its operation log, which the CLI prints as the preview of what a real sync would change.
        """
        return None


# The default batch methods are part of the contract too: guard them like the methods subclasses define.
for _name in ("fetch_relations", "update_items", "reconcile_many", "close_duplicate"):
    setattr(Provider, _name, _guard(getattr(Provider, _name), write=_name != "fetch_relations"))
