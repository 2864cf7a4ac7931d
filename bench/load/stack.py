"""The processes of a load or fault run, all of them our own: a PostgreSQL cluster in a temporary folder, a
redis-server, an SMTP sink, gunicorn, a Celery worker and Celery beat — or, scaled out, several gunicorn nodes
behind nginx, several Celery workers and a SeaweedFS object store. Nothing here touches the shared PostgreSQL on
5432 or Redis on 6379.

Every process is started in its own session (process group) and stopped by that group's id on exit, on
Ctrl-C and on SIGTERM (``Stack.close``, called from ``run.py``'s finally block and signal handlers).
"""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
APP_PY = str(ROOT / ".venv" / "bin" / "python")


def wait_port(port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections in TIME_WAIT do not count
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Stack:
    def __init__(self, *, pg_port=5441, redis_port=6391, web_port=8061, smtp_port=8025, web_workers=4,
                 worker_concurrency=2, out_dir=None, keep_tmp=False, web_nodes=1):
        self.pg_port, self.redis_port, self.web_port, self.smtp_port = pg_port, redis_port, web_port, smtp_port
        self.web_workers, self.worker_concurrency = web_workers, worker_concurrency
        # Scale-out: web_nodes gunicorn nodes on the ports after web_port, nginx on web_port in front of them.
        self.web_nodes = web_nodes
        self.node_ports = [web_port] if web_nodes == 1 else [web_port + 1 + i for i in range(web_nodes)]
        for port in {pg_port, redis_port, web_port, smtp_port, *self.node_ports}:
            if not port_free(port):
                raise SystemExit(f"port {port} is taken: another run still going? (choose other ports)")
        self.tmp = Path(tempfile.mkdtemp(prefix="xuncha-bench-"))
        self.tmp.chmod(0o755)  # the postgres user must reach its data folder inside
        self.out = Path(out_dir) if out_dir else self.tmp / "out"
        self.out.mkdir(parents=True, exist_ok=True)
        self.pgdata = self.tmp / "pg"
        self.var = self.tmp / "var"
        self.var.mkdir()
        self.procs = {}  # name -> Popen (each the leader of its own process group)
        self.keep_tmp = keep_tmp
        self.pg_running = False
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "PYTHONPATH": str(ROOT / "bench" / "load"),
            # Production settings with throw-away values: a random key, our own database and broker, plain HTTP
            # on 127.0.0.1 (no TLS here, so no HTTPS redirect and no HSTS).
            "SECRET_KEY": secrets.token_urlsafe(60),
            "DATABASE_URL": f"postgis://postgres@127.0.0.1:{pg_port}/xuncha",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "SITE_URL": f"http://127.0.0.1:{web_port}",
            "XUNCHA_VAR_DIR": str(self.var),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        self.log = open(self.out / "timeline.log", "a", buffering=1)

    def note(self, message):
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        self.log.write(line + "\n")

    # --- PostgreSQL ---------------------------------------------------------------------------------

    def _pg(self, *args, check=True):
        return subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata),
                               *args], check=check, capture_output=True, text=True)

    def start_postgres(self):
        self.pgdata.mkdir()
        shutil.chown(self.pgdata, "postgres", "postgres")
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(self.pgdata), "-A",
                        "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"], check=True,
                       capture_output=True)
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.pg_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                       "max_connections = 100\nlog_min_messages = warning\n")
        self.start_postgres_server()

    def start_postgres_server(self):
        self._pg("-l", str(self.pgdata / "server.log"), "-w", "-t", "60", "start")
        self.pg_running = True

    def stop_postgres_server(self, mode="fast"):
        self._pg("-m", mode, "-w", "-t", "60", "stop", check=False)
        self.pg_running = False

    def psql(self, sql, db="xuncha"):
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "-d", db,
                               "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True,
                              text=True).stdout

    # --- other processes ---------------------------------------------------------------------------

    def spawn(self, name, argv, log_name=None):
        log = open(self.out / f"{log_name or name}.log", "ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        if os.environ.get("BENCH_TRACE_SIGNALS") and name in ("worker", "beat", "gunicorn"):
            # Diagnosis only: who signals our processes (strace prints si_pid of each signal received).
            self.procs[f"strace-{name}-{proc.pid}"] = subprocess.Popen(
                ["strace", "-e", "trace=none", "-p", str(proc.pid), "-o", str(self.out / f"strace-{name}.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return proc

    def kill(self, name, sig=signal.SIGTERM, timeout=20):
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        # Children that outlived their leader (SIGKILL of the leader only) are in the same group: end them too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def start_redis(self):
        self.spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(self.tmp)])
        if not wait_port(self.redis_port, 15):
            raise SystemExit("redis-server did not start")

    def start_smtp(self):
        self.spawn("smtp", [APP_PY, str(ROOT / "bench" / "load" / "smtp_sink.py"), str(self.smtp_port),
                            str(self.out / "mail.jsonl")])
        if not wait_port(self.smtp_port, 15):
            raise SystemExit("the SMTP sink did not start")

    def manage(self, *args, **kwargs):
        return subprocess.run([APP_PY, "manage.py", *args], cwd=ROOT, env=self.env, check=True, **kwargs)

    def start_web(self):
        # Sync workers, two per core: a request is mostly database round trips and Python, the GIL makes
        # threads no faster for the Python part, and more processes than this only queue on the 2 cores
        # that PostgreSQL, the Celery worker and the load generator share (see bench/README.md).
        for index, port in enumerate(self.node_ports):
            name = "gunicorn" if index == 0 else f"gunicorn{index + 1}"
            self.spawn(name, [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application",
                              "--bind", f"127.0.0.1:{port}", "--workers", str(self.web_workers),
                              "--worker-class", "sync", "--timeout", "30", "--graceful-timeout", "10",
                              "--error-logfile", "-"])
        for port in self.node_ports:
            if not wait_port(port, 40):
                raise SystemExit(f"gunicorn on {port} did not start")
        if self.web_nodes > 1:
            self.start_proxy()

    def start_proxy(self):
        """Debian's nginx on web_port, spreading requests over the web nodes, as docker-compose.yml's proxy does."""
        folder = self.tmp / "nginx"
        folder.mkdir()
        servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=0;" for port in self.node_ports)
        (folder / "nginx.conf").write_text(f"""
pid {folder}/nginx.pid;
error_log {self.out}/nginx-error.log warn;
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_max_body_size 25m;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  upstream app {{
{servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{self.web_port};
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_read_timeout 60s;
    }}
  }}
}}
""")
        self.spawn("nginx", [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(folder), "-c",
                             str(folder / "nginx.conf"), "-g", "daemon off;"])
        if not wait_port(self.web_port, 15):
            raise SystemExit("nginx did not start")

    def start_worker(self, count=1):
        for index in range(count):
            name = "worker" if index == 0 else f"worker{index + 1}"
            self.spawn(name, [APP_PY, "-m", "celery", "-A", "worker", "worker", "--concurrency",
                              str(self.worker_concurrency), "--loglevel", "INFO", "--without-gossip",
                              "--without-mingle", "-n", f"load{index + 1}@%h"], log_name=name)

    def start_object_store(self):
        """A SeaweedFS S3 gateway on free ports (tests.object_storage), the app's files in a locked bucket there."""
        sys.path.insert(0, str(ROOT))
        from tests.object_storage import ACCESS_KEY, SECRET_KEY, Seaweed

        self.seaweed = Seaweed(self.tmp / "seaweed")
        self.seaweed.start()
        self.env.update({"S3_ENDPOINT_URL": self.seaweed.endpoint, "S3_BUCKET": "xuncha-evidence",
                         "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY})
        self.manage("setup_object_storage", stdout=subprocess.DEVNULL)

    def start_beat(self):
        self.spawn("beat", [APP_PY, "-m", "celery", "-A", "worker", "beat", "--loglevel", "INFO",
                            "--schedule", str(self.tmp / "beat-schedule")])

    def close(self):
        for name in ["locust", "monitor", "beat", "worker", "nginx", "gunicorn", "smtp", "redis"]:
            self.kill(name)
        for name in list(self.procs):
            self.kill(name)
        if getattr(self, "seaweed", None):
            self.seaweed.stop()
        if self.pgdata.exists():
            self.stop_postgres_server("immediate")
        if not self.keep_tmp:
            # The outputs live in self.out, which run.py puts outside the temporary folder.
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.note("stack stopped")
