"""Users, tickets with CSRF tokens, API tokens and the audit token's read-only permissions."""
import base64
import hashlib
import hmac
import secrets
import time
import uuid

from .errors import ApiError

TICKET_LIFETIME = 7200


class Auth:
    def __init__(self, password=None):
        self.user = "root@pam"
        self.password = password or secrets.token_urlsafe(12)
        self.key = secrets.token_bytes(32)
        self.tokens = {"root@pam!jotun": (str(uuid.uuid4()), False),   # token id -> (secret, privilege separated)
                       "root@pam!audit": (str(uuid.uuid4()), True)}

    def info(self):
        return {"user": self.user, "password": self.password,
                "token_id": "root@pam!jotun", "token_secret": self.tokens["root@pam!jotun"][0],
                "audit_token_id": "root@pam!audit", "audit_token_secret": self.tokens["root@pam!audit"][0]}

    def _sign(self, text):
        mac = hmac.new(self.key, text.encode(), hashlib.sha256).digest()
        return base64.b64encode(mac).decode().rstrip("=")

    def login(self, username, password, realm=None):
        """POST /access/ticket; returns the answer's data or raises 401."""
        if realm and "@" not in username:
            username = "%s@%s" % (username, realm)
        if username != self.user or not (hmac.compare_digest(password, self.password) or self.check_ticket(password)):
            raise ApiError(401, "authentication failure")
        stamp = "%08X" % int(time.time())
        plain = "PVE:%s:%s" % (username, stamp)
        ticket = "%s::%s" % (plain, self._sign(plain))
        csrf = "%s:%s" % (stamp, self._sign("csrf:%s:%s" % (username, stamp)))
        return {"username": username, "ticket": ticket, "CSRFPreventionToken": csrf, "clustername": "jotunheim",
                "cap": {"vms": {"VM.Allocate": 1, "VM.Config.Disk": 1, "VM.PowerMgmt": 1, "VM.Backup": 1},
                        "storage": {"Datastore.Allocate": 1}, "nodes": {"Sys.Audit": 1}}}

    def check_ticket(self, ticket):
        """The user of a valid ticket, else None."""
        plain, sep, sig = ticket.rpartition("::")
        parts = plain.split(":")
        if not sep or len(parts) != 3 or parts[0] != "PVE" or not hmac.compare_digest(sig, self._sign(plain)):
            return None
        try:
            age = time.time() - int(parts[2], 16)
        except ValueError:
            return None
        return parts[1] if 0 <= age + 300 and age < TICKET_LIFETIME else None

    def check_csrf(self, user, token):
        stamp, _, sig = (token or "").partition(":")
        return bool(sig) and hmac.compare_digest(sig, self._sign("csrf:%s:%s" % (user, stamp)))

    def authenticate(self, headers, method):
        """Returns (user for UPIDs, kind 'ticket'|'token', read_only) or raises 401."""
        header = headers.get("Authorization", "")
        if header.startswith("PVEAPIToken"):
            value = header[len("PVEAPIToken"):].lstrip("= ")
            token_id, _, secret = value.rpartition("=")
            known = self.tokens.get(token_id)
            if not known or not hmac.compare_digest(known[0], secret):
                raise ApiError(401, "invalid token value!")
            return token_id, "token", known[1]
        ticket = _cookie(headers.get("Cookie", ""), "PVEAuthCookie")
        if not ticket:
            raise ApiError(401, "No ticket")
        user = self.check_ticket(ticket)
        if user is None:
            raise ApiError(401, "invalid PVE ticket")
        if method != "GET" and not self.check_csrf(user, headers.get("CSRFPreventionToken")):
            raise ApiError(401, "Permission denied - invalid csrf token")
        return user, "ticket", False


def _cookie(header, name):
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            from urllib.parse import unquote
            return unquote(value)
    return None
