"""Detection matrix: run the conformance harness against the mock seller once per defect
and dialect (v8, and v7 wherever the dialect can express the defect), and clean in v8 and
v7, then write docs/detection-matrix.md with recall and false failures per dialect.

    python -m mock_seller.proving.matrix [--out docs/detection-matrix.md] [--jobs 6]
                                         [--only NAME,...] [--work DIR]

The harness is started as a separate process (``python -m harness.cli run --mock``), as a
user would; this module never imports the harness. Each defect run is limited to the use
cases the defect touches (``use_cases`` in defects.yaml); runs are independent and go in
parallel subprocesses. They mostly wait (on deferred timelines, and the notification defects
on notifications that never come: up to 100 s for one run, against 2 CPU-s), so more jobs
than cores pay: the whole matrix took 426 s with 3 jobs, using about half a core.

``--strict-buyer`` runs the clean mock in strict buyer-conformance mode (it refuses any request
that breaks a buyer-side requirement): the clean runs then also show the harness to be a
conformant buyer. Defect runs keep the default mode, so their verdicts never depend on it.
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
APIS = ("v8", "v7")
DEFAULT_JOBS = 6
# Gaps found by seeding defects and legal variants, fixed in harness/checks and suites
# (each with a unit test in tests/test_detection_matrix.py).
FIXES = (
    "`in_progress_with_acknowledged_item`: an IN_PROGRESS POQ whose items were all "
    "ACKNOWLEDGED passed R99; the check now wants one IN_PROGRESS item (Table 29).",
    "`item_log_illegal_transition`: the items' own stateChange logs were not judged for R102 "
    "(only the polled states were); they now are, as the POQ log is for R96.",
    "legal variant `capped_pages`: a seller capping the unpaged list failed R80 in the "
    "pagination check (a false failure); pages now only need to cover a capped list.",
    "`rejected_path_500`: a 5xx to a valid request on the rejected path only made R96 not "
    "tested while R27 passed on \"some status\"; a 5xx or no answer now fails R3 and the "
    "response-code ID with the evidence (also on the late, multi-item, UC4 and UC5 paths).",
    "`deferred_without_notifications`: use case 5 was skipped when the profile declared no "
    "notifications, so R4 passed on the registration's 201; the phases now run for every "
    "deferred seller and failures are reported whatever the profile declares.",
    "`immediate_only_accepted`: the check of an Immediate Response Only request to a seller "
    "without immediate answers was turned not_applicable by the capability guard; a failing "
    "check is now never hidden by the profile (R39, R41).",
    "`events_wrong_path`: notifications at another event type's path (or refused by the "
    "listener) counted as delivered for R5/R92; they no longer do.",
    "`log_skips_state`: a stateChange log was judged like polls (states may be missed); each "
    "log step must now be one transition (R96, R102).",
    "legal variant `newest_first_logs` (v7): the two-target check of R92 snapshotted the "
    "notifications before the last POQ event (its v7 count also counted create and item "
    "events); it now waits a quiet period as the phases do.",
)
# Defect runs leave out the generated (schemathesis) requests: they judge robustness, which
# no defect seeds, and take seconds per run. Clean runs keep them (false failures count).
DEFECT_KEYWORD = "not test_generated_requests"
STRICT_BUYER = {"buyer_conformance": {"mode": "strict"}}


@dataclass
class RunOutcome:
    """What one harness run reported, reduced to what the matrix needs."""

    label: str
    api: str
    seconds: float
    exit_code: int
    status: dict[str, str] = field(default_factory=dict)  # requirement id -> status
    error: str | None = None
    schema_deviations: int = 0  # results.json schema_deviations not tolerated
    report: Path | None = None  # the run's report folder (results.json), when it wrote one

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


def dialects_of(defect: Defect) -> tuple[str, ...]:
    """The dialects a defect is run in: both unless it names one."""
    return APIS if defect.api == "both" else (defect.api,)


def profile_for(api: str, changes: dict[str, Any]) -> dict[str, Any]:
    """The bundled mock profile of ``api`` with a defect's ``profile`` changes merged."""
    text = resources.files("schemas").joinpath("profiles").joinpath(
        f"mock-{api}.yaml").read_text("utf-8")
    return _merged(yaml.safe_load(text), changes)


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else copy.deepcopy(value)
    return out


