"""A guest's firewall: ``/nodes/{node}/qemu/{vmid}/firewall/{options,ipset,ipset/{name},ipset/{name}/{cidr},rules,
rules/{pos}}``, as pve-firewall answers them (src/PVE/API2/Firewall/{VM,IPSet,Rules}.pm, src/PVE/Firewall.pm; the
same handlers on 7.4, 8.x and 9.x, only the schema's digest length and rule ``type`` enum differ).

What Proxmox VE keeps in ``/etc/pve/firewall/<vmid>.fw`` is kept per vmid, cluster-wide (the file is not a node's:
it stays through a migration): ``options``, ``ipset`` (name -> entries) with ``ipset_comments``, ``rules``. The
handlers check neither that the guest exists nor its node (only ``options`` is proxied to ``node``). A change is
saved the way ``save_vmfw_conf`` writes the file and read back as ``load_vmfw_conf`` parses it: ipset entries come
back sorted by their text, rules keep their order with ``enable`` 0/1, an empty config is no file at all. A clone
copies the source's file (qemu-server ``clone_vmfw_conf``), a destroy removes it, with or without ``purge``
(``remove_vmfw_conf`` in the qmdestroy worker on every release).

Errors as PVE gives them: ``raise_param_exc`` -> 400 "Parameter verification failed." with ``errors`` per
parameter (an ipset entry that exists already, a zero prefix, an unknown rule property, a bad rule field as
``verify_rule`` finds it, first error only); ``die`` -> 500 with its message ("no such IPSet 'x'", "IPSet 'x' is
not empty", "no rule at position 3", the digest mismatch). Not modelled: aliases beyond name lookup, security
groups' existence, the 10 s lock of the file, macros beyond a few common names, /etc/services beyond common names.
"""
import hashlib
import ipaddress
import re

from .errors import fail, param_error

NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9\-_]+")
ALIAS_RE = re.compile(r"(dc/|guest/)?([A-Za-z][A-Za-z0-9\-_]+)")
OPTION_KEYS = ("enable", "macfilter", "dhcp", "ndp", "radv", "ipfilter", "policy_in", "policy_out",
               "log_level_in", "log_level_out")
RULE_KEYS = ("type", "action", "macro", "iface", "source", "dest", "proto", "enable", "sport", "dport", "comment",
             "log", "icmp-type")
PROTOCOLS_WITH_PORTS = {"udp", "17", "udplite", "136", "tcp", "6", "dccp", "33", "sctp", "132"}
# /etc/protocols names (the numbers 0-255 are taken too)
PROTOCOLS = {"ip", "hopopt", "icmp", "igmp", "ggp", "ipencap", "st", "tcp", "egp", "igp", "pup", "udp", "hmp",
             "xns-idp", "rdp", "iso-tp4", "dccp", "xtp", "ddp", "idpr-cmtp", "ipv6", "ipv6-route", "ipv6-frag",
             "idrp", "rsvp", "gre", "esp", "ah", "skip", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts", "rspf",
             "vmtp", "eigrp", "ospf", "ax.25", "ipip", "etherip", "encap", "pim", "ipcomp", "vrrp", "l2tp", "isis",
             "sctp", "fc", "mobility-header", "udplite", "mpls-in-ip", "manet", "hip", "shim6", "wesp", "rohc"}
# /etc/services names a rule's ports may use (a few common ones)
SERVICES = {"ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "http": 80, "pop3": 110, "ntp": 123,
            "imap2": 143, "snmp": 161, "ldap": 389, "https": 443, "submission": 587, "imaps": 993, "pop3s": 995,
            "mysql": 3306, "postgresql": 5432, "rdp": 3389, "ms-wbt-server": 3389}
ICMP_TYPES = {"any", "echo-reply", "destination-unreachable", "source-quench", "redirect", "echo-request",
              "time-exceeded", "parameter-problem", "timestamp-request", "timestamp-reply", "address-mask-request",
              "address-mask-reply", "router-advertisement", "router-solicitation", "packet-too-big",
              "neighbour-solicitation", "neighbour-advertisement", "neighbor-solicitation", "neighbor-advertisement"}
