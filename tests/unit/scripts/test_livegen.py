"""The live benchmark's load generator behaves as a socket.io client does: a connection that
fails in any way is tried again after the backoff, never given up."""

from __future__ import annotations

import asyncio
import importlib.util
from concurrent.futures import ThreadPoolExecutor

import aiohttp
from aiohttp import web

from tests.processes import ROOT


def _livegen():
    spec = importlib.util.spec_from_file_location("livegen", ROOT / "scripts" / "livegen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_websocket_closed_before_its_open_packet_is_tried_again():
    """A stopping process closes what it has just upgraded: the client gets a CLOSE where the
    Engine.IO open packet should be, and must count a failed attempt and come back, as a page's
    socket.io client does."""
    livegen = _livegen()
    attempts: list[int] = []

    async def socket_io(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        attempts.append(len(attempts))
        if len(attempts) == 1:
            await ws.close()  # upgraded, then closed before the open packet
            return ws
        await ws.send_str('0{"sid":"s","pingInterval":25000,"pingTimeout":20000}')
        connect = await ws.receive_str()
        assert connect.startswith("40")
        await ws.send_str('40{"sid":"x"}')
        await ws.send_str('42["snapshot",{"last_event_id":7}]')
        await ws.receive()  # until the client closes
        return ws

    async def scenario() -> tuple[object, object]:
        app = web.Application()
        app.router.add_get("/socket.io/", socket_io)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        gen = livegen.Generator({
            "url": f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", "clients": [],
        })  # fmt: skip
        session = aiohttp.ClientSession()
        client = livegen.Client(gen, {"token": "t", "backoff": [0.01, 0.05]}, session)
        running = asyncio.create_task(client.run())
        try:
            async with asyncio.timeout(10):
                while not client.connected:
                    await asyncio.sleep(0.01)
        finally:
            gen.stopping = True
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await session.close()
            await runner.cleanup()
        return gen, client

    # On a thread of its own: Playwright's sync API (the browser tests) leaves an event loop
    # running on the suite's thread.
    with ThreadPoolExecutor(1) as thread:
        gen, client = thread.submit(lambda: asyncio.run(scenario())).result()
    assert len(attempts) == 2
    assert client.connects == 1 and client.cursor == 7
    assert gen.errors == {"ValueError": 1}
