"""The sample app answers what the stack's tests rely on."""

import socket
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.dont_write_bytecode = True  # keep __pycache__ out of the files the role copies to hosts
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "roles/uvicorn/files/sample_app"))
from webstack_sample.app import SLOW_MAX_MS, app  # noqa: E402


@pytest.fixture(scope="module")
def client():
    return TestClient(app, base_url="http://app.example")


def test_health_names_the_host_that_answered(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["host"] == socket.gethostname()
    assert isinstance(body["pid"], int)


def test_whoami_reports_the_request_as_received(client):
    r = client.get(
        "/api/whoami?x=1",
        headers={"X-Request-ID": "abc123", "X-Forwarded-Proto": "https", "Host": "front.example"},
    )
    body = r.json()
    assert body["client_ip"] == "testclient"
    assert body["scheme"] == "http"  # headers alone do not change the scheme; uvicorn's proxy handling does
    assert body["host"] == "front.example"
    assert body["path"] == "/api/whoami"
    assert body["request_id"] == "abc123"
    assert body["headers"]["x-forwarded-proto"] == "https"
    assert all(name == name.lower() for name in body["headers"])


def test_whoami_keeps_repeated_headers_visible(client):
    r = client.get("/api/whoami", headers=[("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2")])
    assert r.json()["headers"]["x-forwarded-for"] == "1.1.1.1, 2.2.2.2"


def test_payload_is_a_few_kilobytes_of_json(client):
    r = client.get("/api/payload")
    assert r.status_code == 200
    assert 2_000 <= len(r.content) <= 16_000
    assert len(r.json()["items"]) > 10


def test_slow_waits_the_requested_time(client):
    r = client.get("/api/slow", params={"ms": 50})
    assert r.status_code == 200
    assert r.json()["slept_ms"] == 50
    assert r.elapsed.total_seconds() >= 0.05


@pytest.mark.parametrize("ms", [-1, SLOW_MAX_MS + 1, "abc"])
def test_slow_refuses_out_of_range_delays(client, ms):
    assert client.get("/api/slow", params={"ms": ms}).status_code == 422


def test_websocket_echoes(client):
    with client.websocket_connect("/api/ws") as ws:
        ws.send_text("ping")
        assert ws.receive_text() == "ping"


def test_nginx_ships_the_sample_static_files():
    static = Path(__file__).resolve().parents[2] / "roles/nginx/files/sample_static"
    assert (static / "style.css").stat().st_size > 0
    assert (static / "probe.txt").read_text().startswith("webstack.tiers")
