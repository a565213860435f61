"""Task endpoints: list, status, log, stop (pve-manager PVE/API2/Tasks.pm, per release)."""
from .errors import param_error

NO_LOG_FILE = "unable to open file - No such file or directory"


def _decode(call):
    """The task a UPID names, or None when this node has no such task (yet); 400 when it is no UPID at all."""
    upid = call.params["upid"]
    parts = upid.split(":")
    if len(parts) != 9 or parts[0] != "UPID":
        raise param_error({"upid": "unable to parse worker upid"})
    task = call.sim.tasks.tasks.get(upid)
    if task is None or task.node != call.params["node"] or call.clock.mono() < task.invisible_until:
        return None
    return task


def _task(call):
    """The task, or PVE's answer for a UPID whose task file this node does not have (status, stop)."""
    task = _decode(call)
    if task is None:
        raise param_error({"upid": "no such task"})
    return task


def task_index(call):
    _decode(call)
    return [{"name": "log"}, {"name": "status"}]


def _split_token(entry):
    """pve-manager Tasks.pm $convert_token_task: a task an API token started shows `user` 'root@pam' and `tokenid`
    'name' instead of the UPID's 'root@pam!name'."""
    user, sep, token = entry["user"].partition("!")
    if sep:
        entry["user"], entry["tokenid"] = user, token
    return entry


def _listed_user(task):
    """The user node_tasks filters and shows: archived (finished) tasks are converted, active (running) ones keep
    the UPID's whole 'user@realm!token' (the active loop filters before any conversion)."""
    return task.user if task.status == "running" else task.user.partition("!")[0]


def task_status(call):
    task = _task(call)
    out = _split_token(task.entry())
    out["status"] = task.status
    if task.status == "stopped":
        out["exitstatus"] = task.exitstatus
    return out


def task_log(call):
    """Lines [{n, t}] from ``start`` (n counts from 1 over the whole log), at most ``limit`` (0: all), and the
    whole log's line count as the body's ``total`` (pve-common Tools::dump_logfile). An empty log answers one
    "no content" line. The log of a task this node does not know is not an error: dump_logfile's "unable to open
    file" line, as a bare object before libpve-common-perl 9.0.6 (PVE 7.4-8.4) and as a list from then on."""
    task = _decode(call)
    if task is None:
        call.attribs["total"] = 1
        line = {"n": 1, "t": NO_LOG_FILE}
        return [line] if call.sim.release >= (9, 0) else line
    lines = call.sim.tasks.log(task)
    if not lines:
        call.attribs["total"] = 1
        return [{"n": 1, "t": "no content"}]
    start = call.params.get("start", 0)
    limit = call.params.get("limit", 50)
    call.attribs["total"] = len(lines)
    return lines[start:start + limit] if limit else lines[start:]


def task_stop(call):
    task = _task(call)
    call.sim.tasks.stop(task)
    return None


def _keep(task, params):
    if params.get("vmid") is not None and task.id != str(params["vmid"]):
        return False
    if params.get("typefilter") and task.type != params["typefilter"]:
        return False
    if params.get("userfilter") and params["userfilter"].lower() not in _listed_user(task).lower():
        return False
    if params.get("since") is not None and task.starttime < params["since"]:
        return False
    if params.get("until") is not None and task.starttime > params["until"]:
        return False
    # pve-common UPID normalize_status_type: a running task has no status yet: 'unknown'
    state = "unknown" if task.status == "running" else (
        "ok" if task.exitstatus == "OK" else "warning" if task.exitstatus.startswith("WARNINGS") else "error")
    if params.get("errors"):
        return state != "ok"
    if params.get("statusfilter"):
        wanted = set(item.strip().lower() for item in params["statusfilter"].replace(";", ",").split(","))
        return state in wanted
    return True


def task_list(call):
    """Matching tasks, newest first, from ``start``, at most ``limit`` (0 lists none); ``total`` in the body counts
    every match (pve-manager Tasks.pm: $count over the filter, set_result_attrib('total'); pve-http-server drops a
    total of 0). Running entries carry status "RUNNING". An API token's finished tasks show (and are matched by
    ``userfilter`` as) user 'root@pam' plus ``tokenid``; running ones keep 'root@pam!name' whole."""
    call.state.check_node(call.params["node"])
    source = call.params.get("source", "archive")
    now = call.clock.mono()
    out = []
    for task in call.sim.tasks.tasks.values():
        if task.node != call.params["node"] or now < task.invisible_until:
            continue
        if (source == "archive" and task.status == "running") or (source == "active" and task.status != "running"):
            continue
        if _keep(task, call.params):
            out.append(task)
    out.sort(key=lambda t: (t.status == "running", t.starttime, t.pstart), reverse=True)
    start, limit = call.params.get("start", 0), call.params.get("limit", 50)
    call.attribs["total"] = len(out)
    return [t.entry() if t.status == "running" else _split_token(t.entry()) for t in out[start:start + limit]]
