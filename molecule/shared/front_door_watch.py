"""Watches the stack from a host outside it while the stack comes up, and prints one line per try: the seconds
since the epoch, what was asked and the answer. It runs in a test container from before the first converge until
a test stops it, so that test can tell whether a client ever got an error from a proxy, or ever reached an
inner port, while the stack came up.

    python3 front_door_watch.py https ADDRESS SERVER_NAME PATH   every 0.2 s, a request on a new connection:
                                                                 the status, 0 when nothing answered (refused,
                                                                 reset, timed out, TLS failed)
    python3 front_door_watch.py tcp ADDRESS:PORT...              every 0.2 s, a connection to each port:
                                                                 1 when it was accepted, else 0
"""

import http.client
import socket
import ssl
import sys
import time

TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


def front_door(address, server_name, path):
    """HTTPS to the address, naming the site in the TLS handshake and the Host header."""

    class FrontDoor(http.client.HTTPSConnection):
        def connect(self):
            self.sock = TLS.wrap_socket(socket.create_connection((address, 443), timeout=5),
                                        server_hostname=server_name)

    conn = FrontDoor(server_name, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


def accepted(address, port):
    try:
        socket.create_connection((address, int(port)), timeout=0.5).close()
        return 1
    except OSError:
        return 0


MODE, ARGS = sys.argv[1], sys.argv[2:]
while True:
    if MODE == "https":
        print(f"{time.time():.1f} {ARGS[2]} {front_door(*ARGS)}", flush=True)
    else:
        for target in ARGS:
            print(f"{time.time():.1f} {target} {accepted(*target.rsplit(':', 1))}", flush=True)
    time.sleep(0.2)
