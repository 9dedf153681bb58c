#!/usr/bin/env python3
"""Add a commit to a repository of the test git server (scripts/fixtures.py).

    push.py REPO MESSAGE [--add PATH_IN_REPO=LOCAL_FILE]... [--remove PATH_IN_REPO]...

Prints the new commit id.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[5]
sys.path.insert(0, str(ROOT / "scripts"))

from fixtures import GitServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("message")
    parser.add_argument("--add", action="append", default=[], metavar="PATH=FILE")
    parser.add_argument("--remove", action="append", default=[], metavar="PATH")
    args = parser.parse_args()
    files = {}
    for spec in args.add:
        dest, _, source = spec.partition("=")
        files[dest] = Path(source).read_text()
    print(GitServer().commit(args.repo, files, args.message, remove=args.remove))


if __name__ == "__main__":
    main()
