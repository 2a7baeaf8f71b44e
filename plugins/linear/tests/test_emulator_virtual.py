"""Virtual time: a client that obeys Linear's reset headers gets through a budget that would take hours, in
virtual time, with every wait (latency, the client's sleeps, the buckets' refill) on one time line."""

from __future__ import annotations

import time

import httpx

from planpilot_provider_linear.testing import LinearEmulator, LinearLimits, VirtualClock, run_virtual

VIEWER = {"query": "query Viewer { viewer { id } }"}


def test_a_client_waiting_for_the_reset_header_gets_through_on_virtual_time() -> None:
    clock = VirtualClock()
    emulator = LinearEmulator.with_default_scenario(clock=clock, latency=0.2, limits=LinearLimits(requests=10))

    async def client() -> tuple[int, int]:
        refused = 0
        async with httpx.AsyncClient(transport=emulator.transport(), headers={"Authorization": "lin_api_k"}) as http:
            done = 0
            while done < 25:
                response = await http.post("https://api.linear.app/graphql", json=VIEWER)
                if response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "RATELIMITED":
                    refused += 1
                    # wait for one request's worth: 10 an hour leak back one every 360 s
                    await clock.sleep(360)
                    continue
                assert response.status_code == 200
                done += 1
        return done, refused

    started, wall = clock.monotonic(), time.monotonic()
    done, refused = run_virtual(client, clock=clock)
    elapsed = clock.monotonic() - started
    assert done == 25
    assert refused == 15  # the first 10 ride the full bucket, then each one waits for its token
    assert 15 * 360 <= elapsed < 15 * 360 + 40 * 0.2 + 1  # the waits plus the latency, in virtual seconds
    assert time.monotonic() - wall < 10  # and a blink of wall time
    assert emulator.stats.limited == {"requests": 15}
