"""HTTPS transport: a threading HTTP/1.1 keep-alive server; TLS handshakes run in the worker threads."""
import json
import socket
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import control

MAX_BODY = 8 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pve-api-daemon/3.0"
    sys_version = ""
    disable_nagle_algorithm = True          # headers and body go out at once: no 40 ms Nagle/delayed-ACK stall

    def log_message(self, *args):          # quiet: the request log records API calls
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _serve(self):
        sim = self.server.sim
        body = self._body()
        if self.path.startswith("/_sim"):
            resp = control.handle(sim, self.command, self.path, body)
        elif self.path.startswith("/api2/json"):
            resp = sim.handle(self.command, self.path, self.headers, body)
        else:
            resp = control.Response(501, "Not Implemented", {"data": None})
        if resp.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(resp)

    def _send(self, resp):
        payload = json.dumps(resp.body).encode("utf-8")
        reason = resp.reason.splitlines()[0] if resp.reason else ""
        self.send_response(resp.status, reason.encode("latin-1", "replace").decode("latin-1"))
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "max-age=0")
        self.send_header("Pragma", "no-cache")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, sim, ssl_context):
        self.sim, self.ssl_context = sim, ssl_context
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        try:
            request.settimeout(120)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass
