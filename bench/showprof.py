"""Print the top costs of the profiles written by ``python -m bench --profile DIR``.

Usage: ``python -m bench.showprof DIR [N] [tottime|cumulative]`` prints, for
every ``.prof`` file in DIR, the N (default 25) most expensive functions.
"""

from __future__ import annotations

import pstats
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    top = int(argv[1]) if len(argv) > 1 else 25
    order = argv[2] if len(argv) > 2 else "tottime"
    for path in sorted(Path(argv[0]).glob("*.prof")):
        print(f"==== {path.name}")
        stats = pstats.Stats(str(path))
        stats.strip_dirs().sort_stats(order).print_stats(top)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
