"""Uvicorn's httptools protocol, with a shutdown that drops no request already sent to it.

On SIGTERM uvicorn stops accepting, then shuts every connection down: a connection with a request in progress
answers it and closes, and any other is closed at once. A request that sits unread in the socket (sent on an
idle keep-alive connection, or on a connection just accepted) is lost that way: the kernel resets the
connection, and the proxy in front answers 502. Measured on a restart every second under load at the front
door, that left 150 to 190 of them per minute at Apache.

Here such a connection is kept: its waiting request is answered with "Connection: close", and the connection
closes after it. A connection that has received no request yet gets the same for a short grace, since its
client connected to send one. What is left is the race every HTTP/1.1 server has when it closes an idle
connection while the client starts sending on it; nginx and Apache retry that one.

The service units run uvicorn with --http webstack_uvicorn_http:DrainingHttpToolsProtocol, with this
directory on PYTHONPATH. Written by the webstack.tiers.uvicorn role.
"""

import fcntl
import struct
import termios

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Seconds a connection that has received no request yet is given to send one once the shutdown began.
FIRST_REQUEST_GRACE = 1.0


def bytes_waiting(transport):
    """How many bytes wait unread in the transport's socket (0 when that cannot be told)."""
    try:
        fd = transport.get_extra_info("socket").fileno()
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except (AttributeError, OSError, struct.error):
        return 0


class DrainingHttpToolsProtocol(HttpToolsProtocol):
    draining = False

    def shutdown(self):
        idle = self.cycle is None or self.cycle.response_complete
        if not idle or self.transport.is_closing():
            super().shutdown()
            return
        fresh = self.cycle is None
        if not fresh and not bytes_waiting(self.transport):
            super().shutdown()
            return
        # Answer what comes, then close; close anyway once the grace is over and nothing came.
        self.draining = True
        self.loop.call_later(FIRST_REQUEST_GRACE if fresh else 0.1, self.close_if_idle)

    def close_if_idle(self):
        # uvicorn's own shutdown: closes an idle connection; one answering a request closes after the answer.
        if not self.transport.is_closing():
            super().shutdown()

    def on_headers_complete(self):
        super().on_headers_complete()
        # An upgrade (WebSocket) makes no cycle: there is none to end then.
        if self.draining and self.cycle is not None:
            self.cycle.keep_alive = False
