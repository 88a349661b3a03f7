# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ucarp role's ucarp-health (roles/ucarp/files/ucarp-health): as ucarp@NAME's ExecCondition it lets ucarp start
only while the VIP's track file says the service is healthy (0), and never blocks an untracked instance or one
whose file it cannot read. Its `follow` half drives systemd and is tested live (Molecule ucarp_vmac)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.realpath(__file__))
SCRIPT = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'roles', 'ucarp', 'files', 'ucarp-health')


def ok(*args, **kwargs):
    env = dict(os.environ, HANET_UCARP_HEALTH_RUN_DIR=str(kwargs.get('held', '/nonexistent/held')))
    return subprocess.run([SCRIPT, 'ok'] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          check=False).returncode


@pytest.mark.parametrize('content, code', [('0\n', 0), ('0', 0), ('', 0), ('1\n', 1), ('7\n', 1), ('-3\n', 1)])
def test_the_track_file_decides_and_a_held_back_instance_is_marked(tmp_path, content, code):
    path = tmp_path / 'web.fault'
    path.write_text(content)
    held = tmp_path / 'held'
    assert ok(str(path), held=held) == code
    # Only an instance this script kept from starting is started again by it once healthy (not one stopped by hand).
    assert (held / 'web').exists() == bool(code)


def test_untracked_missing_or_unreadable_never_blocks(tmp_path):
    assert ok() == 0  # an untracked instance: UCARP_HEALTH_FILE empty, no argument
    assert ok(str(tmp_path / 'missing.fault')) == 0
    if os.geteuid() != 0:  # root reads any file
        path = tmp_path / 'secret.fault'
        path.write_text('1\n')
        os.chmod(str(path), 0)
        assert ok(str(path)) == 0


def test_bad_usage_is_refused():
    assert subprocess.run([SCRIPT, 'follow', 'bad name', '/x'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=False).returncode == 2
    assert subprocess.run([SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False).returncode == 2
