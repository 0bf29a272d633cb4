"""docs/defects.md from the registries (defects.yaml and mock_seller.proving.variants), so the
documentation of every switch is the data the mock and the detection matrix use.

    python -m mock_seller.proving.docs [--out docs/defects.md] [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mock_seller.proving.registry import load_defects
from mock_seller.proving.variants import VARIANTS

INTRO = """# Defect profiles and legal variants of the mock seller

A conformance harness is worth what it catches. The bundled mock seller can be switched into
**defect profiles**: seeded violations, one per switch, each breaking named seller-side
requirements the way real implementations get them wrong. The detection matrix
(`docs/detection-matrix.md`, `python -m mock_seller.proving.matrix`) runs the harness
against each profile and checks that every seeded violation is reported `fail` and that
nothing else fails except the documented side effects.

The mock can also be switched into **legal variants**: unusual behaviours a real seller may
choose. The harness must pass all of them (`tests/test_legal_variants.py`); this is how false
failures on sellers we have never seen are kept at zero.

Defects are for measuring the harness only; never certify anything against a mock with
defects switched on.

## Switching them on

In a scenario file (merged over any scenario; names are checked on load):

```yaml
defects: [immediate_poq_in_progress]     # seeded violations
variants: [items_reordered, capped_pages] # legal variety
```

```sh
poq-conformance mock --scenario my-defective.yaml            # serve it
poq-conformance run --mock --scenario my-defective.yaml      # certify it (expect failures)
```

At run time, when the mock's control routes are enabled (`/_mock`, see docs/sandbox.md):
`PUT /_mock/defects` with `{"defects": ["name", ...]}` replaces the active set (an empty list
switches all off), `GET /_mock/defects` shows it. Switching the scenario drops the override.

A scenario that seeds defects is served with waitress whatever `--host` (`--server auto`):
waitress writes an answer as the defect made it, the `garbled_*` status lines too. granian
cannot write a status outside 100-999; under `--server granian` such an answer (a defect
switched on at run time) becomes a `500` MEF Error that says so.

## Measuring the harness

```sh
python -m mock_seller.proving.matrix                  # all defects + clean v8/v7, 6 jobs
python -m mock_seller.proving.matrix --only no_abandonment,unknown_id_500 --no-clean \
    --out /tmp/m.md --work /tmp/runs                  # a few, keeping every run's reports
python -m mock_seller.proving.matrix --render-from /tmp/runs --out docs/detection-matrix.md
python -m mock_seller.proving.docs                    # regenerate this page
pytest -m slow tests/e2e/test_detection_matrix_e2e.py tests/e2e/test_legal_variants_e2e.py
```

Each run is `poq-conformance run --mock --scenario <default + defect> --uc <its use
cases>` in a subprocess (generated-request robustness tests left out of defect runs);
`POQ_MATRIX_JOBS` sets the parallel runs of those tests (default 6). A defect the harness
misses is a harness bug: fix the check, add a unit test, and list it in `FIXES` of
`mock_seller/proving/matrix.py`.

## How they work

Each defect is a small function registered by name (`mock_seller/proving/responses.py`,
`notifications.py`). The proving kit (`mock_seller/proving/kit.py`) is an extension of the
mock seller: it adds its functions to the hooks the core declares
(`mock_seller/core/hooks.py`, `create_app(cfg, extensions=...)`), nothing is patched:

* **answers**: after the mock serialized an answer of the POQ or hub routes, the active
  variants and then the active defects mutate it (status, body, headers);
* **events**: the notification hub's publish / subscribe / unsubscribe hooks;
* **new record**: a hook before a new POQ is stored (identifier allocation).

`mock_seller/proving/defects.yaml` lists each defect: `breaks` (the IDs the harness must
report `fail`), `side_effects` (other IDs that may then fail too, with why), `use_cases`
(the `--uc` selection of the matrix run), `api` and any `scenario` keys it needs. A defect
missing on either side (data or function) is an error on load.
"""


def render() -> str:
    lines = [INTRO, "## Defects", "",
             "| Defect | What the seller does wrong | Breaks | May also fail (why) | Use cases |",
             "| --- | --- | --- | --- | --- |"]
    for d in load_defects().values():
        side = "; ".join(f"{s.id}: {s.why}" for s in d.side_effects) or "-"
        api = "" if d.api == "both" else f" ({d.api} only)"
        lines.append(f"| `{d.name}` | {d.description}{api} | {', '.join(d.breaks)} | {side} | "
                     f"{', '.join(d.use_cases)} |")
    lines += ["", "## Legal variants", "",
              "| Variant | Behaviour and why it is legal | Scenario overrides |",
              "| --- | --- | --- |"]
    for name, (text, overrides) in VARIANTS.items():
        lines.append(f"| `{name}` | {text} | {overrides or '-'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mock_seller.proving.docs")
    parser.add_argument("--out", default="docs/defects.md")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the file differs from the registries")
    args = parser.parse_args(argv)
    text = render()
    path = Path(args.out)
    if args.check:
        current = path.read_text("utf-8") if path.is_file() else ""
        if current != text:
            print(f"{path} is out of date: run python -m mock_seller.proving.docs",
                  file=sys.stderr)
            return 1
        return 0
    path.write_text(text, "utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
