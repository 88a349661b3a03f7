#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hanet.failover contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: file_set
short_description: Put a set of directories, files and links in place in one call
version_added: 0.2.0
description:
  - Creates directories, writes files from given content, makes symbolic links and removes paths, all in one
    module run. The collection's roles install their scripts, code and configuration with it, where one C(copy),
    C(template) or C(file) task per file (and per loop item) would cost one module run each.
  - Every entry is checked before anything changes (absolute paths, each path once, octal modes, existing users
    and groups, a parent directory that exists or is in O(directories)). A bad entry fails the task with nothing
    written. In check mode a missing user, group or parent directory is not an error, since an earlier task of
    the same run may create it.
  - A file is written to a temporary file in its own directory that already has the file's owner and mode, then
    renamed over the old file. A reader never sees half a file, and a secret is never readable by others.
  - Only the paths given are touched, and with O(prune) only the files that match its patterns in its directory.
author:
  - hanet.failover contributors (@hanet)
extends_documentation_fragment:
  - hanet.failover.attributes
options:
  directories:
    description:
      - Directories to create or correct. Missing parents are created with the same owner and mode.
      - A directory given twice with the same owner and mode counts once.
      - The mode of an existing directory is set; its contents are left alone.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path. A link to a directory counts as that directory.
        type: path
        required: true
      mode:
        description:
          - Octal mode as a quoted string, such as V('0755') or V('2775'). An unquoted V(0755) is a number to
            YAML (493) and is refused.
        type: raw
        required: true
      owner:
        description: User name.
        type: str
        default: root
      group:
        description: Group name.
        type: str
        default: root
  files:
    description:
      - Regular files and their whole content. Their text shows in the diff.
      - Use C(lookup('ansible.builtin.template', ...)) or C(lookup('ansible.builtin.file', ..., rstrip=false)) to
        give a template's or a file's content.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path. Its directory must exist or be in O(directories).
        type: path
        required: true
      content:
        description: The file's content, written as UTF-8.
        type: str
        required: true
      force:
        description:
          - V(false) writes the file only where nothing is there. What is there (a state file another program
            owns, or a link) is left as it is, content, owner and mode, as with C(ansible.builtin.copy).
        type: bool
        default: true
      mode:
        description:
          - Octal mode as a quoted string, such as V('0644'). An unquoted V(0644) is a number to YAML and is refused.
        type: raw
        required: true
      owner:
        description: User name.
        type: str
        default: root
      group:
        description: Group name.
        type: str
        default: root
  secret_files:
    description:
      - Like O(files), for files that hold a secret. Their content is C(no_log) and never shown in a diff or a
        result (the diff says that a secret changed, not what it is).
      - The content is given base64-encoded (C({{ secret | b64encode }})). Ansible stars out a C(no_log) value
        wherever it appears in the task's result; given as it is, a short password would be starred out of every
        path that contains it.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path. Its directory must exist or be in O(directories).
        type: path
        required: true
      content_base64:
        description: The file's content, base64-encoded.
        type: str
        required: true
      force:
        description:
          - V(false) writes the file only where nothing is there. What is there (a state file another program
            owns, or a link) is left as it is, content, owner and mode, as with C(ansible.builtin.copy).
        type: bool
        default: true
      mode:
        description:
          - Octal mode as a quoted string, such as V('0600'). An unquoted V(0600) is a number to YAML and is refused.
        type: raw
        required: true
      owner:
        description: User name.
        type: str
        default: root
      group:
        description: Group name.
        type: str
        default: root
  links:
    description: Symbolic links. A file or link already at the path is replaced.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the link.
        type: path
        required: true
      target:
        description: What the link points to, as written in the link (relative or absolute).
        type: str
        required: true
  absent:
    description:
      - Paths to remove. A directory is removed with everything in it.
      - A removed file's content is not shown in the diff (it may hold a secret).
    type: list
    elements: path
    default: []
  prune:
    description:
      - Remove the regular files and links in a directory that match a pattern and are not in O(files),
        O(secret_files) or O(links). Subdirectories are left alone. A missing directory is not an error.
      - As in the shell, a pattern matches a hidden file (a name that starts with a dot) only if it starts with a
        dot itself.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the directory.
        type: path
        required: true
      patterns:
        description: Shell patterns of file names, such as V(*.auth).
        type: list
        elements: str
        required: true