def run_harness(label: str, scenario: dict[str, Any], api: str, use_cases: tuple[str, ...],
                work: Path, keyword: str | None = None,
                profile: dict[str, Any] | None = None,
                extra: Sequence[str] = ()) -> RunOutcome:
    """One ``poq-conformance run --mock`` in a subprocess; the parsed results. ``profile``
    changes the bundled profile (what the seller claims) for this run."""
    folder = work / f"{label}-{api}"
    folder.mkdir(parents=True, exist_ok=True)
    scenario_file = folder / "scenario.yaml"
    scenario_file.write_text(yaml.safe_dump(scenario, sort_keys=False), "utf-8")
    command = [sys.executable, "-m", "harness.cli", "run", "--mock",
               "--scenario", str(scenario_file), "--report-dir", str(folder / "report")]
    if profile:
        profile_file = folder / "profile.yaml"
        profile_file.write_text(yaml.safe_dump(profile_for(api, profile), sort_keys=False),
                                "utf-8")
        command += ["--profile", str(profile_file)]
    else:
        command += ["--api", api]
    if use_cases:
        command += ["--uc", ",".join(use_cases)]
    if keyword:
        command += ["-k", keyword]
    command += list(extra)
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
    deviations = [d for d in doc.get("schema_deviations") or [] if not d.get("accepted")]
    return RunOutcome(label, api, seconds, done.returncode, status,
                      schema_deviations=len(deviations), report=results.parent)


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
    defect and dialect (to redo runs broken by something outside the harness)."""
    verdicts: dict[tuple[str, str], Verdict] = {}
    cleans: dict[str, RunOutcome] = {}
    for work in dirs:
        for api in APIS:
            clean = read_outcome(work / f"clean-{api}", "clean", api)
            if clean is not None:
                cleans[api] = clean
        for name, defect in load_defects().items():
            for api in dialects_of(defect):
                outcome = read_outcome(work / f"{name}-{api}", name, api)
                if outcome is not None:
                    verdicts[(name, api)] = Verdict(defect, outcome)
    ordered = [verdicts[(n, a)] for n, d in load_defects().items() for a in dialects_of(d)
               if (n, a) in verdicts]
    return ordered, [cleans[a] for a in APIS if a in cleans]


def run_defect(defect: Defect, work: Path, api: str) -> Verdict:
    extra = ["--trust-test-data"] if defect.trust_test_data else []
    return Verdict(defect, run_harness(defect.name, scenario_for([defect]), api,
                                       defect.use_cases, work, DEFECT_KEYWORD,
                                       defect.profile or None, extra))


def _slowest_first(defect: Defect) -> int:
    """Use case 5 runs wait longest (for notifications a defect withholds), then flows."""
    return 0 if "5" in defect.use_cases else 1 if "flow" in defect.use_cases else 2


def run_matrix(names: list[str] | None, work: Path, jobs: int = DEFAULT_JOBS,
               clean: bool = True, strict_buyer: bool = False
               ) -> tuple[list[Verdict], list[RunOutcome]]:
    """Every chosen defect (default: all) in each dialect that can express it and, when
    ``clean``, the clean mock in v8 and v7 (in strict buyer-conformance mode with
    ``strict_buyer``): independent runs, ``jobs`` at a time, the slow ones (clean,
    notifications, life cycle) first so the pool does not end waiting on one of them."""
    defects = [d for n, d in load_defects().items() if names is None or n in names]
    clean_scenario = {**scenario_for(), **(STRICT_BUYER if strict_buyer else {})}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        clean_futures = [pool.submit(run_harness, "clean", clean_scenario, api, (), work)
                         for api in (APIS if clean else ())]
        defect_futures = [pool.submit(run_defect, d, work, api)
                          for d in sorted(defects, key=_slowest_first)
                          for api in dialects_of(d)]
        verdicts = [f.result() for f in defect_futures]
        cleans = [f.result() for f in clean_futures]
    order = {n: i for i, n in enumerate(load_defects())}
    verdicts.sort(key=lambda v: (order[v.defect.name], APIS.index(v.run.api)))
    return verdicts, cleans


def render(verdicts: list[Verdict], cleans: list[RunOutcome]) -> str:
    """docs/detection-matrix.md: recall and false failures per dialect, the profiles, and
    the requirement x defect table."""
    cat = load_catalogue()
    seller_musts = [r.id for r in cat if r.is_mandatory and r.verification == "seller"]
    covered = {i for v in verdicts for i in v.defect.breaks}
    lines = [
        "# Detection matrix",
        "",
        "Generated by `python -m mock_seller.proving.matrix` (do not edit by hand): the "
        "conformance harness run against the bundled mock seller with one seeded defect at a "
        "time (docs/defects.md), in each API dialect that can express it, and against the "
        "clean mock in both dialects. A defect is *caught* when every "
        "requirement it breaks is reported `fail`; any other MUST / MUST NOT failure that is "
        "not a documented side effect counts as unexpected.",
        "",
        "## Summary",
        "",
        "Every defect runs in v8 and, unless the dialect cannot express it (`api` in "
        "defects.yaml), in v7.",
        "",
        "| Measure | " + " | ".join(APIS) + " | all |",
        "| --- | " + " | ".join("---" for _ in APIS) + " | --- |",
    ]
    by_api = [[v for v in verdicts if v.run.api == api] for api in APIS] + [verdicts]
    clean_of = {run.api: run for run in cleans}
    rows = [("Defect profiles run", lambda vs: str(len(vs))),
            ("Seeded violations caught / seeded", lambda vs: f"{_caught(vs)} / {_seeded(vs)}"),
            ("Recall", lambda vs: f"{100.0 * _caught(vs) / _seeded(vs):.1f} %"
             if _seeded(vs) else "-"),
            ("Profiles with unexpected MUST failures",
             lambda vs: str(sum(1 for v in vs if v.unexpected)))]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(vs) for vs in by_api) + " |")
    lines.append("| False failures on the clean mock | "
                 + " | ".join(_false_failures(clean_of.get(api)) for api in APIS) + " | "
                 + str(sum(len(r.failed()) for r in cleans)) + " |")
    lines += ["", f"Seller-side MUST / MUST NOT IDs with a defect: "
              f"{len(covered & set(seller_musts))} / {len(seller_musts)}."]
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
                name = f"`{v.defect.name}` ({v.run.api})"
                cells.append(name if req_id not in v.missed else f"~~{name}~~")
        lines.append(f"| {req_id} | {', '.join(cells) or 'no defect'} |")
    return "\n".join(lines) + "\n"


def _seeded(verdicts: list[Verdict]) -> int:
    return sum(len(v.defect.breaks) for v in verdicts)


def _caught(verdicts: list[Verdict]) -> int:
    return sum(len(v.defect.breaks) - len(v.missed) for v in verdicts)


def _false_failures(run: RunOutcome | None) -> str:
    if run is None:
        return "not run"
    if run.error:
        return f"run error: {run.error}"
    failed = sorted(run.failed(), key=_id_key)
    return f"{len(failed)}" + (f" ({', '.join(failed)})" if failed else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mock_seller.proving.matrix",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/detection-matrix.md")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS)
    parser.add_argument("--only", default=None, help="comma separated defect names")
    parser.add_argument("--work", default=None, help="keep run folders here")
    parser.add_argument("--no-clean", action="store_true", help="skip the clean runs")
    parser.add_argument("--strict-buyer", action="store_true",
                        help="clean runs on a mock in strict buyer-conformance mode")
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
        verdicts, cleans = run_matrix(names, work, args.jobs, clean=not args.no_clean,
                                      strict_buyer=args.strict_buyer)
    Path(args.out).write_text(render(verdicts, cleans), "utf-8")
    for v in verdicts:
        mark = "ok  " if v.ok else "FAIL"
        print(f"{mark} {v.defect.name} ({v.run.api}): missed {v.missed or '-'} unexpected "
              f"{v.unexpected or '-'} {v.run.error or ''}")
    for run in cleans:
        print(f"clean {run.api}: failed {sorted(run.failed()) or '-'} {run.error or ''}")
    print(f"wrote {args.out}")
    bad = any(not v.ok for v in verdicts) or any(r.error or r.failed() for r in cleans)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
