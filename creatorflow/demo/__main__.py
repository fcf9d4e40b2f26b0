"""`python -m creatorflow.demo DIR`: the demo itself (started by `creatorflow demo`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from creatorflow.demo.run import run_demo

parser = argparse.ArgumentParser(prog="creatorflow demo")
parser.add_argument("directory", type=Path)
parser.add_argument("--creators", type=int, default=300)
args = parser.parse_args()
sys.exit(run_demo(args.directory, creators=args.creators))
