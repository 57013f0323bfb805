"""Asks the front door for one path every 0.2 s, each time on a new connection, and prints one line per try:
the seconds since the epoch and the status (0 when nothing answered: refused, reset, timed out, TLS failed).
It runs in a test container from before the first converge until a test stops it, so that test can tell
whether a client ever got an error from a proxy while the stack came up.

    python3 front_door_watch.py ADDRESS SERVER_NAME PATH
"""

import http.client
import socket
import ssl
import sys
import time

ADDRESS, SERVER_NAME, PATH = sys.argv[1:4]
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


class FrontDoor(http.client.HTTPSConnection):
    """HTTPS to the address, naming the site in the TLS handshake and the Host header."""

    def connect(self):
        self.sock = TLS.wrap_socket(socket.create_connection((ADDRESS, 443), timeout=5), server_hostname=SERVER_NAME)


while True:
    conn = FrontDoor(SERVER_NAME, timeout=5)
    try:
        conn.request("GET", PATH)
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        conn.close()
    print(f"{time.time():.1f} {status}", flush=True)
    time.sleep(0.2)
