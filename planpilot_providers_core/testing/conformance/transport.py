"""Checks under transport faults: every request of a create failed in turn, errors of the right kind,
rate-limit waits honoured, and the credential never shown, for any provider whose HTTP goes through core's
``PooledClient`` (or :func:`~planpilot_providers_core.reliability.wrap_transport`).

The faults come from :mod:`planpilot_providers_core.testing.faults`; waits run on virtual time, so a
``Retry-After`` of seconds costs none.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from planpilot_providers_core.contracts import CreateItemInput, Item, ItemSearchFilters, UpdateItemInput
from planpilot_providers_core.errors import (
    AuthenticationError,
    CreateItemPartialFailureError,
    ProviderError,
    TransientProviderError,
)
from planpilot_providers_core.provider import Provider
from planpilot_providers_core.testing.conformance.calls import _create, _get, _search
from planpilot_providers_core.testing.conformance.checks import (
    _call,
    _create_call,
    _describe,
    _expect,
    _fail,
    _ids,
    _labels,
    _raised,
    _search_call,
    _update_call,
)
from planpilot_providers_core.testing.conformance.marker import _Marker
from planpilot_providers_core.testing.conformance.secrets import (
    _exception_texts,
    _expect_no_secret,
    _log_texts,
    _repr_texts,
)
from planpilot_providers_core.testing.faults import (
    ANY_REQUEST_FAULTS,
    WRITE_FAULTS,
    Fault,
    FaultPlan,
    SeenRequest,
    virtual_system_time,
)

_EPSILON = 1e-6


def _no_requests(provider: Provider[Any]) -> str:
    return (
        f"provider {provider.name!r} sent no request through core's transport seam, so transport faults are not "
        "checked: build its HTTP client with planpilot_providers_core.reliability.PooledClient, or pass the "
        "transport it builds through reliability.wrap_transport() (or return None from the fault_plan fixture "
        "to say it has no HTTP)"
    )


def _shown(seen: SeenRequest, number: int, total: int) -> str:
    return f"request {number} of {total} ({seen.method} {seen.path})"


class TransportFaultChecks:
    """``create_item`` and reads under 429, 5xx, dropped connections, timeouts, applied-then-lost answers,
    401 and 403: no duplicate, partial failures named, the right errors, waits honoured, no credential shown."""

    @pytest.fixture
    def fault_plan(self) -> FaultPlan | None:
        """The faults the suite injects (see :mod:`planpilot_providers_core.testing.faults`); ``None`` opts out
        (a provider with no HTTP at all)."""
        return FaultPlan(retry_after=3.0)

    @contextlib.asynccontextmanager
    async def _faulty(
        self, make_provider: Callable[[], Provider[Any]], plan: FaultPlan | None, caplog: pytest.LogCaptureFixture
    ) -> AsyncIterator[tuple[Provider[Any], FaultPlan] | None]:
        """An entered provider whose clients send through ``plan``, on virtual time, its log recorded.

        ``None`` for a provider that opted out (``fault_plan`` returned ``None``), once it is shown to send
        nothing through the seam: an opt-out is only for a provider with no HTTP at all.
        """
        if plan is None:
            observer = FaultPlan()
            with observer.installed():
                async with make_provider() as provider:
                    await _create(provider, _Marker.new().create("a provider without HTTP"))
            _expect(
                not observer.requests,
                "only a provider with no HTTP may opt out of transport faults (fault_plan returning None)",
                call="entering the provider and one create_item",
                expected="no request through core's transport seam",
                got=f"{len(observer.requests)} request(s), the first {observer.requests[0].method} "
                f"{observer.requests[0].path}"
                if observer.requests
                else "none",
            )
            yield None
            return
        caplog.set_level("DEBUG")
        with plan.installed(), virtual_system_time():
            async with make_provider() as provider:
                yield provider, plan

    @pytest.mark.asyncio
    async def test_create_under_a_fault_on_each_request_never_duplicates(
        self,
        make_provider: Callable[[], Provider[Any]],
        fault_plan: FaultPlan | None,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        async with self._faulty(make_provider, fault_plan, caplog) as faulty:
            if faulty is None:
                return  # no HTTP: nothing a transport fault could reach
            provider, plan = faulty
            # The first create may do one-time work (a label the repository lacks, made by the first write
            # needing it): the requests counted are those of a create after it.
            first = await _create(provider, _Marker.new().create("first create, which may do one-time work"))
            start = plan.mark()
            clean = await _create(provider, _Marker.new().create("clean create, to count its requests"))
            requests = plan.requests[start:]
            if not requests:
                _fail(
                    _no_requests(provider),
                    call="a create_item with the fault plan installed",
                    expected="its requests through core's transport seam",
                    got="none",
                )
            results: list[object] = [first, clean]
            for index, seen in enumerate(requests):
                kinds = [(fault, False) for fault in ANY_REQUEST_FAULTS]
                kinds += [(fault, False) for fault in WRITE_FAULTS if seen.write]
                kinds.append((Fault.SERVER_ERROR, True))
                for fault, persistent in kinds:
                    where = _shown(seen, index + 1, len(requests))
                    results += await self._faulty_create(provider, plan, index, where, fault, persistent)
            call = "the creates of this test"
            _expect_no_secret(provider, _log_texts(caplog.records), call=call)
            _expect_no_secret(provider, _repr_texts(provider, results), call=call)

    async def _faulty_create(
        self, provider: Provider[Any], plan: FaultPlan, index: int, where: str, fault: Fault, persistent: bool
    ) -> list[object]:
        m = _Marker.new()
        request = m.create(f"{fault.value}{' on every request' if persistent else ''} from {where}")
        mode = "on it and every later request" if persistent else "once"
        call = f"{_create_call(request)} with {fault.value} on {where}, {mode}"
        mark = plan.mark()
        plan.fail(fault, after=index, persistent=persistent)
        returned: Item | None = None
        error: Exception | None = None
        try:
            returned = await provider.create_item(request)
        except Exception as exc:
            error = exc
        finally:
            plan.clear()
        discovery = ItemSearchFilters(labels=(provider.config.label,), body_contains=m.body)
        found = await _search(provider, discovery)
        _expect(
            len(found) <= 1,
            "no duplicate item, ever: a create that met a transport fault must leave at most one item (a write "
            "whose answer was lost must be checked, e.g. looked up by an id chosen before sending, not sent "
            "again blindly; see retry_call's resolve_ambiguous)",
            call=call,
            expected="at most one item with the create's marker",
            got=f"{len(found)} items: {_describe(found)}",
        )
        if error is not None:
            _expect_no_secret(provider, _exception_texts(error), call=call)
        if returned is not None:
            _expect(
                _ids(found) == [returned.id],
                "the item create_item returned is the one the tracker holds",
                call=f"{_search_call(discovery)} after {call}",
                expected=_describe([returned]),
                got=_describe(found),
            )
        elif found:
            await self._check_half_made(provider, request, found[0], error, call)
        else:
            self._check_nothing_made(error, fault, persistent, call)
        if fault is Fault.RATE_LIMITED and returned is not None:
            self._check_waited(plan, mark + index, call)
        return [returned] if returned is not None else []

    async def _check_half_made(
        self, provider: Provider[Any], request: CreateItemInput, item: Item, error: Exception | None, call: str
    ) -> None:
        if not isinstance(error, CreateItemPartialFailureError) or error.created_item_id != item.id:
            got = _raised(error) if error is not None else "no exception"
            if isinstance(error, CreateItemPartialFailureError):
                got = f"CreateItemPartialFailureError naming {error.created_item_id!r}"
            _fail(
                "a create that failed once its item existed must raise CreateItemPartialFailureError naming that "
                "item: record every request of create_item with CreateProgress (a plain error makes the next "
                "sync create it again)",
                call=call,
                expected=f"CreateItemPartialFailureError naming {item.id!r} ({item.key})",
                got=got,
            )
        plan = UpdateItemInput(
            title=request.title, body=request.body, item_type=request.item_type, labels=request.labels
        )
        update = f"{_update_call(item.id, plan)} after {call}"
        await _call(
            provider.update_item(item.id, plan),
            "update_item must finish an item a failed create left half made (the next sync calls it)",
            call=update,
            expected="the finished item",
        )
        finished = await _get(provider, item.id, "finished after a failed create")
        wanted = {label.casefold() for label in (*request.labels, provider.config.label)}
        shown = (finished.title, finished.body, finished.item_type)
        expected = (request.title, request.body, request.item_type)
        _expect(
            shown == expected and wanted <= _labels(finished),
            "update_item with the plan's fields makes a half-made item converge",
            call=update,
            expected=f"{expected}, labels including {sorted(wanted)}",
            got=f"{shown}, labels {sorted(finished.labels)}",
        )

    @staticmethod
    def _check_nothing_made(error: Exception | None, fault: Fault, persistent: bool, call: str) -> None:
        __tracebackhide__ = True
        if error is None:
            _fail("create_item returned nothing and raised nothing", call=call, expected="an item or an error", got="?")
        if isinstance(error, CreateItemPartialFailureError):
            _fail(
                "a CreateItemPartialFailureError must name an item that exists",
                call=call,
                expected="no partial failure: no item was created",
                got=f"CreateItemPartialFailureError naming {error.created_item_id!r}, which search does not find",
            )
        if fault is Fault.RATE_LIMITED and not persistent:
            _fail(
                "a rate limit is waited out, not a failure: a 429 with Retry-After must be sent again after the "
                "wait (retry_call does this)",
                call=call,
                expected="the created item",
                got=_raised(error),
            )
        _expect(
            isinstance(error, ProviderError),
            "a transport failure must reach the caller as a core error (TransientProviderError when retrying may "
            "help), never as a raw httpx exception",
            call=call,
            expected="TransientProviderError (or another ProviderError) raised",
            got=_raised(error),
        )

    @staticmethod
    def _check_waited(plan: FaultPlan, number: int, call: str) -> None:
        __tracebackhide__ = True
        refused = plan.requests[number]
        later = plan.requests[number + 1 : number + 2]
        gap = later[0].at - refused.at if later else None
        _expect(
            gap is not None and gap >= plan.retry_after - _EPSILON,
            "a 429's Retry-After must be honoured: nothing is sent again before it has passed (the shared gate, "
            "on the reliability clock)",
            call=call,
            expected=f"the next request at least {plan.retry_after:g}s after the 429",
            got="no next request" if gap is None else f"the next request {gap:.3f}s after it",
        )

    @pytest.mark.asyncio
    async def test_reads_under_faults_give_the_right_errors_and_honour_waits(
        self,
        make_provider: Callable[[], Provider[Any]],
        fault_plan: FaultPlan | None,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        async with self._faulty(make_provider, fault_plan, caplog) as faulty:
            if faulty is None:
                return  # no HTTP: nothing a transport fault could reach
            provider, plan = faulty
            created = await _create(provider, _Marker.new().create("read under faults"))
            if not plan.requests:
                _fail(
                    _no_requests(provider),
                    call="a create_item with the fault plan installed",
                    expected="its requests through core's transport seam",
                    got="none",
                )
            for fault, kind, sends in (
                (Fault.UNAUTHORIZED, AuthenticationError, "once: a refused credential is not retried"),
                (Fault.FORBIDDEN, AuthenticationError, "once: a missing permission is not retried"),
                (Fault.SERVER_ERROR, TransientProviderError, "a bounded number of times (2 to 5)"),
            ):
                call = f"get_item({created.id!r}) with {fault.value} on every request"
                mark = plan.mark()
                plan.fail(fault, persistent=True)
                try:
                    await provider.get_item(created.id)
                except Exception as exc:
                    error: Exception | None = exc
                else:
                    error = None
                finally:
                    plan.clear()
                _expect(
                    isinstance(error, kind),
                    f"HTTP {fault.value} must raise {kind.__name__}, so callers and the retry policy can act on the "
                    "kind of failure (raise_for_status maps statuses; see the errors table)",
                    call=call,
                    expected=f"{kind.__name__} raised",
                    got="it returned an item" if error is None else _raised(error),
                )
                assert error is not None
                _expect_no_secret(provider, _exception_texts(error), call=call)
                sent = len(plan.requests) - mark
                bounded = sent == 1 if kind is AuthenticationError else 2 <= sent <= 5
                _expect(
                    bounded,
                    "permanent failures are not retried; transient ones are retried a bounded number of times",
                    call=call,
                    expected=f"the request sent {sends}",
                    got=f"sent {sent} times",
                )
            call = f"get_item({created.id!r}) with one 429"
            mark = plan.mark()
            plan.fail(Fault.RATE_LIMITED)
            fetched = await _call(
                provider.get_item(created.id),
                "a read met by a rate limit is sent again once the wait is over",
                call=call,
                expected="the item",
            )
            self._check_waited(plan, mark, call)
            _expect_no_secret(provider, _log_texts(caplog.records), call="the reads of this test")
            _expect_no_secret(provider, _repr_texts(provider, [created, fetched]), call="the reads of this test")
