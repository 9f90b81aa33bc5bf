"""Pure ASGI middleware: request ids, timing, body-size limit, last-resort 500s."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quant_engine.api.envelope import JSON_MEDIA_TYPE, error_envelope_bytes
from quant_engine.core.errors import InternalError, PayloadTooLargeError, QuantEngineError
from quant_engine.core.logbuffer import current_request_id

logger = logging.getLogger("quant_engine.api")
access_logger = logging.getLogger("quant_engine.api.access")

# An incoming X-Request-ID is honoured only if it is short and plain, so it cannot inject
# newlines or markup into logs.
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = str(value.decode("latin-1"))
            if _REQUEST_ID_PATTERN.match(candidate):
                return candidate
    return None


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestContextMiddleware:
    """Gives every HTTP request an id and a start time, and guarantees an envelope.

    - ``X-Request-ID`` is honoured when well-formed, otherwise generated; always echoed.
    - Bodies over ``max_body_bytes`` answer 413 ``PAYLOAD_TOO_LARGE``.
    - An exception nothing else handled is logged with its traceback and the request id
      and answered as 500 ``INTERNAL`` (type and message only when ``dev``).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, dev: bool) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.dev = dev

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["started"] = time.perf_counter()
        token = current_request_id.set(request_id)
        status_holder = {"status": 0, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            declared = _declared_length(scope)
            if declared is not None and declared > self.max_body_bytes:
                await self._send_error(scope, send_with_id, self._too_large())
            else:
                await self.app(scope, self._limited(receive), send_with_id)
        except PayloadTooLargeError as error:
            if not status_holder["started"]:
                await self._send_error(scope, send_with_id, error)
        except Exception as error:
            logger.exception(
                "unhandled error (request %s) on %s %s", request_id, scope["method"], scope["path"]
            )
            if status_holder["started"]:
                raise
            detail = f"{type(error).__name__}: {error}" if self.dev else "Internal server error"
            await self._send_error(scope, send_with_id, InternalError(detail))
        finally:
            elapsed_ms = (time.perf_counter() - state["started"]) * 1000.0
            access_logger.info(
                "%s %s -> %s in %.1f ms",
                scope["method"],
                scope["path"],
                status_holder["status"],
                elapsed_ms,
            )
            current_request_id.reset(token)

    def _too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"Request body is larger than the limit of {self.max_body_bytes} bytes"
        )

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise self._too_large()
            return message

        return limited_receive

    async def _send_error(self, scope: Scope, send: Send, error: QuantEngineError) -> None:
        body = error_envelope_bytes(error, scope.get("state", {}))
        await send(
            {
                "type": "http.response.start",
                "status": error.status,
                "headers": [
                    (b"content-type", JSON_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
