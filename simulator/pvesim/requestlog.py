"""The request log: JSON Lines (file and memory) with secrets replaced."""
import json
import threading

SECRET_KEYS = ("password", "cipassword", "otp", "tfa-challenge", "new-password")
MASK = "********"


def mask(params):
    return {k: (MASK if k in SECRET_KEYS else v) for k, v in params.items()}


class RequestLog:
    def __init__(self, path=None):
        self.mutex = threading.Lock()
        self.entries = []
        self.handle = open(path, "a", encoding="utf-8") if path else None

    def add(self, entry):
        line = json.dumps(entry, sort_keys=True)
        with self.mutex:
            self.entries.append(entry)
            if self.handle:
                self.handle.write(line + "\n")
                self.handle.flush()

    def since(self, index):
        with self.mutex:
            return len(self.entries), list(self.entries[index:])

    def close(self):
        with self.mutex:
            if self.handle:
                self.handle.close()
                self.handle = None
