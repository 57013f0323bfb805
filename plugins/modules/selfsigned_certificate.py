#!/usr/bin/python
"""A site's self-signed certificate and its key, checked (and made when needed) in one call."""

DOCUMENTATION = r"""
module: selfsigned_certificate
short_description: Keep a self-signed server certificate for a list of names, in one call
description:
  - Makes sure O(privatekey_path) holds an ECDSA P-256 key and O(path) a self-signed certificate for it,
    whose subject is the first of O(names) and whose subject alternative names are O(names), valid for
    O(days) days, for TLS servers only (C(CA:FALSE), digital signature, server authentication), with the
    subject and authority key identifiers that strict path validation asks for.
  - An existing key is kept unless it cannot be read or is not a P-256 key. An existing certificate is kept
    while it is signed by that key, for that key and those names, and has at least a tenth of O(days) left;
    otherwise a new one is signed. The key is made mode 0600 and the certificate 0644, both owned by root.
  - One module call for what C(openssl_privatekey), C(openssl_csr_pipe) and C(x509_certificate) do in three.
  - In check mode nothing is written; the result says what would change.
  - With O(certificates), several such certificates in one call (one per site), each checked and made in its
    turn, with the same O(days).
options:
  path:
    description: The certificate file (PEM). Required unless O(certificates) is given.
    type: path
  privatekey_path:
    description: The private key file (PEM, unencrypted). Required with O(path).
    type: path
  names:
    description: The DNS names the certificate is for; the first is its subject's common name. Required with
      O(path).
    type: list
    elements: str
  certificates:
    description: Several certificates instead of O(path), O(privatekey_path), O(names) and O(keep_existing),
      each with those keys.
    type: list
    elements: dict
  days:
    description: How long a new certificate is valid.
    type: int
    default: 365
  keep_existing:
    description: Leave both files alone when O(path) exists, whatever it holds (a certificate that another tool
      keeps, such as certbot's deploy hook, with this one only a placeholder until then).
    type: bool
    default: false
requirements: [python3-cryptography on the managed host]
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Keep the site's self-signed certificate
  webstack.tiers.selfsigned_certificate:
    path: /etc/nginx/tls/webstack-app.crt
    privatekey_path: /etc/nginx/tls/webstack-app.key
    names: [app.example.test, www.app.example.test]
    days: 365
  notify: Reload nginx

- name: Keep two sites' self-signed certificates in one call
  webstack.tiers.selfsigned_certificate:
    certificates:
      - {path: /etc/nginx/tls/webstack-app.crt, privatekey_path: /etc/nginx/tls/webstack-app.key,
         names: [app.example.test]}
      - {path: /etc/nginx/tls/webstack-shop.crt, privatekey_path: /etc/nginx/tls/webstack-shop.key,
         names: [shop.example.test], keep_existing: true}
"""

RETURN = r"""
reasons:
  description: Why the key or the certificate was (in check mode, would be) written; empty when nothing was.
    With O(certificates), each reason starts with the certificate's path.
  type: list
  elements: str
  returned: always
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.tiers.plugins.module_utils.staged_file import set_attributes, stage_beside

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:  # reported by main() with the module's own message
    x509 = None

KEY_MODE = 0o600
CERT_MODE = 0o644


def load_key(path):
    """The P-256 key at path, or None when there is none usable."""
    try:
        with open(path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        return None
    return key


def certificate_problem(path, key, names, days, now):
    """Why the certificate at path will not do for key and names, or None when it will."""
    try:
        with open(path, "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
    except FileNotFoundError:
        return "no certificate"
    except (OSError, ValueError):
        return "the certificate cannot be read"
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(serialization.Encoding.DER, public) != \
            key.public_key().public_bytes(serialization.Encoding.DER, public):
        return "the certificate is for another key"
    try:
        key.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                ec.ECDSA(cert.signature_hash_algorithm))
        self_signed = cert.issuer == cert.subject
    except InvalidSignature:
        self_signed = False
    if not self_signed:
        return "the certificate is not self-signed"
    try:
        listed = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        alt_names = listed.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        alt_names = []
    common = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if alt_names != names or common != names[:1]:
        return f"the certificate is for {alt_names or common}, not {names}"
    # not_valid_after_utc since cryptography 42 (Debian 13); Debian 12's 38 has only the naive one.
    not_after = getattr(cert, "not_valid_after_utc", None) or \
        cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    if not_after - now < datetime.timedelta(days=days) / 10:
        return f"the certificate expires {not_after:%Y-%m-%d}"
    return None


def sign(key, names, days, now):
    """A new self-signed certificate for key and names, as PEM."""
    key_id = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        # Strict path validation (sslyze, Python's ssl) wants both identifiers even on a self-signed
        # certificate; here they are the same value.
        .add_extension(key_id, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(key_id.digest, None, None), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def keep(path, key_path, names, days, keep_existing, now, check_mode):
    """Check one certificate and its key, and write what is missing or wrong; returns why each was written."""
    if keep_existing and os.path.lexists(path):
        return []
    reasons = []
    key = load_key(key_path)
    new_key = key is None
    if new_key:
        reasons.append("a new key" if not os.path.lexists(key_path) else "the key is not a readable P-256 key")
        key = ec.generate_private_key(ec.SECP256R1())
        problem = "a certificate for the new key"
    else:
        problem = certificate_problem(path, key, names, days, now)
    if problem:
        reasons.append(problem)

    if not check_mode:
        if new_key:
            os.replace(stage_beside(key_path, key.private_bytes(serialization.Encoding.PEM,
                                                                serialization.PrivateFormat.PKCS8,
                                                                serialization.NoEncryption()), KEY_MODE), key_path)
        if problem:
            os.replace(stage_beside(path, sign(key, names, days, now), CERT_MODE), path)
    attributes = [p for p, mode in ((key_path, KEY_MODE), (path, CERT_MODE))
                  if os.path.exists(p) and set_attributes(p, mode, check_mode)]
    return reasons + [f"owner or mode of {p}" for p in attributes]


def main():
    one = {"path": {"type": "path"}, "privatekey_path": {"type": "path"}, "names": {"type": "list", "elements": "str"},
           "keep_existing": {"type": "bool", "default": False}}
    module = AnsibleModule(
        argument_spec={
            **one,
            "certificates": {"type": "list", "elements": "dict",
                             "options": {**{k: {**v, "required": True} for k, v in one.items() if k != "keep_existing"},
                                         "keep_existing": one["keep_existing"]}},
            "days": {"type": "int", "default": 365},
        },
        required_one_of=[("path", "certificates")],
        mutually_exclusive=[("path", "certificates"), ("names", "certificates")],
        required_together=[("path", "privatekey_path", "names")],
        supports_check_mode=True,
    )
    if x509 is None:
        module.fail_json(msg="selfsigned_certificate needs python3-cryptography on the managed host")
    params, days = module.params, module.params["days"]
    several = params["certificates"] is not None
    certificates = params["certificates"] if several else [params]
    if days < 1 or not all(c["names"] for c in certificates):
        module.fail_json(msg="selfsigned_certificate: names must not be empty and days must be at least 1")

    now = datetime.datetime.now(datetime.timezone.utc)
    reasons = []
    for c in certificates:
        done = keep(c["path"], c["privatekey_path"], c["names"], days, c["keep_existing"], now, module.check_mode)
        reasons += [f"{c['path']}: {reason}" for reason in done] if several else done
    diff = {"before": "", "after": "".join(f"{reason}\n" for reason in reasons)}
    module.exit_json(changed=bool(reasons), reasons=reasons, diff=diff)


if __name__ == "__main__":
    main()
