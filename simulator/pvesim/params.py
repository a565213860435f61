"""Parameter verification as pveproxy does it before a handler runs (pve-common JSONSchema rules)."""
import json
import re

from .formats import NAMED_FORMATS

UNKNOWN = "property is not defined in schema and the schema does not allow additional properties"
MISSING = "property is missing and it is not optional"
INDEXED = re.compile(r"^([a-z_-]+?)(\d+)$")


def show(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def prop_for(props, key):
    """The spec of key, looking up scsi3 under 'scsi[n]' (with its highest index)."""
    if key in props:
        return props[key]
    m = INDEXED.match(key)
    if m:
        spec = props.get(m.group(1) + "[n]")
        if spec is not None and int(m.group(2)) <= spec.get("max_index", 31) and str(int(m.group(2))) == m.group(2):
            return spec
    return None


def check_boolean(value, json_bools):
    if isinstance(value, bool):
        return (1 if value else 0) if json_bools else None
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, str) and value in ("0", "1"):
        return int(value)
    return None


def check_number(kind, spec, value):
    """Returns (number, error)."""
    text = show(value)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, "type check ('%s') failed - got '%s'" % (kind, text)
    rx = r"[+-]?\d+" if kind == "integer" else r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
    if isinstance(value, float) and kind == "integer" and not value.is_integer():
        return None, "type check ('integer') failed - got '%s'" % text
    if isinstance(value, str) and not re.fullmatch(rx, value.strip()):
        return None, "type check ('%s') failed - got '%s'" % (kind, text)
    num = int(float(value)) if kind == "integer" else float(value)
    if "minimum" in spec and num < spec["minimum"]:
        return None, "value must have a minimum value of %s" % spec["minimum"]
    if "maximum" in spec and num > spec["maximum"]:
        return None, "value must have a maximum value of %s" % spec["maximum"]
    return num, None


def check_string(name, spec, value, json_bools):
    """Returns (string, error)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, "type check ('string') failed - got '%s'" % show(value)
    text = value if isinstance(value, str) else show(value)
    if "enum" in spec and text not in spec["enum"]:
        return None, "value '%s' does not have a value in the enumeration '%s'" % (text, ", ".join(spec["enum"]))
    if "maxLength" in spec and len(text) > spec["maxLength"]:
        return None, "value may only be %d characters long" % spec["maxLength"]
    if "minLength" in spec and len(text) < spec["minLength"]:
        return None, "value must be at least %d characters long" % spec["minLength"]
    if "pattern" in spec and not re.fullmatch(spec["pattern"], text):
        return None, "value does not match the regex pattern"
    fmt = spec.get("format")
    if isinstance(fmt, dict):
        _parsed, errs = parse_property_string(fmt, text, name, json_bools)
        if errs:
            return None, "invalid format - " + "; ".join(errs)
    elif fmt in NAMED_FORMATS:
        err = NAMED_FORMATS[fmt](text)
        if err:
            return None, err
    return text, None


def check_value(name, spec, value, json_bools):
    """Returns (typed value, error message or None)."""
    kind = spec.get("type", "string")
    if kind == "boolean":
        res = check_boolean(value, json_bools)
        if res is None:
            return None, "type check ('boolean') failed - got '%s'" % show(value)
        return res, None
    if kind in ("integer", "number"):
        return check_number(kind, spec, value)
    if kind == "array":
        return (value if isinstance(value, list) else [value]), None
    return check_string(name, spec, value, json_bools)


def _split_part(fmt, part, default_key):
    if "=" in part:
        return part.split("=", 1)
    return default_key, part


def parse_property_string(fmt, text, name="value", json_bools=False):
    """'local-lvm:vm-100-disk-0,size=2G' -> ({'file': ..., 'size': '2G'}, errors)."""
    default_key = next((k for k, v in fmt.items() if v.get("default_key")), None)
    result, errors = {}, []
    for part in [p for p in text.split(",") if p != ""]:
        key, val = _split_part(fmt, part, default_key)
        if key is None:
            errors.append("value without key, but schema does not define a default key")
            continue
        spec = fmt.get(key)
        if spec is None:
            errors.append("%s.%s: %s" % (name, key, UNKNOWN))
            continue
        if "keyAlias" in spec:
            result[spec["keyAlias"]] = key
            key, spec = spec["alias"], fmt[spec["alias"]]
        elif "alias" in spec:
            key, spec = spec["alias"], fmt[spec["alias"]]
        if key in result:
            errors.append("%s.%s: duplicate key in comma-separated list property" % (name, key))
            continue
        typed, err = check_value("%s.%s" % (name, key), spec, val, False)
        if err:
            errors.append("%s.%s: %s" % (name, key, err))
        else:
            result[key] = val if spec.get("type", "string") == "string" else typed
    for key, spec in fmt.items():
        if not spec.get("optional") and "alias" not in spec and key not in result:
            errors.append("%s.%s: %s" % (name, key, MISSING))
    return result, errors


def verify(props, params, json_bools):
    """Check params against props; returns typed params or raises ApiError 400."""
    from .errors import param_error
    errors, clean = {}, {}
    for key, value in params.items():
        spec = prop_for(props, key)
        if spec is None:
            errors[key] = UNKNOWN
            continue
        typed, err = check_value(key, spec, value, json_bools)
        if err:
            errors[key] = err
        else:
            clean[key] = typed
    for key, spec in props.items():
        if "[n]" not in key and not spec.get("optional") and key not in params:
            errors[key] = MISSING
    for key in clean:
        spec = prop_for(props, key)
        if spec.get("requires") and spec["requires"] not in params:
            errors[spec["requires"]] = "missing property - '%s' requires this property" % key
    if errors:
        raise param_error(errors)
    return clean
