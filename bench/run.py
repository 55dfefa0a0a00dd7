"""`make bench` (`python -m bench.run [--quick]`): every benchmark of issue 5 in one run, each
figure next to a reference measured in the same run on the same machine, as one table on
stdout and as JSON in bench/last.json. A full run also puts the table into bench/RESULTS.md.

Order (one `mipmib run` process serves the standalone part, a second one the AgentX part):
  1. standalone agent: memory before; N = small, mid, large bindings by real registrations,
     each followed by timed walks and snmpd-reference.sh at the same N; memory at large N;
  2. scrape of /metrics at large N, and prometheus-client's generate_latest() reference;
  3. registrations (the large N bindings in place): echo, HA and FA closed loop, open loop at
     half the HA's rate, and the HA's rate during back-to-back walks against its idle rate;
  4. snmpd as AgentX master with mipmib as subagent at mid N: the same walk through snmpd.
Quick mode runs the same steps at small sizes and keeps the same keys (`sizes` says which N
each key's figure was measured at).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from bench import memory, registrations, scrape, walk
from bench.common import (
    PROCESSES,
    Agent,
    Echo,
    Layout,
    Reference,
    machine,
    say,
    snmpd_reference,
    stop_on_sigterm,
)

HERE = Path(__file__).resolve().parent
KEYS = (1000, 10000, 100000)  # the sizes the JSON keys name


@dataclass(frozen=True)
class Mode:
    quick: bool
    sizes: tuple[int, int, int]  # measured in place of KEYS
    walk_runs: tuple[int, int, int]
    reg_count: int
    reg_reps: int
    reg_nodes: int
    load_seconds: float
    scrape_runs: int


FULL = Mode(False, (1000, 10000, 100000), (3, 3, 2), 30000, 3, 1000, 10.0, 5)
QUICK = Mode(True, (200, 1000, 5000), (1, 1, 1), 5000, 1, 200, 3.0, 3)


@dataclass
class Row:
    label: str
    ours: str
    reference: str
    ratio: float | None
    target: str
    met: bool | None = None


@dataclass
class Report:
    mode: Mode
    values: dict = field(default_factory=dict)  # the JSON
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    references: dict[int, Reference] = field(default_factory=dict)  # walk references by key


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or not math.isfinite(a / b):
        return None
    return a / b


def _ref_text(reference: Reference) -> str:
    if reference.available:
        return f"snmpd {reference.rate:,.0f} vb/s" + (" (*)" if reference.note else "")
    return "unavailable (see JSON)"


def _met(value: float | None, low: float | None = None, high: float | None = None) -> bool | None:
    if value is None:
        return None
    return (low is None or value >= low) and (high is None or value <= high)


def bench_standalone(report: Report, layout: Layout, tmp: Path) -> Agent:
    """Walks at three sizes, the snmpd reference at each, memory per binding."""
    mode, values = report.mode, report.values
    small, _, large = mode.sizes
    agent = Agent.start(layout, tmp / "standalone", large)
    say(f"agent pid {agent.pid} listening; SNMP {agent.snmp}")
    rss_before = agent.rss()
    figures: dict[int, walk.WalkFigure] = {}
    references = report.references
    for key, rows, runs in zip(KEYS, mode.sizes, mode.walk_runs, strict=True):
        agent.grow(rows)
        if rows == large:
            mem = memory.figure(rss_before, agent.rss(), agent.bindings())
            values["mem_bytes_per_binding_100000"] = mem.per_binding
            values["mem_rss_before_bytes"] = mem.before
            values["mem_rss_after_bytes"] = mem.after
        figures[key] = figure = walk.measure(agent, rows, runs)
        say(f"snmpd reference at {rows} rows ({runs} runs)")
        references[key] = reference = snmpd_reference(rows, runs, tmp)
        say(f"snmpd reference: {_ref_text(reference)} {reference.reason or reference.note or ''}")
        ratio = _ratio(figure.rate, reference.rate)
        values[f"walk_standalone_ratio_{key}"] = ratio
        values[f"walk_standalone_vbps_{key}"] = figure.rate
        values[f"walk_standalone_varbinds_{key}"] = figure.varbinds
        values[f"walk_standalone_seconds_{key}"] = figure.seconds
        values[f"walk_reference_vbps_{key}"] = reference.rate
        values[f"walk_reference_note_{key}"] = reference.note or reference.reason
        report.rows.append(
            Row(
                f"walk, standalone agent, {rows:,} rows",
                f"{figure.rate:,.0f} vb/s",
                _ref_text(reference),
                ratio,
                ">= 0.5" if key != 1000 else "",
                _met(ratio, low=0.5) if key != 1000 else None,
            )
        )
    values["walk_reference_available"] = all(r.available for r in references.values())
    growth = figures[KEYS[2]].seconds_per_varbind / figures[KEYS[0]].seconds_per_varbind
    values["walk_cost_growth_100000_vs_1000"] = growth
    report.rows.append(
        Row(
            f"walk cost per varbind, {large:,} vs {small:,} rows",
            f"{figures[KEYS[2]].seconds_per_varbind * 1e6:.2f} us vs "
            f"{figures[KEYS[0]].seconds_per_varbind * 1e6:.2f} us",
            "",
            growth,
            "<= 1.2",
            _met(growth, high=1.2),
        )
    )
    report.rows.append(
        Row(
            f"memory per binding, {large:,} bindings",
            f"{values['mem_bytes_per_binding_100000']:,.0f} B",
            f"RSS {values['mem_rss_before_bytes'] / 2**20:.0f} -> "
            f"{values['mem_rss_after_bytes'] / 2**20:.0f} MiB",
            None,
            "<= 2048 B",
            _met(values["mem_bytes_per_binding_100000"], high=2048),
        )
    )
    return agent


def bench_scrape(report: Report, agent: Agent) -> None:
    mode, values = report.mode, report.values
    large = mode.sizes[2]
    ours = scrape.scrape(agent, mode.scrape_runs)
    reference = scrape.reference(ours.samples, mode.scrape_runs)
    ratio = _ratio(ours.seconds, reference)
    values["scrape_seconds_100000"] = ours.seconds
    values["scrape_samples_100000"] = ours.samples
    values["scrape_bytes_100000"] = ours.size
    values["scrape_reference_seconds_100000"] = reference
    values["scrape_ratio_100000"] = ratio
    report.rows.append(
        Row(
            f"scrape /metrics, {large:,} bindings ({ours.samples:,} samples)",
            f"{ours.seconds:.3f} s",
            f"generate_latest {reference:.3f} s",
            ratio,
            "<= 1.0",
            _met(ratio, high=1.0),
        )
    )


def bench_registrations(report: Report, layout: Layout, agent: Agent) -> None:
    mode, values = report.mode, report.values
    large = mode.sizes[2]
    echo = Echo.start(layout.echo, layout.mip_port)
    try:
        best = registrations.max_rates(agent, echo, mode.reg_nodes, mode.reg_count, mode.reg_reps)
        half, half_echo = registrations.half_load(
            agent, echo, mode.reg_nodes, best.ha["rate"], mode.load_seconds
        )
    finally:
        echo.stop()
    echo_rate = best.echo["rate"]
    for via, result, target, label in (
        ("ha", best.ha, 0.6, "home agent directly"),
        ("fa", best.fa, 0.3, "through the foreign agent"),
    ):
        ratio = _ratio(result["rate"], echo_rate)
        values[f"reg_{via}_rate"] = result["rate"]
        values[f"reg_{via}_ratio"] = ratio
        values[f"reg_{via}_p99_ms"] = result["p99_ms"]
        report.rows.append(
            Row(
                f"registrations, {label} (closed loop, {registrations.WINDOW} in flight)",
                f"{result['rate']:,.0f} reg/s",
                f"echo {echo_rate:,.0f} reg/s",
                ratio,
                f">= {target}",
                _met(ratio, low=target),
            )
        )
    values["reg_echo_rate"] = echo_rate
    values["reg_p99_ms_half_load"] = half["p99_ms"]
    values["reg_p50_ms_half_load"] = half["p50_ms"]
    values["reg_half_load_offered_rate"] = half["offered"]
    values["reg_half_load_lost"] = half["lost"]
    values["reg_echo_p99_ms_half_load"] = half_echo["p99_ms"]
    report.rows.append(
        Row(
            f"registration latency p99 at half the HA's maximum ({half['offered']:,.0f} reg/s)",
            f"{half['p99_ms']:.2f} ms (p50 {half['p50_ms']:.2f})",
            f"echo {half_echo['p99_ms']:.2f} ms (p50 {half_echo['p50_ms']:.2f})",
            None,
            "< 5 ms",
            _met(half["p99_ms"], high=5.0),
        )
    )
    during = registrations.during_walk(agent, mode.reg_nodes, mode.load_seconds)
    ratio = _ratio(during.during["rate"], during.idle["rate"])
    values["reg_idle_rate"] = during.idle["rate"]
    values["reg_during_walk_rate"] = during.during["rate"]
    values["reg_ratio_during_walk"] = ratio
    values["reg_walks_completed_during"] = during.walks_completed
    report.rows.append(
        Row(
            f"registrations at the HA during walks of {large:,} rows",
            f"{during.during['rate']:,.0f} reg/s",
            f"idle {during.idle['rate']:,.0f} reg/s",
            ratio,
            ">= 0.5",
            _met(ratio, low=0.5),
        )
    )


def bench_agentx(report: Report, layout: Layout, tmp: Path) -> None:
    mode, values = report.mode, report.values
    mid, runs = mode.sizes[1], mode.walk_runs[1]
    figure = walk.through_agentx(layout, tmp / "agentx", mid, runs)
    reference = report.references.get(KEYS[1]) or snmpd_reference(mid, runs, tmp)
    ratio = _ratio(figure.rate, reference.rate)
    values["walk_agentx_ratio_10000"] = ratio
    values["walk_agentx_vbps_10000"] = figure.rate
    values["walk_agentx_seconds_10000"] = figure.seconds
    report.rows.append(
        Row(
            f"walk through snmpd (AgentX subagent), {mid:,} rows",
            f"{figure.rate:,.0f} vb/s",
            _ref_text(reference),
            ratio,
            ">= 0.25",
            _met(ratio, low=0.25),
        )
    )


REQUIRED = (
    "walk_standalone_ratio_1000",
    "walk_standalone_ratio_10000",
    "walk_standalone_ratio_100000",
    "walk_cost_growth_100000_vs_1000",
    "walk_agentx_ratio_10000",
    "reg_ha_ratio",
    "reg_fa_ratio",
    "reg_p99_ms_half_load",
    "reg_ratio_during_walk",
    "scrape_ratio_100000",
    "mem_bytes_per_binding_100000",
)


def measure(report: Report, layout: Layout, tmp: Path) -> None:
    for key in REQUIRED:
        report.values[key] = None
    """Each part that fails is reported (table, JSON `errors`) and the rest still runs."""
    failures = (RuntimeError, OSError, ValueError, KeyError, subprocess.TimeoutExpired)
    agent = None
    try:
        agent = bench_standalone(report, layout, tmp)
    except failures as exc:
        _failed(report, "walks and memory", exc)
    if agent is not None:
        for name, step in (
            ("scrape", lambda: bench_scrape(report, agent)),
            ("registrations", lambda: bench_registrations(report, layout, agent)),
        ):
            try:
                step()
            except failures as exc:
                _failed(report, name, exc)
        agent.stop()
    try:
        bench_agentx(report, layout, tmp)
    except failures as exc:
        _failed(report, "AgentX walk", exc)


def _failed(report: Report, what: str, exc: BaseException) -> None:
    say(f"{what} FAILED: {exc}")
    traceback.print_exc(file=sys.stderr)
    report.errors.append(f"{what}: {exc}")
    report.rows.append(Row(f"{what}: FAILED", str(exc).splitlines()[0][:60], "", None, ""))


def _fmt_ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _fmt_met(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "NO")


def table(report: Report) -> str:
    header = ("benchmark", "mipmib", "reference (same run)", "ratio", "target", "met")
    lines = [header]
    for row in report.rows:
        lines.append(
            (
                row.label,
                row.ours,
                row.reference,
                _fmt_ratio(row.ratio),
                row.target,
                _fmt_met(row.met),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def describe(report: Report) -> str:
    v, m = report.values, report.values["machine"]
    sizes = v["sizes"]
    notes = [
        f"(*) {key} rows: {v[f'walk_reference_note_{key}']}"
        for key in KEYS
        if report.references.get(key) and report.references[key].note
    ]
    return "\n".join(
        [
            f"{v['date']}, {'quick' if report.mode.quick else 'full'} run of {v['commit']}; "
            f"sizes for the keys 1000/10000/100000: "
            f"{sizes['1000']}/{sizes['10000']}/{sizes['100000']}",
            f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, "
            f"Linux {m['kernel']}, Python {m['python']}, net-snmp {m['net_snmp']}; "
            f"load average at start {' '.join(map(str, m['load_average_at_start']))}",
            *notes,
        ]
    )


RESULTS_HEADER = """# Benchmark results

