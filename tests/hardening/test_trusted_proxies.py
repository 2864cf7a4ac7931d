"""Behind a real nginx (Debian's, started here on 127.0.0.1), throttles and login lockouts count each client by its
own address (TRUSTED_PROXIES); an X-Forwarded-For that an untrusted sender wrote changes nothing (issue #16).

Clients are told apart by their source address on the loopback network (127.0.0.2, 127.0.0.3, ...), as nginx sees
them; the app sees only nginx (127.0.0.1) as its peer.
"""
import http.client
import json
import shutil
import socket
import subprocess
import time
import uuid

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from core.client_address import client_address, parse_trusted_proxies

CLIENT_A, CLIENT_B = "127.0.0.2", "127.0.0.3"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory

NGINX_CONF = """
worker_processes 1;
user root root;
error_log {dir}/error.log;
pid {dir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_set_header Host $host;
      # As docs/OPERATIONS.md asks: append the address nginx saw to whatever the client sent.
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
}}
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nginx(live_server, tmp_path):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    upstream = live_server.url.rsplit(":", 1)[1]
    (tmp_path / "nginx.conf").write_text(NGINX_CONF.format(dir=tmp_path, port=port, upstream=upstream))
    process = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(10)


def post_token(port, source, username, password, forwarded_for=None):
    """POST /api/v1/auth/token/ to 127.0.0.1:``port`` from ``source``; returns (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/json", "Host": "localhost"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    connection.request("POST", "/api/v1/auth/token/", json.dumps({"username": username, "password": password}),
                       headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


@pytest.fixture
def login_rate(monkeypatch):
    def set_rate(rate):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", rate)
    return set_rate


behind_nginx = pytest.mark.django_db(transaction=True)


@behind_nginx
def test_behind_nginx_two_clients_get_separate_login_throttle_buckets(settings, nginx, users, login_rate):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    login_rate("3/hour")
    assert [post_token(nginx, CLIENT_A, "nobody", "wrong")[0] for _ in range(4)] == [400, 400, 400, 429]
    assert post_token(nginx, CLIENT_B, "nobody", "wrong")[0] == 400
    assert post_token(nginx, CLIENT_B, "t_supervisor", PASSWORD)[0] == 200


@behind_nginx
def test_without_trusted_proxies_nginx_makes_everyone_one_client(settings, nginx, users, login_rate):
    """The fault the setting fixes, shown on the same stack: without it, one client's attempts throttle the other."""
    settings.TRUSTED_PROXIES = []
    login_rate("3/hour")
    for _ in range(3):
        post_token(nginx, CLIENT_A, "nobody", "wrong")
    assert post_token(nginx, CLIENT_B, "t_supervisor", PASSWORD)[0] == 429


@behind_nginx
def test_behind_nginx_one_clients_failed_logins_lock_only_that_client(settings, nginx, users, login_rate):
    settings.TRUSTED_PROXIES = ["127.0.0.0/30"]  # a network holding the proxy's address
    login_rate("1000/hour")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_token(nginx, CLIENT_A, "t_inspector", "wrong")[0] == 400
    assert post_token(nginx, CLIENT_A, "t_inspector", "wrong")[0] == 429  # the last failure locks
    status, body = post_token(nginx, CLIENT_A, "t_inspector", PASSWORD)
    assert status == 429 and b"locked_out" in body
    # The same user from another machine (the colleague at the next desk) still gets in.
    assert post_token(nginx, CLIENT_B, "t_inspector", PASSWORD)[0] == 200


@behind_nginx
def test_a_spoofed_forwarded_for_changes_nothing(settings, live_server, nginx, users, login_rate):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    login_rate("3/hour")
    app_port = int(live_server.url.rsplit(":", 1)[1])
    # Through nginx: a made-up address per request still counts as client A (nginx appends what it saw).
    statuses = [post_token(nginx, CLIENT_A, "nobody", "wrong", forwarded_for=f"1.2.3.{n}")[0] for n in range(4)]
    assert statuses == [400, 400, 400, 429]
    # Straight to the app, bypassing nginx: the sender is no trusted proxy, so its header is ignored.
    statuses = [post_token(app_port, CLIENT_B, "nobody", "wrong", forwarded_for=f"5.6.7.{n}")[0] for n in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert cache.get(f"throttle_login_{CLIENT_A}") and cache.get(f"throttle_login_{CLIENT_B}")
    assert not any(cache.get(f"throttle_login_{prefix}.{n}") for prefix in ("1.2.3", "5.6.7") for n in range(4))
    # And the lockout by address: failures under forged addresses lock the real sender.
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    login_rate("1000/hour")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_token(nginx, CLIENT_A, "t_legal", "wrong", forwarded_for=str(uuid.uuid4())[:8])
    assert post_token(nginx, CLIENT_A, "t_legal", PASSWORD)[0] == 429


@pytest.mark.parametrize(("peer", "forwarded_for", "setting", "expected"), [
    ("10.0.0.5", "1.2.3.4", [], "10.0.0.5"),  # nothing trusted: the header is ignored
    ("10.0.0.5", "1.2.3.4", ["10.0.0.0/8"], "1.2.3.4"),
    ("203.0.113.9", "1.2.3.4", ["10.0.0.0/8"], "203.0.113.9"),  # an untrusted peer's header is ignored
    ("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.7", ["10.0.0.0/8"], "1.2.3.4"),  # two of our proxies, a spoofed hop
    ("10.0.0.5", "garbage, 10.0.0.7", ["10.0.0.0/8"], "10.0.0.7"),
    ("10.0.0.5", "6.6.6.6, 1.2.3.4", ["1"], "1.2.3.4"),  # a count: the last hop our one proxy added
    ("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.7", ["2"], "1.2.3.4"),
    ("::ffff:10.0.0.5", "2001:db8::1", ["10.0.0.0/8"], "2001:db8::1"),
])
def test_the_client_address_is_read_from_the_right_up_to_the_first_untrusted_hop(peer, forwarded_for, setting,
                                                                                  expected):
    count, networks = parse_trusted_proxies(tuple(setting))
    assert client_address(peer, forwarded_for, count, networks) == expected
