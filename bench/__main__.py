"""`python -m bench [bench_name ...]` (or `make bench`): run the bench/bench_*.py scripts."""

import importlib
import pkgutil
import platform
import sys
from datetime import datetime
from pathlib import Path


def main():
    print(f"# {datetime.now():%Y-%m-%d %H:%M}  {platform.node()}  python "
          f"{platform.python_version()}")
    here = str(Path(__file__).parent)
    names = sorted(m.name for m in pkgutil.iter_modules([here]) if m.name.startswith("bench_"))
    only = sys.argv[1:]
    failed = 0
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"bench.{name}")
        print(f"\n## {name}")
        sys.argv = [name]  # each script parses its own (default) options
        failed += bool(module.main())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
