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
        if username != self.user or not (_same(password, self.password) or self.check_ticket(password)):
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
        if not sep or len(parts) != 3 or parts[0] != "PVE" or not _same(sig, self._sign(plain)):
            return None
        try:
            age = time.time() - int(parts[2], 16)
        except ValueError:
            return None
        return parts[1] if 0 <= age + 300 and age < TICKET_LIFETIME else None

    def check_csrf(self, user, token):
        stamp, _, sig = (token or "").partition(":")
        return bool(sig) and _same(sig, self._sign("csrf:%s:%s" % (user, stamp)))

    def authenticate(self, headers, method):
        """Returns (user for UPIDs, kind 'ticket'|'token', read_only) or raises 401."""
        header = headers.get("Authorization", "")
        if header.startswith("PVEAPIToken"):
            value = header[len("PVEAPIToken"):].lstrip("= ")
            token_id, _, secret = value.rpartition("=")
            known = self.tokens.get(token_id)
            if not known or not _same(known[0], secret):
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


def _same(given, known):
    """Constant-time comparison of two texts as UTF-8 bytes (PVE compares bytes: non-ASCII passwords work)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), known.encode("utf-8", "surrogateescape"))


def _cookie(header, name):
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            from urllib.parse import unquote
            return unquote(value)
    return None


# -- GET /access/permissions (pve-access-control API2/AccessControl.pm, RPCEnvironment::get_effective_permissions) --
ADMIN_PRIVS_74 = (
    "Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
    "Group.Allocate", "Permissions.Modify", "Pool.Allocate", "Pool.Audit", "Realm.Allocate", "Realm.AllocateUser",
    "SDN.Allocate", "SDN.Audit", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt",
    "Sys.Syslog", "User.Modify", "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM",
    "VM.Config.CPU", "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory",
    "VM.Config.Network", "VM.Config.Options", "VM.Console", "VM.Migrate", "VM.Monitor", "VM.PowerMgmt",
    "VM.Snapshot", "VM.Snapshot.Rollback")
AUDITOR_PRIVS_74 = ("Datastore.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit")
DEFAULT_PATHS = ("/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms")


def role_privileges(release, role):
    """Privileges of the built-in roles the simulated users hold (Administrator for root@pam and the jotun token,
    PVEAuditor for the privilege-separated audit token). 8.0 added the Mapping.* and SDN.Use privileges; 9.0
    replaced VM.Monitor by the VM.GuestAgent.* privileges and added VM.Replicate."""
    if role == "PVEAuditor":
        privs = set(AUDITOR_PRIVS_74)
        if release >= (8, 0):
            privs.add("Mapping.Audit")
        # unsure whether 9.x's PVEAuditor holds VM.GuestAgent.Audit; the simulator denies the audit token the
        # agent reads on every release (router.READ_ONLY_DENIED), so it is left out here too
        return privs
    privs = set(ADMIN_PRIVS_74)
    if release >= (8, 0):
        privs.update(("Mapping.Audit", "Mapping.Modify", "Mapping.Use", "SDN.Use"))
    if release >= (9, 0):
        privs.discard("VM.Monitor")
        privs.update(("VM.GuestAgent.Audit", "VM.GuestAgent.FileRead", "VM.GuestAgent.FileSystemMgmt",
                      "VM.GuestAgent.FileWrite", "VM.GuestAgent.Unrestricted", "VM.Replicate"))
    return privs


def access_permissions(call):
    """GET /access/permissions: {path: {privilege: propagate (1)}} for the caller, or for ``userid`` (a user or a
    full token id). Without ``path`` every default top-level path plus the paths of pool members, leaving out
    paths without any privilege; with ``path`` that path alone. root@pam (and a token without privilege
    separation) holds every Administrator privilege everywhere; the audit token PVEAuditor on / (propagated).
    Unknown users and tokens have no privileges."""
    auth, release = call.sim.auth, call.sim.release
    userid = call.params.get("userid") or call.user
    if userid == auth.user or (userid in auth.tokens and not auth.tokens[userid][1]):
        privs = role_privileges(release, "Administrator")
    elif userid in auth.tokens:
        privs = role_privileges(release, "PVEAuditor")
    else:
        privs = set()
    if call.params.get("path"):
        return {call.params["path"]: {priv: 1 for priv in sorted(privs)}}
    paths = set(DEFAULT_PATHS)
    paths.update("/vms/%d" % guest.vmid for guest in call.state.guests.values() if guest.pool)
    return {path: {priv: 1 for priv in sorted(privs)} for path in sorted(paths) if privs}
