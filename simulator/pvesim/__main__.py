"""python -m pvesim: start the Proxmox VE API simulator."""
import argparse
import json
import os
import signal
import sys
import tempfile
import threading

from .app import RELEASES, Simulator
from .control import apply_fault
from .errors import ApiError
from .server import Server
from .tls import server_context


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m pvesim", description="Proxmox VE API simulator (HTTPS)")
    ap.add_argument("--port", type=int, default=8006, help="TCP port (0 picks a free one)")
    ap.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    ap.add_argument("--pve", default="9.1", choices=["%d.%d" % r for r in RELEASES], help="release to behave as")
    ap.add_argument("--speed", type=float, default=1.0, help="divide every simulated duration by this")
    ap.add_argument("--request-log", metavar="FILE", help="append every API request as JSON Lines")
    ap.add_argument("--info", metavar="FILE", help="write connection info (url, ca_cert, credentials) as JSON")
    ap.add_argument("--ca-cert", metavar="FILE", help="where to write the CA certificate (default: next to --info)")
    ap.add_argument("--seed", type=int, help="seed for MACs, UUIDs and PIDs")
    ap.add_argument("--password", help="root@pam password (default: random)")
    ap.add_argument("--broadcast-interval", type=float, default=10.0, metavar="SECONDS",
                    help="simulated seconds between pvestatd status broadcasts behind /cluster/resources "
                         "(name, status, usage of guests); 0 = always current")
    ap.add_argument("--seed-guests", type=int, default=0, metavar="N",
                    help="add a customer fleet of N guests from vmid 1000 (as POST /_sim/seed; again at each reset)")
    ap.add_argument("--fault", action="append", default=[], metavar="JSON", help="a fault as POST /_sim/fault takes")
    args = ap.parse_args(argv)
    if args.speed <= 0:
        ap.error("--speed must be positive")
    if not 0 <= args.seed_guests <= 5000:
        ap.error("--seed-guests must be between 0 and 5000")
    if args.broadcast_interval < 0:
        ap.error("--broadcast-interval must not be negative")
    return args


def ca_path(args):
    if args.ca_cert:
        return args.ca_cert, False
    if args.info:
        return os.path.splitext(os.path.abspath(args.info))[0] + "-ca.pem", False
    handle, path = tempfile.mkstemp(prefix="pvesim-ca-", suffix=".pem")
    os.close(handle)
    return path, True


def write_info(path, info):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=2)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    release = tuple(int(x) for x in args.pve.split("."))
    sim = Simulator(release, args.speed, args.seed, args.request_log, args.password,
                    broadcast_interval=args.broadcast_interval, fleet=args.seed_guests)
    for text in args.fault:
        try:
            apply_fault(sim, json.loads(text))
        except (ValueError, ApiError) as exc:
            raise SystemExit("pvesim: bad --fault %s: %s" % (text, exc))
    cert, temporary = ca_path(args)
    server = Server((args.bind, args.port), sim, server_context(cert, hosts=_hosts(args.bind)))
    port = server.server_address[1]
    host = args.bind if args.bind not in ("0.0.0.0", "::") else "127.0.0.1"
    info = dict(url="https://%s:%d" % (host, port), host=host, port=port, ca_cert=cert, pve_version=args.pve,
                control_url="https://%s:%d/_sim" % (host, port), speed=args.speed, pid=os.getpid(), **sim.auth.info())
    if args.info:
        write_info(args.info, info)
    print("pvesim %s listening on %s" % (args.pve, info["url"]))
    print(json.dumps(info, indent=2), flush=True)
    ticker = sim.tasks.run_ticker()
    broadcaster = sim.broadcast.run_thread()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    stop.wait()
    server.shutdown()
    server.server_close()
    sim.tasks.stop_ticker()
    sim.broadcast.stop()
    ticker.join(1)
    broadcaster.join(1)
    sim.log.close()
    if temporary:
        os.unlink(cert)
    return 0


def _hosts(bind):
    hosts = ["127.0.0.1", "localhost"]
    if bind not in hosts and bind not in ("0.0.0.0", "::"):
        hosts.insert(0, bind)
    return tuple(hosts)


if __name__ == "__main__":
    sys.exit(main())
