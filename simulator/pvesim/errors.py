"""Errors the simulated API answers with, shaped like pveproxy's."""


class ApiError(Exception):
    """An HTTP error: status, reason phrase (the PVE message) and per-parameter errors."""

    def __init__(self, status, message, errors=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self, with_message=True):
        """The JSON body pveproxy sends: ``data`` null, ``errors`` per parameter, and ``message`` only from
        libpve-http-server 5.2.0 on (PVE 8.4+; before, the message is only in the HTTP reason phrase)."""
        body = {"data": None}
        if with_message:
            body["message"] = self.message.rstrip("\n") + "\n"
        if self.errors:
            body["errors"] = self.errors
        return body


def param_error(errors):
    return ApiError(400, "Parameter verification failed.", dict(errors))


def fail(message):
    """500 with a message, as a handler's die() in PVE gives."""
    return ApiError(500, message)


class TaskError(Exception):
    """Raised inside a simulated worker: becomes the task's exit status (see PrintedError for log lines)."""


class PrintedError(str):
    """A worker's die() message that was preceded by lines the worker printed to its log.

    ``PrintedError("job errors", ["ERROR: Backup of VM 101 failed - ..."])``: the printed lines go to the task log
    before ``TASK ERROR: job errors``; the exit status is the message alone (pve-common RESTEnvironment fork_worker).
    """

    def __new__(cls, message, printed=()):
        obj = super().__new__(cls, message)
        obj.printed = list(printed)
        return obj


def worker_error(printed, message):
    """The error a worker ends with after printing *printed* (a list of log lines)."""
    return PrintedError(message, printed)


class DropConnection(Exception):
    """Close the connection without an answer (drop fault)."""