# macros (pve-firewall's $pve_fw_macros; a few), by lower-case name -> preferred spelling
MACROS = dict((name.lower(), name) for name in ("SSH", "HTTP", "HTTPS", "DNS", "Ping", "SMTP", "SMTPS", "IMAP",
                                                 "IMAPS", "POP3", "POP3S", "NTP", "MySQL", "PostgreSQL", "RDP", "Web"))
LOGLEVELS = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog")


# --- formats pveproxy checks before a handler runs (registered in formats.NAMED_FORMATS) ---------------------------

def _ip_or_cidr(text):
    """PVE's pve_verify_ip_or_cidr: an address, or address/prefix within the family's length."""
    address, sep, length = text.partition("/")
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return False
    if not sep:
        return True
    return length.isdigit() and int(length) <= addr.max_prefixlen


def ip_or_cidr_or_alias(text):
    if ALIAS_RE.fullmatch(text) or _ip_or_cidr(text):
        return None
    return "invalid format - value does not look like a valid IP address or CIDR network"


def _address_list_error(text):
    """parse_address_list: +ipset, an alias, or comma-separated addresses/CIDRs/a range, one family."""
    if text.startswith("+"):
        return "ipset name too long" if len(text) > 65 else None
    if ALIAS_RE.fullmatch(text):
        return "alias name too long" if len(text) > 64 else None
    elements = text.split(",")
    if any(not item for item in elements):
        return "extraneous commas in list"
    versions, ranged = set(), False
    for item in elements:
        if "-" in item:
            ranged = True
            low, _, high = item.partition("-")
            parts = [low, high]
        else:
            parts = [item]
        for part in parts:
            if not _ip_or_cidr(part):
                return "invalid IP address: %s" % part
            versions.add(ipaddress.ip_address(part.partition("/")[0]).version)
    if len(versions) > 1:
        return "detected mixed ipv4/ipv6 addresses in address list '%s'" % text
    if ranged and len(elements) > 1:
        return "you can't use a range in a list"
    return None


def addr_spec(text):
    err = _address_list_error(text)
    return ("invalid format - %s" % err) if err else None


def _port_error(text, dport=False, icmp=False):
    elements = text.split(",")
    if any(not item for item in elements):
        return "extraneous commas in list"
    for item in elements:
        m = re.fullmatch(r"(\d+):(\d+)", item)
        if m:
            low, high = int(m.group(1)), int(m.group(2))
            for port in (low, high):
                if port > 65535:
                    return "invalid port '%d'" % port
            if low > high:
                return "backwards range '%d:%d' not allowed, did you mean '%d:%d'?" % (low, high, high, low)
        elif item.isdigit():
            if int(item) > 65535:
                return "invalid port '%s'" % item
        elif dport and icmp and item in ICMP_TYPES:
            continue
        elif item not in SERVICES:
            return "invalid port '%s'" % item
    return None


def dport_spec(text):
    err = _port_error(text, dport=True, icmp=True)
    return ("invalid format - %s" % err) if err else None


def sport_spec(text):
    err = _port_error(text)
    return ("invalid format - %s" % err) if err else None


def _known_protocol(text):
    return text in PROTOCOLS or (text.isdigit() and int(text) <= 255)


def protocol_spec(text):
    return None if _known_protocol(text) else "invalid format - unknown protocol '%s'" % text


def icmp_type_spec(text):
    return None if text in ICMP_TYPES or text.isdigit() else "invalid format - invalid icmp-type value '%s'" % text


def iface_spec(text):
    return None if re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_]{1,20}([:\.]\d+)?", text) else \
        "invalid format - invalid network interface name '%s'" % text


FORMATS = {"IPorCIDRorAlias": ip_or_cidr_or_alias, "pve-fw-addr-spec": addr_spec, "pve-fw-dport-spec": dport_spec,
           "pve-fw-sport-spec": sport_spec, "pve-fw-protocol-spec": protocol_spec,
           "pve-fw-icmp-type-spec": icmp_type_spec, "pve-iface": iface_spec}


# --- the stored config ---------------------------------------------------------------------------------------------

def empty():
    return {"options": {}, "ipset": {}, "ipset_comments": {}, "rules": [], "aliases": {}}


def load(state, vmid):
    """A copy of the guest's firewall config (an empty one when it has no file)."""
    conf = state.firewall.get(vmid)
    if conf is None:
        return empty()
    return {"options": dict(conf["options"]), "ipset": dict((k, [dict(e) for e in v]) for k, v in conf["ipset"].items()),
            "ipset_comments": dict(conf["ipset_comments"]), "rules": [dict(r) for r in conf["rules"]],
            "aliases": dict(conf["aliases"])}


