"""Faults on demand: status answers, latency, dropped connections, task outcomes, held locks, full storage."""
import re
import threading

from .errors import ApiError

KINDS = ("status", "latency", "drop", "task_fail", "task_warn", "task_duration", "task_invisible", "hold_lock",
         "storage_full", "ignore_acpi")
KINDS += ("agent_off", "storage_unavailable")     # the guest agent of a running guest stops answering until its next start
TASK_KINDS = ("task_fail", "task_warn", "task_duration", "task_invisible")
DEFAULT_MESSAGES = {500: "Internal Server Error", 596: "Connection timed out", 599: "Internal error",
                    503: "Service Unavailable", 502: "Bad Gateway"}


def check_fault(fault):
    """Validate a fault dict from the control API or --fault; raises ApiError 400."""
    if not isinstance(fault, dict) or fault.get("kind") not in KINDS:
        raise ApiError(400, "fault: 'kind' must be one of %s" % ", ".join(KINDS))
    kind = fault["kind"]
    needs = {"status": ("path", "status"), "latency": ("path", "seconds"), "drop": ("path",),
             "task_fail": ("type",), "task_warn": ("type",), "task_duration": ("type", "seconds"),
             "task_invisible": ("type",), "hold_lock": ("vmid", "seconds"), "storage_full": ("node", "storage"),
             "ignore_acpi": ("vmid",), "agent_off": ("vmid",),
             "storage_unavailable": ("node", "storage")}[kind]
    missing = [k for k in needs if k not in fault]
    if missing:
        raise ApiError(400, "fault %s: missing %s" % (kind, ", ".join(missing)))
    if "path" in fault:
        try:
            re.compile(fault["path"])
        except re.error as exc:
            raise ApiError(400, "fault %s: bad path regex: %s" % (kind, exc))
    out = dict(fault)
    if kind != "latency":
        out.setdefault("count", 1)
    return out


class Faults:
    def __init__(self):
        self.mutex = threading.Lock()
        self.items = []

    def add(self, fault):
        fault = check_fault(fault)
        with self.mutex:
            self.items.append(fault)
        return fault

    def clear(self):
        with self.mutex:
            self.items = []

    def listing(self):
        with self.mutex:
            return [dict(f) for f in self.items]

    def _take(self, pred):
        """First matching fault with count left; counts it down (count <= 0 or None means unlimited)."""
        with self.mutex:
            for fault in self.items:
                if pred(fault):
                    count = fault.get("count")
                    if count is not None and count > 0:
                        fault["count"] = count - 1
                        if fault["count"] == 0:
                            self.items.remove(fault)
                    return dict(fault)
        return None

    @staticmethod
    def _matches(fault, method, path):
        if fault.get("method") and fault["method"].upper() != method:
            return False
        return re.search(fault["path"], path) is not None

    def take_request_fault(self, kind, method, path):
        return self._take(lambda f: f["kind"] == kind and self._matches(f, method, path))

    def latency(self, method, path):
        fault = self.take_request_fault("latency", method, path)
        return float(fault["seconds"]) if fault else 0.0

    def take_task_fault(self, task_type):
        """The first task fault of a type; task_duration first so the log is scripted with the right length."""
        found = self._take(lambda f: f["kind"] == "task_duration" and f["type"] == task_type)
        return found or {}

    def take_vm_fault(self, kind, vmid):
        """A fault about one guest (ignore_acpi: its next `count` shutdowns/reboots get no reaction to ACPI)."""
        return self._take(lambda f: f["kind"] == kind and int(f["vmid"]) == int(vmid))

    def take_more_task_faults(self, task_type):
        out = []
        for kind in ("task_fail", "task_warn", "task_invisible"):
            found = self._take(lambda f, k=kind: f["kind"] == k and f["type"] == task_type)
            if found:
                out.append(found)
        return out


def status_error(fault):
    status = int(fault["status"])
    return ApiError(status, fault.get("message") or DEFAULT_MESSAGES.get(status, "simulated error"))
