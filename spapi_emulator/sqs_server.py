"""A real SQS server on loopback for the tests and the demo: moto's server
mode (``moto_server``, PyPI ``moto[server]``) in its own process, spoken to
through boto3 exactly as the seller's queue on AWS would be.

moto's server wants newer Flask, Werkzeug and cryptography than Odoo 18
pins, so scripts/lib.sh installs it in a virtualenv of its own and exports
``SAC_MOTO_SERVER`` (the path of its ``moto_server``)."""

import os
import shutil
import socket
import subprocess
import threading
import time

import boto3

REGION = "eu-west-1"
ACCESS_KEY = "AKIAEMULATOR"
SECRET_KEY = "emulator-secret-access-key"
# moto's account: the queues' ARNs name it.
ACCOUNT_ID = "123456789012"


def moto_server_path():
    """The ``moto_server`` executable, or None."""
    path = os.environ.get("SAC_MOTO_SERVER") or shutil.which("moto_server")
    return path if path and os.access(path, os.X_OK) else None


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SqsServer:
    """``with SqsServer() as sqs: sqs.create_queue("orders") ...``"""

    def __init__(self, port=None):
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = None

    def start(self, timeout=30):
        path = moto_server_path()
        if path is None:
            raise RuntimeError(
                "moto_server is not installed: run scripts/test.sh, or set SAC_MOTO_SERVER"
            )
        self._process = subprocess.Popen(
            [path, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self._process.poll() is not None:
                    raise RuntimeError(
                        f"moto_server exited with {self._process.returncode}"
                    ) from None
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not start in time")

    def stop(self):
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def client(self):
        return boto3.client(
            "sqs",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def create_queue(self, name, **attributes):
        """(queue URL, ARN) of a new standard queue."""
        client = self.client()
        url = client.create_queue(
            QueueName=name, Attributes={k: str(v) for k, v in attributes.items()}
        )["QueueUrl"]
        return url, queue_arn(name)


def queue_arn(name, region=REGION, account=ACCOUNT_ID):
    return f"arn:aws:sqs:{region}:{account}:{name}"


class SqsOutlet:
    """Where Amazon delivers: an SQS server (moto's, on loopback) through
    boto3, the queue named by the destination's ARN (its region, account and
    name)."""

    def __init__(self, endpoint_url, access_key="emulator", secret_key="emulator"):
        self.endpoint_url = endpoint_url
        self._keys = {"aws_access_key_id": access_key, "aws_secret_access_key": secret_key}
        self._clients = {}
        self._urls = {}
        self._lock = threading.Lock()

    def _client(self, region):
        if region not in self._clients:
            self._clients[region] = boto3.client(
                "sqs", endpoint_url=self.endpoint_url, region_name=region, **self._keys
            )
        return self._clients[region]

    def send(self, arn, body):
        _arn, _aws, _sqs, region, account, name = arn.split(":", 5)
        with self._lock:
            client = self._client(region)
            if arn not in self._urls:
                self._urls[arn] = client.get_queue_url(
                    QueueName=name, QueueOwnerAWSAccountId=account
                )["QueueUrl"]
            url = self._urls[arn]
        client.send_message(QueueUrl=url, MessageBody=body)