`make bench` (issue 5): every figure next to a reference measured in the same run on the same
machine (snmpd-reference.sh for walks, an asyncio UDP echo server for registrations,
prometheus-client's generate_latest() for scrapes). The newest full run comes first; older
runs stay below it. Ratios are mipmib / reference (for the scrape: seconds / seconds, lower is
better; for the cost growth: seconds per varbind at the large size / at the small size).
"""


def update_results(path: Path, report: Report, text: str) -> None:
    section = f"## {report.values['date']}\n\n```\n{describe(report)}\n\n{text}\n```\n"
    old = path.read_text() if path.exists() else RESULTS_HEADER
    head, sep, rest = old.partition("\n## ")
    path.write_text(f"{head.rstrip()}\n\n{section}" + (f"\n## {rest}" if sep else ""))


def _commit() -> str:
    """The code measured: commit, and `-dirty` when the working tree differs from it."""
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--abbrev=12"],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    p.add_argument("--json", default=str(HERE / "last.json"), help="where to write the JSON")
    p.add_argument(
        "--results",
        default=str(HERE / "RESULTS.md"),
        help="file whose newest section a full run becomes ('' for none)",
    )
    p.add_argument("--instance", type=int, default=0, help="shift addresses and ports (0-9)")
    p.add_argument("--keep", metavar="DIR", help="keep configurations and logs in DIR")
    args = p.parse_args(argv)
    mode = QUICK if args.quick else FULL
    report = Report(mode)
    report.values.update(
        quick=mode.quick,
        date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        sizes={str(k): n for k, n in zip(KEYS, mode.sizes, strict=True)},
        machine=machine(),
        commit=_commit(),
    )
    stop_on_sigterm()
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mipmib-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    say(f"{'quick' if mode.quick else 'full'} run, sizes {mode.sizes}, work dir {tmp}")
    try:
        measure(report, Layout(args.instance), tmp)
    except KeyboardInterrupt:
        say("interrupted: stopping every process")
        return 130
    finally:
        PROCESSES.stop_all()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    report.values["errors"] = report.errors
    text = table(report)
    print(describe(report))
    print(text)
    Path(args.json).write_text(json.dumps(report.values, indent=2, allow_nan=False) + "\n")
    say(f"wrote {args.json}")
    if not mode.quick and args.results and not report.errors:
        update_results(Path(args.results), report, text)
        say(f"updated {args.results}")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
