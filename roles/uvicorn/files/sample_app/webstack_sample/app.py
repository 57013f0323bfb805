"""Endpoints that let tests and operators see what crossed each hop of the stack.

/api/health   liveness, with the host and process that answered
/api/whoami   what this request looked like when it arrived (client, scheme, host, headers)
/api/payload  a few KB of JSON, for benchmarks
/api/slow     answers after ?ms=N milliseconds, for timeout and graceful-shutdown tests
/api/ws       WebSocket echo, for proxies that must pass upgrades
"""

import asyncio
import os
import socket
import time

from fastapi import FastAPI, Query, Request, WebSocket, WebSocketDisconnect

from webstack_sample import __version__

SLOW_MAX_MS = 60_000
PAYLOAD_ITEMS = 40

app = FastAPI(title="webstack.tiers sample app", version=__version__, docs_url=None, redoc_url=None)

_STARTED = time.time()
_HOSTNAME = socket.gethostname()
# An operator-set marker (e.g. a release id) so a deploy can be told apart from the one before.
_RELEASE = os.environ.get("WEBSTACK_APP_RELEASE", "")


def _payload():
    return {
        "items": [
            {
                "id": i,
                "name": f"item-{i:03d}",
                "tags": ["alpha", "beta", "gamma"][: 1 + i % 3],
                "price_cents": 100 + 37 * i,
                "description": "A sample record that gives benchmark responses a realistic size.",
            }
            for i in range(PAYLOAD_ITEMS)
        ]
    }


_PAYLOAD = _payload()


@app.get("/api/health")
async def health():
    return {
        "status": "ok",
        "host": _HOSTNAME,
        "pid": os.getpid(),
        "version": __version__,
        "release": _RELEASE,
        "uptime_s": round(time.time() - _STARTED, 3),
    }


@app.get("/api/whoami")
async def whoami(request: Request):
    headers = {}
    for name, value in request.headers.items():
        # Repeated headers stay visible: a proxy that duplicates one is a finding.
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return {
        "client_ip": request.client.host if request.client else None,
        "scheme": request.url.scheme,
        "host": request.headers.get("host"),
        "path": request.url.path,
        "method": request.method,
        "request_id": request.headers.get("x-request-id"),
        "served_by": _HOSTNAME,
        "headers": headers,
    }


@app.get("/api/payload")
async def payload():
    return _PAYLOAD


@app.get("/api/slow")
async def slow(ms: int = Query(100, ge=0, le=SLOW_MAX_MS)):
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms, "host": _HOSTNAME}


@app.websocket("/api/ws")
async def websocket_echo(ws: WebSocket):
    await ws.accept()
    try:
        while True:
            await ws.send_text(await ws.receive_text())
    except WebSocketDisconnect:
        pass