def save(state, vmid, conf):
    """save_vmfw_conf then load_vmfw_conf: ipset entries sorted by text, duplicates dropped; no file when empty."""
    for name, entries in conf["ipset"].items():
        unique = {}
        for entry in entries:
            unique.setdefault(entry["cidr"], entry)
        conf["ipset"][name] = [unique[cidr] for cidr in sorted(unique)]
    for rule in conf["rules"]:
        rule["enable"] = 0 if ("enable" in rule and not int(rule["enable"])) else 1
    if conf["options"] or conf["ipset"] or conf["rules"] or conf["aliases"]:
        state.firewall[vmid] = conf
    else:
        state.firewall.pop(vmid, None)


def copy_config(state, source, target):
    """qemu-server clone_vmfw_conf: the clone gets the source's firewall file."""
    if source in state.firewall:
        state.firewall[target] = load(state, source)
    else:
        state.firewall.pop(target, None)


def remove_config(state, vmid):
    """qemu-server destroy (remove_vmfw_conf), with or without purge."""
    state.firewall.pop(vmid, None)


def _text(value):
    return str(value)


def _digest_fold(sha, obj):
    """``obj``'s defined (not None) keys, each fed to ``sha`` as ``key:value\\n`` in key order."""
    out = {}
    for key in sorted(obj):
        if obj[key] is not None:
            out[key] = obj[key]
            sha.update(("%s:%s\n" % (key, _text(obj[key]))).encode("utf-8"))
    return out


def object_with_digest(obj):
    """copy_opject_with_digest: the defined keys plus a SHA-1 digest over ``key:value\\n`` in key order."""
    sha = hashlib.sha1()
    out = _digest_fold(sha, obj)
    out["digest"] = sha.hexdigest()
    return out, out["digest"]


def list_with_digest(items):
    """copy_list_with_digest: each entry's defined keys, one SHA-1 over all of them, put into every entry."""
    sha = hashlib.sha1()
    out = [_digest_fold(sha, item) for item in items]
    digest = sha.hexdigest()
    for data in out:
        data["digest"] = digest
    return out, digest


def assert_if_modified(digest, given):
    """PVE::Tools::assert_if_modified."""
    if given and given != digest:
        raise fail("detected modified configuration - file changed by other user? Try again.")


# --- options -------------------------------------------------------------------------------------------------------

def get_options(call):
    call.state.check_node(call.params["node"])
    return object_with_digest(load(call.state, call.params["vmid"])["options"])[0]


def put_options(call):
    call.state.check_node(call.params["node"])
    params, vmid = call.params, call.params["vmid"]
    conf = load(call.state, vmid)
    assert_if_modified(object_with_digest(conf["options"])[1], params.get("digest"))
    for key in [k for k in re.split(r"[;, ]+", params.get("delete") or "") if k]:
        if key not in OPTION_KEYS:
            raise param_error({"delete": "no such option '%s'" % key})
        conf["options"].pop(key, None)
    for key in OPTION_KEYS:
        if params.get(key) is not None:
            conf["options"][key] = (1 if params[key] else 0) if key == "enable" else params[key]
    save(call.state, vmid, conf)


# --- ipsets --------------------------------------------------------------------------------------------------------

def ipset_listing(conf):
    """GET .../firewall/ipset of a guest or the cluster: [{name, comment?, digest}], sorted by name."""
    items = []
    for name in sorted(conf["ipset"]):
        item = {"name": name}
        if conf["ipset_comments"].get(name):
            item["comment"] = conf["ipset_comments"][name]
        items.append(item)
    return list_with_digest(items)[0]


def ipset_index(call):
    return ipset_listing(load(call.state, call.params["vmid"]))


