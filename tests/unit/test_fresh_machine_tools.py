# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every command `make test`, `make demo` and `make bench` run on this machine comes from a package that
scripts/bootstrap installs, or from Debian's required set.

A green CI once hid a missing install step: the fault suite called ``nft`` and bootstrap did not install
nftables, so `make test` failed on every fresh machine. This test finds the commands in command position in the
Makefile, .ci/run, scripts/, tests/, bench/ and the Molecule scenarios, asks dpkg which package provides each one
that exists here, and fails when that package is neither required by Debian nor in bootstrap's APT_PACKAGES.
A command this machine does not have at all cannot be attributed to a package. After bootstrap that is exactly
what a missing install step looks like, so every command of KNOWN_TOOLS (tools a minimal Debian lacks that
suites like these call) that the repository uses must be present; other unknown words in command position
cannot be told from shell functions and test data, and are left out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re
import shutil
import subprocess

import pytest

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..'))
# Debian's own directories only: the venv, pyenv and /usr/local are not what a fresh machine has.
SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin'
# Commands the suites run only inside the lab's containers (podman exec / nsenter), where the image or the
# roles provide them; the host needs none of them.
IN_CONTAINERS = frozenset(['systemctl', 'journalctl', 'keepalived', 'ucarp', 'apt-get', 'dpkg-query', 'cibadmin',
                           'crm_verify', 'crm_diff', 'crm_mon', 'crm_standby', 'crm_attribute', 'crm_node',
                           'corosync-cfgtool'])
# Tools a minimal Debian machine lacks and test suites like these call: used anywhere, they must be installed.
KNOWN_TOOLS = frozenset([
    'nft', 'iptables', 'tcpdump', 'tshark', 'podman', 'runc', 'debootstrap', 'apt-ftparchive', 'shellcheck', 'rsync',
    'arping', 'ping', 'ssh', 'sshd', 'sshpass', 'ssh-keygen', 'firewall-cmd', 'crm', 'pcs', 'corosync-cfgtool',
    'cibadmin', 'stress-ng', 'stress', 'bc', 'jq', 'socat', 'ethtool', 'bridge', 'ip', 'sysctl', 'ps', 'pkill',
    'make', 'git', 'curl', 'wget', 'hyperfine', 'chrt', 'taskset', 'qemu-system-x86_64', 'keepalived', 'ucarp',
])
SHELL_SOURCES = ['Makefile', '.ci/run', 'scripts']
PYTHON_SOURCES = ['tests', 'bench', 'docs', 'scripts']
YAML_SOURCES = ['extensions/molecule', 'tests']
# Words that put the next word in command position.
PREFIXES = frozenset(['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', 'exec', 'command', 'time', 'nice',
                      'timeout', 'xargs', 'env', 'sudo', 'nsenter', 'setsid', 'stdbuf'])
SUBPROCESS_CALLS = frozenset(['run', 'check_output', 'check_call', 'call', 'Popen', 'sh', 'system'])
WORD = re.compile(r'^[a-z][a-z0-9.+_-]*$')


def bootstrap_packages(text):
    """The names in scripts/bootstrap's APT_PACKAGES=( ... ) array, comments dropped."""
    match = re.search(r'^APT_PACKAGES=\((.*?)^\)', text, re.M | re.S)
    assert match, 'scripts/bootstrap has no APT_PACKAGES=( ... ) array'
    words = []
    for line in match.group(1).splitlines():
        words.extend(line.split('#', 1)[0].split())
    return set(words)


def shell_commands(text):
    """Words in command position in shell text (a Makefile recipe counts as shell)."""
    found = set()
    for line in text.splitlines():
        line = line.split(' #', 1)[0]
        if line.lstrip().startswith('#'):
            continue
        for segment in re.split(r'\|\||&&|[|;`(]|\$\(', line):
            words = segment.replace('@', ' ').split()
            while words and (words[0] in PREFIXES or words[0].startswith('-') or '=' in words[0]
                             or words[0].isdigit()):
                words.pop(0)
            if words and WORD.match(words[0]):
                found.add(words[0])
    return found


