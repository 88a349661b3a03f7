# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A set of directories, files and links put in place in one pass (hanet.failover.file_set).

A role that installs a dozen small files with ``copy``, ``template`` and ``file`` pays one module run per file
(two for a copy that is already right: stat, then file) and one task per loop. Here the whole set is read, compared
and written in one run. Everything is checked before anything changes: a bad entry fails the run with nothing
written. Files are written to a temporary file in their directory that already has their owner and mode, then
renamed over the old one, so a reader never sees half a file and a secret is never readable by others.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import errno
import fnmatch
import grp
import hashlib
import os
import pwd
import re
import shutil
import stat
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_text

MODE_PATTERN = re.compile(r'^[0-7]?[0-7]{3}$')
SECRET_TEXT = '<secret: not shown>'
# copy and template show no diff of a larger file either.
DIFF_LIMIT = 100000


class FileSetError(Exception):
    """Bad input: the message names the field and the fix."""


def parse_mode(field, mode):
    # YAML reads an unquoted 0644 as the number 420: refused, not written as mode 0420.
    text = mode if isinstance(mode, str) else None
    if text is None or not MODE_PATTERN.match(text):
        raise FileSetError("%s.mode: %r is not an octal mode; give it as a quoted string such as '0644'" % (field, mode))
    return int(text, 8)


def user_id(field, name):
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        raise FileSetError('%s.owner: there is no user %s on this host' % (field, name))


