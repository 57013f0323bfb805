"""The sites scenario's second app: a bare ASGI app (no framework) that says which app it is and what reached
it. The site playbook installs it from this directory (app_source: directory)."""

import json
import os


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    body = json.dumps({
        "app": "blog",
        "path": scope["path"],
        "host": headers.get("host"),
        "scheme": scope["scheme"],
        "client_ip": scope["client"][0] if scope.get("client") else None,
        "request_id": headers.get("x-request-id"),
        "pid": os.getpid(),
        "release": os.environ.get("WEBSTACK_APP_RELEASE"),
    }).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