def python_commands(text):
    """First elements of literal argument lists, and first words of strings handed to subprocess-like calls."""
    found = set()
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
            first = node.elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and WORD.match(first.value):
                found.add(first.value)
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, 'attr', None) or getattr(node.func, 'id', None)
            first = node.args[0]
            if name in SUBPROCESS_CALLS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found |= shell_commands(first.value)
    return found


def yaml_commands(text):
    """Commands of command/shell tasks (inline, folded or argv forms)."""
    found = set()
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r'^\s*(?:-\s+)?(?:ansible\.builtin\.)?(?:command|shell|cmd|argv):\s*(.*)$', line)
        if not match:
            continue
        value = match.group(1).strip()
        if value in ('', '>-', '>', '|', '|-') and index + 1 < len(lines):
            value = lines[index + 1].strip()
        value = value.lstrip('[').strip('"\'')
        if value.startswith('{{'):
            continue
        found |= shell_commands(value.replace(',', ' '))
    return found


def _files(top, suffixes=None):
    path = os.path.join(REPO, top)
    if os.path.isfile(path):
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith('.') and d != '__pycache__']
        for name in files:
            full = os.path.join(root, name)
            if suffixes is None or name.endswith(suffixes):
                yield full


def _is_python(path):
    if path.endswith('.py'):
        return True
    with open(path, 'rb') as handle:
        return b'python' in handle.readline()


def repo_commands():
    """{command: [files]} over everything `make test`, `make demo` and `make bench` run on the host."""
    found = {}

    def add(commands, path):
        for command in commands:
            found.setdefault(command, []).append(os.path.relpath(path, REPO))

    for top in SHELL_SOURCES:
        for path in _files(top):
            if not _is_python(path):
                with open(path) as handle:
                    add(shell_commands(handle.read()), path)
    for top in PYTHON_SOURCES:
        for path in _files(top):
            if _is_python(path):
                with open(path) as handle:
                    add(python_commands(handle.read()), path)
    for top in YAML_SOURCES:
        for path in _files(top, ('.yml', '.yaml')):
            with open(path) as handle:
                add(yaml_commands(handle.read()), path)
    return found