def group_id(field, name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise FileSetError('%s.group: there is no group %s on this host' % (field, name))


def _absolute(field, path):
    """The path, normalised (a role's DIR ~ '/' ~ NAME with DIR given as /etc/example/ is /etc/example/NAME)."""
    if not path or not os.path.isabs(path) or '/../' in path + '/' or os.path.normpath(path) == '/':
        raise FileSetError('%s.path: %r is not an absolute path without .. (such as /etc/example/file)' % (field, path))
    return os.path.normpath(path).replace('//', '/')


def decoded(field, text):
    """A secret file's content, given in base64 (so that the secret itself is never a value Ansible masks in the
    result: a short password would be starred out of every path that holds it)."""
    try:
        return base64.b64decode(to_bytes(text, errors='surrogate_or_strict'), validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise FileSetError("%s.content_base64: not base64; give the secret as {{ secret | b64encode }}" % field)


def _lstat(path):
    try:
        return os.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise


def sha1(data):
    return hashlib.sha1(data).hexdigest()


class Entry:
    """One path of the set: what it should be (kind directory, file or link, or absent)."""

    def __init__(self, field, kind, path, mode=None, owner=None, group=None, content=None, target=None,
                 secret=False, force=True):
        self.field, self.kind, self.path = field, kind, path
        self.mode, self.owner, self.group = mode, owner, group
        self.content, self.target, self.secret, self.force = content, target, secret, force
        # What is there already and stays as it is (force false).
        self.kept = None

    def keep_existing(self, state):
        """With force false, whatever is there already (a file another program owns, or a link to it) is left
        alone, content, owner and mode, as copy's force: false does."""
        if self.kind == 'file' and not self.force and state['state'] != 'absent':
            self.kept = state

    def wanted(self):
        """The state this entry asks for, as the tracker records it."""
        if self.kept is not None:
            return self.kept
        if self.kind == 'absent':
            return {'state': 'absent'}
        state = {'state': self.kind}
        if self.kind == 'link':
            state['target'] = self.target
            return state
        state.update(mode='%04o' % self.mode, owner=self.owner, group=self.group)
        if self.kind == 'file':
            state['sha1'] = sha1(self.content)
        return state


def shown(entry, before, side):
    """The state of one side (before or after) as the diff shows it: a secret file's checksum would let a short
    secret be guessed offline, so it only says whether the secret changes."""
    state = before if side == 'before' else entry.wanted()
    if entry.kind == 'absent' and 'sha1' in state:
        # What a removed file held is not shown: it may be a secret (a pruned password file).
        return dict(state, sha1='<removed>')
    if not entry.secret or 'sha1' not in state:
        return state
    same = before.get('sha1') == entry.wanted()['sha1']
    return dict(state, sha1='<secret>' if same else '<secret, %s>' % side)


def mode_and_owners(info):
    """A stat result's permission bits in octal ('0644') and its owner's and group's names (the ids where they have
    none): as the tracker compares them, and as failover_info reports them."""
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return {'mode': '%04o' % stat.S_IMODE(info.st_mode), 'owner': owner, 'group': group}


def current(path, follow=False):
    """The state of a path now, in the tracker's terms. ``follow``: a link to a directory is that directory (a
    directory entry, as the file module takes it)."""
    info = _lstat(path)
    if info is None:
        return {'state': 'absent'}
    if stat.S_ISLNK(info.st_mode):
        if follow and os.path.isdir(path):
            info = os.stat(path)
        else:
            return {'state': 'link', 'target': os.readlink(path)}
    state = mode_and_owners(info)
    if stat.S_ISDIR(info.st_mode):
        state['state'] = 'directory'
    elif stat.S_ISREG(info.st_mode):
        state['state'] = 'file'
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(handle, 'rb') as stream:
            state['sha1'] = sha1(stream.read())
    else:
        state['state'] = 'other'
    return state


def entries_from_params(params, check_mode=False):
    """Check every entry and return them in the order they are applied (directories first, absent last).

    Raises FileSetError on the first bad entry, before anything is read or changed."""
    entries, seen = [], {}

    def add(entry):
        # The same directory twice with the same owner and mode (two settings that name one place) is one entry.
        if entry.kind == 'directory' and any(e.path == entry.path and e.kind == 'directory' and e.wanted() == entry.wanted()
                                             for e in entries):
            return
        if entry.path in seen:
            raise FileSetError('%s.path: %s is also %s; name each path once' % (entry.field, entry.path, seen[entry.path]))
        seen[entry.path] = entry.field
        entries.append(entry)

    for index, item in enumerate(params.get('directories') or []):
        field = 'directories[%d]' % index
        add(Entry(field, 'directory', _absolute(field, item['path']), parse_mode(field, item['mode']),
                  item['owner'], item['group']))
    for option, secret in (('files', False), ('secret_files', True)):
        for index, item in enumerate(params.get(option) or []):
            field = '%s[%d]' % (option, index)
            if secret:
                content = decoded(field, item['content_base64'])
            else:
                content = to_bytes(item['content'], errors='surrogate_or_strict')
            add(Entry(field, 'file', _absolute(field, item['path']), parse_mode(field, item['mode']),
                      item['owner'], item['group'], content=content, secret=secret, force=item['force']))
    for index, item in enumerate(params.get('links') or []):
        field = 'links[%d]' % index
        if not item['target']:
            raise FileSetError('%s.target: give the path the link points to' % field)
        add(Entry(field, 'link', _absolute(field, item['path']), target=item['target']))
    for index, path in enumerate(params.get('absent') or []):
        field = 'absent[%d]' % index
        add(Entry(field, 'absent', _absolute(field, path)))
    for entry in entries:
        # In check mode a user the same run creates first (a service's own user) is not there yet.
        if entry.kind in ('directory', 'file') and not check_mode:
            user_id(entry.field, entry.owner)
            group_id(entry.field, entry.group)
    for index, item in enumerate(params.get('prune') or []):
        field = 'prune[%d]' % index
        _absolute(field, item['path'])
        if not item['patterns']:
            raise FileSetError("%s.patterns: give at least one pattern, such as '*.conf'" % field)
    return entries


def parents_exist(entries, check_mode=False):
    """Fail when a file or link would go into a directory that neither exists nor is in the set (in check mode an
    earlier task of the same run may create it: only a directory in the way of a file fails there)."""
    directories = set(e.path for e in entries if e.kind == 'directory')
    # A listed directory's missing parents are created with it: they count as listed too.
    for path in list(directories):
        while path != '/':
            path = os.path.dirname(path)
            directories.add(path)
    for entry in entries:
        if entry.kind in ('file', 'link'):
            parent = os.path.dirname(entry.path)
            if parent not in directories and not os.path.isdir(parent) and not check_mode:
                raise FileSetError('%s.path: the directory %s does not exist; add it to directories'
                                   % (entry.field, parent))
        info = _lstat(entry.path)
        if entry.kind in ('file', 'link') and info is not None and stat.S_ISDIR(info.st_mode):
            raise FileSetError('%s.path: %s is a directory; a file or link cannot replace it'
                               % (entry.field, entry.path))
        if entry.kind == 'directory' and info is not None and not os.path.isdir(entry.path):
            raise FileSetError('%s.path: %s is there and is not a directory; remove it first'
                               % (entry.field, entry.path))
    # An absent path that holds another entry would remove what that entry just put there, at every run.
    for gone in (e for e in entries if e.kind == 'absent'):
        for entry in entries:
            if entry.kind != 'absent' and entry.path.startswith(gone.path + '/'):
                raise FileSetError('%s: %s holds %s (%s); it cannot be both removed and put in place'
                                   % (gone.field, gone.path, entry.path, entry.field))


def pruned(prune, entries):
    """The absent entries ``prune`` adds: files in each directory that match a pattern and are not in the set."""
    kept = set(e.path for e in entries)
    extra = []
    for index, item in enumerate(prune or []):
        # Normalised as every other path of the set, so that a path named in it is matched here.
        directory = _absolute('prune[%d]' % index, item['path'])
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                continue
            raise
        for name in names:
            path = os.path.join(directory, name)
            # As the shell matches: a hidden file (a write's leftover temporary file) only for a pattern that starts
            # with a dot.
            if path in kept or not any(fnmatch.fnmatchcase(name, p) and (p.startswith('.') or not name.startswith('.'))
                                       for p in item['patterns']):
                continue
            info = _lstat(path)
            if info is not None and (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                extra.append(Entry('prune[%d]' % index, 'absent', path))
                kept.add(path)
    return extra


def text_of(path, entry=None):
    """A file's text for the diff (what a secret holds is never shown)."""
    if entry is not None and entry.secret:
        return SECRET_TEXT + '\n'
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except (IOError, OSError):
        return ''
    if len(data) > DIFF_LIMIT:
        return '<%d bytes: too large to show>\n' % len(data)
    try:
        return to_text(data, errors='strict')
    except UnicodeError:
        return '<binary: %d bytes, sha1 %s>\n' % (len(data), sha1(data))


def content_diffs(entries, before):
    """Before/after text of each file whose content changes (for --diff). A removed file's text is not shown (it
    may hold a secret): the state diff says it goes."""
    diffs = []
    for entry in entries:
        old = before[entry.path]
        if entry.kind == 'file' and old.get('sha1') != entry.wanted()['sha1']:
            if entry.secret:
                after = SECRET_TEXT + '\n'
            elif len(entry.content) > DIFF_LIMIT:
                after = '<%d bytes: too large to show>\n' % len(entry.content)
            else:
                after = to_text(entry.content, errors='surrogate_or_replace')
            diffs.append({'before_header': entry.path, 'after_header': entry.path,
                          'before': text_of(entry.path, entry) if old['state'] == 'file' else '',
                          'after': after})
    return diffs


def _write(entry, old):
    directory = os.path.dirname(entry.path)
    handle, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(entry.path))
    try:
        # Owner and mode first: the new content is never readable by anyone the final file would not allow.
        os.fchown(handle, user_id(entry.field, entry.owner), group_id(entry.field, entry.group))
        os.fchmod(handle, entry.mode)
        with os.fdopen(handle, 'wb') as stream:
            handle = None
            stream.write(entry.content)
            stream.flush()
            os.fsync(stream.fileno())
        # rename replaces a link that is there, not what it points to.
        os.rename(tmp, entry.path)
        tmp = None
    finally:
        if handle is not None:
            os.close(handle)
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)


def _set_attributes(entry):
    """Owner and mode through a descriptor: a file swapped for a link since it was read (by a user who owns its
    directory) is refused, never followed. A directory entry may be a link to a directory (as with the file
    module)."""
    flags = os.O_RDONLY | os.O_NONBLOCK
    flags |= os.O_DIRECTORY if entry.kind == 'directory' else os.O_NOFOLLOW
    handle = os.open(entry.path, flags)
    try:
        info = os.fstat(handle)
        if entry.kind == 'file' and not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EEXIST, '%s is no longer a regular file' % entry.path)
        os.fchown(handle, user_id(entry.field, entry.owner), group_id(entry.field, entry.group))
        os.fchmod(handle, entry.mode)
    finally:
        os.close(handle)