def ipset_create(call):
    params, vmid = call.params, call.params["vmid"]
    conf = load(call.state, vmid)
    name, rename = params["name"], params.get("rename")
    if rename:
        assert_if_modified(ipset_index(call)[0]["digest"] if conf["ipset"] else list_with_digest([])[1],
                           params.get("digest"))
        if rename not in conf["ipset"]:
            raise param_error({"name": "IPSet '%s' does not exist" % rename})
        if name in conf["ipset"] and name != rename:
            raise param_error({"name": "IPSet '%s' does already exist" % name})
        conf["ipset"][name] = conf["ipset"].pop(rename)
        comment = conf["ipset_comments"].pop(rename, None)
        if comment:
            conf["ipset_comments"][name] = comment
    else:
        if name in conf["ipset"]:
            raise param_error({"name": "IPSet '%s' already exists" % name})
        conf["ipset"][name] = []
    if params.get("comment") is not None:
        conf["ipset_comments"][name] = params["comment"]
    save(call.state, vmid, conf)


def _ipset(conf, name):
    if name not in conf["ipset"]:
        raise fail("no such IPSet '%s'" % name)
    return conf["ipset"][name]


def ipset_get(call):
    conf = load(call.state, call.params["vmid"])
    return list_with_digest(_ipset(conf, call.params["name"]))[0]


def ipset_delete(call):
    params, vmid = call.params, call.params["vmid"]
    conf = load(call.state, vmid)
    if _ipset(conf, params["name"]) and not params.get("force"):
        raise fail("IPSet '%s' is not empty" % params["name"])
    del conf["ipset"][params["name"]]
    conf["ipset_comments"].pop(params["name"], None)
    save(call.state, vmid, conf)


def normalise_cidr(cidr):
    """clean_cidr then parse_ip_or_cidr: a network's host bits cleared and the address compressed (only when a
    prefix is given), then /32 (IPv4) or /128 (IPv6) dropped."""
    address, sep, length = cidr.partition("/")
    if sep and length and int(length):
        network = ipaddress.ip_network(cidr, strict=False)
        cidr = "%s/%s" % (network.network_address.compressed, length)
    version = ipaddress.ip_address(cidr.partition("/")[0]).version
    suffix = "/32" if version == 4 else "/128"
    if cidr.endswith(suffix):
        cidr = cidr[:-len(suffix)]
    return cidr


def ipset_add(call):
    params, vmid = call.params, call.params["vmid"]
    conf = load(call.state, vmid)
    entries = _ipset(conf, params["name"])
    cidr = params["cidr"]
    alias = ALIAS_RE.fullmatch(cidr)
    if alias:
        if not _alias_exists(conf, cluster_conf(call.state), alias.group(2)):
            raise fail("no such alias '%s'" % cidr)
    else:
        cidr = normalise_cidr(cidr)
    if any(entry["cidr"] == cidr for entry in entries):
        raise param_error({"cidr": "address '%s' already exists" % cidr})
    if re.search(r"/0+$", cidr):
        raise param_error({"cidr": "a zero prefix is not allowed in ipset entries"})
    entry = {"cidr": cidr}
    if params.get("nomatch"):
        entry["nomatch"] = 1
    if params.get("comment"):
        entry["comment"] = params["comment"]
    entries.insert(0, entry)
    save(call.state, vmid, conf)


def _entry(entries, cidr):
    """read_ip/update_ip compare the path's cidr as given (not normalised) with the stored text."""
    return next((entry for entry in entries if entry["cidr"] == cidr), None)


def ip_get(call):
    conf = load(call.state, call.params["vmid"])
    listed = list_with_digest(_ipset(conf, call.params["name"]))[0]
    entry = _entry(listed, call.params["cidr"])
    if entry is None:
        raise param_error({"cidr": "no such IP/Network"})
    return entry


def ip_update(call):
    params, vmid = call.params, call.params["vmid"]
    conf = load(call.state, vmid)
    entries = _ipset(conf, params["name"])
    assert_if_modified(list_with_digest(entries)[1], params.get("digest"))
    entry = _entry(entries, params["cidr"])
    if entry is None:
        raise param_error({"cidr": "no such IP/Network"})
    entry.pop("nomatch", None)
    entry.pop("comment", None)
    if params.get("nomatch"):
        entry["nomatch"] = 1
    if params.get("comment"):
        entry["comment"] = params["comment"]
    save(call.state, vmid, conf)


def ip_delete(call):
    """remove_ip: an entry that is not there is no error."""
    params, vmid = call.params, call.params["vmid"]
    conf = load(call.state, vmid)
    entries = _ipset(conf, params["name"])
    assert_if_modified(list_with_digest(entries)[1], params.get("digest"))
    conf["ipset"][params["name"]] = [entry for entry in entries if entry["cidr"] != params["cidr"]]
    save(call.state, vmid, conf)


