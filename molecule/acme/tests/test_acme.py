"""Certificates from an ACME CA (pebble), seen from outside: what each edge serves for the site's names, a
renewal the way certbot's timer runs it under load, the two edges answering each other's challenges, a CA
that cannot be reached, and bad input."""

import http.client
import json
import os
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from webstack_testlib import (
    container_ip, docker, input_checks_once, peer_certificate, peer_certificate_names, run_playbook,
    runs_a_secret_goes_through, secret_leaks, wait_for, web_request,
)

testinfra_hosts = ["ansible://acme-edge1"]
JOURNAL_UNITS = ["nginx.service", "certbot.service"]
CONVERGE = os.path.join(os.path.dirname(__file__), "..", "converge.yml")
CA, EDGES = "acme-ca", ["acme-edge1", "acme-edge2"]
NAMES = {"www.acme.test", "acme.test"}
LINEAGE = "webstack-default"
EAB_KEY = "TUFSS0VSLWVhYi00ZDFlLWhtYWMta2V5LWZvci1wZWJibGUtdGVzdHM"


def pebble_intermediate():
    """The subject of pebble's issuing certificate, from its management port."""
    pem = docker("exec", CA, "curl", "-sfk", "https://localhost:15000/intermediates/0").stdout
    return x509.load_pem_x509_certificate(pem.encode()).subject


def served(edge, name="www.acme.test"):
    return peer_certificate(container_ip(edge), name)


def test_each_edge_serves_a_certificate_from_pebble_for_exactly_the_sites_names():
    issuer = pebble_intermediate()
    for edge in EDGES:
        cert = served(edge)
        assert cert.issuer == issuer, (edge, cert.issuer.rfc4514_string())
        assert set(peer_certificate_names(container_ip(edge), "acme.test")) == NAMES


def test_a_challenge_lands_on_either_edge():
    """A file in one edge's challenge directory is served by the other, which asks its peer, also for a name
    no site has yet (the default server, which answers nothing else); a token neither holds is a 404 at once,
    not a loop between them."""
    token = "webstack-peer-probe"
    docker("exec", EDGES[0], "sh", "-c",
           f"mkdir -p /var/www/acme-challenge/.well-known/acme-challenge && echo probe > "
           f"/var/www/acme-challenge/.well-known/acme-challenge/{token}")
    try:
        for name in ("www.acme.test", "unknown.acme.test"):
            status, _, body = web_request(container_ip(EDGES[1]), "GET", f"/.well-known/acme-challenge/{token}",
                                          name, tls=False)
            assert (status, body) == (200, b"probe\n"), name
        with pytest.raises(http.client.RemoteDisconnected):
            web_request(container_ip(EDGES[1]), "GET", "/static/probe.txt", "unknown.acme.test", tls=False)
        started = time.monotonic()
        status, _, _ = web_request(container_ip(EDGES[1]), "GET", "/.well-known/acme-challenge/none",
                                   "www.acme.test", tls=False)
        assert status == 404 and time.monotonic() - started < 2
    finally:
        docker("exec", EDGES[0], "rm", "-f", f"/var/www/acme-challenge/.well-known/acme-challenge/{token}")


def test_the_status_command_shows_names_issuer_expiry_and_next_renewal():
    out = docker("exec", EDGES[0], "webstack-cert-status").stdout
    assert "site default: /etc/nginx/tls/webstack-default.crt" in out, out
    assert "names:   acme.test, www.acme.test" in out, out
    assert "Pebble Intermediate" in out, out
    assert "expires: 20" in out and "renewal: due from 20" in out and "certbot.timer runs next" in out, out
    assert "https://acme-ca:14000/dir" in out, out


def load(ip, seconds, results):
    """Requests for `seconds`, each on a new TLS connection to ip (for the site's name), from the CA's container:
    a client outside the edge. Counts answers other than 200 and failed connections."""
    script = f"""
import json, socket, ssl, time
ctx = ssl._create_unverified_context()
ok = failed = 0
end = time.time() + {seconds}
while time.time() < end:
    try:
        with socket.create_connection(("{ip}", 443), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="www.acme.test") as tls:
                tls.sendall(b"GET /static/probe.txt HTTP/1.1\\r\\nHost: www.acme.test\\r\\n"
                            b"Connection: close\\r\\n\\r\\n")
                answer = tls.recv(64)
        ok, failed = (ok + 1, failed) if answer.startswith(b"HTTP/1.1 200") else (ok, failed + 1)
    except OSError:
        failed += 1
print(json.dumps({{"ok": ok, "failed": failed}}))
"""
    results.append(json.loads(docker("exec", CA, "python3", "-c", script).stdout))


