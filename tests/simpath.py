"""The environment a test gives the simulator it starts: this checkout's `simulator/` first on PYTHONPATH.

The venv holds pvesim as an editable install of whichever checkout ran bootstrap first; a test must drive the
simulator of the tree it tests (a second clone or a git worktree beside the first), never that copy.
"""
import os

SIMULATOR_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "simulator")


def checkout_env(base=None):
    """A copy of `base` (default os.environ) with this checkout's simulator package first on PYTHONPATH."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SIMULATOR_SRC, env.get("PYTHONPATH")) if p)
    return env
