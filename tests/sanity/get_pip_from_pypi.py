# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for the get-pip.py that ansible-test downloads to bootstrap pip in its sanity venvs.

ansible-test fetches that script from a host CI cannot reach and says it may be
saved by hand to ~/.ansible/test/cache/get_pip_<version>.py. The Makefile puts
this file there instead: it bootstraps pip with the venv's own ensurepip, then
installs the pip version ansible-test asked for from PyPI, taking the same
arguments as get-pip.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import subprocess
import sys


def main():
    args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet'] + args)


if __name__ == '__main__':
    main()
