import sys
from pathlib import Path

SIM = Path(__file__).resolve().parents[1] / "sim"
if str(SIM) not in sys.path:
    sys.path.insert(0, str(SIM))
