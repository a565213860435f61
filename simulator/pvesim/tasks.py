"""Worker tasks: UPIDs, simulated durations, logs that grow as simulated time passes, exit statuses."""
import threading

from .errors import TaskError


def upid_text(node, pid, pstart, starttime, kind, ident, user):
    return "UPID:%s:%08X:%08X:%08X:%s:%s:%s:" % (node, pid, pstart, starttime, kind, ident, user)


def one_line(error):
    """A worker's die() message as its TASK ERROR line and exit status: one trailing newline dropped, every other
    newline a space (pve-common RESTEnvironment fork_worker: chomp, s/\\n/ /mg)."""
    text = str(error)
    if text.endswith("\n"):
        text = text[:-1]
    text = text.replace("\n", " ")
    return text if text.strip() else "unknown error"


class Task:
    def __init__(self, upid, node, pid, pstart, starttime, kind, ident, user):
        self.upid, self.node, self.pid, self.pstart, self.starttime = upid, node, pid, pstart, starttime
        self.type, self.id, self.user = kind, ident, user
        self.start_mono = 0.0
        self.duration = 0.0          # simulated seconds
        self.lines = []              # [(simulated offset, text)]
        self.status, self.exitstatus, self.endtime = "running", None, None
        self.on_ok = self.on_fail = None
        self.fail_message, self.fail_at = None, None
        self.warnings = 0
        self.invisible_until = 0.0
        self.final_lines = []
        self.end_elapsed = None
        self.events = []             # [(simulated offset, fn)]: state changes a worker makes as it goes (run_events)

    def entry(self):
        """The task as GET /nodes/{node}/tasks lists it: a running one carries status "RUNNING", a stopped one its
        exit status and endtime (pve-manager API2/Tasks.pm node_tasks)."""
        out = {"upid": self.upid, "node": self.node, "pid": self.pid, "pstart": self.pstart,
               "starttime": self.starttime, "type": self.type, "id": self.id, "user": self.user}
        if self.status == "stopped":
            out.update(status=self.exitstatus, endtime=self.endtime)
        else:
            out["status"] = "RUNNING"
        return out


class TaskEngine:
    """Holds every task; finish() runs under the state lock from the ticker thread or lazily."""

    def __init__(self, state, faults):
        self.state, self.clock, self.faults = state, state.clock, faults
        self.tasks = {}
        self.running = {}
        self.pids = {}
        self.pstart = 4000000 + state.rng.randrange(100000)
        self._stop = threading.Event()

    def reset(self):
        self.tasks.clear()
        self.running.clear()

    # -- creation --------------------------------------------------------------------------------------------------
    def start(self, node, kind, ident, user, duration, script=None, on_ok=None, on_fail=None, error=None):
        """Start a worker. script(duration) -> [(offset, line)]; on_ok() may raise TaskError; on_fail(msg) undoes."""
        self.pids[node] = self.pids.get(node, 0x10000 + self.state.rng.randrange(0x40000)) + 7
        self.pstart += 13
        starttime = int(self.clock.now())
        task = Task(upid_text(node, self.pids[node], self.pstart, starttime, kind, ident, user),
                    node, self.pids[node], self.pstart, starttime, kind, str(ident), user)
        task.start_mono = self.clock.mono()
        fault = self.faults.take_task_fault(kind)
        task.duration = fault.get("seconds", duration) if fault.get("kind") == "task_duration" else duration
        task.lines = list(script(task.duration)) if script else []
        task.on_ok, task.on_fail = on_ok, on_fail
        if error:
            task.fail_message, task.fail_at = error, min(task.duration, 0.2)
        self._apply_fault(task, fault)
        for extra in self.faults.take_more_task_faults(kind):
            self._apply_fault(task, extra)
        self.tasks[task.upid] = task
        self.running[task.upid] = task
        return task

    def _apply_fault(self, task, fault):
        kind = fault.get("kind")
        if kind == "task_fail":
            task.fail_message = fault.get("message") or "%s failed: simulated failure" % task.type
            task.fail_at = task.duration / 2.0
        elif kind == "task_warn":
            count = int(fault.get("warnings", 1))
            task.warnings += count
            for i in range(count):
                task.lines.append((task.duration * (i + 1) / (count + 1.0), "WARN: simulated warning %d" % (i + 1)))
            task.lines.sort(key=lambda item: item[0])
        elif kind == "task_invisible":
            task.invisible_until = self.clock.deadline(float(fault.get("seconds", 1.0)))

    # -- progress --------------------------------------------------------------------------------------------------
    def elapsed(self, task):
        return self.clock.sim_elapsed(task.start_mono)

    @staticmethod
    def run_events(task, upto):
        """Run the task's events due by `upto` simulated seconds, in offset order, each once."""
        while task.events:
            task.events.sort(key=lambda item: item[0])
            limit = upto if task.fail_at is None else min(upto, task.fail_at)
            if task.events[0][0] > limit:
                break
            task.events.pop(0)[1]()

    def tick(self):
        for task in list(self.running.values()):
            elapsed = self.elapsed(task)
            if task.events:
                self.run_events(task, min(elapsed, task.duration))
            if task.fail_at is not None and elapsed >= task.fail_at:
                self.finish(task, task.fail_message)
            elif elapsed >= task.duration:
                self.finish(task, None)

    def finish(self, task, error):
        if error is None:
            self.run_events(task, task.duration)
        task.events = []             # a failed worker makes no more changes
        if error is None and task.on_ok:
            try:
                task.on_ok()
            except TaskError as exc:
                error = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        if error is not None and task.on_fail:
            task.on_fail(error)
        self.running.pop(task.upid, None)
        task.end_elapsed = task.duration if error is None else self.elapsed(task)
        task.status, task.endtime = "stopped", int(self.clock.now())
        if error is not None:
            task.exitstatus = one_line(error)
            task.final_lines = list(getattr(error, "printed", ())) + ["TASK ERROR: %s" % task.exitstatus]
        elif task.warnings:
            task.exitstatus = "WARNINGS: %d" % task.warnings
            task.final_lines = ["TASK WARNINGS: %d" % task.warnings]
        else:
            task.exitstatus = "OK"
            task.final_lines = ["TASK OK"]
        self.state.cond.notify_all()

    def stop(self, task):
        if task.status == "running":
            self.finish(task, "received interrupt")

    def log(self, task):
        """The lines written so far, [{n, t}]."""
        if task.status == "running":
            elapsed = self.elapsed(task)
            lines = [text for offset, text in task.lines if offset <= elapsed]
        else:
            lines = [text for offset, text in task.lines if offset <= task.end_elapsed]
            lines += task.final_lines
        return [{"n": i + 1, "t": text} for i, text in enumerate(lines)]

    # -- ticker ----------------------------------------------------------------------------------------------------
    def run_ticker(self, interval=0.02):
        def loop():
            while not self._stop.wait(interval):
                with self.state.lock:
                    self.tick()
        thread = threading.Thread(target=loop, name="pvesim-ticker", daemon=True)
        thread.start()
        return thread

    def stop_ticker(self):
        self._stop.set()
