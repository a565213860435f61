# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one Proxmox VE API client every module uses.

proxmoxer does the authentication (ticket + CSRF token, OTP, API tokens: its https backend's auth classes are
requests auth objects); requests does the transport, so that every call carries its own ``timeout=(connect, read)``
and ``verify=`` (REQUESTS_CA_BUNDLE would override a Session-wide verify), bodies are JSON on PVE 8.0+ and form
encoded before, booleans go out as 1/0, and every failure becomes a ProxmoxError with a kind (errors.py) that
decides what may be retried.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import threading
import time
from email.utils import parsedate_tz, mktime_tz

try:
    from urllib.parse import quote
except ImportError:  # Python 2 never runs this code, but the sanity import test may
    from urllib import quote  # type: ignore

try:
    import requests
    from requests import exceptions as req_exc
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller/target Python
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

try:
    if not HAS_REQUESTS:
        raise ImportError("proxmoxer needs requests")
    from proxmoxer.backends.https import ProxmoxHTTPAuth, ProxmoxHTTPApiTokenAuth
    from proxmoxer.core import AuthenticationError
    HAS_PROXMOXER = True
    PROXMOXER_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover
    HAS_PROXMOXER = False
    PROXMOXER_IMPORT_ERROR = exc

try:
    import urllib3
    from urllib3.exceptions import InsecureRequestWarning, NewConnectionError
except ImportError:  # pragma: no cover
    urllib3 = None
    NewConnectionError = None

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import (
    FINAL, RETRYABLE, UNKNOWN, InputError, ProxmoxError, classify_response, is_transient, scrub)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline, backoff

DEFAULT_PORT = 8006
DEFAULT_GET_BUDGET = 10.0
UNREACHABLE_ATTEMPTS = 3        # connection attempts to a server that does not answer before a call fails
WRITE_METHODS = ("POST", "PUT", "DELETE")
_RELEASE_RE = re.compile(r"^(\d+)\.(\d+)")
_CERT_REASON_RE = re.compile(r"certificate verify failed:?\s*([^'\")\]]*)")
_HOSTNAME_MISMATCH_RE = re.compile(r"hostname mismatch|doesn't match|not valid for", re.IGNORECASE)
_LOGIN_CODE_RE = re.compile(r"\bcode: (\d{3})\b")
_STATUS_TEXT = {500: " (server error)", 502: " (bad gateway)", 503: " (service unavailable)",
                504: " (gateway timeout)", 596: " (pveproxy: connection timed out)", 599: " (pveproxy: internal error)"}


def api_path(*segments):
    """'/seg1/seg2/...' with every segment percent-encoded: api_path("nodes", "pve1", "storage", "local",
    "content", "local:backup/x.vma.zst") -> '/nodes/pve1/storage/local/content/local%3Abackup%2Fx.vma.zst'."""
    return "/" + "/".join(quote(str(seg), safe="") for seg in segments)