def test_a_renewal_serves_a_new_serial_and_fails_no_request():
    """certbot renew, as certbot.service runs it (forced: nothing is due), goes through the installed deploy
    hook: the config test, then a reload under load."""
    edge = EDGES[0]
    before = served(edge).serial_number
    main_pid = docker("exec", edge, "systemctl", "show", "-p", "MainPID", "--value", "nginx").stdout.strip()
    environment = docker("exec", edge, "systemctl", "show", "-p", "Environment", "--value", "certbot.service").stdout
    assert "REQUESTS_CA_BUNDLE=/etc/letsencrypt/webstack-nginx-ca-bundle.pem" in environment
    results = []
    client = threading.Thread(target=load, args=(container_ip(edge), 12, results))
    client.start()
    time.sleep(2)
    renewed = docker("exec", edge, "sh", "-c", "REQUESTS_CA_BUNDLE=/etc/letsencrypt/webstack-nginx-ca-bundle.pem "
                     f"certbot renew --force-renewal --no-random-sleep-on-renew --cert-name {LINEAGE}", check=False)
    client.join()
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    new, _ = wait_for(lambda: served(edge).serial_number != before or None, 10)
    assert new, "the old serial is still served"
    assert results and results[0]["failed"] == 0 and results[0]["ok"] > 20, results
    assert docker("exec", edge, "systemctl", "show", "-p", "MainPID", "--value", "nginx").stdout.strip() == main_pid


def test_a_failed_renewal_keeps_the_old_certificate_and_the_next_one_serves():
    """A renewal whose validation fails (certbot writes the challenge where nginx does not look) deploys
    nothing, and certbot.timer stays scheduled; once put right, the next renewal serves a new serial."""
    edge, renewal = EDGES[0], f"/etc/letsencrypt/renewal/{LINEAGE}.conf"
    before = served(edge).serial_number
    renew = ("REQUESTS_CA_BUNDLE=/etc/letsencrypt/webstack-nginx-ca-bundle.pem "
             f"certbot renew --force-renewal --no-random-sleep-on-renew --cert-name {LINEAGE}")
    docker("exec", edge, "cp", "-p", renewal, "/root/webstack-renewal.conf")
    try:
        docker("exec", edge, "sed", "-i", "s|/var/www/acme-challenge|/tmp/webstack-elsewhere|", renewal)
        failed = docker("exec", edge, "sh", "-c", renew, check=False)
        assert failed.returncode != 0, failed.stdout + failed.stderr
        assert served(edge).serial_number == before
        timer = docker("exec", edge, "systemctl", "show", "-p", "ActiveState", "-p", "UnitFileState",
                       "certbot.timer").stdout
        assert "ActiveState=active" in timer and "UnitFileState=enabled" in timer, timer
    finally:
        docker("exec", edge, "cp", "-p", "/root/webstack-renewal.conf", renewal)
    renewed = docker("exec", edge, "sh", "-c", renew, check=False)
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    assert wait_for(lambda: served(edge).serial_number != before or None, 10)[0]


def test_a_new_name_or_key_type_gets_a_new_certificate_on_the_next_run():
    """Added on both edges in one run (the CA may ask either edge for either edge's challenge), with an RSA
    key; the old names and key type come back the same way."""
    try:
        rc, out, _ = run_playbook(CONVERGE, {"nginx_server_names": sorted(NAMES) + ["new.acme.test"],
                                             "nginx_acme_key_type": "rsa-3072"})
        assert rc == 0, out[-3000:]
        for edge in EDGES:
            cert = peer_certificate(container_ip(edge), "new.acme.test")
            assert set(peer_certificate_names(container_ip(edge), "new.acme.test")) == NAMES | {"new.acme.test"}
            assert isinstance(cert.public_key(), rsa.RSAPublicKey) and cert.public_key().key_size == 3072
            held = json.loads(docker("exec", edge, "webstack-cert-status", "--json").stdout)
            assert [entry["acme"]["key_type"] for entry in held] == ["rsa-3072"], held
    finally:
        rc, out, _ = run_playbook(CONVERGE)
        assert rc == 0, out[-3000:]
    for edge in EDGES:
        assert set(peer_certificate_names(container_ip(edge), "acme.test")) == NAMES


