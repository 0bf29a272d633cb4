"""Benchmark (not a test): what installing poq-conformance adds to a plain pytest run.

    .venv/bin/python bench/bench_pytest_startup.py [--runs 7]

Runs ``pytest`` on a one-test project in a temporary directory (no options of ours, no
fixture) in fresh subprocesses, with the installed plugins switched on and off one by one,
and prints the median wall time and the number of modules imported. The plugins come from
the environment: ours (``poq_conformance``, ``poq_seller``) and the ones our dependencies
bring (schemathesis, hypothesis, anyio).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEST = '''
import sys

def test_plain():
    heavy = sorted({m.split(".")[0] for m in sys.modules
                    if m.split(".")[0] in ("harness", "mock_seller", "schemathesis",
                                           "hypothesis", "flask", "waitress", "anyio")})
    print("\\nMODULES", len(sys.modules), ",".join(heavy) or "-")
'''

CONFIGS: list[tuple[str, list[str], dict[str, str]]] = [
    ("bare pytest (plugin autoload off)", [], {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}),
    ("everything installed", [], {}),
    ("without ours (-p no:poq_conformance -p no:poq_seller)",
     ["-p", "no:poq_conformance", "-p", "no:poq_seller"], {}),
    ("without schemathesis (-p no:schemathesis)", ["-p", "no:schemathesis"], {}),
    ("without schemathesis, hypothesis, anyio",
     ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio"], {}),
]


def run(project: Path, args: list[str], env_extra: dict[str, str]) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(env_extra)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                          *args, "test_plain.py"], cwd=project, env=env, text=True,
                         capture_output=True, check=False)
    took = time.perf_counter() - t0
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("MODULES")), "")
    if out.returncode != 0 or not line:
        raise SystemExit(f"pytest failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return took, line.split(" ", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per configuration")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "test_plain.py").write_text(TEST)
        (project / "pytest.ini").write_text("[pytest]\n")
        results = []
        for _ in range(args.runs):  # interleaved, so load changes hit every configuration
            for i, (_label, extra, env) in enumerate(CONFIGS):
                took, modules = run(project, extra, env)
                if len(results) <= i:
                    results.append(([], modules))
                results[i][0].append(took)
    base = statistics.median(results[0][0])
    print(f"plain pytest start-up, median of {args.runs} runs (python {sys.version.split()[0]})")
    for (label, _, _), (times, modules) in zip(CONFIGS, results, strict=True):
        med = statistics.median(times)
        print(f"{label:55s}: {med * 1000:7.0f} ms  (+{(med - base) * 1000:5.0f} ms)  "
              f"modules {modules}")


if __name__ == "__main__":
    main()
