# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ProxmoxModule: AnsibleModule plus the shared connection and wait options, a ready client, and the one place
where typed errors become fail_json.

The argument specs here are the code side of the doc fragments ``jotunheim.proxmox.connection`` and
``jotunheim.proxmox.wait``: change both together.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.parameters import AnsibleFallbackNotFound

from ansible_collections.jotunheim.proxmox.plugins.module_utils import client as client_mod
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, scrub_all
from ansible_collections.jotunheim.proxmox.plugins.module_utils.validate import check_connection
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline

DEFAULT_WAIT_TIMEOUT = 600.0

# Credentials come from the environment only as a whole kind (password or token), never mixed with task options.
ENV_PASSWORD = "PROXMOX_PASSWORD"
ENV_TOKEN_ID = "PROXMOX_TOKEN_ID"
ENV_TOKEN_SECRET = "PROXMOX_TOKEN_SECRET"


def env_fallback(*names):
    """The first of the environment variables *names* that is set and not empty (AnsibleFallbackNotFound when none
    is): AWX credentials inject every field of their type, and an empty field (port, CA path, user) as ``""``,
    which counts as unset here rather than as a value to convert (``int("")`` would fail every module)."""
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip() != "":
            return value
    raise AnsibleFallbackNotFound


def connection_argument_spec():
    """The options of doc fragment jotunheim.proxmox.connection."""
    return dict(
        api_host=dict(type="str", required=True, fallback=(env_fallback, ["PROXMOX_HOST"])),
        api_port=dict(type="int", fallback=(env_fallback, ["PROXMOX_PORT"])),
        api_user=dict(type="str", fallback=(env_fallback, ["PROXMOX_USER"])),
        api_password=dict(type="str", no_log=True),
        api_otp=dict(type="str", no_log=True),
        api_token_id=dict(type="str", no_log=False),
        api_token_secret=dict(type="str", no_log=True),
        validate_certs=dict(type="bool", default=True,
                            fallback=(env_fallback, ["PROXMOX_VERIFY_SSL", "PROXMOX_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["PROXMOX_CA_PATH"])),
        api_timeout=dict(type="float", default=30.0, fallback=(env_fallback, ["PROXMOX_API_TIMEOUT"])),
        api_connect_timeout=dict(type="float", default=5.0, fallback=(env_fallback, ["PROXMOX_CONNECT_TIMEOUT"])),
    )


def wait_argument_spec():
    """The options of doc fragment jotunheim.proxmox.wait."""
    return dict(
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="float", default=DEFAULT_WAIT_TIMEOUT),
    )


def credentials_from_env(params, environ):
    """Return the credential options to add from *environ* to *params* (options given in the task win).

    A password given in the task ignores token variables and the other way round; with nothing in the task,
    the environment must hold one kind only: both PROXMOX_PASSWORD and PROXMOX_TOKEN_ID is an InputError.
    """
    has_password = bool(params.get("api_password"))
    has_token = bool(params.get("api_token_id") or params.get("api_token_secret"))
    if has_password:
        return {}
    env_token = dict((key, environ.get(var)) for key, var in (("api_token_id", ENV_TOKEN_ID),
                                                              ("api_token_secret", ENV_TOKEN_SECRET)))
    if has_token:
        return dict((key, value) for key, value in env_token.items() if value and not params.get(key))
    env_password = environ.get(ENV_PASSWORD)
    if env_password and any(env_token.values()):
        raise InputError("both %s and %s/%s are set in the environment: unset one, or give api_password or "
                         "api_token_id in the task" % (ENV_PASSWORD, ENV_TOKEN_ID, ENV_TOKEN_SECRET),
                         option="api_password")
    if env_password:
        return {"api_password": env_password}
    return dict((key, value) for key, value in env_token.items() if value)


class ProxmoxModule(AnsibleModule):
    """AnsibleModule with the connection options (and wait/wait_timeout with wait=True), a lazily built client,
    one deadline for the whole run, and fail_from_error()."""

    def __init__(self, argument_spec=None, supports_check_mode=False, wait=True, **kwargs):
        spec = connection_argument_spec()
        if wait:
            spec.update(wait_argument_spec())
        spec.update(argument_spec or {})
        super(ProxmoxModule, self).__init__(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self._client = None
        self._deadline = None
        if not client_mod.HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=str(client_mod.REQUESTS_IMPORT_ERROR))
        if not client_mod.HAS_PROXMOXER:
            self.fail_json(msg=missing_required_lib("proxmoxer"), exception=str(client_mod.PROXMOXER_IMPORT_ERROR))
        try:
            extra = credentials_from_env(self.params, os.environ)
        except InputError as err:
            self.fail_from_error(err)
        for key, value in extra.items():
            if key != "api_token_id":
                self.no_log_values.add(value)
            self.params[key] = value
        # every option is checked before the first call: nothing below may reach Proxmox VE with bad input
        try:
            port = self.params.get("api_port")
            # a port equal to PROXMOX_PORT came from the environment (AnsibleModule's fallback), not from the task
            from_env = port is not None and os.environ.get("PROXMOX_PORT", "").strip() == str(port)
            check_connection(self.params, port_given=port is not None, port_from_env=from_env)
        except InputError as err:
            self.fail_from_error(err)
        if self.params.get("validate_certs") is False:
            self.warn("validate_certs is false: the TLS certificate of %s is not checked, so anyone in between can "
                      "read the credentials; set ca_path to the CA that signed it instead" % self.params["api_host"])

    @property
    def client(self):
        """The ProxmoxClient for this run (built on first use; nothing is sent until the first call)."""
        if self._client is None:
            try:
                self._client = client_mod.ProxmoxClient.from_params(self.params)
            except InputError as err:
                self.fail_from_error(err)
        return self._client

    def deadline(self):
        """The run's time budget: one Deadline(wait_timeout), started at the first call and shared afterwards."""
        if self._deadline is None:
            self._deadline = Deadline(self.params.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT)
        return self._deadline

    def _secrets(self):
        found = [self.params.get(key) for key in ("api_password", "api_otp", "api_token_secret")]
        if self._client is not None:
            found.extend(self._client.secrets())
        return [s for s in found if s]

    def fail_from_error(self, err, **result):
        """fail_json from a ProxmoxError / InputError: message, HTTP status, PVE's errors, tasks; never a secret."""
        payload = dict(result)
        if isinstance(err, (ProxmoxError, InputError)):
            payload.update(err.to_result())
        else:
            payload.update({"msg": str(err), "exception": traceback.format_exc()})
        payload["msg"] = payload.get("msg") or "failed"
        self.fail_json(**self._warned(scrub_all(payload, self._secrets())))

    def _warned(self, result):
        """*result* without its ``warnings``, each given to warn() instead: passing warnings to exit_json/fail_json
        is deprecated from ansible-core 2.19 (a DEPRECATION WARNING on every run); the result carries them all the
        same."""
        for text in result.pop("warnings", None) or []:
            self.warn(text)
        return result

    def run(self, fn):
        """exit_json(**fn(self)); our typed errors become fail_json through fail_from_error."""
        try:
            result = fn(self) or {}
        except (ProxmoxError, InputError) as err:
            self.fail_from_error(err)
        self.exit_json(**self._warned(scrub_all(result, self._secrets())))
