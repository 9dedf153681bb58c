#!/usr/bin/env python3
"""Add a commit to a repository of the test git server (scripts/fixtures.py).

    push.py REPO MESSAGE [--add PATH_IN_REPO=LOCAL_FILE]... [--append PATH_IN_REPO=LOCAL_FILE]...
            [--remove PATH_IN_REPO]...

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
    parser.add_argument("--append", action="append", default=[], metavar="PATH=FILE")
    parser.add_argument("--remove", action="append", default=[], metavar="PATH")
    args = parser.parse_args()
    print(GitServer().commit(args.repo, read_specs(args.add), args.message, remove=args.remove,
                             append=read_specs(args.append)))


def read_specs(specs):
    """{PATH_IN_REPO: contents of LOCAL_FILE} from PATH=FILE arguments."""
    files = {}
    for spec in specs:
        dest, _, source = spec.partition("=")
        files[dest] = Path(source).read_text()
    return files


if __name__ == "__main__":
    main()
