"""`hallscore up`: the whole system on one machine, no servers to install.

Starts the Tansu broker (memory only), then intake, scoring and ranking as
child processes pointed at it, with chDB in the data folder. The data folder
is the system of record: intake's archive of accepted events is republished
to the fresh broker on every start, and the ClickHouse projections are
idempotent, so a restart comes back with every event and the same scores.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hallscore.kafka.admin import ensure_topics
from hallscore.kafka.broker import EmbeddedBroker
from schemas.topics import all_topics


@dataclass
class Ports:
    broker: int = 19092
    intake: int = 8100
    ranking: int = 8101
    scoring_web: int = 6066
    scoring_metrics: int = 8102
    rectification: int = 8103


# A process that dies this many times within this window is broken (a bad rubric
# file, a port taken by someone else): restarting it again would only hide that.
CRASH_LOOP_DEATHS = 3
CRASH_LOOP_WINDOW_S = 60.0
# Children whose state lives in the broker (faust tables in changelog topics,
# consumer offsets): after a broker restart that state is gone, and only a fresh
# process rebuilds it (from the events intake republishes / its own store).
BROKER_STATE_CHILDREN = ("scoring", "rectification")


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path
    extra: dict[str, str] = field(default_factory=dict)  # its env on top of env(): a restart reuses it
    deaths: list[float] = field(default_factory=list)  # monotonic times of unexpected exits
    restarts: int = 0


def exit_reason(code: int) -> str:
    """'signal 9 (SIGKILL)' or 'exit code 1': what ops need to tell a kill from a crash."""
    if code < 0:
        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def say(message: str) -> None:
    """Supervision news on up's console (stdout, unbuffered: the user is watching)."""
    print(f"hallscore: {message}", flush=True)


