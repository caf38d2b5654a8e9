"""Compare model directories on validation data only: the entry point of experiments/validation.py.

Run: .venv/bin/python benchmarks/validate_model.py DIR [DIR ...] [--origins 24]; --help lists the options.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from experiments.validation import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
