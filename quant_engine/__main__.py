"""Command line: ``python -m quant_engine serve|token``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from quant_engine.core.settings import Settings

SHUTDOWN_GRACE_SECONDS = 5


def _settings_or_exit() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        sys.exit(f"quant_engine: invalid configuration: {problems}")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from quant_engine.api.app import create_app

    settings = _settings_or_exit()
    host = args.host or settings.host
    port = args.port or settings.port
    problem = settings.insecure_bind_problem(host)
    if problem is not None:
        print(f"quant_engine: {problem}", file=sys.stderr)
        return 2
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        # Open event streams would otherwise hold shutdown until their jobs end.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    return 0


def _token(args: argparse.Namespace) -> int:
    from quant_engine.api.auth import issue_token

    settings = _settings_or_exit()
    try:
        print(issue_token(settings, args.sub, args.scope, args.ttl))
    except ValueError as error:
        print(f"quant_engine: {error}", file=sys.stderr)
        return 2
    return 0


def _data_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from quant_engine.data import run_import_cli

    settings = _settings_or_exit()
    source: Path | None = Path(args.directory) if args.directory else settings.data_dir
    return run_import_cli(source, settings.store_dir, args.force)


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = argparse.ArgumentParser(prog="python -m quant_engine")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API and UI with uvicorn")
    serve.add_argument("--host", default=None, help="address to bind (default QE_HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default QE_PORT)")
    serve.set_defaults(handler=_serve)

    token = commands.add_parser("token", help="print a JWT signed with QE_JWT_SECRET")
    token.add_argument("--sub", required=True, help="subject (user name)")
    token.add_argument("--scope", default="read", help='space-separated, e.g. "read compute"')
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    token.set_defaults(handler=_token)

    data = commands.add_parser("data", help="market data commands")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_import = data_commands.add_parser(
        "import", help="import a folder of per-ticker CSV/Parquet files into QE_HOME/store"
    )
    data_import.add_argument(
        "directory", nargs="?", default=None, help="folder (default QE_DATA_DIR; none: sample)"
    )
    data_import.add_argument("--force", action="store_true", help="re-import unchanged files")
    data_import.set_defaults(handler=_data_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
