"""Bearer-token authentication, with each operation's scopes read from the contract."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from quant_engine.api.contract import Operation
from quant_engine.core.errors import ForbiddenError, UnauthorizedError
from quant_engine.core.settings import Settings

_LEEWAY_SECONDS = 5  # tolerated clock skew between token issuer and this server


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's subject and its granted scopes."""

    subject: str
    scopes: frozenset[str]


class TokenVerifier:
    """Verifies HS256 or RS256 JWTs as configured; raises UNAUTHORIZED / FORBIDDEN."""

    def __init__(self, settings: Settings) -> None:
        if settings.jwt_secret is not None:
            self._key: Any = settings.jwt_secret
            self._algorithm = "HS256"
        elif settings.jwt_public_key is not None:
            self._key = settings.jwt_public_key
            self._algorithm = "RS256"
        else:
            raise ValueError("TokenVerifier needs QE_JWT_SECRET or QE_JWT_PUBLIC_KEY")
        self._audience = settings.jwt_audience

    def verify(self, authorization: str | None) -> Principal:
        """Decode the ``Authorization`` header value into a principal."""
        if not authorization:
            raise UnauthorizedError("Missing bearer token: send 'Authorization: Bearer <JWT>'")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("Malformed Authorization header: expected 'Bearer <JWT>'")
        claims = self._decode(token.strip())
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise UnauthorizedError("Token 'sub' claim must be a non-empty string")
        scope_claim = claims.get("scope", "")
        if not isinstance(scope_claim, str):
            raise UnauthorizedError("Token 'scope' claim must be a space-separated string")
        return Principal(subject=subject, scopes=frozenset(scope_claim.split()))

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[self._algorithm],
                audience=self._audience,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError as error:
            raise UnauthorizedError("Token expired") from error
        except jwt.InvalidSignatureError as error:
            raise UnauthorizedError("Token signature is invalid") from error
        except jwt.MissingRequiredClaimError as error:
            raise UnauthorizedError(f"Token lacks the required '{error.claim}' claim") from error
        except jwt.InvalidAlgorithmError as error:
            raise UnauthorizedError(f"Token must be signed with {self._algorithm}") from error
        except jwt.DecodeError as error:
            raise UnauthorizedError("Malformed token: not a decodable JWT") from error
        except jwt.InvalidTokenError as error:
            raise UnauthorizedError(f"Invalid token: {error}") from error
        return claims

    @staticmethod
    def authorize(principal: Principal, operation: Operation) -> None:
        """Raise FORBIDDEN unless ``principal`` satisfies one of the operation's
        security alternatives (holds every scope it lists)."""
        alternatives = operation.scope_alternatives or ()
        if any(set(scopes) <= principal.scopes for scopes in alternatives):
            return
        missing = [s for s in alternatives[0] if s not in principal.scopes] if alternatives else []
        raise ForbiddenError(
            f"Operation {operation.operation_id} needs scope '{' '.join(missing)}'; "
            f"token has '{' '.join(sorted(principal.scopes)) or '(none)'}'"
        )


def issue_token(settings: Settings, subject: str, scopes: str, ttl_seconds: int) -> str:
    """Sign an HS256 token with the configured secret (for the ``token`` CLI)."""
    if settings.jwt_secret is None:
        raise ValueError("QE_JWT_SECRET is not set: cannot sign a token")
    now = int(time.time())
    payload = {"sub": subject, "scope": scopes, "iat": now, "exp": now + ttl_seconds}
    if settings.jwt_audience is not None:
        payload["aud"] = settings.jwt_audience
    return jwt.encode(payload, settings.jwt_secret, algorithm="HS256")
