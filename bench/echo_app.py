"""The transport floor: a bare ASGI app that only parses a JSON body and echoes it back."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Receive, Scope, Send


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Read the whole body, ``json.loads`` it, answer ``json.dumps`` of it."""
    if scope["type"] != "http":
        return
    chunks: list[bytes] = []
    more = True
    while more:
        message: dict[str, Any] = await receive()
        chunks.append(message.get("body", b""))
        more = bool(message.get("more_body", False))
    payload = json.dumps(json.loads(b"".join(chunks))).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})
