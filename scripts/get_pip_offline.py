# Used by scripts/sanity.sh in place of the get-pip bootstrap script that `ansible-test sanity` would download:
# it seeds pip from the interpreter's own bundled copy (ensurepip) and then lets that pip install the version
# ansible-test asked for from the package index. Options that only the real get-pip script knows are dropped.
import subprocess
import sys

UNSUPPORTED = {'--no-setuptools', '--no-wheel'}

wanted = [arg for arg in sys.argv[1:] if arg not in UNSUPPORTED]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check'] + wanted)