def test_the_account_binding_never_shows(host):
    outputs = runs_a_secret_goes_through(CONVERGE, EDGES[0], {}, refused=[
        ({"nginx_acme_eab_hmac_key": EAB_KEY + " x"}, "nginx_acme_eab_kid and nginx_acme_eab_hmac_key")])
    assert secret_leaks(host, EAB_KEY, outputs) == {}
    assert host.file("/etc/letsencrypt/webstack-nginx.ini").mode == 0o600


@input_checks_once()
@pytest.mark.parametrize("bad_vars, named", [
    ({"nginx_acme_directory_url": "http://acme-ca:14000/dir"}, "nginx_acme_directory_url"),
    ({"nginx_acme_email": "ops at example"}, "nginx_acme_email"),
    ({"nginx_acme_eab_hmac_key": ""}, "nginx_acme_eab_kid and nginx_acme_eab_hmac_key"),
    ({"nginx_acme_key_type": "dsa"}, "nginx_acme_key_type"),
    ({"nginx_acme_ca_bundle": "not a certificate"}, "nginx_acme_ca_bundle"),
    ({"nginx_acme_peers": ["10.0.0.1; deny all"]}, "nginx_acme_peers"),
    ({"nginx_server_names": ["*.acme.test"]}, "DNS names only"),
])
def test_bad_acme_input_is_refused_before_anything_changes(bad_vars, named):
    edge = EDGES[0]
    before = served(edge).serial_number
    rc, out, recap = run_playbook(CONVERGE, bad_vars, limit=edge)
    assert rc != 0 and named in out, out[-2000:]
    assert recap[edge]["changed"] == 0, out[-2000:]
    assert served(edge).serial_number == before


def test_the_chain_verifies_against_pebbles_root_for_each_name():
    """What a client that trusts pebble's root sees, on the other edge: a chain that verifies for each name."""
    root = docker("exec", CA, "curl", "-sfk", "https://localhost:15000/roots/0").stdout
    ctx = ssl.create_default_context(cadata=root)
    for name in sorted(NAMES):
        with socket.create_connection((container_ip(EDGES[1]), 443), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


# Last (no test here takes testinfra's host fixture, which pytest would group together): pebble keeps its
# accounts in memory only, so after its restart no account the edges hold exists, and it has a new root.
def test_a_ca_out_of_reach_fails_the_play_and_nothing_changes():
    """The CA is asked before the site's file takes the new name, so the failed run leaves the configuration
    as it was: the old certificate, and no server for the new name."""
    edge = EDGES[0]
    before = served(edge).serial_number
    site_file = docker("exec", edge, "cat", "/etc/nginx/sites-available/webstack-default.conf").stdout
    docker("exec", CA, "systemctl", "stop", "pebble")
    try:
        rc, out, recap = run_playbook(CONVERGE, {"nginx_server_names": sorted(NAMES) + ["new.acme.test"]},
                                      limit=edge)
        assert rc != 0
        assert recap[edge]["changed"] == 0, out[-3000:]
        assert docker("exec", edge, "cat", "/etc/nginx/sites-available/webstack-default.conf").stdout == site_file
        with pytest.raises(ssl.SSLError):
            served(edge, "new.acme.test")
        assert ("The ACME CA https://acme-ca:14000/dir issued no certificate for site default "
                "(acme.test, www.acme.test, new.acme.test)") in out, out[-3000:]
        assert "certbot said:" in out and "acme-ca" in out.split("certbot said:")[1], out[-3000:]
        assert served(edge).serial_number == before
        status, _, body = web_request(container_ip(edge), "GET", "/static/probe.txt", "www.acme.test")
        assert status == 200, body[:200]
    finally:
        docker("exec", CA, "systemctl", "start", "pebble")
        docker("exec", CA, "sh", "-c", "for i in $(seq 50); do curl -sfk https://localhost:14000/dir && break; "
               "sleep 0.2; done")
        rc, out, _ = run_playbook(CONVERGE, limit=edge)
        assert rc == 0, out[-3000:]
