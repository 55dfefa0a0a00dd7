"""Where the agent spends its time: py-spy samples `mipmib run` (the same process and
configuration the benchmarks use) during (a) back-to-back walks of N bindings through the
standalone agent, (b) closed-loop registrations at the home agent, and (c) walks through
snmpd with mipmib as AgentX subagent; prints the top functions by own time and by
inclusive time (percent of the samples taken while the agent was busy).

    .venv/bin/pip install py-spy
    .venv/bin/python -m bench.profile [--rows 10000] [--seconds 10] [--out DIR]

py-spy attaches with ptrace: run as root (or with ptrace allowed). The raw collapsed stacks
stay in --out for a flame graph (e.g. `flamegraph.pl` or speedscope)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import registrations, walk
from bench.common import PROCESSES, PYTHON, Agent, Layout, loadgen, say, stop_on_sigterm

RATE = 200  # samples per second


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("py-spy not found: .venv/bin/pip install py-spy")
    return found


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    command = [py_spy(), "record", "--pid", str(pid), "--rate", str(RATE)]
    command += ["--duration", str(int(seconds)), "--format", "raw", "--function"]
    process = PROCESSES.spawn(
        [*command, "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    time.sleep(0.5)  # attached
    return process


def finish(process: subprocess.Popen, seconds: float) -> None:
    try:
        _, err = process.communicate(timeout=seconds + 60)
    finally:
        PROCESSES.stop(process)
    if process.returncode != 0:
        raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-2000:]}")


def _short(frame: str) -> str:
    """'render (mipmib/exporter/prometheus.py:66)' stays; site-packages paths lose their prefix."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name


def top(raw: Path, count: int = 15) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        frames = [_short(f) for f in stack.split(";")]
        samples = int(n)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if not total:
        return "  (no samples: the agent was idle)"
    waiting = sum(n for frame, n in own.items() if frame.startswith("EpollSelector.select"))
    lines = [f"  {total} samples at {RATE}/s, {100 * waiting / total:.1f}% of them in epoll"]
    # the event loop's and the command's frames hold every sample: not worth listing
    plumbing = ("asyncio/", "<frozen", "<string>", "mipmib/cli.py", "mipmib/app.py")
    for title, counter in (("own time", own), ("inclusive time", inclusive)):
        lines.append(f"  top by {title}:")
        shown = (
            (frame, samples)
            for frame, samples in counter.most_common()
            if counter is own or not frame.partition(" (")[2].startswith(plumbing)
        )
        for frame, samples in list(shown)[:count]:
            lines.append(f"    {100 * samples / total:5.1f}%  {frame}")
    return "\n".join(lines)


def profile_walk(agent: Agent, seconds: float, out: Path) -> str:
    spy = record(agent.pid, seconds, out)
    walks = registrations.WalkLoop(agent.snmp)
    walks.start()
    try:
        finish(spy, seconds)
    finally:
        walks.stop()
    say(f"profiled {walks.completed} walks in {seconds:.0f} s")
    return top(out)


def profile_registrations(agent: Agent, nodes: int, seconds: float, out: Path) -> str:
    probe = loadgen(agent.config, nodes=nodes, count=5000)
    count = int(probe["rate"] * (seconds + 5))  # outlasts the recording
    spy = record(agent.pid, seconds, out)
    result = loadgen(agent.config, nodes=nodes, count=count)
    finish(spy, seconds)
    say(f"profiled registrations at {result['rate']:,.0f}/s")
    return top(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=10000, help="bindings in the agent")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds per profile")
    p.add_argument("--out", help="directory for the raw stacks (default: a new temp dir)")
    p.add_argument("--instance", type=int, default=0, help="shift addresses and ports (0-9)")
    p.add_argument("--no-agentx", action="store_true", help="skip the AgentX walk")
    args = p.parse_args(argv)
    py_spy()
    stop_on_sigterm()
    out = Path(args.out or tempfile.mkdtemp(prefix="mipmib-profile-"))
    out.mkdir(parents=True, exist_ok=True)
    layout, tmp = Layout(args.instance), Path(tempfile.mkdtemp(prefix="mipmib-profile-run-"))
    reports = []
    try:
        agent = Agent.start(layout, tmp / "standalone", args.rows)
        agent.grow(args.rows)
        say(f"agent pid {agent.pid}: {agent.bindings()} bindings")
        reports.append(
            (
                f"(a) walks of {args.rows} bindings, standalone agent",
                profile_walk(agent, args.seconds, out / "walk-standalone.txt"),
            )
        )
        reports.append(
            (
                "(b) closed-loop registrations at the home agent",
                profile_registrations(
                    agent, min(1000, args.rows), args.seconds, out / "registrations-ha.txt"
                ),
            )
        )
        agent.stop()
        if not args.no_agentx:
            master = walk.Master.start(tmp / "snmpd", layout.master_port)
            agent = Agent.start(
                layout,
                tmp / "subagent",
                args.rows,
                args=("--agentx", master.agentx, "--no-standalone"),
                snmp=master.address,
            )
            agent.grow(args.rows)
            reports.append(
                (
                    f"(c) walks of {args.rows} bindings through snmpd (AgentX subagent)",
                    profile_walk(agent, args.seconds, out / "walk-agentx.txt"),
                )
            )
    except KeyboardInterrupt:
        return 130
    finally:
        PROCESSES.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    for title, text in reports:
        print(f"{title}\n{text}\n")
    print(f"raw stacks in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
