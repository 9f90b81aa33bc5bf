"""The built UI is served at / with client-side routes falling back to index.html."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings


def _ui(tmp_path: Path) -> Path:
    ui = tmp_path / "dist"
    (ui / "assets").mkdir(parents=True)
    (ui / "index.html").write_text("<!doctype html><title>quant_engine</title>")
    (ui / "assets" / "app-1234.js").write_text("console.log('ui')")
    (tmp_path / "secret.txt").write_text("outside the UI folder")
    return ui


def test_ui_routes_and_assets(settings: Settings, tmp_path: Path) -> None:
    configured = settings.model_copy(update={"ui_dir": _ui(tmp_path)})
    with TestClient(create_app(configured)) as client:
        index = client.get("/")
        deep_link = client.get("/jobs/1234")
        asset = client.get("/assets/app-1234.js")
        escape = client.get("/..%2Fsecret.txt")
        api_miss = client.get("/api/v1/nope")
    assert index.status_code == 200
    assert "quant_engine" in index.text
    assert deep_link.text == index.text
    assert asset.text == "console.log('ui')"
    assert "immutable" in asset.headers["cache-control"]
    assert "outside" not in escape.text
    assert api_miss.status_code == 404
    assert api_miss.json()["error"]["code"] == "NOT_FOUND"


def test_missing_build_is_a_clear_404(settings: Settings, tmp_path: Path) -> None:
    configured = settings.model_copy(update={"ui_dir": tmp_path / "not-built"})
    with TestClient(create_app(configured)) as client:
        reply = client.get("/")
    assert reply.status_code == 404
    assert "make run" in reply.json()["error"]["message"]
