# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Put get_pip_from_pypi.py where ansible-test looks for its cached get-pip.py.

Run it with the Python of the ansible-test that will run sanity: it asks that ansible-test which pip version it
pins for this Python (get_pip_<version>.py is the name it looks for) and puts the stand-in there, together with
any versions named on the command line (25.2 or 25_2). A cached file already there is left alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import sys


def pinned_pip_version():
    """The pip version the installed ansible-test bootstraps into its virtualenvs, or None if it cannot tell."""
    try:
        from ansible_test._internal.python_requirements import get_venv_packages
    except ImportError:
        return None

    class Python(object):  # the one attribute get_venv_packages reads of ansible-test's PythonConfig
        version = '%d.%d' % sys.version_info[:2]

    return get_venv_packages(Python()).get('pip')


def main():
    versions = [arg.replace('.', '_') for arg in sys.argv[1:]]
    pinned = pinned_pip_version()
    if pinned is None and not versions:
        sys.exit('cache_get_pip: this Python has no ansible-test to ask, and no version was named')
    if pinned is not None:
        versions.append(pinned.replace('.', '_'))
    cache = os.path.expanduser('~/.ansible/test/cache')
    if not os.path.isdir(cache):
        os.makedirs(cache)
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'get_pip_from_pypi.py')
    for version in sorted(set(versions)):
        target = os.path.join(cache, 'get_pip_%s.py' % version)
        if not os.path.exists(target):
            shutil.copyfile(source, target)
        print('cache_get_pip: %s' % target)


if __name__ == '__main__':
    main()
