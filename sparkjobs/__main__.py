"""python -m sparkjobs score <task> ... (see sparkjobs/score.py)."""

import sys

from sparkjobs.score import main

if __name__ == "__main__":
    sys.exit(main())
