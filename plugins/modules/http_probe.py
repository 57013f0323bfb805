#!/usr/bin/python
"""One HTTP(S) request to an address, naming a server in TLS and in Host: the deploy's check through a proxy."""

DOCUMENTATION = r"""
module: http_probe
short_description: Send one GET to an address with a server name in TLS (SNI) and Host, and return the answer
description:
  - Connects to I(address):I(port), over TLS when I(tls) is true, naming I(server_name) in the handshake and in
    the C(Host) header, as a browser that resolved the name to that address would. C(ansible.builtin.uri) names
    the address it connects to, which a proxy that refuses unknown names turns away.
  - The certificate is not checked (the deploy asks the proxy on its own host whether the app answers, not who
    the proxy is). Never changes anything; a connection error fails the module with the reason.
options:
  address:
    description: IP address or host name to connect to.
    type: str
    required: true
  port:
    description: TCP port.
    type: int
    required: true
  server_name:
    description: Name for the TLS handshake and the Host header.
    type: str
    required: true
  path:
    description: Path and query to request.
    type: str
    default: /
  tls:
    description: Speak TLS.
    type: bool
    default: true
  timeout:
    description: Seconds for the connection and the answer.
    type: int
    default: 5
author: webstack.tiers
"""

EXAMPLES = r"""
- name: Ask the front door for the app's health
  webstack.tiers.http_probe:
    address: 127.0.0.1
    port: 443
    server_name: shop.example.com
    path: /api/health
  register: health
  until: health.status == 200
  retries: 10
  delay: 1
"""

RETURN = r"""
status:
  description: The HTTP status code.
  type: int
  returned: success
content:
  description: The body, decoded as UTF-8 (undecodable bytes replaced), at most 64 KiB.
  type: str
  returned: success
"""

import http.client
import ssl

from ansible.module_utils.basic import AnsibleModule


class _NamedTLSConnection(http.client.HTTPSConnection):
    """HTTPS to one address, naming another server in the handshake."""

    def __init__(self, address, port, server_name, **kwargs):
        super().__init__(address, port, **kwargs)
        self._server_name = server_name

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_name)


def main():
    module = AnsibleModule(
        argument_spec={
            "address": {"type": "str", "required": True},
            "port": {"type": "int", "required": True},
            "server_name": {"type": "str", "required": True},
            "path": {"type": "str", "default": "/"},
            "tls": {"type": "bool", "default": True},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    p = module.params
    if not p["path"].startswith("/"):
        module.fail_json(msg=f"http_probe: path must start with /, not {p['path']!r}")
    if p["tls"]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = _NamedTLSConnection(p["address"], p["port"], p["server_name"], timeout=p["timeout"],
                                         context=context)
    else:
        connection = http.client.HTTPConnection(p["address"], p["port"], timeout=p["timeout"])
    try:
        connection.request("GET", p["path"], headers={"Host": p["server_name"], "Connection": "close"})
        response = connection.getresponse()
        body = response.read(65536).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as err:
        module.fail_json(msg=f"http_probe: GET {p['path']} from {p['address']}:{p['port']} "
                             f"as {p['server_name']}: {err}", status=-1, content="")
    finally:
        connection.close()
    module.exit_json(changed=False, status=response.status, content=body)


if __name__ == "__main__":
    main()
