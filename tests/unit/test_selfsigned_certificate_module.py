"""The selfsigned_certificate module: a site's key and self-signed certificate in one call."""

import datetime
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from module_runner import run_module

NAMES = ["app.example.test", "www.app.example.test"]


def run(tmp_path, check=False, **args):
    params = {"path": str(tmp_path / "site.crt"), "privatekey_path": str(tmp_path / "site.key"), "names": NAMES,
              **args, "_ansible_check_mode": check}
    return run_module("selfsigned_certificate", params, tmp_path / "args.json")


def certificate(tmp_path):
    return x509.load_pem_x509_certificate((tmp_path / "site.crt").read_bytes())


def alt_names(cert):
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName)


def test_a_first_run_makes_a_server_certificate_that_verifies_and_a_second_changes_nothing(tmp_path):
    result = run(tmp_path, days=30)
    assert result["changed"] and result["reasons"] == ["a new key", "a certificate for the new key"]
    cert = certificate(tmp_path)
    assert alt_names(cert) == NAMES
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == NAMES[0]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert datetime.timedelta(days=30) <= lifetime <= datetime.timedelta(days=30, minutes=6)
    assert (tmp_path / "site.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "site.crt").stat().st_mode & 0o777 == 0o644
    # Python's ssl (strict X.509 checks from Python 3.13 on) takes it as its own trust anchor.
    context = ssl.create_default_context(cafile=str(tmp_path / "site.crt"))
    context.load_cert_chain(tmp_path / "site.crt", tmp_path / "site.key")
    assert list(tmp_path.glob(".webstack-*")) == []
    again = run(tmp_path, days=30)
    assert not again["changed"] and again["reasons"] == []


def test_changed_names_sign_a_new_certificate_for_the_same_key(tmp_path):
    run(tmp_path)
    key = (tmp_path / "site.key").read_bytes()
    result = run(tmp_path, names=NAMES + ["api.example.test"])
    assert result["changed"] and len(result["reasons"]) == 1 and "not [" in result["reasons"][0]
    assert alt_names(certificate(tmp_path)) == NAMES + ["api.example.test"]
    assert (tmp_path / "site.key").read_bytes() == key


def test_a_certificate_near_its_end_or_for_another_key_is_signed_again(tmp_path):
    run(tmp_path, days=30)
    serial, end = certificate(tmp_path).serial_number, certificate(tmp_path).not_valid_after_utc
    assert not run(tmp_path, days=30)["changed"]
    # 30 days left is less than a tenth of 400.
    assert run(tmp_path, days=400)["reasons"] == [f"the certificate expires {end:%Y-%m-%d}"]
    assert certificate(tmp_path).serial_number != serial
    other = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "site.key").write_bytes(other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "site.key").chmod(0o600)
    assert run(tmp_path)["reasons"] == ["the certificate is for another key"]
    cert = certificate(tmp_path)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(serialization.Encoding.DER, public) == \
        other.public_key().public_bytes(serialization.Encoding.DER, public)
    cert.verify_directly_issued_by(cert)
    assert cert.signature_hash_algorithm.name == hashes.SHA256().name


def test_a_certificate_signed_by_another_key_is_not_kept(tmp_path):
    """A site switched from a provided certificate back to a self-signed one gets a self-signed one."""
    run(tmp_path)
    key = serialization.load_pem_private_key((tmp_path / "site.key").read_bytes(), password=None)
    issuer = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAMES[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    provided = (x509.CertificateBuilder().subject_name(name)
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some CA")]))
                .public_key(key.public_key()).serial_number(1).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=90))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in NAMES]), critical=False)
                .sign(issuer, hashes.SHA256()))
    (tmp_path / "site.crt").write_bytes(provided.public_bytes(serialization.Encoding.PEM))
    assert run(tmp_path, days=30)["reasons"] == ["the certificate is not self-signed"]
    certificate(tmp_path).verify_directly_issued_by(certificate(tmp_path))


def test_check_mode_writes_nothing_and_a_loose_mode_is_put_right(tmp_path):
    result = run(tmp_path, check=True)
    assert result["changed"] and not (tmp_path / "site.key").exists() and not (tmp_path / "site.crt").exists()
    run(tmp_path)
    (tmp_path / "site.key").chmod(0o644)
    assert run(tmp_path, check=True)["changed"]
    assert (tmp_path / "site.key").stat().st_mode & 0o777 == 0o644
    assert run(tmp_path)["reasons"] == [f"owner or mode of {tmp_path / 'site.key'}"]
    assert (tmp_path / "site.key").stat().st_mode & 0o777 == 0o600


def test_keep_existing_leaves_a_certificate_it_did_not_make(tmp_path):
    (tmp_path / "site.crt").write_text("certbot's certificate")
    result = run(tmp_path, keep_existing=True)
    assert not result["changed"] and not (tmp_path / "site.key").exists()
    assert (tmp_path / "site.crt").read_text() == "certbot's certificate"
    (tmp_path / "site.crt").unlink()
    assert run(tmp_path, keep_existing=True)["changed"] and certificate(tmp_path)


def test_an_unreadable_key_is_replaced_and_bad_input_is_refused(tmp_path):
    (tmp_path / "site.key").write_text("not a key")
    assert run(tmp_path)["reasons"] == ["the key is not a readable P-256 key", "a certificate for the new key"]
    assert run(tmp_path, names=[])["failed"]
    assert "days must be at least 1" in run(tmp_path, days=0)["msg"]


def test_several_certificates_in_one_call_each_kept_on_its_own(tmp_path):
    def several(check=False):
        sites = [{"path": str(tmp_path / f"{name}.crt"), "privatekey_path": str(tmp_path / f"{name}.key"),
                  "names": [f"{name}.example.test"]} for name in ("one", "two")]
        sites.append({"path": str(tmp_path / "acme.crt"), "privatekey_path": str(tmp_path / "acme.key"),
                      "names": ["acme.example.test"], "keep_existing": True})
        return run_module("selfsigned_certificate", {"certificates": sites, "_ansible_check_mode": check},
                          tmp_path / "args.json")

    (tmp_path / "acme.crt").write_text("certbot's certificate")
    assert several(check=True)["changed"] and not (tmp_path / "one.crt").exists()
    first = several()
    assert first["reasons"] == [f"{tmp_path}/{name}.crt: {reason}" for name in ("one", "two")
                                for reason in ("a new key", "a certificate for the new key")]
    assert (tmp_path / "acme.crt").read_text() == "certbot's certificate"
    assert not several()["changed"]
    (tmp_path / "two.crt").chmod(0o666)
    assert several()["reasons"] == [f"{tmp_path}/two.crt: owner or mode of {tmp_path}/two.crt"]
    mixed = run_module("selfsigned_certificate", {"path": str(tmp_path / "one.crt"), "certificates": []},
                       tmp_path / "args.json")
    assert mixed.get("failed")
