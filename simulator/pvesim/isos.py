"""ISO library: POST /nodes/{node}/storage/{storage}/download-url, modelled without any network access.

Follows pve-storage PVE/API2/Storage/Status.pm ``download_url`` (checks before the worker, task type ``download``,
worker id the file name) and pve-common PVE/Tools.pm ``download_file_from_url`` (log wording, checksum handling,
an existing file). The simulator never downloads anything; URLs are modelled deterministically:

- a URL whose host is ``pvesim.test`` or ends in ``.pvesim.test`` (e.g. ``https://iso.pvesim.test/debian-12.iso``)
  is reachable. The file's size is the ``size`` query parameter when given (``?size=700M``; K/M/G suffixes),
  else 64 MiB + (sha256(url) mod 448) MiB; its contents are the bytes ``"pvesim-iso:" + url``, so its checksum
  with any algorithm is ``hashlib.new(algorithm, b"pvesim-iso:" + url).hexdigest()`` (``content_checksum``).
- a URL on any other host is unreachable: the task fails like wget's name lookup failing
  (``download failed: wget: unable to resolve host address 'HOST'``).
- the download runs at 200 MiB/s (simulated seconds, divided by ``--speed``) and logs wget's dot:giga progress
  lines with percentages.
The seeded ISOs on ``local`` of every node have the contents of ``https://iso.pvesim.test/<file name>``.
"""
import hashlib
import re
import time
from urllib.parse import urlsplit, parse_qs

from .errors import PrintedError, TaskError, fail, param_error
from .model import MIB, parse_size

FAKE_DOMAIN = "pvesim.test"
RATE = 200 * MIB             # bytes per simulated second
ISO_DIR = "template/iso"
SEED_ISOS = ("debian-12.iso", "systemrescue-11.02-amd64.iso")


def content_of(url):
    return ("pvesim-iso:" + url).encode("utf-8")


def content_checksum(url, algorithm="sha256"):
    return hashlib.new(algorithm, content_of(url)).hexdigest()


def reachable(url):
    host = (urlsplit(url).hostname or "").lower()
    return host == FAKE_DOMAIN or host.endswith("." + FAKE_DOMAIN)


def size_of(url):
    query = parse_qs(urlsplit(url).query)
    if query.get("size"):
        return parse_size(query["size"][0])
    return 64 * MIB + (int(hashlib.sha256(url.encode("utf-8")).hexdigest(), 16) % 448) * MIB


def seed_url(filename):
    return "https://iso.%s/%s" % (FAKE_DOMAIN, filename)


def seed(state, node):
    for filename in SEED_ISOS:
        url = seed_url(filename)
        vol = state.add_volume(node, "local", "iso/" + filename, size_of(url), None, content="iso", fmt="iso",
                               ctime=1732590000)
        vol.source = url


def normalize_filename(name):
    """pve-storage normalize_content_filename: the last path component, unsafe characters as '_'."""
    name = re.sub(r"^.*[/\\]", "", name.rstrip("\n"))
    return re.sub(r"[^a-zA-Z0-9_.-]", "_", name)


def _progress_lines(size, start, span):
    lines = []
    for i in range(1, 11):
        frac = i / 10.0
        done_k = int(size * (i - 1) / 10.0 / 1024)
        left = int(span * (1 - frac))
        lines.append((start + span * frac, "%8dK ........ ........ ........ ........ %3d%% %s %ds"
                      % (done_k, int(frac * 100), "200M", left)))
    return lines


def download_url(call):
    node, name = call.params["node"], call.params["storage"]
    call.state.check_node(node)
    st = call.state.storage(node, name)
    if not st.path:
        raise fail("can't upload to storage type '%s', not a file based storage!" % st.type)
    content, url = call.params["content"], call.params["url"]
    if content not in st.content:
        raise fail("storage '%s' is not configured for content-type '%s'" % (name, content))
    filename = normalize_filename(call.params["filename"])
    if content == "iso":
        if not re.search(r"[^/]+\.(?:iso|img)$", filename, re.I):
            raise param_error({"filename": "wrong file extension"})
        subdir = ISO_DIR
    elif content == "vztmpl":
        if not re.search(r"[^/]+\.tar\.([gx]z|zst|bz2)$", filename):
            raise param_error({"filename": "wrong file extension"})
        subdir = "template/cache"
    else:
        raise param_error({"content": "upload content-type '%s' is not allowed" % content})
    dest = "%s/%s/%s" % (st.path, subdir, filename)
    volname = ("iso/" if content == "iso" else "vztmpl/") + filename
    volid = "%s:%s" % (name, volname)
    algorithm, expected = call.params.get("checksum-algorithm"), call.params.get("checksum")
    printed = ["downloading %s to %s" % (url, dest)]
    existing = call.state.find_volume(node, volid)

    if existing is not None:
        if expected:
            got = hashlib.new(algorithm, content_of(getattr(existing, "source", volid))).hexdigest()
            if got.lower() == expected.lower():
                lines = [(0.05, printed[0]),
                         (0.1, "calculating checksum of existing file...OK, got correct file already, "
                               "no need to download")]
                return call.start_task("download", filename, 0.3, lambda d: lines)
            error = PrintedError("checksum mismatch: got '%s' != expect '%s', aborting" % (got, expected),
                                 printed + ["calculating checksum of existing file..."])
        else:
            error = PrintedError("refusing to override existing file '%s'" % dest, printed)
        return call.start_task("download", filename, 0.3, None, error=error)

    host = urlsplit(url).hostname or ""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(call.clock.now()))
    if not reachable(url):
        error = PrintedError("download failed: wget: unable to resolve host address '%s'" % host,
                             printed + ["--%s--  %s" % (stamp, url),
                                        "Resolving %s (%s)... failed: Name or service not known." % (host, host)])
        return call.start_task("download", filename, 0.5, None, error=error)

    size = size_of(url)
    span = size / float(RATE)
    tmp = "%s.tmp_dwnl.%d" % (dest, 100000 + call.state.rng.randrange(800000))
    head = [printed[0], "--%s--  %s" % (stamp, url), "Resolving %s (%s)... 192.0.2.10" % (host, host),
            "Connecting to %s (%s)|192.0.2.10|:443... connected." % (host, host),
            "HTTP request sent, awaiting response... 200 OK",
            "Length: %d (%dM) [application/octet-stream]" % (size, size // MIB), "Saving to: '%s'" % tmp, ""]
    got = hashlib.new(algorithm, content_of(url)).hexdigest() if expected else None
    tail = ["", "%s (200 MB/s) - '%s' saved [%d/%d]" % (stamp, tmp, size, size), ""]

    def script(duration):
        lines = [(0.01 * i, text) for i, text in enumerate(head)]
        lines += _progress_lines(size, 0.1, span)
        end = 0.1 + span
        lines += [(end, text) for text in tail]
        if expected and got.lower() == expected.lower():
            lines.append((duration, "calculating checksum...OK, checksum verified"))
        if not expected or got.lower() == expected.lower():
            lines.append((duration, "download of '%s' to '%s' finished" % (url, dest)))
        return lines

    def on_ok():
        if expected and got.lower() != expected.lower():
            raise TaskError(PrintedError("checksum mismatch: got '%s' != expect '%s'" % (got, expected),
                                         ["calculating checksum..."]))
        vol = call.state.add_volume(node, name, volname, size, None, content=content, fmt="iso" if content == "iso"
                                    else "tzst", ctime=int(call.clock.now()))
        vol.source = url

    return call.start_task("download", filename, 0.3 + span, script, on_ok=on_ok)
