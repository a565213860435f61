"""Task endpoints: list, status, log, stop."""
from .errors import ApiError, fail


def _task(call):
    upid = call.params["upid"]
    parts = upid.split(":")
    if len(parts) != 9 or parts[0] != "UPID":
        raise ApiError(400, "unable to parse worker upid '%s'" % upid)
    task = call.sim.tasks.tasks.get(upid)
    if task is None or task.node != call.params["node"] or call.clock.mono() < task.invisible_until:
        raise fail("no such task")
    return task


def task_index(call):
    _task(call)
    return [{"name": "log"}, {"name": "status"}]


def task_status(call):
    task = _task(call)
    out = task.entry()
    out["status"] = task.status
    if task.status == "stopped":
        out["exitstatus"] = task.exitstatus
    return out


def task_log(call):
    task = _task(call)
    lines = call.sim.tasks.log(task)
    start = call.params.get("start", 0)
    limit = call.params.get("limit", 50)
    lines = lines[start:start + limit] if limit else lines[start:]
    return lines or [{"n": 0, "t": "no content"}]


def task_stop(call):
    task = _task(call)
    call.sim.tasks.stop(task)
    return None


def _keep(task, params):
    if params.get("vmid") is not None and task.id != str(params["vmid"]):
        return False
    if params.get("typefilter") and task.type != params["typefilter"]:
        return False
    if params.get("userfilter") and params["userfilter"] not in task.user:
        return False
    if params.get("since") is not None and task.starttime < params["since"]:
        return False
    if params.get("until") is not None and task.starttime > params["until"]:
        return False
    if params.get("errors") and (task.status == "running" or task.exitstatus == "OK"):
        return False
    if params.get("statusfilter"):
        wanted = set(params["statusfilter"].replace(";", ",").split(","))
        state = "running" if task.status == "running" else (
            "ok" if task.exitstatus == "OK" else "warning" if task.exitstatus.startswith("WARNINGS") else "error")
        return state in wanted
    return True


def task_list(call):
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
    out.sort(key=lambda t: (t.starttime, t.pstart), reverse=True)
    start, limit = call.params.get("start", 0), call.params.get("limit", 50)
    return [t.entry() for t in (out[start:start + limit] if limit else out[start:])]
