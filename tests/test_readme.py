"""The README cannot rot: every command it shows exists and is exercised somewhere, and its
configuration table names exactly the variables the code reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
CI = (ROOT / ".ci" / "run").read_text()

# Where each command is run for real: a test module or .ci/run.
EXERCISED_BY = {
    "make run": ".ci/run",
    "make test": ".ci/run",
    "make test-pg": ".ci/run",
    "make bench": ".ci/run",
    "make demo": "tests/browser/test_demo.py",  # runs `python -m exstrat_app demo`
    "up": "tests/browser/conftest.py",
    "demo": "tests/browser/test_demo.py",
    "worker": "tests/ingest",
    "scheduler": "tests/hardening/test_faults_services.py",
    "prices": "tests/alerts/test_stream.py",
    "migrate": ".ci/run",
    "rotate-keys": "tests/hardening/test_key_rotation.py",
    "users": "tests/account/test_owner_cli.py",
    "sim-exchange": "tests/sim/test_sim_cli.py",
}
# Read by libraries, not by our code.
NOT_OURS = {"REFLEX_REDIS_URL"}


def _sources() -> str:
    files = [*ROOT.glob("exstrat_app/**/*.py"), *ROOT.glob("jobs/*.py"), ROOT / "rxconfig.py"]
    files = [p for p in files if "sim" not in p.parts]  # the simulator speaks Binance's names
    return "\n".join(p.read_text() for p in files)


def test_every_make_target_in_the_readme_exists_and_is_exercised() -> None:
    targets = set(re.findall(r"(?:^|`)make ([a-z-]+)", README, re.M))
    assert {"run", "test", "demo", "bench", "test-pg"} <= targets
    for target in targets:
        assert re.search(rf"^{re.escape(target)}:", MAKEFILE, re.M), f"no make target {target}"
        assert f"make {target}" in EXERCISED_BY, f"`make {target}` is exercised nowhere"


def test_every_cli_command_in_the_readme_exists_and_is_exercised() -> None:
    from exstrat_app.runtime.cli import _parser

    commands = set(re.findall(r"python -m exstrat_app ([a-z-]+)", README))
    assert {"up", "worker", "scheduler", "migrate", "rotate-keys", "sim-exchange"} <= commands
    parser = _parser()
    for command in commands:
        if command != "sim-exchange":  # parsed by the simulator's own parser
            parser.parse_args([command])
        where = EXERCISED_BY[command]
        target = ROOT / where
        text = (
            "\n".join(p.read_text() for p in target.rglob("*.py"))
            if target.is_dir()
            else target.read_text()
        )
        assert command in text, f"{command} is not run by {where}"


def test_ci_runs_what_it_is_credited_with() -> None:
    for command, where in EXERCISED_BY.items():
        if where == ".ci/run":
            assert command in CI, f".ci/run does not run {command}"


def test_the_configuration_table_matches_the_code() -> None:
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]{3,})`", table))
    code = _sources()
    read_by_code = set(
        re.findall(
            r"\"((?:EXSTRAT|PRICE|SMTP|EMAIL|JWT|ENCRYPTION|REDIS|DATABASE)_?[A-Z0-9_]*)\"", code
        )
    )
    read_by_code = {v for v in read_by_code if v.isupper() and len(v) > 4}
    for name in documented - NOT_OURS - {"TEST_DATABASE_URL", "TEST_REDIS_URL",
                                         "EXSTRAT_REQUIRE_BROWSER", "PORT"}:  # fmt: skip
        assert name in code, f"README documents {name}, which no code reads"
    missing = {
        v for v in read_by_code if v not in documented and not v.startswith("EXSTRAT_DEMO_SEED")
    }
    assert not missing, f"read by the code but not in the README's table: {sorted(missing)}"