# --- rules ---------------------------------------------------------------------------------------------------------

def _rules_listed(conf):
    listed, digest = list_with_digest(conf["rules"])
    for pos, rule in enumerate(listed):
        rule["pos"] = pos
    return listed, digest


def rules_index(call):
    return _rules_listed(load(call.state, call.params["vmid"]))[0]


def _ipset_exists(conf, cluster, name, scope=None):
    if scope == "dc/":
        return name in cluster["ipset"]
    if scope == "guest/":
        return name in conf["ipset"]
    return name in conf["ipset"] or name in cluster["ipset"]


def _alias_exists(conf, cluster, name):
    return name.lower() in conf["aliases"] or name.lower() in cluster["aliases"]


# --- the cluster's firewall (/cluster/firewall: only what guest rules look up) -----------------------------------

def cluster_conf(state):
    return state.cluster_firewall


def cluster_ipset_index(call):
    return ipset_listing(cluster_conf(call.state))


def cluster_ipset_create(call):
    """POST /cluster/firewall/ipset (create only: enough for guest rules to name a cluster set)."""
    conf, name = cluster_conf(call.state), call.params["name"]
    if call.params.get("rename"):
        raise fail("renaming a cluster IP set is not simulated")
    if name in conf["ipset"]:
        raise param_error({"name": "IPSet '%s' already exists" % name})
    conf["ipset"][name] = []
    if call.params.get("comment") is not None:
        conf["ipset_comments"][name] = call.params["comment"]


def cluster_alias_index(call):
    return list_with_digest([dict(alias) for _key, alias in sorted(cluster_conf(call.state)["aliases"].items())])[0]


def alias_index(call):
    """GET .../firewall/aliases: the guest's aliases (never created here: always empty)."""
    conf = load(call.state, call.params["vmid"])
    return list_with_digest([dict(alias) for _key, alias in sorted(conf["aliases"].items())])[0]


def verify_rule(rule, conf, cluster):
    """verify_rule for rule_env 'vm' (in, out or group), raising the first error as a parameter error; sets
    ``ipversion`` when the addresses or the protocol tell it."""
    def error(param, message):
        raise param_error({param: message})

    kind, action = rule.get("type"), rule.get("action")
    if not kind:
        error("type", "missing property")
    if not action:
        error("action", "missing property")
    if kind not in ("in", "out", "group"):
        error("type", "invalid rule type '%s' for rule_env 'vm'" % kind)
    if kind in ("in", "out") and action not in ("ACCEPT", "DROP", "REJECT"):
        error("action", "unknown action '%s'" % action)
    if kind == "group" and not NAME_RE.fullmatch(action):
        error("action", "invalid characters in security group name")
    if rule.get("iface") and not re.fullmatch(r"net\d+", rule["iface"]):
        error("iface", "value does not match the regex pattern 'net\\d+'")
    if rule.get("macro"):
        if rule["macro"].lower() not in MACROS:
            error("macro", "unknown macro '%s'" % rule["macro"])
        rule["macro"] = MACROS[rule["macro"].lower()]
    versions = set()
    proto = rule.get("proto")
    icmp = proto in ("icmp", "icmpv6", "ipv6-icmp", "1", "58")
    if proto:
        if not _known_protocol(proto):
            error("proto", "unknown protocol '%s'" % proto)
        if proto == "icmp":
            versions.add(4)
        elif proto in ("icmpv6", "ipv6-icmp"):
            versions.add(6)
    for key in ("dport", "sport"):
        if rule.get(key):
            err = _port_error(rule[key], dport=key == "dport", icmp=icmp)
            if err:
                error(key, err)
            if not proto:
                error("proto", "missing property - '%s' requires this property" % key)
            if proto not in PROTOCOLS_WITH_PORTS and not (key == "dport" and icmp):
                error(key, "protocol '%s' does not support ports" % proto)
    if rule.get("icmp-type"):
        if not icmp:
            error("proto", "missing property - 'icmp-type' requires this property")
        if rule.get("dport"):
            error("icmp-type", "'icmp-type' cannot be specified together with 'dport'")
    for key in ("source", "dest"):
        value = rule.get(key)
        if not value:
            continue
        err = _address_list_error(value)
        if err:
            error(key, err)
        if value.startswith("+"):
            m = re.fullmatch(r"\+(guest/|dc/|sdn/)?([A-Za-z][A-Za-z0-9\-_]+)", value)
            if not m:
                error(key, "invalid ipset name '%s'" % value)
            if not _ipset_exists(conf, cluster, m.group(2), m.group(1)):
                error(key, "no such ipset '%s'" % m.group(2))
        elif ALIAS_RE.fullmatch(value):
            if not _alias_exists(conf, cluster, ALIAS_RE.fullmatch(value).group(2)):
                error(key, "no such alias '%s'" % value)
        else:
            first = value.split(",")[0].split("-")[0].partition("/")[0]
            versions.add(ipaddress.ip_address(first).version)
            if len(versions) > 1:
                error(key, "detected mixed ipv4/ipv6 addresses in rule")
    if versions:
        rule["ipversion"] = versions.pop()
    else:
        rule.pop("ipversion", None)
    return rule


