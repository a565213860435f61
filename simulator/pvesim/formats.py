"""Named string formats pveproxy checks (dns-name, pve-tag-list, urlencoded ssh keys, ipconfig, ...)."""
import ipaddress
import re
from urllib.parse import unquote

from .firewall import FORMATS as FIREWALL_FORMATS

DNS_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?"
DNS_NAME = re.compile(r"(%s\.)*%s" % (DNS_LABEL, DNS_LABEL))
TAG = re.compile(r"[a-z0-9_][a-z0-9_\-+.]*", re.I)
ID = re.compile(r"[a-z][a-z0-9\-_.]*[a-z0-9]", re.I)
SSH_KEY = re.compile(r"(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-\S+)\s+[A-Za-z0-9+/=]+(\s.*)?")
POOL_ID = re.compile(r"[A-Za-z0-9.\-_]+")
MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", re.I)


def dns_name(text):
    return None if DNS_NAME.fullmatch(text) else "invalid format - value does not look like a valid DNS name"


def tag_list(text):
    for tag in re.split(r"[;, ]+", text.strip()):
        if tag and not TAG.fullmatch(tag):
            return "invalid format - invalid characters in tag '%s'" % tag
    return None


def address_list(text):
    for addr in re.split(r"[;, ]+", text.strip()):
        try:
            ipaddress.ip_address(addr)
        except ValueError:
            return "invalid format - value does not look like a valid IP address"
    return None


def urlencoded_sshkeys(text):
    """The schema only asks for a urlencoded string (pve-common JSONSchema 'urlencoded'); the keys themselves are
    checked by the handler (guestconfig.check_sshkeys: 500 "SSH public key validation error")."""
    if not re.fullmatch(r"[%a-zA-Z0-9\-_.!~*'()]*", text):
        return "invalid format - invalid urlencoded string: %s" % text
    return None


def bad_ssh_key_line(text):
    """The first line of (decoded) `text` ssh-keygen -l would not take as a public key (comment lines included),
    else None (pve-common Tools.pm validate_ssh_public_keys: blank lines are skipped)."""
    for line in text.split("\n"):
        if line.strip() and not SSH_KEY.fullmatch(line.strip()):
            return line
    return None


def _ipconfig_part(key, value):
    try:
        if key == "ip":
            return value == "dhcp" or ipaddress.ip_interface(value).version == 4
        if key == "ip6":
            return value in ("dhcp", "auto") or ipaddress.ip_interface(value).version == 6
        if key in ("gw", "gw6"):
            return ipaddress.ip_address(value).version == (4 if key == "gw" else 6)
    except ValueError:
        return False
    return False


def ipconfig(text):
    seen = set()
    for part in [p for p in text.split(",") if p]:
        key, _, value = part.partition("=")
        if key not in ("ip", "gw", "ip6", "gw6") or key in seen:
            return "invalid format - unknown or duplicate key '%s'" % key
        seen.add(key)
        if not _ipconfig_part(key, value):
            return "invalid format - %s: invalid value '%s'" % (key, value)
    if "gw" in seen and "ip" not in seen:
        return "invalid format - gateway specified without specifying an IP address"
    return None


def vmid_list(text):
    for item in re.split(r"[;, ]+", text.strip()):
        if not re.fullmatch(r"[1-9]\d{2,8}", item):
            return "invalid format - value does not look like a valid VM ID"
    return None


def configid_list(text):
    for item in re.split(r"[;, ]+", text.strip()):
        if item and not re.fullmatch(r"[a-z][a-z_\-]*\d*", item):
            return "invalid format - invalid configuration ID '%s'" % item
    return None


def config_id(text):
    return None if re.fullmatch(r"[a-z][a-z0-9_\-]+", text, re.I) else "invalid format - invalid configuration ID '%s'" % text


def storage_id(text):
    return None if ID.fullmatch(text) else "invalid format - storage ID '%s' contains illegal characters" % text


def pool_id(text):
    return None if POOL_ID.fullmatch(text) else "invalid format - invalid pool ID '%s'" % text


def node_name(text):
    return None if re.fullmatch(DNS_LABEL, text) else "invalid format - value does not look like a valid node name"


def mac_addr(text):
    if not MAC.fullmatch(text) or int(text[:2], 16) & 1:
        return "invalid format - value does not look like a valid unicast MAC address"
    return None


def disk_size(text):
    return None if re.fullmatch(r"\d+(\.\d+)?[KMGT]?", text) else "invalid format - unable to parse size '%s'" % text


def boot_order(text):
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key == "order":
            for dev in value.split(";"):
                if not re.fullmatch(r"(ide|sata|scsi|virtio|net|efidisk|tpmstate|hostpci|usb)\d+", dev):
                    return "invalid format - invalid boot device '%s'" % dev
        elif key != "legacy" or not re.fullmatch(r"[acdn]{1,4}", value):
            return "invalid format - invalid boot option '%s'" % part
    return None


NAMED_FORMATS = {
    "dns-name": dns_name, "pve-tag-list": tag_list, "address-list": address_list,
    "urlencoded-sshkeys": urlencoded_sshkeys, "pve-qm-ipconfig": ipconfig, "pve-vmid-list": vmid_list,
    "pve-configid-list": configid_list, "pve-configid": config_id, "pve-storage-id": storage_id, "pve-node": node_name,
    "pve-poolid": pool_id,
    "mac-addr": mac_addr, "disk-size": disk_size, "pve-qm-boot": boot_order,
}
NAMED_FORMATS.update(FIREWALL_FORMATS)
