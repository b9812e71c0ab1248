"""`hallscore up`: the whole system on one machine, no servers to install.

Starts the Tansu broker (memory only), then intake, scoring and ranking as
child processes pointed at it, with chDB in the data folder. The data folder
is the system of record: intake's archive of accepted events is republished
to the fresh broker on every start, and the ClickHouse projections are
idempotent, so a restart comes back with every event and the same scores.
"""
from __future__ import annotations

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


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path


@dataclass
class EmbeddedSystem:
    data_dir: Path
    ports: Ports = field(default_factory=Ports)
    rubric_file: Path | None = None
    halls_file: Path | None = None
    children: list[Child] = field(default_factory=list)
    broker: EmbeddedBroker | None = None

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

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
        out = open(log, "ab")
        proc = subprocess.Popen([sys.executable, "-m", "hallscore.cli", name], env={**self.env(), **extra},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.children.append(Child(name, proc, log))

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

    def check_children(self) -> None:
        for c in self.children:
            code = c.proc.poll()
            if code is not None:
                tail = "\n".join(c.log.read_text(errors="replace").splitlines()[-25:]) if c.log.exists() else ""
                raise RuntimeError(f"{c.name} exited with code {code}; last lines of {c.log}:\n{tail}")

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