def _copy_rule_data(rule, params):
    """copy_rule_data: a given value sets the property, '' or '-' removes it."""
    for key in RULE_KEYS:
        value = params.get(key)
        if value is None:
            continue
        if value in ("", "-"):
            rule.pop(key, None)
        else:
            rule[key] = value
    return rule


def rule_create(call):
    """create_rule: the new rule goes to the top (position 0) on every release; ``pos`` is taken and ignored.
    Without ``enable`` the rule is disabled."""
    params, vmid = call.params, call.params["vmid"]
    conf = load(call.state, vmid)
    rule = verify_rule(_copy_rule_data({}, params), conf, cluster_conf(call.state))
    if params.get("enable") is None:
        rule["enable"] = 0
    conf["rules"].insert(0, rule)
    save(call.state, vmid, conf)


def _at(conf, pos):
    if pos is None or pos >= len(conf["rules"]):
        raise fail("no rule at position %s" % pos)
    return conf["rules"][pos]


def rule_get(call):
    conf = load(call.state, call.params["vmid"])
    _at(conf, call.params.get("pos"))
    return _rules_listed(conf)[0][call.params["pos"]]


def rule_update(call):
    """update_rule: ``moveto`` moves the rule (other arguments ignored), else the given properties are set and
    ``delete`` removes properties (never type or action); the digest is the whole list's."""
    params, vmid = call.params, call.params["vmid"]
    conf = load(call.state, vmid)
    assert_if_modified(list_with_digest(conf["rules"])[1], params.get("digest"))
    pos = params.get("pos")
    rule = _at(conf, pos)
    moveto = params.get("moveto")
    if moveto is not None and moveto != pos:
        rules = []
        for index, other in enumerate(conf["rules"]):
            if index == pos:
                continue
            if index == moveto:
                rules.append(rule)
            rules.append(other)
        if moveto >= len(conf["rules"]):
            rules.append(rule)
        conf["rules"] = rules
    else:
        _copy_rule_data(rule, params)
        for key in [k for k in re.split(r"[;, ]+", params.get("delete") or "") if k]:
            if key not in RULE_KEYS and key != "pos":
                raise param_error({"delete": "no such property ('%s')" % key})
            if key in ("type", "action"):
                raise param_error({"delete": "unable to delete required property '%s'" % key})
            rule.pop(key, None)
        verify_rule(rule, conf, cluster_conf(call.state))
    save(call.state, vmid, conf)


def rule_delete(call):
    params, vmid = call.params, call.params["vmid"]
    conf = load(call.state, vmid)
    assert_if_modified(list_with_digest(conf["rules"])[1], params.get("digest"))
    _at(conf, params.get("pos"))
    del conf["rules"][params["pos"]]
    save(call.state, vmid, conf)


def state_view(state):
    """The firewall configs for GET /_sim/state: vmid (str) -> options, ipsets (name -> cidrs), rules."""
    return dict((str(vmid), {"options": dict(conf["options"]),
                             "ipsets": dict((name, [e["cidr"] for e in entries])
                                            for name, entries in conf["ipset"].items()),
                             "rules": [dict(rule) for rule in conf["rules"]]})
                for vmid, conf in state.firewall.items())

