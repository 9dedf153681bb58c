#!/usr/bin/env python3
"""Stand-in for the app's gunicorn in the nginx role's tests.

Serves HTTP/1.1 on a unix socket, like gunicorn: `/` names the host, `/healthz`
answers JSON, `/whoami` echoes the proxy headers as received. Anything else is
a 404 that says it came from here, so a file nginx serves itself is told
apart. Its own X-Frame-Options and X-Request-ID headers must be hidden by nginx.

    standin-backend.py /run/sampleapp/gunicorn.sock
"""

import json
import os
import socket
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

HOST = socket.gethostname()
PAGE = """<!doctype html>
<html><head><title>sampleapp stand-in</title></head>
<body><h1>sampleapp stand-in</h1><p>served by {host}</p>
{padding}
</body></html>
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix-socket"

    def reply(self, status, body, content_type):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Backend", HOST)
        self.send_header("X-Frame-Options", "ALLOWALL")
        self.send_header("X-Request-ID", "set-by-backend")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            padding = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n" * 20
            self.reply(200, PAGE.format(host=HOST, padding=padding), "text/html; charset=utf-8")
        elif path == "/healthz":
            self.reply(200, json.dumps({"status": "ok", "host": HOST}), "application/json")
        elif path == "/whoami":
            seen = {name.lower().replace("-", "_"): self.headers.get(name) for name in (
                "Host", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID")}
            self.reply(200, json.dumps({"backend": HOST, **seen}), "application/json")
        else:
            self.reply(404, f"not found by the backend on {HOST}\n", "text/plain")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main(path):
    if os.path.exists(path):
        os.unlink(path)
    with Server(path, Handler) as server:
        os.chmod(path, 0o666)  # nginx (www-data) connects
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
