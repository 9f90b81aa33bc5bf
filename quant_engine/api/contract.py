"""The hand-written OpenAPI contract, loaded once per app and served as ``/openapi.json``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Operation:
    """One operation of the contract, as the server needs to know it."""

    operation_id: str
    method: str
    path: str
    # None: the operation is open (``security: []``). Otherwise the alternatives of its
    # ``security`` list (OpenAPI: any one suffices), each the scopes a token needs.
    scope_alternatives: tuple[tuple[str, ...], ...] | None


@dataclass(frozen=True)
class Contract:
    """The parsed contract document and an index of its operations by ``operationId``."""

    document: dict[str, Any]
    operations: dict[str, Operation]

    @property
    def version(self) -> str:
        """``info.version`` of the document."""
        return str(self.document["info"]["version"])


def _scope_alternatives(
    operation: dict[str, Any], default: list[dict[str, list[str]]] | None
) -> tuple[tuple[str, ...], ...] | None:
    requirements = operation.get("security", default)
    if not requirements or any(not requirement for requirement in requirements):
        return None  # `security: []`, or `{}` among the alternatives: no token needed
    return tuple(
        tuple(sorted({scope for scopes in requirement.values() for scope in scopes}))
        for requirement in requirements
    )


def parse_contract(document: dict[str, Any]) -> Contract:
    """Index the operations of an already-parsed OpenAPI document."""
    operations: dict[str, Operation] = {}
    default_security = document.get("security")
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operation_id = operation["operationId"]
            operations[operation_id] = Operation(
                operation_id=operation_id,
                method=method.upper(),
                path=path,
                scope_alternatives=_scope_alternatives(operation, default_security),
            )
    return Contract(document=document, operations=operations)


def load_contract() -> Contract:
    """Load the contract shipped inside the generated ``qe_contract`` package."""
    text = resources.files("qe_contract").joinpath("openapi.yaml").read_text(encoding="utf-8")
    # libyaml's loader when PyYAML has it (7x faster: every app parses the contract)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(text, Loader=loader)
    if not isinstance(document, dict):
        raise TypeError("the bundled contract is not a YAML mapping")
    return parse_contract(document)
