"""Detection matrix: run the conformance harness against the mock seller once per defect
(and clean, in v8 and v7) and write docs/detection-matrix.md.

    python -m mock_seller.proving.matrix [--out docs/detection-matrix.md] [--jobs 2]
                                         [--only NAME,...] [--work DIR]

The harness is started as a separate process (``python -m harness.cli run --mock``), as a
user would; this module never imports the harness. Each defect run is limited to the use
cases the defect touches (``use_cases`` in defects.yaml), runs go in parallel subprocesses.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mock_seller.proving.registry import Defect, load_defects
from schemas.catalogue import load_catalogue

RUN_TIMEOUT_S = 240
# Gaps found by seeding defects and legal variants, fixed in harness/checks and suites
# (each with a unit test in tests/test_detection_matrix.py).
FIXES = (
    "`in_progress_with_acknowledged_item`: an IN_PROGRESS POQ whose items were all "
    "ACKNOWLEDGED passed R99; the check now wants one IN_PROGRESS item (Table 29).",
    "`item_log_illegal_transition`: the items' own stateChange logs were not judged for R102 "
    "(only the polled states were); they now are, as the POQ log is for R96.",
    "legal variant `capped_pages`: a seller capping the unpaged list failed R80 in the "
    "pagination check (a false failure); pages now only need to cover a capped list.",
)
# Defect runs leave out the generated (schemathesis) requests: they judge robustness, which
# no defect seeds, and take seconds per run. Clean runs keep them (false failures count).
DEFECT_KEYWORD = "not test_generated_requests"


@dataclass
class RunOutcome:
    """What one harness run reported, reduced to what the matrix needs."""

    label: str
    api: str
    seconds: float
    exit_code: int
    status: dict[str, str] = field(default_factory=dict)  # requirement id -> status
    error: str | None = None

    def failed(self) -> set[str]:
        return {i for i, s in self.status.items() if s == "fail"}

    def must_failed(self) -> set[str]:
        cat = load_catalogue()
        return {i for i in self.failed() if cat.get(i).is_mandatory}


@dataclass
class Verdict:
    """A defect run judged: caught (every seeded ID failed) and unexpected MUST failures."""

    defect: Defect
    run: RunOutcome

    @property
    def missed(self) -> list[str]:
        return [i for i in self.defect.breaks if self.run.status.get(i) != "fail"]

    @property
    def unexpected(self) -> list[str]:
        return sorted(self.run.must_failed() - self.defect.allowed_failures, key=_id_key)

    @property
    def ok(self) -> bool:
        return self.run.error is None and not self.missed and not self.unexpected


def _id_key(req_id: str) -> tuple[str, int]:
    prefix = req_id.rstrip("0123456789")
    return prefix, int(req_id[len(prefix):] or 0)


def default_scenario() -> dict[str, Any]:
    text = resources.files("schemas").joinpath("scenarios").joinpath("default.yaml").read_text(
        "utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def scenario_for(defects: Sequence[Defect] = (), variants: Sequence[str] = ()) -> dict[str, Any]:
    """The default scenario with the defects switched on and their scenario needs merged."""
    data = copy.deepcopy(default_scenario())
    data["name"] = "+".join([d.name for d in defects] + list(variants)) or "default"
    if defects:
        data["defects"] = [d.name for d in defects]
    if variants:
        data["variants"] = list(variants)
    for defect in defects:
        extra = dict(defect.scenario)
        rules = extra.pop("prepend_rules", [])
        if rules:
            data["rules"] = [*rules, *data.get("rules", [])]
        data.update(extra)
    return data


def run_harness(label: str, scenario: dict[str, Any], api: str, use_cases: tuple[str, ...],
                work: Path, keyword: str | None = None) -> RunOutcome:
    """One ``poq-conformance run --mock`` in a subprocess; the parsed results."""
    folder = work / f"{label}-{api}"
    folder.mkdir(parents=True, exist_ok=True)
    scenario_file = folder / "scenario.yaml"
    scenario_file.write_text(yaml.safe_dump(scenario, sort_keys=False), "utf-8")
    command = [sys.executable, "-m", "harness.cli", "run", "--mock", "--api", api,
               "--scenario", str(scenario_file), "--report-dir", str(folder / "report")]
    if use_cases:
        command += ["--uc", ",".join(use_cases)]
    if keyword:
        command += ["-k", keyword]
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                              check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return RunOutcome(label, api, time.monotonic() - started, -1,
                          error=f"run exceeded {RUN_TIMEOUT_S} s")
    seconds = time.monotonic() - started
    (folder / "output.txt").write_text(done.stdout + done.stderr, "utf-8")
    results = folder / "report" / "results.json"
    if done.returncode not in (0, 1, 3) or not results.is_file():  # 3: incomplete verdict
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return RunOutcome(label, api, seconds, done.returncode,
                          error=f"exit {done.returncode}: {' | '.join(tail)[:300]}")
    doc = json.loads(results.read_text("utf-8"))
    status = {r["id"]: r["status"] for r in doc["requirements"]}
    return RunOutcome(label, api, seconds, done.returncode, status)


def read_outcome(folder: Path, label: str, api: str) -> RunOutcome | None:
    """The outcome of a kept run folder (``--work``), or None when it holds no results."""
    results = folder / "report" / "results.json"
    if not results.is_file():
        return None
    doc = json.loads(results.read_text("utf-8"))
    seconds = 0.0
    started, finished = doc["run"].get("started"), doc["run"].get("finished")
    if started and finished:
        seconds = (datetime.fromisoformat(finished.replace("Z", "+00:00"))
                   - datetime.fromisoformat(started.replace("Z", "+00:00"))).total_seconds()
    return RunOutcome(label, api, seconds, 0, {r["id"]: r["status"] for r in doc["requirements"]})


def collect(dirs: Sequence[Path]) -> tuple[list[Verdict], list[RunOutcome]]:
    """Verdicts from kept run folders; a later folder replaces an earlier run of the same
    defect (to redo runs broken by something outside the harness)."""
    verdicts: dict[str, Verdict] = {}
    cleans: dict[str, RunOutcome] = {}
    for work in dirs:
        for api in ("v8", "v7"):
            clean = read_outcome(work / f"clean-{api}", "clean", api)
            if clean is not None:
                cleans[api] = clean
        for name, defect in load_defects().items():
            api = "v7" if defect.api == "v7" else "v8"
            outcome = read_outcome(work / f"{name}-{api}", name, api)
            if outcome is not None:
                verdicts[name] = Verdict(defect, outcome)
    ordered = [verdicts[n] for n in load_defects() if n in verdicts]
    return ordered, [cleans[a] for a in ("v8", "v7") if a in cleans]


def run_defect(defect: Defect, work: Path, api: str | None = None) -> Verdict:
    chosen = api or ("v7" if defect.api == "v7" else "v8")
    return Verdict(defect, run_harness(defect.name, scenario_for([defect]), chosen,
                                       defect.use_cases, work, DEFECT_KEYWORD))


def run_matrix(names: list[str] | None, work: Path, jobs: int = 2,
               clean: bool = True) -> tuple[list[Verdict], list[RunOutcome]]:
    """Every chosen defect (default: all) and, when ``clean``, the clean mock in v8 and v7."""
    defects = [d for n, d in load_defects().items() if names is None or n in names]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        clean_futures = [pool.submit(run_harness, "clean", scenario_for(), api, (), work)
                         for api in (("v8", "v7") if clean else ())]
        defect_futures = [pool.submit(run_defect, d, work) for d in defects]
        verdicts = [f.result() for f in defect_futures]
        cleans = [f.result() for f in clean_futures]
    return verdicts, cleans


def render(verdicts: list[Verdict], cleans: list[RunOutcome]) -> str:
    """docs/detection-matrix.md: recall, false failures, and the profile x requirement table."""
    seeded = sum(len(v.defect.breaks) for v in verdicts)
    caught = sum(len(v.defect.breaks) - len(v.missed) for v in verdicts)
    recall = 100.0 * caught / seeded if seeded else 0.0
    cat = load_catalogue()
    seller_musts = [r.id for r in cat if r.is_mandatory and r.verification == "seller"]
    covered = {i for v in verdicts for i in v.defect.breaks}
    lines = [
        "# Detection matrix",
        "",
        "Generated by `python -m mock_seller.proving.matrix` (do not edit by hand): the "
        "conformance harness run against the bundled mock seller with one seeded defect at a "
        "time (docs/defects.md), and against the clean mock. A defect is *caught* when every "
        "requirement it breaks is reported `fail`; any other MUST / MUST NOT failure that is "
        "not a documented side effect counts as unexpected.",
        "",
        "## Summary",
        "",
        "| Measure | Value |",
        "| --- | --- |",
        f"| Defect profiles | {len(verdicts)} |",
        f"| Seeded violations caught / seeded | {caught} / {seeded} |",
        f"| Recall | {recall:.1f} % |",
        f"| Profiles with unexpected MUST failures | "
        f"{sum(1 for v in verdicts if v.unexpected)} |",
        f"| Seller-side MUST / MUST NOT IDs with a defect | "
        f"{len(covered & set(seller_musts))} / {len(seller_musts)} |",
    ]
    for run in cleans:
        false_failures = sorted(run.failed(), key=_id_key)
        lines.append(f"| False failures on the clean mock ({run.api}) | "
                     f"{'run error: ' + run.error if run.error else len(false_failures)}"
                     f"{' (' + ', '.join(false_failures) + ')' if false_failures else ''} |")
    missing = [i for i in seller_musts if i not in covered]
    if missing:
        lines += ["", f"Seller-side MUST IDs without a defect: {', '.join(missing)}."]
    lines += [
        "",
        "## Profiles",
        "",
        "| Defect | API | Use cases | Breaks | Caught | Missed | Unexpected MUST failures | "
        "Run (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for v in verdicts:
        caught_ids = [i for i in v.defect.breaks if i not in v.missed]
        result = ("run error: " + v.run.error) if v.run.error else (
            ", ".join(caught_ids) or "none")
        lines.append(
            f"| `{v.defect.name}` | {v.run.api} | {', '.join(v.defect.use_cases)} | "
            f"{', '.join(v.defect.breaks)} | {result} | {', '.join(v.missed) or '-'} | "
            f"{', '.join(v.unexpected) or '-'} | {v.run.seconds:.0f} |")
    lines += ["", "## Harness gaps the matrix found (fixed)", ""]
    lines += [f"- {fix}" for fix in FIXES]
    lines += ["", "## Requirement x defect", "",
              "Each seller-side MUST / MUST NOT ID and the defects seeded against it "
              "(caught ones plain, missed ones ~~struck~~).", "",
              "| Requirement | Defects |", "| --- | --- |"]
    for req_id in seller_musts:
        cells = []
        for v in verdicts:
            if req_id in v.defect.breaks:
                name = f"`{v.defect.name}`"
                cells.append(name if req_id not in v.missed else f"~~{name}~~")
        lines.append(f"| {req_id} | {', '.join(cells) or 'no defect'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mock_seller.proving.matrix",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/detection-matrix.md")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default=None, help="comma separated defect names")
    parser.add_argument("--work", default=None, help="keep run folders here")
    parser.add_argument("--no-clean", action="store_true", help="skip the clean runs")
    parser.add_argument("--render-from", nargs="+", default=None, metavar="DIR",
                        help="no runs: render from kept --work folders (later ones win)")
    args = parser.parse_args(argv)
    if args.render_from:
        verdicts, cleans = collect([Path(d) for d in args.render_from])
        Path(args.out).write_text(render(verdicts, cleans), "utf-8")
        print(f"wrote {args.out} from {len(verdicts)} defect runs and {len(cleans)} clean runs")
        return 0
    names = [n.strip() for n in args.only.split(",")] if args.only else None
    unknown = [n for n in names or [] if n not in load_defects()]
    if unknown:
        parser.error(f"unknown defect(s): {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="poq-matrix-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        verdicts, cleans = run_matrix(names, work, args.jobs, clean=not args.no_clean)
    Path(args.out).write_text(render(verdicts, cleans), "utf-8")
    for v in verdicts:
        mark = "ok  " if v.ok else "FAIL"
        print(f"{mark} {v.defect.name}: missed {v.missed or '-'} unexpected "
              f"{v.unexpected or '-'} {v.run.error or ''}")
    for run in cleans:
        print(f"clean {run.api}: failed {sorted(run.failed()) or '-'} {run.error or ''}")
    print(f"wrote {args.out}")
    bad = any(not v.ok for v in verdicts) or any(r.error or r.failed() for r in cleans)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
