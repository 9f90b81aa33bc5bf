"""Serving the built browser UI: static assets, and index.html for client-side routes."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.responses import FileResponse, Response

from quant_engine.api.envelope import error_response
from quant_engine.core.errors import MethodNotAllowedError, NotFoundError

# Where `npm run build` puts the UI in a source checkout (frontend/dist beside the package).
DEFAULT_UI_DIR = Path(__file__).resolve().parents[2] / "frontend" / "dist"
_NO_CACHE = {"Cache-Control": "no-cache"}
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def _asset(ui_dir: Path, relative: str) -> Path | None:
    """The file under ``ui_dir`` named by ``relative``, never anything outside it."""
    if not relative or "\x00" in relative:
        return None
    candidate = (ui_dir / relative).resolve()
    if not candidate.is_relative_to(ui_dir) or not candidate.is_file():
        return None
    return candidate


def _matches(route: APIRoute, path: str) -> bool:
    """True when ``route`` serves ``path``: its regex matches and every path parameter
    fits its declared pattern (``/models/train`` is not ``/models/{version}``)."""
    match = route.path_regex.match(path)
    if match is None:
        return False
    for param in route.dependant.path_params:
        for constraint in param.field_info.metadata:
            pattern = getattr(constraint, "pattern", None)
            value = match.groupdict().get(param.name)
            if isinstance(pattern, str) and value is not None and not re.search(pattern, value):
                return False
    return True


def _api_miss(request: Request) -> Response:
    """An API path only this catch-all matched: 405 when another method exists, else 404."""
    allowed = sorted(
        method
        for route in request.app.router.routes
        if isinstance(route, APIRoute)
        and route.path.startswith("/api/")
        and _matches(route, request.url.path)
        and request.method not in (route.methods or ())
        for method in route.methods or ()
    )
    if allowed:
        error = MethodNotAllowedError(f"Method {request.method} not allowed on {request.url.path}")
        return error_response(request, error, {"Allow": ", ".join(allowed)})
    raise NotFoundError(f"No route for {request.method} {request.url.path}")


def install_ui(app: FastAPI, ui_dir: Path) -> None:
    """Serve ``ui_dir`` at ``/``; paths that are not files fall back to ``index.html``.

    ``/api/…`` is never answered here: an unknown API path stays a 404 envelope.
    """
    root = ui_dir.resolve()
    index = root / "index.html"

    async def serve_ui(request: Request, full_path: str = "") -> Response:
        relative = full_path.lstrip("/")
        if relative == "api" or relative.startswith("api/"):
            return _api_miss(request)
        if request.method not in {"GET", "HEAD"}:
            error = MethodNotAllowedError(
                f"Method {request.method} not allowed on {request.url.path}"
            )
            return error_response(request, error, {"Allow": "GET, HEAD"})
        asset = _asset(root, relative)
        if asset is not None:
            hashed = asset.parent.name == "assets"  # Vite fingerprints these file names
            return FileResponse(asset, headers=_IMMUTABLE if hashed else _NO_CACHE)
        if not index.is_file():
            raise NotFoundError("The web UI is not built: run `make run` (it builds frontend/)")
        return FileResponse(index, headers=_NO_CACHE)

    # Every method reaches the catch-all, so an unknown /api path is a 404 whatever the
    # method (a GET-only catch-all would make it a 405).
    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    app.add_api_route("/", serve_ui, methods=methods, include_in_schema=False)
    app.add_api_route("/{full_path:path}", serve_ui, methods=methods, include_in_schema=False)
