"""HTTP/1.1 read off a raw socket, for the attacks and tests that must write their own bytes.

Example:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
    assert one_response(sock).startswith(b"HTTP/1.1 200")
"""

from __future__ import annotations

import socket


def one_response(sock: socket.socket) -> bytes:
    """One whole response with a Content-Length (or none), its head and body; they may come
    in separate packets. Whatever the server sent so far, should it close first."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(65536)
        if not chunk:
            return answer
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body


__all__ = ["one_response"]
