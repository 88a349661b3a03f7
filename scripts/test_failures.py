# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""What failed in make test's lab suites, in a few lines, printed last.

    python scripts/test_failures.py QUEUE_DIR

The lab suites run side by side and make prints each one's output when it ends, so a failure early in the run
scrolls far up, and a CI log that keeps only its tail would not show it. Each suite keeps its output in
QUEUE_DIR/logs (the fault suite's parts as faults-BACKEND.log, each queue item as ITEM.log), and each one that
failed is a line of QUEUE_DIR/failed (scripts/test-queue). For each, this prints the lines that say what failed:
pytest's short summary (FAILED/ERROR lines), or else Ansible's failed tasks and Molecule's critical lines (a
passing scenario has failed tasks too, expected ones: only failed suites are read), each with what its result
says (the msg, assertion, stderr and rc lines the YAML callback prints below it). Exits 0: it only reports.
"""

from __future__ import absolute_import, division, print_function

import os
import re
import sys

ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
# pytest -rfE's short summary, and the count line.
PYTEST = re.compile(r'^(FAILED|ERROR) \S+\.py|\b[0-9]+ (failed|errors?)\b.* in [0-9.]+s')
# Ansible and Molecule (Molecule's box-drawing margin is stripped first; the indentation after it is kept, as the
# results below a failed task are read by it). ansible-core 2.19 prints errors as [ERROR]:, older ones as ERROR!.
ANSIBLE = re.compile(r'fatal: \[|failed: \[|FAILED! =>|CRITICAL |ERROR! |\[ERROR\]: ')
MARGIN = re.compile(r'^\s*[\u2502\u2514\u2500\u250c]+ ?')
# The keys of a failed task's result (the YAML callback prints it, indented, under the failed line) that say why:
# only those at the result's own level (a looped task's item holds a registered result with keys of the same names).
RESULT_KEYS = ('msg', 'assertion', 'stderr', 'rc', 'cmd')
KEY = re.compile(r'^( *)([A-Za-z_]+):(.*)$')
BLOCK = re.compile(r'^[|>][0-9+-]*$')  # a block scalar's header: its lines follow
WIDTH = 400
PER_LOG = 6


def failure_lines(path):
    with open(path, encoding='utf-8', errors='replace') as handle:
        lines = [MARGIN.sub('', ANSI.sub('', line.rstrip('\n'))) for line in handle]
    found = [line.strip() for line in lines if PYTEST.search(line)]
    if not found:
        for index, line in enumerate(lines):
            if ANSIBLE.search(line):
                found.append(' '.join([line.strip()] + result_lines(lines[index + 1:])))
    return [line if len(line) <= WIDTH else line[:WIDTH] + ' ...' for line in found]


def result_lines(after):
    """What the result printed below a failed task says about why: its top-level msg, assertion, stderr, rc and cmd,
    each with its continuation lines (YAML folds long values and lists onto more-indented lines) joined, the
    message first, as the line may be cut at WIDTH. The result ends at a blank line or the next task."""
    values, level, current = {}, None, None
    for line in after:
        if not line.strip() or ANSIBLE.search(line) or line.lstrip().startswith(('TASK [', 'PLAY ')):
            break
        indent = len(line) - len(line.lstrip(' '))
        if level is None:
            level = indent
        if indent < level:
            break
        key = KEY.match(line)
        if indent == level and key:
            current = key.group(2) if key.group(2) in RESULT_KEYS else None
            if current:
                values[current] = [key.group(3).strip()]
        elif current and (indent > level or line.lstrip().startswith('- ')):  # YAML puts a list's items at its key's level
            values[current].append(line.strip())
    why = []
    for name in RESULT_KEYS:
        if name in values:
            parts = [re.sub(r'^- ', '', p) for p in values[name] if p and not BLOCK.match(p)]
            why.append('%s: %s' % (name, ' '.join(parts)))
    return ['| ' + w for w in why]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write('usage: test_failures.py QUEUE_DIR\n')
        return 2
    # Molecule's box drawing and undecodable bytes (read as U+FFFD) must not fail the report on a non-UTF-8 stdout.
    sys.stdout.reconfigure(errors='replace')
    log_dir = os.path.join(argv[1], 'logs')
    try:
        with open(os.path.join(argv[1], 'failed'), encoding='utf-8') as handle:
            failed = [name for name in handle.read().split() if name]
    except FileNotFoundError:
        return 0
    print('=== what failed (the whole output of each is above, and in %s):' % log_dir)
    for name in failed:
        path = os.path.join(log_dir, name + '.log')
        lines = failure_lines(path) if os.path.exists(path) else ['(no log: %s)' % path]
        print('--- %s' % name)
        # The last ones: a scenario stops at its failure, and pytest's summary is at the end.
        if len(lines) > PER_LOG:
            print('    ... %d more before' % (len(lines) - PER_LOG))
        for line in lines[-PER_LOG:] or ['(no failure line found; see the log)']:
            print('    ' + line)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
