"""Start a private ClickHouse server (Debian's clickhouse-server 18.16) for dev and tests.

``start_dev_server(dir)`` writes a minimal config into ``dir`` (data lives in
``dir/data``), starts ``clickhouse-server --daemon`` listening on 127.0.0.1 only,
waits for ``/ping`` and returns ``(url, stop)``. ``stop()`` sends TERM and waits.
No systemd, no /etc or /var paths are touched.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import signal
import socket
import time
import urllib.request
from pathlib import Path
from typing import Callable

__all__ = ["DevServerError", "find_server_binary", "free_port", "start_dev_server"]

TIMEZONE = "Asia/Shanghai"

_CONFIG = """<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>{dir}/log/server.log</log>
        <errorlog>{dir}/log/server.err.log</errorlog>
        <size>50M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>{tcp_port}</tcp_port>
    <http_port>{http_port}</http_port>
    <path>{dir}/data/</path>
    <tmp_path>{dir}/tmp/</tmp_path>
    <user_files_path>{dir}/user_files/</user_files_path>
    <format_schema_path>{dir}/format_schemas/</format_schema_path>
    <users_config>{dir}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>{tz}</timezone>
    <mlock_executable>false</mlock_executable>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
</yandex>
"""

_USERS = """<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
"""


class DevServerError(RuntimeError):
    """The dev server could not be started."""


def find_server_binary() -> str | None:
    """Path of ``clickhouse-server`` (PATH, then /usr/sbin and /usr/bin), or None."""
    return (shutil.which("clickhouse-server")
            or next((p for p in ("/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server")
                     if os.access(p, os.X_OK)), None))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ping(http_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/ping", timeout=0.5) as r:
            return r.status == 200
    except OSError:
        return False


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _stop(pid_file: Path, timeout: float = 15.0) -> None:
    pid = _read_pid(pid_file)
    if pid is None or not _pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def _tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def start_dev_server(directory: str | os.PathLike, *, database: str = "default",
                     tcp_port: int | None = None, http_port: int | None = None,
                     timeout: float = 30.0) -> tuple[str, Callable[[], None]]:
    """Start clickhouse-server with its data under ``directory``.

    Returns ``("clickhouse://127.0.0.1:TCP_PORT/<database>", stop)``. Free ports are
    picked when not given. Raises DevServerError when the binary is missing or the
    server does not answer /ping within ``timeout`` seconds.
    """
    binary = find_server_binary()
    if binary is None:
        raise DevServerError("clickhouse-server not found; install it with "
                             "'apt-get install -y clickhouse-server clickhouse-client'")
    d = Path(directory).resolve()
    for sub in ("data", "tmp", "user_files", "format_schemas", "log"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    pid_file = d / "server.pid"
    _stop(pid_file)  # a stale server from an earlier run of the same folder
    tcp_port = tcp_port or free_port()
    http_port = http_port or free_port()
    while http_port == tcp_port:
        http_port = free_port()
    (d / "config.xml").write_text(_CONFIG.format(dir=d, tcp_port=tcp_port,
                                                  http_port=http_port, tz=TIMEZONE))
    (d / "users.xml").write_text(_USERS)
    pid_file.unlink(missing_ok=True)
    proc = subprocess.run([binary, f"--config-file={d}/config.xml", f"--pid-file={pid_file}",
                           "--daemon"], cwd=d, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise DevServerError(f"clickhouse-server exited {proc.returncode}: "
                             f"{proc.stderr.strip()}\n{_tail(d / 'log' / 'server.err.log')}")
    deadline = time.monotonic() + timeout
    while not _ping(http_port):
        pid = _read_pid(pid_file)
        if time.monotonic() > deadline or (pid is not None and not _pid_alive(pid)):
            _stop(pid_file)
            raise DevServerError(f"clickhouse-server in {d} did not answer /ping on port "
                                 f"{http_port}:\n{_tail(d / 'log' / 'server.err.log')}")
        time.sleep(0.05)

    def stop() -> None:
        _stop(pid_file)

    return f"clickhouse://127.0.0.1:{tcp_port}/{database}", stop
