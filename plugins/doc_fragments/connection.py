# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


import yaml

from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import connection_argument_spec, env_fallback


class ModuleDocFragment(object):
    # The code side of these options is connection_argument_spec() in plugins/module_utils/module.py.
    # PLUGIN (set below the class, from this text and that argument spec) serves the inventory plugin.
    DOCUMENTATION = r'''
options:
  api_host:
    description:
      - Host name or address of a Proxmox VE node (the API listens on HTTPS).
      - If not set, the value of the E(PROXMOX_HOST) environment variable is used.
    type: str
    required: true
  api_port:
    description:
      - Port of the Proxmox VE API, 1 to 65535; 8006 when neither this, E(PROXMOX_PORT) nor a port in O(api_host)
        is given.
      - If not set, the value of the E(PROXMOX_PORT) environment variable is used.
      - A port given both here (or in E(PROXMOX_PORT)) and in O(api_host) is refused.
    type: int
  api_user:
    description:
      - User to log in as, with its realm, for example V(root@pam) or V(automation@pve).
      - Required with O(api_password), and with O(api_token_id) when that holds only the token name.
      - The user is never guessed.
      - If not set, the value of the E(PROXMOX_USER) environment variable is used.
    type: str
  api_password:
    description:
      - Password of O(api_user); the module logs in for a ticket with it.
      - Mutually exclusive with O(api_token_id) and O(api_token_secret).
      - If no credential option is set, the value of the E(PROXMOX_PASSWORD) environment variable is used.
    type: str
  api_otp:
    description:
      - One-time password (TOTP) when O(api_user) has two-factor authentication.
    type: str
  api_token_id:
    description:
      - API token to log in with, either in full as V(user@realm!name) or just V(name) together with O(api_user).
      - Mutually exclusive with O(api_password).
      - If no credential option is set, the value of the E(PROXMOX_TOKEN_ID) environment variable is used.
    type: str
  api_token_secret:
    description:
      - Secret (UUID) of the API token O(api_token_id).
      - If not set, the value of the E(PROXMOX_TOKEN_SECRET) environment variable is used.
    type: str
  validate_certs:
    description:
      - Verify the TLS certificate of the API.
      - Set O(ca_path) to the CA that signed a self-signed certificate rather than turning this off.
      - V(false) gives one warning per task run.
      - If not set, the value of the E(PROXMOX_VERIFY_SSL) or E(PROXMOX_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - File with the CA certificate(s) to verify the API's certificate against.
      - If not set, the value of the E(PROXMOX_CA_PATH) environment variable is used.
    type: path
  api_timeout:
    description:
      - Seconds to wait for an answer to one API call once it is sent (read timeout); greater than 0.
      - Proxmox VE itself answers HTTP 596 after 30 seconds on long synchronous calls while the work goes on.
      - If not set, the value of the E(PROXMOX_API_TIMEOUT) environment variable is used.
    type: float
    default: 30
  api_connect_timeout:
    description:
      - Seconds to wait for the TCP and TLS connection to the API; greater than 0.
      - When nothing answers, every module fails after a few of these (retries included), not at the end of its
        C(wait_timeout).
      - If not set, the value of the E(PROXMOX_CONNECT_TIMEOUT) environment variable is used.
    type: float
    default: 5
notes:
  - Needs the Python libraries C(proxmoxer) and C(requests) on the host that runs the module.
  - All modules of the collection are in the action group C(jotunheim.proxmox.proxmox), so the connection can be
    set once with C(module_defaults).
requirements:
  - proxmoxer >= 2.0
  - requests
'''


def _plugin_documentation():
    """The same options for plugins (the inventory plugin): each with ``env`` entries taken from the modules'
    argument spec fallbacks, so one set of definitions serves modules and plugins. The credentials have no
    ``env`` entry: the plugin takes them from the environment as the modules do (module.credentials_from_env)."""
    doc = yaml.load(ModuleDocFragment.DOCUMENTATION, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    spec = connection_argument_spec()
    for name, option in doc["options"].items():
        fallback = spec[name].get("fallback")
        if fallback and fallback[0] is env_fallback:
            option["env"] = [{"name": var} for var in fallback[1]]
    doc["notes"] = ["Needs the Python libraries C(proxmoxer) and C(requests) on the Ansible controller."]
    return yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), default_flow_style=False,
                     sort_keys=False)


ModuleDocFragment.PLUGIN = _plugin_documentation()