notes:
  - Does not manage SELinux contexts, ACLs or extended attributes.
seealso:
  - module: ansible.builtin.copy
  - module: ansible.builtin.file
'''

EXAMPLES = r'''
- name: Install a script, its configuration and a secret, in one module run
  hanet.failover.file_set:
    directories:
      - path: /usr/local/libexec/example
        mode: '0755'
    files:
      - path: /usr/local/libexec/example/run
        content: "{{ lookup('ansible.builtin.file', 'run', rstrip=false) }}"
        mode: '0755'
      - path: /etc/example.conf
        content: "{{ lookup('ansible.builtin.template', 'example.conf.j2') }}"
        mode: '0644'
    secret_files:
      - path: /etc/example.key
        content_base64: "{{ example_key | b64encode }}"
        mode: '0600'
    links:
      - path: /usr/local/libexec/example/start
        target: run
    prune:
      - path: /etc/example.d
        patterns: ['*.conf']
  register: example_files
  notify: Restart example

- name: Remove what an earlier version installed
  hanet.failover.file_set:
    absent:
      - /usr/local/libexec/example-old
'''

RETURN = r'''
changed_paths:
  description: The paths created, changed or removed (or that would be, in check mode), in the order applied.
  returned: always
  type: list
  elements: str
  sample: ["/etc/example.conf", "/etc/example.d/old.conf"]
removed:
  description: The paths removed by O(absent) and O(prune) (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["/etc/example.d/old.conf"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hanet.failover.plugins.module_utils._change_tracker import ChangeTracker
from ansible_collections.hanet.failover.plugins.module_utils import _file_set as file_set

OWNERSHIP = dict(owner=dict(type='str', default='root'), group=dict(type='str', default='root'))


def file_options(secret):
    content = dict(content_base64=dict(type='str', required=True, no_log=True)) if secret else dict(
        content=dict(type='str', required=True))
    return dict(path=dict(type='path', required=True), mode=dict(type='raw', required=True),
                force=dict(type='bool', default=True), **dict(OWNERSHIP, **content))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type='list', elements='dict', default=[],
                             options=dict(path=dict(type='path', required=True), mode=dict(type='raw', required=True),
                                          **OWNERSHIP)),
            files=dict(type='list', elements='dict', default=[], options=file_options(False)),
            # The list itself is not the secret: each entry's content is (no_log there).
            secret_files=dict(type='list', elements='dict', default=[], options=file_options(True), no_log=False),
            links=dict(type='list', elements='dict', default=[],
                       options=dict(path=dict(type='path', required=True), target=dict(type='str', required=True))),
            absent=dict(type='list', elements='path', default=[]),
            prune=dict(type='list', elements='dict', default=[],
                       options=dict(path=dict(type='path', required=True),
                                    patterns=dict(type='list', elements='str', required=True))),
        ),
        supports_check_mode=True,
    )
    try:
        entries = file_set.entries_from_params(module.params, module.check_mode)
        file_set.parents_exist(entries, module.check_mode)
        entries += file_set.pruned(module.params['prune'], entries)
        before = dict((e.path, file_set.current(e.path, follow=e.kind == 'directory')) for e in entries)
        for entry in entries:
            entry.keep_existing(before[entry.path])
    except file_set.FileSetError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read what is there now: %s' % exc)

    changing = [e for e in entries if before[e.path] != e.wanted()]
    tracker = ChangeTracker(dict((e.path, file_set.shown(e, before[e.path], 'before')) for e in changing))
    tracker.replace(dict((e.path, file_set.shown(e, before[e.path], 'after')) for e in changing))
    diffs = [tracker.diff()] + file_set.content_diffs(changing, before) if module._diff and changing else []

    if not module.check_mode:
        for entry in changing:
            try:
                file_set.apply(entry, before[entry.path])
            except (IOError, OSError) as exc:
                done = [e.path for e in changing[:changing.index(entry)]]
                module.fail_json(msg='%s.path: cannot make %s what was asked (%s); the entries before it were applied'
                                     % (entry.field, entry.path, exc), changed=bool(done), changed_paths=done)
    result = dict(changed=tracker.changed, changed_paths=[e.path for e in changing],
                  removed=[e.path for e in changing if e.kind == 'absent'])
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
