"""Where the vendor truth lives: ``shared/`` beside the checkout (CI lays it there too)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PMHUB_SHARED", ROOT.parent / "shared"))
FIXTURES = SHARED / "fixtures"
SPECS = SHARED / "specs"

if not FIXTURES.is_dir():
    raise RuntimeError(f"vendor fixtures not found at {FIXTURES}; put shared/ beside the checkout or set PMHUB_SHARED")
