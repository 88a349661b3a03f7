# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""hanet.failover.file_set through ansible-playbook: templated content, the secret kept out of the output and the
callback's results (the invocation included), check mode, and a second run with nothing to do."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import os
import stat

SECRET = 'Zq7!pass'


def test_a_role_like_set_check_then_apply_then_idempotent(lab):
    base = lab.tmp / 'root'
    base.mkdir()
    (base / 'conf.d').mkdir()
    (base / 'conf.d' / 'stale.conf').write_text('old\n')
    args = {
        'directories': [{'path': str(base / 'libexec' / 'app'), 'mode': '0755'},
                        {'path': str(base / 'secrets'), 'mode': '0700'}],
        'files': [{'path': str(base / 'libexec' / 'app' / 'run'), 'mode': '0755',
                   'content': "#!/bin/sh\necho {{ 'templ' ~ 'ated' }}\n"},
                  {'path': str(base / 'conf.d' / 'app.conf'), 'mode': '0644', 'content': 'vip 198.51.100.10\n'}],
        'secret_files': [{'path': str(base / 'secrets' / 'app.pass'), 'mode': '0600',
                          'content_base64': "{{ '%s' | b64encode }}" % SECRET}],
        'links': [{'path': str(base / 'libexec' / 'app' / 'start'), 'target': 'run'}],
        'prune': [{'path': str(base / 'conf.d'), 'patterns': ['*.conf']}],
    }

    check = lab.module('file_set', check=True, **args)
    assert not check.failed, check.output
    assert check.changed == 1
    assert sorted(os.listdir(str(base))) == ['conf.d'] and (base / 'conf.d' / 'stale.conf').exists()

    run = lab.module('file_set', **args)
    assert not run.failed, run.output
    assert run.changed == 1
    assert (base / 'libexec' / 'app' / 'run').read_text() == '#!/bin/sh\necho templated\n'
    assert stat.S_IMODE(os.stat(str(base / 'libexec' / 'app' / 'run')).st_mode) == 0o755
    assert os.readlink(str(base / 'libexec' / 'app' / 'start')) == 'run'
    assert (base / 'secrets' / 'app.pass').read_text() == SECRET
    assert stat.S_IMODE(os.stat(str(base / 'secrets' / 'app.pass')).st_mode) == 0o600
    assert sorted(os.listdir(str(base / 'conf.d'))) == ['app.conf']
    assert run.result['removed'] == [str(base / 'conf.d' / 'stale.conf')]
    # The diff the callback got shows the script's text and hides the secret's.
    shown = run.output + repr(run.records)
    assert '#!/bin/sh' in shown
    assert SECRET not in shown, 'the secret reached the output'
    assert base64.b64encode(SECRET.encode('ascii')).decode('ascii') not in shown, 'the encoded secret reached the output'

    again = lab.module('file_set', **args)
    assert not again.failed and again.changed == 0
    assert again.result['changed_paths'] == []


def test_bad_entry_fails_naming_it_and_writes_nothing(lab):
    base = lab.tmp / 'nothing'
    base.mkdir()
    run = lab.module('file_set', directories=[{'path': str(base / 'made'), 'mode': '0755'}],
                     files=[{'path': str(base / 'made' / 'f'), 'mode': 644, 'content': 'x'}])
    assert run.failed
    assert 'files[0].mode' in run.result['msg'] and 'quoted string' in run.result['msg']
    assert os.listdir(str(base)) == []
