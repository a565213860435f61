"""Errors the simulated API answers with, shaped like pveproxy's."""


class ApiError(Exception):
    """An HTTP error: status, reason phrase (the PVE message) and per-parameter errors."""

    def __init__(self, status, message, errors=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self):
        body = {"data": None, "message": self.message.rstrip("\n") + "\n"}
        if self.errors:
            body["errors"] = self.errors
        return body


def param_error(errors):
    return ApiError(400, "Parameter verification failed.", dict(errors))


def fail(message):
    """500 with a message, as a handler's die() in PVE gives."""
    return ApiError(500, message)


class TaskError(Exception):
    """Raised inside a simulated worker: becomes the task's exit status."""


class DropConnection(Exception):
    """Close the connection without an answer (drop fault)."""
