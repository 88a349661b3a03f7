# Keep the guide's examples identical to the files the tests run.
# A block in a Markdown file between "<!-- include: PATH -->" and "<!-- end include -->" is the content of PATH
# (relative to the repository root) in a fenced code block.
# Usage: python docs/sync_includes.py [--check] FILE.md...   (--check: fail instead of rewriting)
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r'(<!-- include: (?P<path>[^ ]+) -->\n)(?P<body>.*?)(<!-- end include -->)', re.S)
FENCES = {'.yml': 'yaml', '.yaml': 'yaml', '.py': 'python', '.sh': 'bash', '.j2': 'jinja', '': 'text'}


def fenced(path):
    with open(os.path.join(ROOT, path)) as handle:
        text = handle.read()
    return '```%s\n%s%s```\n' % (FENCES.get(os.path.splitext(path)[1], 'text'), text, '' if text.endswith('\n') else '\n')


def sync(markdown):
    return BLOCK.sub(lambda m: m.group(1) + fenced(m.group('path')) + m.group(4), markdown)


def main(args):
    check = '--check' in args
    stale = []
    for name in (a for a in args if a != '--check'):
        with open(name) as handle:
            current = handle.read()
        wanted = sync(current)
        if wanted != current:
            if check:
                stale.append(name)
            else:
                with open(name, 'w') as handle:
                    handle.write(wanted)
                print('docs: refreshed the examples in %s' % name)
    if stale:
        sys.stderr.write('examples out of date with the files they show (run make docs): %s\n' % ', '.join(stale))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
