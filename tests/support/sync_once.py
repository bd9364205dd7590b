"""``python -m tests.support.sync_once CONFIG``: sync every source of CONFIG with the engine, then link.

A separate process, so a test can kill it with SIGKILL mid-run and check what a rerun makes of the store.
"""

from __future__ import annotations

import sys

from hub.settings import load_settings
from hub.sources import build_source, open_store
from sync.engine import relink, sync_source


def main(config: str) -> int:
    cfg = load_settings(config)
    store = open_store(cfg)
    results = [sync_source(store, build_source(name, cfg)) for name in cfg.sources]
    relink(store, cfg.link_rules())
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
