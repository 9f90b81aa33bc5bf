"""``make fuzz``: schemathesis CLI against a real uvicorn on 127.0.0.1.

Auth is switched on and schemathesis sends a token holding every scope, so the
``ignored_auth`` check also verifies the 401 answers. Every check runs (``--checks all``),
including the stateful phase; any finding fails the run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jwt

from tests.live_server import running_server, wait_for_data

FUZZ_SECRET = "fuzzing-secret-that-is-long-enough-for-hs256-0123456789"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=60)
    parser.add_argument("--port", type=int, default=0, help="unused; a free port is chosen")
    args = parser.parse_args()
    now = int(time.time())
    token = jwt.encode(
        {"sub": "fuzzer", "scope": "read compute admin", "iat": now, "exp": now + 3 * 3600},
        FUZZ_SECRET,
        algorithm="HS256",
    )
    st = Path(sys.executable).with_name("st")
    with (
        tempfile.TemporaryDirectory(prefix="qe-fuzz-") as home,
        running_server(Path(home), {"QE_JWT_SECRET": FUZZ_SECRET, "QE_ENV": "prod"}) as server,
    ):
        # The sample universe is imported at first start; fuzz the steady state.
        wait_for_data(server, {"Authorization": f"Bearer {token}"})
        command = [
            str(st),
            "run",
            f"{server.base_url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(args.examples),
            "--seed",
            "1",
            "--continue-on-failure",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--header",
            f"Authorization: Bearer {token}",
            "--no-color",
        ]
        result = subprocess.run(command, check=False, env={**os.environ, "NO_COLOR": "1"})
        if result.returncode != 0:
            print("\n--- server log ---\n" + server.log_text()[-20000:], file=sys.stderr)
        return result.returncode


if __name__ == "__main__":
    sys.exit(main())