def providing_package(command):
    """(package, priority, essential) of the Debian package that installs COMMAND here, or None."""
    path = shutil.which(command, path=SYSTEM_PATH)
    if path is None:
        return None
    # dpkg knows a file by the path its package ships; with merged /usr that may be /bin/X for /usr/bin/X.
    candidates = []
    for found in (path, os.path.realpath(path)):
        candidates += [found, found[4:] if found.startswith('/usr/') else '/usr' + found]
    for candidate in candidates:
        proc = subprocess.run(['dpkg-query', '--search', candidate], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              universal_newlines=True, check=False)
        if proc.returncode == 0:
            package = proc.stdout.split(':', 1)[0].split(',')[0].strip()
            info = subprocess.run(['dpkg-query', '--show', '--showformat=${Priority} ${Essential}', package],
                                  stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.split()
            return package, info[0], info[1] if len(info) > 1 else 'no'
    return None


def with_direct_dependencies(packages):
    """PACKAGES and what they depend on directly (python3 brings python3-minimal, which holds /usr/bin/python3)."""
    result = set(packages)
    proc = subprocess.run(['dpkg-query', '--show', '--showformat=${Pre-Depends}, ${Depends}\\n'] + sorted(packages),
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
    for entry in re.split(r'[,|\n]', proc.stdout):
        name = entry.strip().split(' ', 1)[0].split(':', 1)[0]
        if name:
            result.add(name)
    return result


def uninstalled(commands):
    """The KNOWN_TOOLS the repository calls that no package provides on this machine: {command: files}."""
    return {command: sorted(set(files)) for command, files in sorted(commands.items())
            if command in KNOWN_TOOLS and command not in IN_CONTAINERS
            and shutil.which(command, path=SYSTEM_PATH) is None}


def unprovided(commands, packages):
    """The commands whose package is neither required/essential nor in PACKAGES (or one of their direct
    dependencies): {command: (package, files)}."""
    packages = with_direct_dependencies(packages)
    missing = {}
    for command, files in sorted(commands.items()):
        if command in IN_CONTAINERS:
            continue
        provider = providing_package(command)
        if provider is None:
            continue
        package, priority, essential = provider
        if priority == 'required' or essential == 'yes' or package in packages:
            continue
        missing[command] = (package, sorted(set(files)))
    return missing


needs_dpkg = pytest.mark.skipif(shutil.which('dpkg-query') is None, reason='needs a Debian host (dpkg-query)')


def test_shell_commands_are_found_in_command_position():
    text = 'set -e\nif nft list ruleset | grep -q x; then podman run img; fi  # tcpdump in a comment\n' \
           'out=$(timeout 5 rsync -a a b) && FOO=1 shellcheck x\n\t@$(BIN)/molecule test\n'
    assert shell_commands(text) >= {'nft', 'grep', 'podman', 'rsync', 'shellcheck'}
    assert 'tcpdump' not in shell_commands(text)


def test_python_commands_are_found_in_argument_lists():
    text = 'run(["nft", "add", "table"])\nsubprocess.check_output("tcpdump -c 1 | head", shell=True)\n' \
           '"""Docstring: rsync is only mentioned here."""\n'
    assert python_commands(text) == {'nft', 'tcpdump', 'head'}


def test_yaml_commands_are_found_in_command_tasks():
    text = '- ansible.builtin.command: >-\n    nft list ruleset\n- ansible.builtin.command:\n' \
           '    argv: [podman, exec, x]\n- ansible.builtin.shell: "{{ var }}"\n'
    assert yaml_commands(text) == {'nft', 'podman'}


def test_bootstrap_packages_are_read_without_comments():
    text = 'APT_PACKAGES=(\n    make git  # the build\n    nftables\n)\n'
    assert bootstrap_packages(text) == {'make', 'git', 'nftables'}


def test_a_known_tool_that_is_not_installed_is_reported(monkeypatch):
    # After bootstrap on a fresh machine, a tool bootstrap forgot is simply absent: it must still be named.
    monkeypatch.setattr(shutil, 'which', lambda command, path=None: None if command == 'nft' else '/usr/bin/' + command)
    absent = uninstalled({'nft': ['tests/faults/lab_cluster.py'], 'grep': ['Makefile'], 'keepalived': ['x.yml']})
    assert absent == {'nft': ['tests/faults/lab_cluster.py']}


@needs_dpkg
def test_a_missing_install_step_is_reported():
    # nft is what a fresh machine once lacked: with nftables out of the list, it must be named.
    if providing_package('nft') is None:
        pytest.skip('nft is not installed here, so its package cannot be attributed')
    missing = unprovided({'nft': ['tests/faults/lab_cluster.py'], 'grep': ['Makefile']}, {'make'})
    assert list(missing) == ['nft']
    assert missing['nft'][0] == 'nftables'


@needs_dpkg
def test_every_command_comes_from_bootstrap_or_the_required_set():
    with open(os.path.join(REPO, 'scripts', 'bootstrap')) as handle:
        packages = bootstrap_packages(handle.read())
    commands = repo_commands()
    # The scan must see the commands it exists for, or it proves nothing.
    assert {'nft', 'podman', 'debootstrap', 'rsync'} <= set(commands), sorted(commands)
    absent = uninstalled(commands)
    assert not absent, 'these commands are called but not installed (add their packages to APT_PACKAGES in ' \
        'scripts/bootstrap): %s' % '; '.join('%s (used in %s)' % (c, ', '.join(f)) for c, f in absent.items())
    missing = unprovided(commands, packages)
    assert not missing, 'add these packages to APT_PACKAGES in scripts/bootstrap: %s' % '; '.join(
        '%s from %s (used in %s)' % (command, package, ', '.join(files))
        for command, (package, files) in sorted(missing.items()))
