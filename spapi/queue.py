"""The seller's SQS queue, where Amazon's notifications arrive: read with
long polling and deleted once Odoo committed what they said (boto3).

The AWS secret goes only to Amazon's SQS hosts (``sqs.<region>.amazonaws.com``
and the legacy ``<region>.queue.amazonaws.com``), to this machine (the tests'
and the demo's moto server) or to a host an admin trusted; a queue URL
elsewhere is refused before any request. Nothing here imports Odoo."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from .endpoints import LOOPBACK_HOSTS

# "WaitTimeSeconds ... If a message is available, the call returns sooner":
# 20 is SQS's longest wait, and at most 10 messages come per receive.
MAX_WAIT_SECONDS = 20
MAX_MESSAGES = 10
AMAZON_SQS_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")


class QueueError(Exception):
    """The queue cannot be used as set (URL, host, credentials, AWS's answer)."""


@dataclass(frozen=True)
class Message:
    message_id: str
    receipt: str
    body: str
    receive_count: int = 1


def check_queue_url(url, trusted_hosts=()):
    """(region hint or None) of ``url``; raises QueueError unless it is an SQS
    queue on Amazon's hosts over HTTPS, or on a trusted host."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme not in ("http", "https") or not host or len(segments) != 2:
        raise QueueError(
            f"{url!r} is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)"
        )
    if host in LOOPBACK_HOSTS or host in trusted_hosts:
        return None
    if parts.scheme != "https" or not host.endswith(AMAZON_SQS_SUFFIXES):
        raise QueueError(f"{host} is not Amazon SQS: the AWS credentials are not sent there")
    labels = host.split(".")
    if labels[0] == "sqs" and len(labels) > 3:
        return labels[1]
    return labels[0] if labels[1:2] == ["queue"] else None


def queue_arn(url, region):
    """The queue's ARN (what Amazon's createDestination takes) from its URL."""
    account, name = [s for s in urlsplit(url).path.split("/") if s]
    return f"arn:aws:sqs:{region}:{account}:{name}"


class NotificationQueue:
    """One SQS queue, read with the given credentials."""

    def __init__(self, url, region, access_key, secret_key, trusted_hosts=(), timeout=30):
        if not (url and region and access_key and secret_key):
            raise QueueError("the queue URL, its region and the AWS keys are all needed")
        hinted = check_queue_url(url, trusted_hosts)
        if hinted and hinted != region:
            raise QueueError(f"the queue is in {hinted}, not in {region}")
        import boto3  # noqa: PLC0415 - only a company with a queue needs it
        from botocore.config import Config  # noqa: PLC0415

        parts = urlsplit(url)
        self.url = url
        self.region = region
        self.arn = queue_arn(url, region)
        self._client = boto3.client(
            "sqs",
            region_name=region,
            endpoint_url=f"{parts.scheme}://{parts.netloc}",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            # A long poll holds the connection up to 20 s: the read timeout is longer.
            config=Config(
                read_timeout=MAX_WAIT_SECONDS + timeout,
                connect_timeout=timeout,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def __repr__(self):  # never show credentials
        return f"<NotificationQueue {self.url}>"

    def _aws(self, operation, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            return getattr(self._client, operation)(QueueUrl=self.url, **kwargs)
        except ClientError as error:
            info = error.response.get("Error", {})
            raise QueueError(
                f"SQS {operation}: {info.get('Code')}: {info.get('Message')}"
            ) from None
        except BotoCoreError as error:
            raise QueueError(f"SQS {operation}: {error}") from None

    def receive(self, wait_seconds=MAX_WAIT_SECONDS, max_messages=MAX_MESSAGES, visibility=None):
        """Up to ``max_messages`` messages, waiting up to ``wait_seconds`` for one."""
        options = {
            "MaxNumberOfMessages": max(1, min(max_messages, MAX_MESSAGES)),
            "WaitTimeSeconds": max(0, min(int(wait_seconds), MAX_WAIT_SECONDS)),
            "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
        }
        if visibility is not None:
            options["VisibilityTimeout"] = int(visibility)
        answer = self._aws("receive_message", **options)
        return [
            Message(
                m["MessageId"],
                m["ReceiptHandle"],
                m.get("Body") or "",
                int((m.get("Attributes") or {}).get("ApproximateReceiveCount") or 1),
            )
            for m in answer.get("Messages") or []
        ]

    def delete(self, messages):
        """Delete ``messages`` (after Odoo committed them); returns the ids SQS
        did not delete (they come back, and are skipped as duplicates)."""
        failed = []
        for start in range(0, len(messages), MAX_MESSAGES):
            batch = messages[start : start + MAX_MESSAGES]
            answer = self._aws(
                "delete_message_batch",
                Entries=[{"Id": str(i), "ReceiptHandle": m.receipt} for i, m in enumerate(batch)],
            )
            failed += [batch[int(f["Id"])].message_id for f in answer.get("Failed") or []]
        return failed

    def release(self, messages, seconds=0):
        """Make ``messages`` visible again in ``seconds`` (work that could not
        be done now: another run holds the account)."""
        for start in range(0, len(messages), MAX_MESSAGES):
            batch = messages[start : start + MAX_MESSAGES]
            self._aws(
                "change_message_visibility_batch",
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m.receipt, "VisibilityTimeout": int(seconds)}
                    for i, m in enumerate(batch)
                ],
            )
