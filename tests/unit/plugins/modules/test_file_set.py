# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""file_set through main(), on real files under pytest's tmp_path.

Owner and group are the current user's and group's, so the tests run as root or not. The only replaced functions
are os.rename (to reach the failure of a write) and spies that call the real os.fchmod and os.rename."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import grp
import hashlib
import base64
import json
import os
import pwd
import stat

import pytest

from ansible_collections.hanet.failover.plugins.modules import file_set

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
SECRET = u'pw-9f3Kq7-not-in-any-result'
SECRET_TEXT = '<secret: not shown>\n'


def own(**entry):
    """An entry with the current user and group as owner and group."""
    return dict(entry, owner=OWNER, group=GROUP)


def secret(**entry):
    """A secret_files entry: its content given base64-encoded, as the module takes it."""
    content = entry.pop('content')
    return own(content_base64=base64.b64encode(content.encode('utf-8')).decode('ascii'), **entry)


def sha1(text):
    return hashlib.sha1(text.encode('utf-8')).hexdigest()


def mode_of(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def snapshot(root):
    """Everything under root, per relative path: a link's target, or the mode and a file's content."""
    found = {}
    for top, dirs, files in os.walk(str(root)):
        for name in dirs + files:
            path = os.path.join(top, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[os.path.relpath(path, str(root))] = dict(link=os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[os.path.relpath(path, str(root))] = dict(directory=stat.S_IMODE(info.st_mode))
            else:
                with open(path, 'rb') as handle:
                    found[os.path.relpath(path, str(root))] = dict(mode=stat.S_IMODE(info.st_mode), content=handle.read())
    return found


def write(path, content, mode=0o644):
    path.write_bytes(content.encode('utf-8'))
    os.chmod(str(path), mode)
    return path


def without_invocation(result):
    return json.dumps(dict((k, v) for k, v in result.items() if k != 'invocation'))


def content_diffs(result):
    return [d for d in result['diff'] if 'before_header' in d]


def full_set(tmp_path):
    """A directory with a missing parent, files, a secret, a link: the paths in the order they are applied."""
    app = tmp_path / 'etc' / 'app'
    args = {
        'directories': [own(path=str(app), mode='0750')],
        'files': [own(path=str(app / 'app.conf'), content=u'name = caf\u00e9\nport = 80\n', mode='0640'),
                  own(path=str(app / 'run'), content=u'#!/bin/sh\nexec true\n', mode='0755'),
                  own(path=str(app / 'empty'), content=u'', mode='0644')],
        'secret_files': [secret(path=str(app / 'app.key'), content=SECRET, mode='0600')],
        'links': [{'path': str(app / 'start'), 'target': 'run'}],
    }
    order = [str(app), str(app / 'app.conf'), str(app / 'run'), str(app / 'empty'), str(app / 'app.key'),
             str(app / 'start')]
    return args, order


# 1. A first run creates everything; a second one changes nothing.

def test_a_first_run_creates_directories_files_secrets_and_links(tmp_path, run_module):
    args, order = full_set(tmp_path)
    code, result = run_module(file_set, args)
    assert code == 0
    assert result['changed'] is True and result['changed_paths'] == order and result['removed'] == []
    app = tmp_path / 'etc' / 'app'
    # The missing parent gets the entry's mode, owner and group, as the directory itself does.
    for directory in (tmp_path / 'etc', app):
        assert directory.is_dir() and not directory.is_symlink()
        assert mode_of(directory) == 0o750
        assert (os.lstat(str(directory)).st_uid, os.lstat(str(directory)).st_gid) == (os.getuid(), os.getgid())
    assert (app / 'app.conf').read_bytes() == u'name = caf\u00e9\nport = 80\n'.encode('utf-8')
    assert mode_of(app / 'app.conf') == 0o640
    assert (app / 'run').read_bytes() == b'#!/bin/sh\nexec true\n' and mode_of(app / 'run') == 0o755
    assert (app / 'empty').read_bytes() == b'' and mode_of(app / 'empty') == 0o644
    assert (app / 'app.key').read_bytes() == SECRET.encode('utf-8') and mode_of(app / 'app.key') == 0o600
    assert (app / 'start').is_symlink() and os.readlink(str(app / 'start')) == 'run'
    assert sorted(os.listdir(str(app))) == ['app.conf', 'app.key', 'empty', 'run', 'start']


def test_a_second_identical_run_changes_nothing(tmp_path, run_module):
    args, dummy = full_set(tmp_path)
    assert run_module(file_set, args)[0] == 0
    written = snapshot(tmp_path)
    inodes = dict((p, os.lstat(str(tmp_path / p)).st_ino) for p in written)
    code, result = run_module(file_set, args)
    assert code == 0
    assert result['changed'] is False and result['changed_paths'] == [] and result['removed'] == []
    assert snapshot(tmp_path) == written
    assert dict((p, os.lstat(str(tmp_path / p)).st_ino) for p in written) == inodes


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_secret_never_shows_in_the_result_nor_its_checksum(tmp_path, run_module, check_mode):
    path = str(tmp_path / 'app.key')
    new = u'pw-new-7Hx2-not-in-any-result'
    # Created, then changed (content and mode), then changed in content only: each time with --diff.
    runs = [(SECRET, '0600'), (new, '0400'), (SECRET, '0400')]
    for content, mode in runs:
        code, result = run_module(file_set, {'_ansible_diff': True, 'secret_files': [
            secret(path=path, content=content, mode=mode)]}, check_mode=check_mode)
        assert code == 0 and result['changed'] is True and result['changed_paths'] == [path]
        shown = json.dumps(result)
        for text in (SECRET, new):
            assert text not in shown
            assert sha1(text) not in shown
        # The module itself kept it out: Ansible had nothing left to mask outside the echo of the arguments.
        assert '********' not in without_invocation(result)
        if check_mode:
            assert not os.path.lexists(path)
        else:
            assert (tmp_path / 'app.key').read_bytes() == content.encode('utf-8') and mode_of(path) == int(mode, 8)


# 2. Check mode.

def test_check_mode_reports_what_a_run_would_change_and_writes_nothing(tmp_path, run_module):
    args, order = full_set(tmp_path)
    old = write(tmp_path / 'old.conf', u'old\n')
    gone = write(tmp_path / 'gone.txt', u'remove me\n')
    (tmp_path / 'pruned').mkdir()
    stale = write(tmp_path / 'pruned' / 'stale.conf', u'stale\n')
    args['files'].append(own(path=str(old), content=u'new\n', mode='0600'))
    args['absent'] = [str(gone), str(tmp_path / 'never-there')]
    args['prune'] = [{'path': str(tmp_path / 'pruned'), 'patterns': ['*.conf']}]
    expected = order[:4] + [str(old)] + order[4:] + [str(gone), str(stale)]
    before = snapshot(tmp_path)

    code, result = run_module(file_set, args, check_mode=True)
    assert code == 0
    assert result['changed'] is True and result['changed_paths'] == expected
    assert result['removed'] == [str(gone), str(stale)]
    assert snapshot(tmp_path) == before

    code, result = run_module(file_set, args)
    assert code == 0 and result['changed_paths'] == expected and result['removed'] == [str(gone), str(stale)]
    assert old.read_bytes() == b'new\n' and not gone.exists() and not stale.exists()
    code, result = run_module(file_set, args, check_mode=True)
    assert code == 0 and result['changed'] is False and result['changed_paths'] == []


def test_check_mode_accepts_an_owner_the_same_play_has_not_created_yet(tmp_path, run_module):
    args = {'directories': [{'path': str(tmp_path / 'd'), 'mode': '0755', 'owner': 'hanet-no-such-user',
                             'group': 'hanet-no-such-group'}]}
    code, result = run_module(file_set, args, check_mode=True)
    assert code == 0 and result['changed_paths'] == [str(tmp_path / 'd')]
    assert not (tmp_path / 'd').exists()


# 3. Diff mode.

def test_diff_shows_the_old_and_new_text_of_a_file_under_its_path(tmp_path, run_module):
    path = write(tmp_path / 'app.conf', u'port = 80\n')
    code, result = run_module(file_set, {'_ansible_diff': True, 'files': [
        own(path=str(path), content=u'port = 8080\n', mode='0644')]})
    assert code == 0 and result['changed'] is True
    assert content_diffs(result) == [{'before_header': str(path), 'after_header': str(path),
                                      'before': u'port = 80\n', 'after': u'port = 8080\n'}]
    states = [d for d in result['diff'] if 'before_header' not in d]
    assert states == [{'before': {str(path): {'state': 'file', 'mode': '0644', 'owner': OWNER, 'group': GROUP,
                                              'sha1': sha1(u'port = 80\n')}},
                       'after': {str(path): {'state': 'file', 'mode': '0644', 'owner': OWNER, 'group': GROUP,
                                             'sha1': sha1(u'port = 8080\n')}}}]
    assert path.read_bytes() == b'port = 8080\n'

    code, result = run_module(file_set, {'_ansible_diff': True, 'files': [
        own(path=str(path), content=u'port = 8080\n', mode='0644')]})
    assert code == 0 and result['changed'] is False and result['diff'] == []


def test_diff_of_a_secret_only_says_that_it_changed(tmp_path, run_module):
    path = write(tmp_path / 'app.key', SECRET, 0o600)
    new = u'pw-new-7Hx2-not-in-any-result'
    code, result = run_module(file_set, {'_ansible_diff': True, 'secret_files': [
        secret(path=str(path), content=new, mode='0600')]})
    assert code == 0 and result['changed'] is True
    assert content_diffs(result) == [{'before_header': str(path), 'after_header': str(path),
                                      'before': SECRET_TEXT, 'after': SECRET_TEXT}]
    states = [d for d in result['diff'] if 'before_header' not in d][0]
    assert states['before'][str(path)]['sha1'] == '<secret, before>'
    assert states['after'][str(path)]['sha1'] == '<secret, after>'
    assert path.read_bytes() == new.encode('utf-8')


def test_diff_of_a_mode_change_has_no_text(tmp_path, run_module):
    path = write(tmp_path / 'app.conf', u'port = 80\n')
    code, result = run_module(file_set, {'_ansible_diff': True, 'files': [
        own(path=str(path), content=u'port = 80\n', mode='0600')]})
    assert code == 0 and result['changed'] is True and content_diffs(result) == []
    assert result['diff'][0]['before'][str(path)]['mode'] == '0644'
    assert result['diff'][0]['after'][str(path)]['mode'] == '0600'


# 4. force: false.

def test_force_false_keeps_an_existing_files_content(tmp_path, run_module):
    path = write(tmp_path / 'track', u'1\n', 0o644)
    inode = os.lstat(str(path)).st_ino
    code, result = run_module(file_set, {'_ansible_diff': True, 'files': [
        own(path=str(path), content=u'0\n', mode='0644', force=False)]})
    assert code == 0 and result['changed'] is False and result['changed_paths'] == [] and result['diff'] == []
    assert path.read_bytes() == b'1\n' and os.lstat(str(path)).st_ino == inode


def test_force_false_leaves_an_existing_file_or_link_as_it_is(tmp_path, run_module):
    # As copy's force: false: content, owner and mode of what is there stay (a state file another program owns;
    # its owner could swap it for a link, which must not be followed either).
    path = write(tmp_path / 'track', u'1\n', 0o640)
    inode = os.lstat(str(path)).st_ino
    link = tmp_path / 'maintenance'
    os.symlink(str(path), str(link))
    args = {'_ansible_diff': True, 'files': [own(path=str(path), content=u'0\n', mode='0600', force=False),
                                             own(path=str(link), content=u'0\n', mode='0644', force=False)]}
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is False and result['changed_paths'] == []
    assert path.read_bytes() == b'1\n' and mode_of(path) == 0o640 and os.lstat(str(path)).st_ino == inode
    assert os.readlink(str(link)) == str(path)


def test_force_false_creates_a_missing_file_with_the_content(tmp_path, run_module):
    path = tmp_path / 'track'
    args = {'files': [own(path=str(path), content=u'0\n', mode='0640', force=False)]}
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is True and result['changed_paths'] == [str(path)]
    assert path.read_bytes() == b'0\n' and mode_of(path) == 0o640
    path.write_bytes(b'1\n')
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is False and path.read_bytes() == b'1\n'


def test_force_false_on_a_secret_keeps_it_and_shows_nothing(tmp_path, run_module):
    path = write(tmp_path / 'app.key', SECRET, 0o600)
    code, result = run_module(file_set, {'_ansible_diff': True, 'secret_files': [
        secret(path=str(path), content=u'other', mode='0600', force=False)]})
    assert code == 0 and result['changed_paths'] == []
    assert path.read_bytes() == SECRET.encode('utf-8') and mode_of(path) == 0o600
    assert SECRET not in json.dumps(result) and sha1(SECRET) not in json.dumps(result)
    assert content_diffs(result) == []


# 5. prune.

def test_prune_removes_only_unnamed_matching_files_and_links(tmp_path, run_module):
    secrets = tmp_path / 'secrets'
    secrets.mkdir()
    keep = write(secrets / 'keep.auth', u'keep', 0o600)
    old = write(secrets / 'old.auth', u'old', 0o600)
    other = write(secrets / 'notes.txt', u'notes')
    (secrets / 'sub.auth').mkdir()
    nested = write(secrets / 'sub.auth' / 'inner.auth', u'inner')
    os.symlink('keep.auth', str(secrets / 'alias.auth'))
    os.symlink('keep.auth', str(secrets / 'named.auth'))
    write(secrets / 'listed.auth', u'listed')
    args = {
        'secret_files': [secret(path=str(keep), content=u'keep', mode='0600')],
        'files': [own(path=str(secrets / 'listed.auth'), content=u'listed', mode='0644')],
        'links': [{'path': str(secrets / 'named.auth'), 'target': 'keep.auth'}],
        'prune': [{'path': str(secrets), 'patterns': ['*.auth', '*.key']},
                  {'path': str(tmp_path / 'no-such-directory'), 'patterns': ['*']}],
    }
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is True
    removed = [str(secrets / 'alias.auth'), str(old)]
    assert result['removed'] == removed and result['changed_paths'] == removed
    assert sorted(os.listdir(str(secrets))) == ['keep.auth', 'listed.auth', 'named.auth', 'notes.txt', 'sub.auth']
    assert keep.read_bytes() == b'keep' and other.read_bytes() == b'notes' and nested.read_bytes() == b'inner'
    assert os.readlink(str(secrets / 'named.auth')) == 'keep.auth'
    assert not (tmp_path / 'no-such-directory').exists()

    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is False and result['removed'] == [] and result['changed_paths'] == []


def test_prune_of_a_missing_directory_is_no_change(tmp_path, run_module):
    code, result = run_module(file_set, {'prune': [{'path': str(tmp_path / 'missing'), 'patterns': ['*']}]})
    assert code == 0 and result['changed'] is False and result['removed'] == []
    assert os.listdir(str(tmp_path)) == []


# 6. absent.

def test_absent_removes_a_file_a_link_and_a_directory_tree(tmp_path, run_module):
    target = tmp_path / 'target'
    target.mkdir()
    write(target / 'kept', u'kept')
    single = write(tmp_path / 'single.conf', u'x')
    link = tmp_path / 'to-target'
    os.symlink(str(target), str(link))
    tree = tmp_path / 'tree'
    (tree / 'a' / 'b').mkdir(parents=True)
    write(tree / 'a' / 'b' / 'deep', u'deep')
    os.symlink('a', str(tree / 'inner-link'))
    args = {'absent': [str(single), str(link), str(tree), str(tmp_path / 'never-there'),
                       str(tmp_path / 'never' / 'there')]}
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is True
    assert result['removed'] == [str(single), str(link), str(tree)]
    assert result['changed_paths'] == [str(single), str(link), str(tree)]
    assert sorted(os.listdir(str(tmp_path))) == ['target']
    # Removing the link removed the link, not what it points to.
    assert (target / 'kept').read_bytes() == b'kept'

    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is False and result['removed'] == [] and result['changed_paths'] == []


def test_diff_of_a_removed_file_says_it_goes_without_its_text(tmp_path, run_module):
    path = write(tmp_path / 'old.conf', u'old text\n')
    code, result = run_module(file_set, {'_ansible_diff': True, 'absent': [str(path)]})
    assert code == 0 and result['removed'] == [str(path)]
    # It may have held a secret (a pruned password file): the state diff says it goes, its text is not shown.
    assert content_diffs(result) == []
    assert result['diff'][0]['after'] == {str(path): {'state': 'absent'}}
    assert 'old text' not in json.dumps(result)
    assert not path.exists()


# 7. Owner and mode only.

def test_a_file_with_the_right_content_gets_its_mode_without_being_rewritten(tmp_path, run_module):
    path = write(tmp_path / 'app.conf', u'port = 80\n', 0o666)
    inode = os.lstat(str(path)).st_ino
    args = {'files': [own(path=str(path), content=u'port = 80\n', mode='0640')]}
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is True and result['changed_paths'] == [str(path)]
    assert os.lstat(str(path)).st_ino == inode
    assert path.read_bytes() == b'port = 80\n' and mode_of(path) == 0o640
    assert os.listdir(str(tmp_path)) == ['app.conf']
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is False


def test_an_existing_directory_gets_its_mode_and_keeps_its_contents(tmp_path, run_module):
    directory = tmp_path / 'd'
    directory.mkdir()
    os.chmod(str(directory), 0o777)
    write(directory / 'inside', u'inside', 0o600)
    code, result = run_module(file_set, {'directories': [own(path=str(directory), mode='0755')]})
    assert code == 0 and result['changed_paths'] == [str(directory)]
    assert mode_of(directory) == 0o755
    assert (directory / 'inside').read_bytes() == b'inside' and mode_of(directory / 'inside') == 0o600


# 8. Links.

def test_a_link_replaces_a_regular_file(tmp_path, run_module):
    path = write(tmp_path / 'start', u'an old copy\n')
    args = {'links': [{'path': str(path), 'target': '../bin/run'}]}
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is True and result['changed_paths'] == [str(path)]
    assert path.is_symlink() and os.readlink(str(path)) == '../bin/run'
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is False and result['changed_paths'] == []


def test_a_correct_link_is_no_change_and_a_wrong_one_is_repointed(tmp_path, run_module):
    right = tmp_path / 'right'
    wrong = tmp_path / 'wrong'
    os.symlink('/etc/hostname', str(right))
    os.symlink('old-target', str(wrong))
    args = {'links': [{'path': str(right), 'target': '/etc/hostname'}, {'path': str(wrong), 'target': 'new-target'}]}
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed_paths'] == [str(wrong)]
    assert os.readlink(str(right)) == '/etc/hostname' and os.readlink(str(wrong)) == 'new-target'


def test_a_file_replaces_a_link_instead_of_writing_through_it(tmp_path, run_module):
    real = write(tmp_path / 'real', u'real\n')
    path = tmp_path / 'path'
    os.symlink('real', str(path))
    code, result = run_module(file_set, {'files': [own(path=str(path), content=u'own\n', mode='0644')]})
    assert code == 0 and result['changed_paths'] == [str(path)]
    assert not path.is_symlink() and path.read_bytes() == b'own\n' and real.read_bytes() == b'real\n'


# 9. Bad input: the field is named and nothing is written.

def valid_entries(tmp_path):
    """Entries that would all be written: a bad one next to them must stop them."""
    return {
        'directories': [own(path=str(tmp_path / 'made' / 'sub'), mode='0755')],
        'files': [own(path=str(tmp_path / 'made' / 'sub' / 'made.conf'), content=u'x', mode='0644')],
        'secret_files': [secret(path=str(tmp_path / 'made.key'), content=SECRET, mode='0600')],
        'links': [{'path': str(tmp_path / 'made.link'), 'target': 'made.key'}],
        'absent': [str(tmp_path / 'existing.conf')],
    }


def bad_cases():
    """(id, option, entry, message): entry goes first in option ('@' stands for tmp_path), except for a duplicate."""
    def case(name, option, entry, message, first=True):
        def args(tmp_path):
            built = valid_entries(tmp_path)
            if isinstance(entry, str):
                fill = entry.replace('@', str(tmp_path))
            else:
                fill = dict((k, (v.replace('@', str(tmp_path)) if isinstance(v, str) else v)) for k, v in entry.items())
                if 'owner' not in fill and option in ('directories', 'files', 'secret_files'):
                    fill = own(**fill)
            built[option] = [fill] + built.get(option, []) if first else built.get(option, []) + [fill]
            return built
        return pytest.param(args, message, id=name)

    return [
        case('mode-not-octal', 'files', {'path': '@/a.conf', 'content': 'x', 'mode': '644x'},
             "files[0].mode: '644x' is not an octal mode"),
        case('mode-python-octal', 'files', {'path': '@/a.conf', 'content': 'x', 'mode': '0o644'},
             "files[0].mode: '0o644' is not an octal mode"),
        case('directory-mode', 'directories', {'path': '@/d', 'mode': '0999'}, "directories[0].mode: '0999' is not an octal mode"),
        case('relative-directory', 'directories', {'path': 'relative/dir', 'mode': '0755'},
             "directories[0].path: 'relative/dir' is not an absolute path without .."),
        case('dot-dot-file', 'files', {'path': '@/made/../a.conf', 'content': 'x', 'mode': '0644'},
             "files[0].path: '@/made/../a.conf' is not an absolute path without .."),
        case('dot-dot-absent', 'absent', '@/x/../y', "absent[0].path: '@/x/../y' is not an absolute path without .."),
        case('absent-root', 'absent', '/', "absent[0].path: '/' is not an absolute path without .."),
        case('empty-link-target', 'links', {'path': '@/l', 'target': ''}, 'links[0].target: give the path the link points to'),
        case('no-pattern', 'prune', {'path': '@', 'patterns': []}, "prune[0].patterns: give at least one pattern"),
        case('relative-prune', 'prune', {'path': 'relative', 'patterns': ['*']},
             "prune[0].path: 'relative' is not an absolute path without .."),
        case('duplicate-file', 'files', {'path': '@/made/sub/made.conf', 'content': 'y', 'mode': '0644'},
             'files[1].path: @/made/sub/made.conf is also files[0]; name each path once', first=False),
        case('link-on-a-secret', 'links', {'path': '@/made.key', 'target': 'x'},
             'links[0].path: @/made.key is also secret_files[0]; name each path once'),
        case('unknown-user', 'files', {'path': '@/a.conf', 'content': 'x', 'mode': '0644', 'owner': 'hanet-no-such-user', 'group': GROUP},
             'files[0].owner: there is no user hanet-no-such-user on this host'),
        case('unknown-group', 'secret_files', {'path': '@/b.key', 'content_base64': 'eA==', 'mode': '0600', 'owner': OWNER,
                                               'group': 'hanet-no-such-group'},
             'secret_files[0].group: there is no group hanet-no-such-group on this host'),
        case('file-without-directory', 'files', {'path': '@/nowhere/a.conf', 'content': 'x', 'mode': '0644'},
             'files[0].path: the directory @/nowhere does not exist; add it to directories'),
        case('link-without-directory', 'links', {'path': '@/nowhere/l', 'target': 'x'},
             'links[0].path: the directory @/nowhere does not exist; add it to directories'),
        case('file-on-a-directory', 'files', {'path': '@/a-directory', 'content': 'x', 'mode': '0644'},
             'files[0].path: @/a-directory is a directory; a file or link cannot replace it'),
        case('link-on-a-directory', 'links', {'path': '@/a-directory', 'target': 'x'},
             'links[0].path: @/a-directory is a directory; a file or link cannot replace it'),
    ]


@pytest.mark.parametrize('args,message', bad_cases())
def test_bad_input_names_the_field_and_writes_nothing(tmp_path, run_module, args, message):
    (tmp_path / 'a-directory').mkdir()
    existing = write(tmp_path / 'existing.conf', u'stays\n')
    before = snapshot(tmp_path)
    code, result = run_module(file_set, args(tmp_path))
    assert code == 1, result
    assert message.replace('@', str(tmp_path)) in result['msg']
    assert snapshot(tmp_path) == before
    assert existing.read_bytes() == b'stays\n'
    for made in ('made', 'made.key', 'made.link'):
        assert not os.path.lexists(str(tmp_path / made))


# 10. Atomic writes.

def test_content_is_only_ever_written_under_the_final_mode_and_no_temporary_file_is_left(tmp_path, run_module, monkeypatch):
    seen = {'fchmod': [], 'rename': []}
    real_fchmod, real_rename = os.fchmod, os.rename

    def fchmod(handle, mode):
        info = os.fstat(handle)
        seen['fchmod'].append((info.st_size, stat.S_IMODE(info.st_mode)))
        return real_fchmod(handle, mode)

    def rename(source, destination):
        info = os.lstat(source)
        seen['rename'].append((os.path.dirname(source), os.path.basename(source), destination,
                               stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid))
        return real_rename(source, destination)
    monkeypatch.setattr(os, 'fchmod', fchmod)
    monkeypatch.setattr(os, 'rename', rename)

    conf = write(tmp_path / 'app.conf', u'old\n', 0o644)
    key = tmp_path / 'app.key'
    code, result = run_module(file_set, {
        'files': [own(path=str(conf), content=u'new\n', mode='0644')],
        'secret_files': [secret(path=str(key), content=SECRET, mode='0400')]})
    assert code == 0 and result['changed_paths'] == [str(conf), str(key)]
    # Each temporary file was empty and readable by its owner only until its final mode was set.
    assert seen['fchmod'] == [(0, 0o600), (0, 0o600)]
    assert [(d, n.startswith('.app.conf.'), t, m, u, g) for d, n, t, m, u, g in seen['rename'][:1]] == [
        (str(tmp_path), True, str(conf), 0o644, os.getuid(), os.getgid())]
    assert [(d, n.startswith('.app.key.'), t, m, u, g) for d, n, t, m, u, g in seen['rename'][1:]] == [
        (str(tmp_path), True, str(key), 0o400, os.getuid(), os.getgid())]
    assert sorted(os.listdir(str(tmp_path))) == ['app.conf', 'app.key']
    assert conf.read_bytes() == b'new\n' and key.read_bytes() == SECRET.encode('utf-8') and mode_of(key) == 0o400


def test_a_failed_rename_keeps_the_old_file_leaves_no_temporary_file_and_names_the_entry(tmp_path, run_module, monkeypatch):
    conf = write(tmp_path / 'app.conf', u'old\n', 0o644)
    directory = tmp_path / 'applied-first'

    def rename(source, destination):
        raise OSError(errno.EIO, 'Input/output error')
    monkeypatch.setattr(os, 'rename', rename)
    code, result = run_module(file_set, {
        'directories': [own(path=str(directory), mode='0755')],
        'files': [own(path=str(conf), content=u'new\n', mode='0600')]})
    assert code == 1
    assert result['msg'] == ('files[0].path: cannot make %s what was asked ([Errno 5] Input/output error); '
                             'the entries before it were applied' % conf)
    assert result['changed_paths'] == [str(directory)]
    assert conf.read_bytes() == b'old\n' and mode_of(conf) == 0o644
    assert sorted(os.listdir(str(tmp_path))) == ['app.conf', 'applied-first']


# Found by the first version of these tests (each failed then).

def test_an_unquoted_yaml_octal_mode_is_refused(tmp_path, run_module):
    path = tmp_path / 'app.conf'
    # What the controller sends for `mode: 0644` written without quotes.
    code, result = run_module(file_set, {'files': [own(path=str(path), content=u'x', mode=0o644)]})
    assert not path.exists() or mode_of(path) == 0o644, 'written with mode %04o' % mode_of(path)
    assert code == 1 and 'files[0].mode' in result['msg']


def test_a_directory_where_a_file_is_fails_before_anything_is_written(tmp_path, run_module):
    taken = write(tmp_path / 'taken', u'a file\n')
    made = tmp_path / 'made'
    args = {'directories': [own(path=str(made), mode='0755'), own(path=str(taken), mode='0755')]}
    code, result = run_module(file_set, args)
    assert code == 1 and 'directories[1].path' in result['msg']
    assert not made.exists(), 'directories[0] was created by a run that failed: %s' % result['msg']
    # Check mode, which applies nothing, must not report success for it either.
    code, result = run_module(file_set, args, check_mode=True)
    assert code == 1 and 'directories[1].path' in result['msg'], 'check mode reports %r' % result


def test_a_pruned_password_file_is_not_shown_in_the_diff(tmp_path, run_module):
    secrets = tmp_path / 'secrets'
    secrets.mkdir()
    write(secrets / 'vi_1.auth', SECRET, 0o600)
    write(secrets / 'vi_old.auth', u'oldpass1', 0o600)
    code, result = run_module(file_set, {
        '_ansible_diff': True,
        'secret_files': [secret(path=str(secrets / 'vi_1.auth'), content=SECRET, mode='0600')],
        'prune': [{'path': str(secrets), 'patterns': ['*.auth']}]})
    assert code == 0 and result['removed'] == [str(secrets / 'vi_old.auth')]
    assert not (secrets / 'vi_old.auth').exists()
    shown = json.dumps(result)
    assert 'oldpass1' not in shown and sha1(u'oldpass1') not in shown


def test_an_absent_path_that_holds_another_entry_is_refused(tmp_path, run_module):
    tree = tmp_path / 'tree'
    tree.mkdir()
    code, result = run_module(file_set, {'files': [own(path=str(tree / 'f'), content=u'x', mode='0644')],
                                         'absent': [str(tree)]})
    assert code == 1 and result['msg'].startswith('absent[0]: %s holds %s' % (tree, tree / 'f')), result['msg']
    assert os.listdir(str(tree)) == []


def test_a_setgid_directory_mode_is_taken(tmp_path, run_module):
    shared = tmp_path / 'shared'
    code, result = run_module(file_set, {'directories': [own(path=str(shared), mode='2775')]})
    assert code == 0 and result['changed'] is True
    assert mode_of(shared) == 0o2775
    code, result = run_module(file_set, {'directories': [own(path=str(shared), mode='2775')]})
    assert code == 0 and result['changed'] is False


def test_a_short_secret_in_a_path_does_not_mask_the_paths(tmp_path, run_module):
    # Ansible stars out a no_log value wherever it appears in the result: were the password itself the no_log
    # value, a password 'ucarp' would turn /etc/ucarp/v1.pass into /etc/********/v1.pass (and tell the secret).
    directory = tmp_path / 'ucarp'
    directory.mkdir()
    code, result = run_module(file_set, {'_ansible_diff': True,
                                         'secret_files': [secret(path=str(directory / 'v1.pass'), content=u'ucarp',
                                                                 mode='0600')]})
    assert code == 0 and result['changed_paths'] == [str(directory / 'v1.pass')]
    assert '********' not in json.dumps(dict((k, v) for k, v in result.items() if k != 'invocation'))
    assert (directory / 'v1.pass').read_bytes() == b'ucarp'


def test_a_secret_that_is_not_base64_is_refused(tmp_path, run_module):
    code, result = run_module(file_set, {'secret_files': [own(path=str(tmp_path / 'k'), content_base64='not base64!',
                                                              mode='0600')]})
    assert code == 1 and result['msg'].startswith('secret_files[0].content_base64: not base64')
    assert os.listdir(str(tmp_path)) == []


def test_a_directory_given_as_a_link_to_a_directory_is_that_directory(tmp_path, run_module):
    real = tmp_path / 'real'
    real.mkdir(mode=0o700)
    os.chmod(str(real), 0o700)
    os.symlink(str(real), str(tmp_path / 'moved'))
    args = {'directories': [own(path=str(tmp_path / 'moved'), mode='0755')],
            'files': [own(path=str(tmp_path / 'moved' / 'f'), content=u'x\n', mode='0644')]}
    code, result = run_module(file_set, args)
    assert code == 0, result['msg']
    assert mode_of(real) == 0o755 and (real / 'f').read_bytes() == b'x\n'
    assert os.path.islink(str(tmp_path / 'moved'))
    code, result = run_module(file_set, args)
    assert code == 0 and result['changed'] is False


def test_paths_built_from_a_directory_with_a_trailing_slash_are_normalised(tmp_path, run_module):
    code, result = run_module(file_set, {'files': [own(path=str(tmp_path) + '//f', content=u'x', mode='0644')]})
    assert code == 0 and result['changed_paths'] == [str(tmp_path / 'f')]


def test_prune_leaves_hidden_files_to_a_dot_pattern(tmp_path, run_module):
    write(tmp_path / '.v1.auth.tmp', u'x')
    write(tmp_path / 'v2.auth', u'x')
    code, result = run_module(file_set, {'prune': [{'path': str(tmp_path), 'patterns': ['*.auth*']}]})
    assert code == 0 and result['removed'] == [str(tmp_path / 'v2.auth')]
    assert os.listdir(str(tmp_path)) == ['.v1.auth.tmp']


def test_prune_of_a_directory_given_unnormalised_keeps_the_named_files(tmp_path, run_module):
    keep = write(tmp_path / 'keep.auth', u'k', 0o600)
    write(tmp_path / 'old.auth', u'o', 0o600)
    code, result = run_module(file_set, {
        'secret_files': [secret(path=str(keep), content=u'k', mode='0600')],
        # As a role builds it from a setting given as /dir/ (dir ~ '/' ~ name), and with a doubled slash inside.
        'prune': [{'path': str(tmp_path).replace('/', '//', 2) + '/', 'patterns': ['*.auth']}]})
    assert code == 0 and result['removed'] == [str(tmp_path / 'old.auth')]
    assert keep.read_bytes() == b'k'
