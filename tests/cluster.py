"""A cluster on this machine: nginx on one port in front of N daphne processes and M workers
(`manage.py run_worker`), all on one PostgreSQL and one Redis. Every process is ours, on free
ports, and `stop()` ends them all.

nginx runs the repository's own proxy rules (deploy/nginx/citymgmt-proxy.conf) inside a small
generated config, so the tests exercise what production runs.

Used by `scripts/cluster` (`python -m tests.cluster`), the cluster tests (tests/cluster/) and
`bench/board_fanout.py --processes N`.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.live import ROOT, Daphne, free_port
from tests.live import database_url as database_url_of

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PROXY_RULES = ROOT / "deploy" / "nginx" / "citymgmt-proxy.conf"

NGINX_CONF = """\
{user}worker_processes 1;
worker_rlimit_nofile 16384;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    upstream citymgmt_web {{
{servers}
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}
    server {{
        listen 127.0.0.1:{port};
        include {rules};
    }}
}}
"""


def wait_http(url: str, timeout: float = 30, proc=None, log=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited: {log() if log else ''}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 (our loopback)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s: {log() if log else ''}")


class Worker:
    """One `manage.py run_worker` process."""

    def __init__(self, env: dict, log_path: Path, interval: float):
        self.env, self.log_path, self.interval, self.proc = env, log_path, interval, None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", str(self.interval)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


class Cluster:
    """nginx → `web` daphne processes, plus `workers` workers, on `database_url` and `redis_url`."""

    def __init__(
        self,
        database_url,  # a URL, or Django's settings dict of the database
        redis_url: str,
        *,
        web: int = 2,
        workers: int = 2,
        worker_interval: float = 1.0,
        env: dict | None = None,
        port: int | None = None,
    ):
        self.dir = Path(tempfile.mkdtemp(prefix="citymgmt-cluster-"))
        self.media = str(self.dir / "media")  # shared by every process, as an NFS mount would be
        os.makedirs(self.media)
        self.env = {"REDIS_URL": redis_url, "LOG_LEVEL": "WARNING", **(env or {})}
        self.webs = [Daphne(database_url, media=self.media, env=self.env) for _ in range(web)]
        worker_env = {**self.webs[0].env} if self.webs else {**os.environ, **self.env}
        worker_env["DATABASE_URL"] = database_url_of(database_url)
        self.workers = [Worker(worker_env, self.dir / f"worker-{i}.log", worker_interval) for i in range(workers)]
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.nginx = None

    # ------------------------------------------------------------------ lifecycle

    def start(self):
        try:
            for web in self.webs:
                web.spawn()
            for web in self.webs:
                web.wait_ready()
            for worker in self.workers:
                worker.start()
            self.start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()  # SIGTERM: fast shutdown
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for worker in self.workers:
            worker.stop()
        for web in self.webs:
            web.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start_nginx(self):
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"        server 127.0.0.1:{web.port} max_fails=0;" for web in self.webs)
        conf = self.dir / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                user="user root;\n" if os.geteuid() == 0 else "",
                dir=self.dir,
                servers=servers,
                port=self.port,
                rules=PROXY_RULES,
            )
        )
        log = open(self.dir / "nginx.log", "ab")
        self.nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(self.dir), "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_http(f"{self.url}/healthz", proc=self.nginx, log=self.nginx_log)

    # ------------------------------------------------------------------ faults

    def kill_web(self, index: int) -> None:
        """SIGKILL one daphne: no goodbye to its sockets, as a crashed machine."""
        proc = self.webs[index].proc
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def web_for_port(self, port: int) -> int:
        return next(i for i, web in enumerate(self.webs) if web.port == port)

    def nginx_log(self) -> str:
        return "".join(
            (self.dir / name).read_text()[-3000:]
            for name in ("nginx.log", "nginx-error.log")
            if (self.dir / name).exists()
        )

    def log(self) -> str:
        """Every daphne's log (what bench/board_fanout.py reads for Redis errors)."""
        return "".join(web.log() for web in self.webs)

    def logs(self) -> str:
        parts = [f"--- nginx\n{self.nginx_log()}"]
        parts += [f"--- daphne :{w.port}\n{w.log()[-3000:]}" for w in self.webs]
        parts += [f"--- worker {i}\n{w.log()[-3000:]}" for i, w in enumerate(self.workers)]
        return "\n".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web", type=int, default=2, help="daphne processes")
    parser.add_argument("--workers", type=int, default=2, help="run_worker processes")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port")
    parser.add_argument("--cases", type=int, default=0, help="also seed N demo cases through the workflow")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        sys.exit("scripts/cluster needs DATABASE_URL=postgres://… and REDIS_URL=redis://… (see the README)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "citymgmt.settings"}
    env.setdefault("SECRET_KEY", "cluster-only-secret-key-not-for-production-0123456789abcdef")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    seed = [sys.executable, "manage.py", "seed_demo", "--cases", str(args.cases)]
    subprocess.run(seed, cwd=ROOT, env=env, check=True)  # the demo city (once) and its accounts
    os.environ.setdefault("SECRET_KEY", env["SECRET_KEY"])
    cluster = Cluster(database_url, redis_url, web=args.web, workers=args.workers, port=args.port, worker_interval=5)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    with cluster:
        print(f"nginx on {cluster.url} → daphne on ports {', '.join(str(w.port) for w in cluster.webs)};")
        print(f"{len(cluster.workers)} workers; logs in {cluster.dir}. Ctrl-C stops them all.", flush=True)
        try:
            while not stopping:
                time.sleep(0.5)
                for web in cluster.webs:
                    if web.proc.poll() is not None:
                        print(f"daphne :{web.port} exited; restarting", flush=True)
                        web.start()
        except KeyboardInterrupt:
            pass
    print("stopped")


if __name__ == "__main__":
    main()
