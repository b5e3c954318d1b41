"""`keystone api --tls-cert --tls-key` serves HTTPS with TLS 1.3 only."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time

import httpx
import pytest
import trustme

from keystone_dev.seaweed import free_port


@pytest.fixture
def tls_server(tmp_path, s3_server):  # type: ignore[no-untyped-def]
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(cert_path)
    cert.private_key_pem.write_to_path(key_path)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "keystone_dev.cli.main", "api", "--port", str(port),
         "--tls-cert", str(cert_path), "--tls-key", str(key_path)],
        env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(ca_path)
    base = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(base + "/healthz", verify=ssl.create_default_context(cafile=str(ca_path)))
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.2)
    yield base, ca_path
    proc.terminate()
    proc.wait(timeout=15)


def test_tls13_client_is_served_and_tls12_client_refused(tls_server) -> None:
    base, ca_path = tls_server
    tls13 = ssl.create_default_context(cafile=str(ca_path))
    tls13.minimum_version = ssl.TLSVersion.TLSv1_3
    with httpx.Client(verify=tls13) as client:
        response = client.get(base + "/healthz")
        assert response.status_code == 200
        ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")
        assert ssl_object.version() == "TLSv1.3"

    tls12 = ssl.create_default_context(cafile=str(ca_path))
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(httpx.ConnectError) as info, httpx.Client(verify=tls12) as client:
        client.get(base + "/healthz")
    assert "version" in str(info.value).lower() or "protocol" in str(info.value).lower()
