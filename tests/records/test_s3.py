"""Recordings on S3-compatible storage (django-storages), over HTTP against moto's standalone
S3 server, started here on the loopback address: an upload lands in the bucket with its
SHA-256, a signed address answers a ranged request with 206, the deletion job deletes the
object."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chaperone.config.settings.base import recordings_storage_settings
from chaperone.records import purge
from chaperone.records.models import Recording
from tests.conftest import verified_client
from tests.records.conftest import ran

BUCKET = "chaperone-recordings-test"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except urllib.error.HTTPError:
            break  # it answers
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                err = server.stderr.read().decode() if server.stderr else ""
                raise AssertionError(f"moto_server did not start: {err}") from None
            time.sleep(0.2)
    try:
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3(settings, s3_endpoint):  # type: ignore[no-untyped-def]
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-west-2", **KEYS)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if BUCKET not in existing:
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
    environ = {
        "CHAPERONE_RECORDINGS_S3_BUCKET": BUCKET,
        "CHAPERONE_RECORDINGS_S3_ENDPOINT_URL": s3_endpoint,
        "CHAPERONE_RECORDINGS_S3_REGION": "eu-west-2",
        "CHAPERONE_RECORDINGS_S3_ACCESS_KEY_ID": "testing",
        "CHAPERONE_RECORDINGS_S3_SECRET_ACCESS_KEY": "testing",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": recordings_storage_settings(environ, Path("/nonexistent")),
    }
    return client


def test_an_upload_goes_to_the_bucket_and_is_served_and_deleted_from_it(s3, ncast) -> None:  # type: ignore[no-untyped-def]
    session = ran(ncast)
    content = os.urandom(200_000)
    host = Client()
    host.force_login(ncast.tutor.user)
    response = host.post(
        reverse("records:add", args=[session.pk]),
        {
            "source": "upload",
            "recorded_by": ncast.tutor.pk,
            "file": SimpleUploadedFile("call.mp4", content, content_type="video/mp4"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    recording = Recording.objects.get(session=session)
    assert recording.sha256 == hashlib.sha256(content).hexdigest()
    key = f"recordings/{recording.storage_name}"
    stored = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == recording.sha256

    dsl = verified_client(ncast.dsl)
    opened = dsl.post(
        reverse("records:open", args=[recording.pk]),
        {"reason": "Reviewing the call after a worry was raised."},
    )
    signed = dsl.get(opened["Location"])
    assert signed.status_code == 302
    url = signed["Location"]
    assert url.startswith(s3.meta.endpoint_url)
    assert "X-Amz-Signature=" in url or "Signature=" in url
    request = urllib.request.Request(url, headers={"Range": "bytes=1000-1999"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 206
        assert answer.read() == content[1000:2000]

    type(session).objects.filter(pk=session.pk).update(
        starts_at=session.starts_at.replace(year=session.starts_at.year - 1)
    )
    result = purge.purge_all()
    assert result.deleted["recording"] == 1 and result.files_deleted == 1 and result.ok
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=BUCKET, Key=key)