@dataclass
class EmbeddedSystem:
    data_dir: Path
    ports: Ports = field(default_factory=Ports)
    rubric_file: Path | None = None
    halls_file: Path | None = None
    children: list[Child] = field(default_factory=list)
    broker: EmbeddedBroker | None = None
    broker_deaths: list[float] = field(default_factory=list)
    broker_restarts: int = 0

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def processes_file(self) -> Path:
        return self.data_dir / "processes.json"

    @property
    def intake_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.intake}"

    @property
    def ranking_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.ranking}"

    @property
    def rectification_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rectification}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "HALLSCORE_KAFKA_BOOTSTRAP": self.broker.bootstrap if self.broker else "",
            "HALLSCORE_DATA_DIR": str(self.data_dir),
            "HALLSCORE_CLICKHOUSE_URL": f"chdb://{(self.data_dir / 'clickhouse').resolve()}",
            "PYTHONUNBUFFERED": "1",
        })
        if self.rubric_file:
            env["HALLSCORE_RUBRIC_FILE"] = str(self.rubric_file)
        if self.halls_file:
            env["HALLSCORE_HALLS_FILE"] = str(self.halls_file)
        return env

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        self.broker = EmbeddedBroker(port=self.ports.broker, log_path=self.logs / "broker.log").start()
        ensure_topics(self.broker.bootstrap, all_topics())
        self.write_processes()
        self._spawn("intake", {"HALLSCORE_PORT": str(self.ports.intake), "HALLSCORE_REPUBLISH_ON_START": "true"})
        self._spawn("scoring", {"HALLSCORE_WEB_PORT": str(self.ports.scoring_web),
                                "HALLSCORE_METRICS_PORT": str(self.ports.scoring_metrics)})
        self._spawn("ranking", {"HALLSCORE_PORT": str(self.ports.ranking),
                                "HALLSCORE_USERS_URL": self.rectification_url})
        self._spawn("rectification", {"HALLSCORE_PORT": str(self.ports.rectification),
                                      "HALLSCORE_REPUBLISH_ON_START": "true"})
        self.wait_healthy(f"{self.intake_url}/healthz", "intake")
        self.wait_healthy(f"{self.ranking_url}/healthz", "ranking")
        self.wait_healthy(f"{self.rectification_url}/healthz", "rectification")

    def _spawn(self, name: str, extra: dict[str, str]) -> None:
        log = self.logs / f"{name}.log"
        self.children.append(Child(name, self._popen(name, extra, log), log, extra))
        self.write_processes()

    def _popen(self, name: str, extra: dict[str, str], log: Path) -> subprocess.Popen:
        """`python -m hallscore.cli <name>` in its own session (Ctrl-C reaches only `up`), log appended."""
        with open(log, "ab") as out:
            return subprocess.Popen([sys.executable, "-m", "hallscore.cli", name], env={**self.env(), **extra},
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self, url: str, name: str, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_children()
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer {url} within {timeout_s:.0f} s; see {self.logs / (name + '.log')}")

    def issue_user(self, role: str, hall: str | None, unit: str | None = None, name: str = "") -> str:
        """A user token (rankings, bulletins, cases) in this data folder's user store,
        which the rectification child holds and ranking asks."""
        from services.rectification.settings import db_path
        from services.rectification.users import UserStore

        return UserStore(db_path(self.data_dir)).issue(role, hall, unit, name)

    def check_children(self) -> None:
        for c in self.children:
            code = c.proc.poll()
            if code is not None:
                raise RuntimeError(f"{c.name} exited with code {code}; last lines of {c.log}:\n{_tail(c.log)}")

    # -- supervision (embedded only: a production deployment has its own supervisor) --
    def supervise(self) -> None:
        """One step of `up`'s wait loop: bring back whatever died, so a kill -9 of any
        process (broker included) costs an outage, never data. The data folder holds
        everything acknowledged; restarted processes rebuild from it. Raises on a
        crash loop, so a broken configuration still stops `up` with the log lines."""
        if self.broker is not None and not self.broker.running:
            self._restart_broker()
        for c in self.children:
            code = c.proc.poll()
            if code is not None:
                self._restart_child(c, code)

    def _restart_child(self, c: Child, code: int) -> None:
        """Same command, same env; a child that keeps dying is a crash loop: give up."""
        _count_death(c.name, c.deaths, c.log)
        say(f"{c.name} 进程退出 ({exit_reason(code)})，正在重启 / {c.name} exited ({exit_reason(code)}), restarting")
        self._respawn(c, f"exited ({exit_reason(code)})")

    def _respawn(self, c: Child, why: str) -> None:
        with open(c.log, "ab") as log:
            log.write(f"\n--- {time.ctime()} hallscore up: {c.name} {why}, restarting\n".encode())
        c.proc = self._popen(c.name, c.extra, c.log)
        c.restarts += 1
        self.write_processes()

    def _restart_broker(self) -> None:
        """The broker (memory only) came back empty: same port, topics again, and fresh
        processes for the children whose state lived in it. Intake is left running: its
        BrokerWatch republishes the archive (and it answers 503 meanwhile); the ranking
        projector reconnects and, its group offsets gone, re-reads from the earliest
        offset into idempotent tables."""
        assert self.broker is not None
        code = self.broker.proc.returncode if self.broker.proc is not None else None
        why = exit_reason(code) if code is not None else "gone"
        _count_death("broker", self.broker_deaths, self.broker.log_path)
        say(f"broker (Tansu) 进程退出 ({why})，正在重启；内存中的数据已丢失，将从数据目录重新填充 / "
            f"broker exited ({why}), restarting; its in-memory data is gone and is refilled from the data folder")
        stale = [c for c in self.children if c.name in BROKER_STATE_CHILDREN]
        for c in stale:  # before the new broker exists: no half-built state may reach it
            self._stop_child(c, grace_s=3.0)
        self.broker.kill()  # forget the dead process (closes its log handle)
        self.broker.start()
        ensure_topics(self.broker.bootstrap, all_topics())
        self.broker_restarts += 1
        self.write_processes()
        for c in stale:
            say(f"{c.name} 的状态在 broker 中，随之重启 / {c.name} kept its state in the broker: restarting it")
            self._respawn(c, "restarted with the broker")

    @staticmethod
    def _stop_child(c: Child, grace_s: float) -> None:
        """SIGTERM to its process group, SIGKILL after grace_s (kill -9 must be safe anyway)."""
        if c.proc.poll() is None:
            os.killpg(c.proc.pid, signal.SIGTERM)
            try:
                c.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(c.proc.pid, signal.SIGKILL)
                c.proc.wait()

    def write_processes(self) -> None:
        """data_dir/processes.json: pids of the broker and each child, and how often each was
        restarted, so ops (and tests) can find them. Written atomically on every (re)start."""
        pids = {"up": os.getpid(), "broker": self.broker.proc.pid if self.broker and self.broker.proc else None}
        pids.update({c.name: c.proc.pid for c in self.children})
        restarts = {"broker": self.broker_restarts, **{c.name: c.restarts for c in self.children}}
        tmp = self.processes_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"pids": pids, "restarts": restarts, "updated_at": time.time()}, indent=2) + "\n")
        os.replace(tmp, self.processes_file)

    def stop(self) -> None:
        for c in reversed(self.children):
            if c.proc.poll() is None:
                os.killpg(c.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for c in self.children:
            try:
                c.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(c.proc.pid, signal.SIGKILL)
                c.proc.wait()
        self.children.clear()
        if self.broker:
            self.broker.stop()
        self.processes_file.unlink(missing_ok=True)  # no stale pids for anyone to kill later


def _tail(log: Path | None, lines: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log and log.exists() else ""


def _count_death(name: str, deaths: list[float], log: Path | None) -> None:
    """Record a death; raise if it is the CRASH_LOOP_DEATHS-th within CRASH_LOOP_WINDOW_S
    (restarting a broken process forever would hide the problem)."""
    now = time.monotonic()
    deaths[:] = [t for t in deaths if now - t < CRASH_LOOP_WINDOW_S] + [now]
    if len(deaths) >= CRASH_LOOP_DEATHS:
        raise RuntimeError(f"{name} died {len(deaths)} times within {CRASH_LOOP_WINDOW_S:.0f} s (crash loop), "
                           f"giving up; last lines of {log}:\n{_tail(log)}")
