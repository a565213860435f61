"""The simulator core: routes a request through auth, faults, parameter verification and its handler."""
import json
import time
import traceback
from urllib.parse import parse_qsl, unquote, urlsplit

from . import router
from .auth import Auth
from .clock import Clock
from .cluster import Broadcast
from .errors import ApiError, DropConnection
from .faults import Faults, status_error
from .fleet import seed_guests
from .params import verify
from .requestlog import RequestLog, mask
from .specs import spec_for
from .state import State
from .tasks import TaskEngine

API_PREFIX = "/api2/json"
RELEASES = ((7, 4), (8, 0), (8, 4), (9, 1))


class Call:
    """What a handler sees: the simulator, typed params (path params included) and the calling user."""

    def __init__(self, sim, params, user):
        self.sim, self.params, self.user = sim, params, user
        self.state, self.clock = sim.state, sim.clock
        self.attribs = {}        # result attributes beside data ($rpcenv->set_result_attrib), e.g. total

    def guest(self):
        self.state.check_node(self.params["node"])
        return self.state.guest(self.params["node"], self.params["vmid"])

    def start_task(self, kind, ident, duration, script, on_ok=None, on_fail=None, error=None):
        task = self.sim.tasks.start(self.params["node"], kind, ident, self.user, duration, script,
                                    on_ok=on_ok, on_fail=on_fail, error=error)
        return task.upid


class Response:
    def __init__(self, status=200, reason="OK", body=None, drop=False):
        self.status, self.reason, self.body, self.drop = status, reason, body, drop


def parse_body(headers, raw):
    if not raw:
        return {}, False
    ctype = headers.get("Content-Type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise ApiError(400, "malformed JSON body")
        if not isinstance(data, dict):
            raise ApiError(400, "JSON body must be an object")
        return data, True
    return form_params(raw.decode("utf-8")), False


def form_params(text):
    """A form or query string as a dict; a key sent more than once (an array parameter) becomes a list."""
    out = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


class Simulator:
    def __init__(self, release=(9, 1), speed=1.0, seed=None, request_log=None, password=None,
                 broadcast_interval=10.0, fleet=0):
        self.release = release
        self.clock = Clock(speed)
        self.faults = Faults()
        self.state = State(self.clock, release, seed)
        self.tasks = TaskEngine(self.state, self.faults)
        # pvestatd's status broadcast behind /cluster/resources (cluster.Broadcast); a snapshot at start and reset
        self.broadcast = self.state.broadcast = Broadcast(self.state, broadcast_interval)
        self.broadcast.on_broadcast = self.tasks.tick
        # a fleet given at start (--seed-guests) is part of the seeded state: there at start and after each reset
        self.state.on_reset = lambda: (self.tasks.reset(), fleet and seed_guests(self.state, fleet),
                                       self.broadcast.run_now())
        with self.state.lock:
            if fleet:
                seed_guests(self.state, fleet)
            self.broadcast.run_now()
        self.auth = Auth(password)
        self.log = RequestLog(request_log)

    def reset(self):
        with self.state.lock:
            self.faults.clear()
            self.state.reset()

    # -- request processing ----------------------------------------------------------------------------------------
    def handle(self, method, raw_path, headers, body):
        started = time.monotonic()
        url = urlsplit(raw_path)
        params, meta, resp = {}, {"auth": "none"}, None
        try:
            query = form_params(url.query)
            body_params, _is_json = parse_body(headers, body)
            params = dict(query, **body_params)
            resp = self._dispatch(method, url.path, headers, params, meta)
        except ApiError as exc:
            resp = Response(exc.status, exc.message, exc.body(self.error_messages))
        except DropConnection:
            resp = Response(0, "dropped", None, drop=True)
        except Exception as exc:                  # noqa: BLE001 - a simulator bug must still answer (and show)
            traceback.print_exc()
            err = ApiError(500, "simulator error: %s" % exc)
            resp = Response(500, err.message, err.body(self.error_messages))
        self.log.add({"time": round(time.time(), 3), "method": method, "path": raw_path.split("?")[0],
                      "params": mask(params), "status": resp.status, "auth": meta["auth"],
                      "duration": round(time.monotonic() - started, 4)})
        return resp

    def _dispatch(self, method, path, headers, params, meta):
        api_path = path[len(API_PREFIX):].rstrip("/") or "/"
        delay = self.faults.latency(method, api_path)
        if delay:
            time.sleep(delay)
        try:
            template, handler, perm, args = router.match(method, api_path)
        except LookupError:
            raise ApiError(501, "Method '%s %s' not implemented" % (method, api_path))
        if template == "/access/ticket":
            return self._login(method, api_path, template, params)
        user, meta["auth"], read_only = self.auth.authenticate(headers, method)
        args = {k: unquote(v) for k, v in args.items()}
        if read_only and (method != "GET" or (method, template) in router.READ_ONLY_DENIED):
            raise ApiError(403, "Permission check failed (%s, %s)" % (perm[0].format(**_fmt(args, params)), perm[1]))
        fault = self.faults.take_request_fault("status", method, api_path)
        if fault and int(fault["status"]) != 596:
            raise status_error(fault)
        merged = dict(params, **args)
        spec = spec_for(method, template, self.release)
        if spec is None:  # the endpoint came with a later release
            raise ApiError(501, "Method '%s %s' not implemented" % (method, api_path))
        clean = verify(spec, merged, self.json_bools)
        call = Call(self, clean, user)
        with self.state.lock:
            self.tasks.tick()
            data = handler(call)
        if fault:
            raise status_error(fault)
        if self.faults.take_request_fault("drop", method, api_path):
            raise DropConnection()
        body = {"data": data}
        # pve-http-server Formatter/Standard.pm: total only when true
        body.update((key, value) for key, value in call.attribs.items() if value)
        return Response(body=body)

    def _login(self, method, api_path, template, params):
        """POST /access/ticket, reachable by the status/drop faults like any other call (latency is applied before)."""
        fault = self.faults.take_request_fault("status", method, api_path)
        if fault and int(fault["status"]) != 596:
            raise status_error(fault)
        clean = verify(spec_for(method, template, self.release), params, self.json_bools)
        data = self.auth.login(clean["username"], clean["password"], clean.get("realm"))
        if fault:
            raise status_error(fault)
        if self.faults.take_request_fault("drop", method, api_path):
            raise DropConnection()
        return Response(body={"data": data})

    @property
    def json_bools(self):
        return self.release >= (8, 0)

    @property
    def error_messages(self):
        """Error bodies carry ``message`` from libpve-http-server 5.2.0 (Jan 2025, fix #6503; PVE 8.4 on)."""
        return self.release >= (8, 4)


def _fmt(args, params):
    out = {"vmid": params.get("vmid", "*"), "node": "*", "storage": "*"}
    out.update(args)
    return out