def encode_value(value):
    """A value as PVE accepts it in every release: booleans as 1/0, the rest unchanged."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, (list, tuple)):
        return [encode_value(item) for item in value]
    return value


def encode_params(params):
    """A copy of *params* without None values and with booleans as 1/0."""
    return dict((key, encode_value(value)) for key, value in (params or {}).items() if value is not None)


def reason_phrase(resp):
    """The HTTP reason phrase, PVE's error message before libpve-http-server 5.2.0 (PVE 7.x, 8.0-8.3 carry no
    ``message`` in the body). http.client decodes it as latin-1; pveproxy sends UTF-8, so it is decoded again."""
    reason = resp.reason or ""
    if isinstance(reason, bytes):
        raw = reason
    else:
        try:
            raw = reason.encode("latin-1")
        except UnicodeEncodeError:
            return reason
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def resolve_token_id(user, token_id):
    """Return (user, token name) from api_token_id given as 'user@realm!name' or as 'name' with api_user.

    No user is ever guessed: a bare name without api_user is an InputError naming api_user.
    """
    token_id = (token_id or "").strip()
    if "!" in token_id:
        token_user, name = token_id.rsplit("!", 1)
        if not token_user or not name or "@" not in token_user:
            raise InputError("api_token_id: %r is not of the form user@realm!name" % token_id, option="api_token_id")
        if user and user != token_user:
            raise InputError("api_token_id: the token belongs to %s but api_user is %s; drop api_user or make them "
                             "agree" % (token_user, user), option="api_user")
        return token_user, name
    if not token_id:
        raise InputError("api_token_id: empty token id", option="api_token_id")
    if not user:
        raise InputError("api_user: api_token_id %r is only a token name; set api_user (e.g. root@pam) or give the "
                         "full id as user@realm!%s" % (token_id, token_id), option="api_user")
    if "@" not in user:
        raise InputError("api_user: %r has no realm; use user@realm, e.g. root@pam" % user, option="api_user")
    return user, token_id


def parse_release(version):
    """(major, minor) from a /version answer ({"release": "8.4", "version": "8.4.1"} or "7.4-3")."""
    for key in ("release", "version"):
        match = _RELEASE_RE.match(str((version or {}).get(key) or ""))
        if match:
            return int(match.group(1)), int(match.group(2))
    raise ProxmoxError("cannot read the Proxmox VE release from /version: %r" % (version,), kind=FINAL)


def _split_host(host, port):
    host = (host or "").strip()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix):]
    host = host.rstrip("/")
    if host.startswith("["):
        if "]:" in host:
            host, port = host.rsplit(":", 1)
        return host, int(port)
    if host.count(":") == 1:
        host, port = host.split(":")
    elif host.count(":") > 1:
        host = "[%s]" % host
    return host, int(port)


def _connection_refused(exc):
    """True when a requests ConnectionError happened before anything was sent (no TCP connection)."""
    seen = set()
    todo = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if NewConnectionError is not None and isinstance(item, NewConnectionError):
            return True
        if isinstance(item, (ConnectionRefusedError,)):
            return True
        todo.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
        todo.extend(arg for arg in getattr(item, "args", ()) if isinstance(arg, BaseException))
    return False


class ProxmoxClient(object):
    """A session with one Proxmox VE API endpoint (see docs/design.md for the contract)."""

    def __init__(self, host, port=DEFAULT_PORT, user=None, password=None, otp=None, token_id=None, token_secret=None,
                 validate_certs=True, ca_path=None, connect_timeout=5.0, read_timeout=30.0):
        if not HAS_REQUESTS or not HAS_PROXMOXER:
            raise InputError("the jotunheim.proxmox modules need the Python libraries requests and proxmoxer on the "
                             "host that runs them: %s" % (REQUESTS_IMPORT_ERROR or PROXMOXER_IMPORT_ERROR))
        if not host:
            raise InputError("api_host: required (or set PROXMOX_HOST)", option="api_host")
        try:
            self.host, self.port = _split_host(host, port or DEFAULT_PORT)
        except ValueError:
            raise InputError("api_port: not a port number: %r" % (port,), option="api_port")
        self.user = user
        self.token_name = None
        self._password = password
        self._otp = otp
        self._token_secret = token_secret
        self._check_credentials(password, token_id, token_secret)
        if token_id:
            self.user, self.token_name = resolve_token_id(user, token_id)
        if ca_path and not os.path.isfile(ca_path):
            raise InputError("ca_path: %s is not a file" % ca_path, option="ca_path")
        self.validate_certs = bool(validate_certs)
        if not self.validate_certs and urllib3 is not None:
            # the module warns once (ProxmoxModule); urllib3 would warn again on every request
            urllib3.disable_warnings(InsecureRequestWarning)
        self.ca_path = ca_path
        self.connect_timeout = float(connect_timeout or 5.0)
        self.read_timeout = float(read_timeout or 30.0)
        self.base_url = "https://%s:%d/api2/json" % (self.host, self.port)
        self.request_count = 0
        self.login_count = 0
        self._pool_size = None
        self._count_lock = threading.Lock()
        self._auth = None
        self._session = None
        self._version = None
        self._server_offset = None

    def _check_credentials(self, password, token_id, token_secret):
        if password and (token_id or token_secret):
            raise InputError("api_password and api_token_id/api_token_secret are mutually exclusive: use one way to "
                             "log in", option="api_password")
        if token_id and not token_secret:
            raise InputError("api_token_secret: required with api_token_id", option="api_token_secret")
        if token_secret and not token_id:
            raise InputError("api_token_id: required with api_token_secret", option="api_token_id")
        if not password and not token_id:
            raise InputError("no credentials: set api_user and api_password, or api_token_id and api_token_secret "
                             "(or PROXMOX_USER/PROXMOX_PASSWORD, PROXMOX_TOKEN_ID/PROXMOX_TOKEN_SECRET)",
                             option="api_password")
        if password and not self.user:
            raise InputError("api_user: required with api_password (e.g. root@pam)", option="api_user")

    @classmethod
    def from_params(cls, params):
        """Build a client from module parameters (the connection options of doc fragment connection); an empty
        ``api_user`` or ``ca_path`` (an empty AWX credential field) counts as unset."""
        return cls(
            params.get("api_host"), port=params.get("api_port") or DEFAULT_PORT, user=params.get("api_user") or None,
            password=params.get("api_password"), otp=params.get("api_otp"), token_id=params.get("api_token_id"),
            token_secret=params.get("api_token_secret"),
            validate_certs=True if params.get("validate_certs") is None else params.get("validate_certs"),
            ca_path=params.get("ca_path") or None, connect_timeout=params.get("api_connect_timeout") or 5.0,
            read_timeout=params.get("api_timeout") or 30.0)

    # -- identity -------------------------------------------------------------------------------------------------
    @property
    def verify(self):
        """What requests gets as verify= on every call: the CA file, True, or False."""
        if not self.validate_certs:
            return False
        return self.ca_path or True

    @property
    def auth_user(self):
        """The user as it appears in UPIDs and task lists: 'root@pam' or 'root@pam!token'."""
        if self.token_name:
            return "%s!%s" % (self.user, self.token_name)
        return self.user

    @property
    def endpoint(self):
        return "https://%s:%d" % (self.host, self.port)

    def secrets(self):
        """Every secret this client knows (to hide them from messages and logs)."""
        found = [self._password, self._otp, self._token_secret]
        if self._auth is not None and self.token_name is None:
            found.extend(self._auth.get_tokens())
        return [s for s in found if s]

    def allow_threads(self, workers):
        """Let up to ``workers`` threads call this client at once once it has logged in (the first call logs in):
        they share the login and one HTTPS connection pool of that size (requests' default keeps 10 connections
        per host and drops the rest). Call before the first request."""
        self._pool_size = max(1, int(workers))

    # -- the release ----------------------------------------------------------------------------------------------
    @property
    def version(self):
        """GET /version, read once per client."""
        if self._version is None:
            self._version = self.get("/version")
        return self._version

    @property
    def release(self):
        """(major, minor), e.g. (7, 4)."""
        return parse_release(self.version)

    @property
    def json_bodies(self):
        """PVE 8.0+ takes JSON bodies everywhere; before, calls proxied between daemons were re-encoded as forms."""
        return self.release >= (8, 0)

    def server_time(self):
        """The server's clock now (epoch seconds), from the Date header of the last answer; the local clock before."""
        return time.time() + (self._server_offset or 0.0)

    # -- calls ----------------------------------------------------------------------------------------------------
    def get(self, path, params=None, deadline=None, full=False):
        return self.request("GET", path, params=params, deadline=deadline, full=full)

    def post(self, path, data=None, deadline=None, retry_locked=False):
        return self.request("POST", path, data=data, deadline=deadline, retry_locked=retry_locked)

    def put(self, path, data=None, deadline=None, retry_locked=False):
        return self.request("PUT", path, data=data, deadline=deadline, retry_locked=retry_locked)

    def delete(self, path, params=None, deadline=None, retry_locked=False):
        return self.request("DELETE", path, params=params, deadline=deadline, retry_locked=retry_locked)

    def request(self, method, path, params=None, data=None, deadline=None, retry_locked=False, full=False):
        """Send one API call, retrying what errors.py calls safe while *deadline* allows.

        GETs retry every transient failure (default budget ~10 s); writes retry only RETRYABLE errors ("VM is
        locked" only with retry_locked=True), only with a deadline, and never after an UNKNOWN outcome.
        Returns the answer's ``data`` (the whole decoded body with full=True).
        """
        method = method.upper()
        reading = method == "GET"
        budget = deadline if deadline is not None else (Deadline(DEFAULT_GET_BUDGET) if reading else None)
        delays = backoff(base=0.5, factor=2.0, cap=5.0)
        unreachable = 0
        while True:
            try:
                self._login()
                read_timeout = self.read_timeout
                if reading and deadline is not None:
                    read_timeout = max(1.0, min(read_timeout, deadline.remaining()))
                return self._send(method, path, params, data, read_timeout, full)
            except ProxmoxError as err:
                if not self._may_retry(err, reading, retry_locked):
                    raise
                if getattr(err, "unreachable", False):
                    # nothing answers: fail within a few connect timeouts, whatever the run's deadline
                    unreachable += 1
                    if unreachable >= UNREACHABLE_ATTEMPTS:
                        err.message = "%s; gave up after %d attempts" % (err.message, unreachable)
                        err.args = (err.message,)
                        raise
                delay = next(delays)
                if budget is None or not budget.allows(delay):
                    raise
                time.sleep(delay)

    @staticmethod
    def _may_retry(err, reading, retry_locked):
        if err.status in (400, 401, 403):
            return False
        if reading:
            return is_transient(err)
        if err.kind != RETRYABLE:
            return False
        return retry_locked or not err.locked

    # -- authentication -------------------------------------------------------------------------------------------
    def _login(self):
        if self._auth is not None:
            return
        timeout = (self.connect_timeout, self.read_timeout)
        if self.token_name:
            self._auth = ProxmoxHTTPApiTokenAuth(self.user, self.token_name, self._token_secret, verify_ssl=self.verify,
                                                 timeout=timeout, service="PVE")
            return
        self.login_count += 1
        try:
            self._auth = ProxmoxHTTPAuth(self.user, self._password, otp=self._otp, base_url=self.base_url,
                                         verify_ssl=self.verify, timeout=timeout, service="PVE")
        except AuthenticationError as exc:
            raise self._login_error(exc)
        except (ValueError, KeyError, TypeError):
            raise ProxmoxError("unexpected answer to the login at %s/access/ticket" % self.base_url, kind=FINAL,
                               method="POST", path="/access/ticket")
        except req_exc.RequestException as exc:
            err = self._transport_error(exc, "POST", "/access/ticket")
            if err.kind == UNKNOWN:
                err.kind = RETRYABLE  # a login changes nothing: it is always safe to repeat
            raise err

    def _login_error(self, exc):
        """The ProxmoxError for a refused POST /access/ticket, with the HTTP status proxmoxer saw ("... code: N").

        Only a 401 is a credentials problem; a 5xx/596 is the server's and, as a login changes nothing, retryable
        like any safe GET.
        """
        match = _LOGIN_CODE_RE.search(str(exc))
        status = int(match.group(1)) if match else 401
        if status == 401:
            hint = "check api_user, api_password%s" % (" and api_otp" if self._otp else "")
            if self.user and "@" not in self.user:
                hint += " (api_user needs a realm, e.g. %s@pam)" % self.user
            return ProxmoxError("authentication failed for %s at %s: %s" % (self.user, self.endpoint, hint),
                                status=401, kind=FINAL, method="POST", path="/access/ticket")
        kind = RETRYABLE if status >= 500 else FINAL
        return ProxmoxError("the login at %s was refused by the server, not for the credentials: HTTP %d%s "
                            "[POST /access/ticket]" % (self.endpoint, status, _STATUS_TEXT.get(status, "")),
                            status=status, kind=kind, method="POST", path="/access/ticket")

    # -- one attempt ----------------------------------------------------------------------------------------------
    def _body(self, method, data):
        if method not in ("POST", "PUT") or not data:
            return {}
        payload = encode_params(data)
        if self.json_bodies:
            return {"data": json.dumps(payload), "headers": {"Content-Type": "application/json"}}
        return {"data": payload}

    def _send(self, method, path, params, data, read_timeout, full):
        kwargs = self._body(method, data)
        headers = {"Accept": "application/json"}
        headers.update(kwargs.pop("headers", {}))
        if self._session is None:
            self._session = requests.Session()
            if self._pool_size:
                adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(10, self._pool_size))
                self._session.mount("https://", adapter)
        with self._count_lock:
            self.request_count += 1
        try:
            resp = self._session.request(
                method, self.base_url + path, params=encode_params(params) or None, headers=headers,
                auth=self._auth, cookies=self._auth.get_cookies(), verify=self.verify,
                timeout=(self.connect_timeout, read_timeout), allow_redirects=False, **kwargs)
        except AuthenticationError:  # a ticket renewal inside proxmoxer's auth failed
            raise ProxmoxError("renewing the login ticket failed for %s at %s" % (self.user, self.endpoint),
                               status=401, kind=FINAL, method=method, path=path)
        except req_exc.RequestException as exc:
            raise self._transport_error(exc, method, path)
        return self._decode(resp, method, path, full)

    def _transport_error(self, exc, method, path):
        where = "%s %s" % (method, path)
        if isinstance(exc, req_exc.SSLError):
            if _HOSTNAME_MISMATCH_RE.search(str(exc)):
                return ProxmoxError(
                    "the TLS certificate of %s is valid, but not for the name %s that api_host gives (host-name "
                    "mismatch): set api_host to a name the certificate is made out to (one of its subject "
                    "alternative names), or add %s to the certificate" % (self.endpoint, self.host.strip("[]"),
                                                                          self.host.strip("[]")),
                    kind=FINAL, method=method, path=path)
            match = _CERT_REASON_RE.search(str(exc))
            reason = match.group(1).strip() if match else "TLS handshake failed"
            hint = ("set ca_path to the CA certificate that signed it, or validate_certs: false"
                    if self.validate_certs else "check the server's TLS set-up")
            return ProxmoxError("the TLS certificate of %s could not be verified (%s): %s" % (
                self.endpoint, reason or "certificate verify failed", hint), kind=FINAL, method=method, path=path)
        if isinstance(exc, req_exc.ConnectTimeout):
            err = ProxmoxError("could not connect to %s within %ss (%s)" % (self.endpoint, self.connect_timeout, where),
                               kind=RETRYABLE, method=method, path=path)
            err.unreachable = True
            return err
        if isinstance(exc, req_exc.ReadTimeout):
            return ProxmoxError("no answer from %s within the read timeout (%s): the request may still take effect" % (
                self.endpoint, where), kind=UNKNOWN, method=method, path=path)
        if isinstance(exc, req_exc.ConnectionError):
            if _connection_refused(exc):
                err = ProxmoxError("could not connect to %s (%s): connection refused or host unreachable" % (
                    self.endpoint, where), kind=RETRYABLE, method=method, path=path)
                err.unreachable = True
                return err
            return ProxmoxError("the connection to %s broke after sending %s: the request may have taken effect" % (
                self.endpoint, where), kind=UNKNOWN, method=method, path=path)
        return ProxmoxError("request to %s failed (%s): %s" % (self.endpoint, where, type(exc).__name__),
                            kind=FINAL, method=method, path=path)

    def _note_server_time(self, resp):
        parsed = parsedate_tz(resp.headers.get("Date") or "")
        if parsed:
            self._server_offset = mktime_tz(parsed) - time.time()

    def _decode(self, resp, method, path, full):
        self._note_server_time(resp)
        try:
            body = resp.json() if resp.content else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if 200 <= resp.status_code < 300:
            return body if full else body.get("data")
        secrets = self.secrets()
        pve_message = scrub((body.get("message") or reason_phrase(resp) or "").strip(), secrets)
        errors = dict((key, scrub(str(val).strip(), secrets)) for key, val in (body.get("errors") or {}).items())
        kind, locked = classify_response(resp.status_code, pve_message)
        message = pve_message or "HTTP %d" % resp.status_code
        if errors:
            message = "%s (%s)" % (message.rstrip("."), "; ".join("%s: %s" % item for item in sorted(errors.items())))
        message = "%s [HTTP %d, %s %s]" % (message, resp.status_code, method, path)
        raise ProxmoxError(message, status=resp.status_code, errors=errors, kind=kind, method=method, path=path,
                           locked=locked, pve_message=pve_message)

    def close(self):
        if self._session is not None:
            self._session.close()
            self._session = None
