"""The contract and the app agree: one route per operation, nothing outside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from quant_engine.api.app import API_PREFIX, create_app
from quant_engine.api.contract import HTTP_METHODS
from quant_engine.core.errors import ALL_ERROR_CLASSES
from quant_engine.core.settings import Settings

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"


def _contract() -> dict[str, Any]:
    document = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` (one level is all the contract uses for parameters)."""
    if isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return target
    return node


def _contract_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    operations = {}
    document = _contract()
    paths = document["paths"]
    assert isinstance(paths, dict)
    for path, item in paths.items():
        for method in HTTP_METHODS:
            if method in item:
                operation = dict(item[method])
                operation["parameters"] = [
                    _resolve(document, p) for p in operation.get("parameters", [])
                ]
                operations[operation["operationId"]] = (method.upper(), path, operation)
    return operations


def _api_routes(settings: Settings) -> list[APIRoute]:
    app = create_app(settings)
    return [
        route
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith(API_PREFIX)
    ]


def test_every_operation_has_exactly_one_route(settings: Settings) -> None:
    routes = _api_routes(settings)
    for operation_id, (method, path, _) in _contract_operations().items():
        matching = [r for r in routes if r.operation_id == operation_id]
        assert len(matching) == 1, f"{operation_id}: {len(matching)} routes"
        # path_format is the path without Starlette convertors ({version:model_version})
        assert matching[0].path_format == path, operation_id
        assert matching[0].methods == {method}, operation_id


def test_no_api_route_outside_the_contract(settings: Settings) -> None:
    contract_ids = set(_contract_operations())
    routes = _api_routes(settings)
    assert len(routes) >= len(contract_ids)
    for route in routes:
        assert route.operation_id in contract_ids, f"{route.path} is not in the contract"


def test_route_function_names_follow_operation_ids(settings: Settings) -> None:
    for route in _api_routes(settings):
        assert route.operation_id is not None
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in route.operation_id)
        assert route.endpoint.__name__ == snake, route.operation_id


def test_query_parameters_match_the_contract(settings: Settings) -> None:
    operations = _contract_operations()
    for route in _api_routes(settings):
        assert route.operation_id is not None
        _, _, operation = operations[route.operation_id]
        declared = operation.get("parameters", [])
        assert isinstance(declared, list)
        contract_query = {p["name"] for p in declared if p["in"] == "query"}
        contract_path = {p["name"] for p in declared if p["in"] == "path"}
        assert {p.alias for p in route.dependant.query_params} == contract_query
        assert {p.alias for p in route.dependant.path_params} == contract_path


def test_openapi_json_is_the_hand_written_contract(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == _contract()


def test_error_codes_match_the_exception_hierarchy() -> None:
    schemas = _contract()["components"]
    assert isinstance(schemas, dict)
    contract_codes = set(schemas["schemas"]["ErrorCode"]["enum"])
    assert {cls.code for cls in ALL_ERROR_CLASSES} == contract_codes


def test_every_operation_with_input_documents_422(settings: Settings) -> None:
    for operation_id, (_, _, operation) in _contract_operations().items():
        if operation.get("parameters") or operation.get("requestBody"):
            responses = operation["responses"]
            assert isinstance(responses, dict)
            assert "422" in responses, operation_id


def test_secured_operations_document_401_and_403() -> None:
    for operation_id, (_, _, operation) in _contract_operations().items():
        if operation.get("security") != []:
            responses = operation["responses"]
            assert isinstance(responses, dict)
            assert {"401", "403"} <= set(responses), operation_id


def test_model_version_convertor_is_the_contract_pattern() -> None:
    from quant_engine.api.routers.research import ModelVersionConvertor

    pattern = _contract()["components"]["schemas"]["ModelVersionRef"]["pattern"]
    assert pattern == f"^({ModelVersionConvertor.regex})$"
