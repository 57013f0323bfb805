"""The uvicorn role's protocol module: a shutdown answers a request already sent to the server, where stock
uvicorn's closes the connection on it. Each case holds the race still: the request is in the socket, unread,
when the shutdown begins, because nothing yields to the event loop in between."""

import asyncio
import socket
import sys
from pathlib import Path

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

sys.dont_write_bytecode = True  # keep __pycache__ out of the files the role copies to hosts
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "roles/uvicorn/files/usr/local/lib/webstack-uvicorn"))
from webstack_uvicorn_http import DrainingHttpToolsProtocol  # noqa: E402

REQUEST = b"GET / HTTP/1.1\r\nHost: app\r\n\r\n"


async def hello(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def read_until(loop, client, done):
    """What the client reads until done(data) holds or the server closes (a reset reads as the end)."""
    data = b""
    while not done(data):
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(client, 4096), timeout=5)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def answered(data):
    return data.endswith(b"hello")


async def exchange(protocol_class, tmp_path, before_shutdown):
    """Serve on a UNIX socket with protocol_class, let before_shutdown(loop, client) bring a connection to
    the moment of the race, shut every connection down as uvicorn's server does, and return what the client
    reads after, and how many seconds after the shutdown it read the end."""
    loop = asyncio.get_running_loop()
    config = Config(app=hello, lifespan="off", log_level="warning")
    config.load()
    state = ServerState()
    path = str(tmp_path / "app.sock")
    server = await loop.create_unix_server(lambda: protocol_class(config, state, {}, _loop=loop), path)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.setblocking(False)
    try:
        await loop.sock_connect(client, path)
        while not state.connections:  # accepted: connection_made has run
            await asyncio.sleep(0.001)
        await before_shutdown(loop, client)
        server.close()
        began = loop.time()
        for connection in list(state.connections):
            connection.shutdown()
        data = await read_until(loop, client, lambda data: False)
        return data, loop.time() - began
    finally:
        client.close()
        server.close()


async def idle(loop, client):
    """A first request answered, so the connection is idle in keep-alive."""
    await loop.sock_sendall(client, REQUEST)
    assert answered(await read_until(loop, client, answered))


async def idle_with_a_request_waiting(loop, client):
    """Idle, then the next request sent, unread."""
    await idle(loop, client)
    client.send(REQUEST)


async def accepted_with_a_request_waiting(loop, client):
    client.send(REQUEST)


async def accepted_and_nothing_sent_yet(loop, client):
    pass


RACES = [idle_with_a_request_waiting, accepted_with_a_request_waiting]


@pytest.mark.parametrize("race", RACES)
def test_a_request_waiting_unread_at_shutdown_is_answered_and_the_connection_closed(tmp_path, race):
    data, _ = asyncio.run(exchange(DrainingHttpToolsProtocol, tmp_path, race))
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"hello"), data
    assert b"connection: close" in data.lower(), data


@pytest.mark.parametrize("race", RACES)
def test_stock_uvicorn_drops_it(tmp_path, race):
    """Why the module exists; should this fail, a newer uvicorn answers these requests by itself."""
    data, _ = asyncio.run(exchange(HttpToolsProtocol, tmp_path, race))
    assert not data.endswith(b"hello"), data


def test_a_connection_accepted_gets_its_first_request_answered_within_the_grace(tmp_path):
    async def send_after_the_shutdown_began(loop, client):
        loop.call_later(0.2, client.send, REQUEST)

    data, _ = asyncio.run(exchange(DrainingHttpToolsProtocol, tmp_path, send_after_the_shutdown_began))
    assert data.startswith(b"HTTP/1.1 200") and b"connection: close" in data.lower(), data


def test_an_idle_connection_with_nothing_waiting_is_closed_at_once(tmp_path):
    data, took = asyncio.run(exchange(DrainingHttpToolsProtocol, tmp_path, idle))
    assert data == b"" and took < 0.5, (data, took)


def test_an_accepted_connection_that_sends_nothing_is_closed_after_the_grace(tmp_path):
    data, took = asyncio.run(exchange(DrainingHttpToolsProtocol, tmp_path, accepted_and_nothing_sent_yet))
    assert data == b"" and 0.9 < took < 3, (data, took)
