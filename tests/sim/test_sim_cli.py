"""`python -m exstrat_app sim-exchange` (the README's command) serves and stops cleanly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request


def test_the_sim_exchange_command_serves_the_small_dataset() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "exstrat_app", "sim-exchange", "--port", "0", "--dataset", "small"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)  # type: ignore[union-attr]
        with urllib.request.urlopen(f"{url}/api/v3/ticker/price?symbol=ETHUSDT") as resp:  # noqa: S310
            assert json.load(resp)["price"] == "3500.00000000"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) in (0, -15)