def _make_directories(entry):
    """Create a directory and its missing parents, each with the entry's owner and mode (as the file module does)."""
    missing, path = [], entry.path
    while _lstat(path) is None:
        missing.append(path)
        path = os.path.dirname(path)
    for path in reversed(missing):
        os.mkdir(path, 0o700)
        os.chown(path, user_id(entry.field, entry.owner), group_id(entry.field, entry.group))
        os.chmod(path, entry.mode)


def apply(entry, old):
    """Make one path what its entry asks (``old``: its current state). Returns nothing; raises OSError."""
    wanted = entry.wanted()
    if old == wanted:
        return
    if entry.kind == 'directory':
        if old['state'] == 'absent':
            _make_directories(entry)  # each with the entry's owner and mode already
        elif old['state'] != 'directory':
            raise OSError(errno.EEXIST, '%s exists and is not a directory' % entry.path)
        else:
            _set_attributes(entry)
    elif entry.kind == 'file':
        if old.get('sha1') != wanted['sha1'] or old['state'] != 'file':
            _write(entry, old)
        else:
            _set_attributes(entry)
    elif entry.kind == 'link':
        if old['state'] not in ('absent', 'link', 'file'):
            raise OSError(errno.EEXIST, '%s exists and is not a file or link' % entry.path)
        # A new link beside it, renamed over it: the path always exists.
        tmp = os.path.join(os.path.dirname(entry.path), '.%s.%s' % (os.path.basename(entry.path), os.getpid()))
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(entry.target, tmp)
        os.rename(tmp, entry.path)
    elif entry.kind == 'absent':
        if old['state'] == 'directory':
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
