"""Issue 15 §3: the load test script ``bench/load.py`` runs, stops by itself and finds no error.

Two operators (one per demo society) sign in at their societies' pages and work for a few seconds against a
server the script starts on a free loopback port on a fresh SQLite file (the demo target's commands, without
seed_demo's scenarios to stay short); the script stops it (its process group) and prints the report. Bounded:
the subprocess has a timeout, and the port must be free again afterwards."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.backoffice.test_production_recipe import _free_port, _listening

ROOT = Path(__file__).resolve().parents[2]




def test_issue15_load_script_two_operators_on_sqlite_end_by_themselves_with_no_error(tmp_path):
    port = _free_port()
    done = subprocess.run(
        [sys.executable, "bench/load.py", "--target", "demo", "--start", "--no-seed-demo", "--operators", "2",
         "--duration", "5", "--ramp", "1", "--think", "0.1", "--members", "40", "--warmup", "2",
         "--port", str(port), "--sqlite", str(tmp_path / "load.sqlite3")],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    assert re.search(r"^errors: 0$", done.stdout, re.M), out[-6000:]
    requests = int(re.search(r"^requests: (\d+)$", done.stdout, re.M).group(1))
    assert requests >= 10, out[-6000:]
    rows = {m.group(1).strip(): (int(m.group(2)), int(m.group(3)))
            for m in re.finditer(r"^([a-z][\w .()-]*?)\s{2,}(\d+)\s+(\d+)\s+[\d.]+", done.stdout, re.M)}
    assert rows.get("sign-in POST") == (2, 0), done.stdout  # both signed in at their own society's page
    setup = {"sign-in page", "sign-in POST", "admin first page", "api members list", "api invoices list",
             "admin status page"}
    assert sum(n for kind, (n, _e) in rows.items() if kind not in setup) >= 1, done.stdout  # then worked
    assert all(errors == 0 for _n, errors in rows.values()), done.stdout
    assert "server stopped" in done.stdout
    assert not _listening(port), "the demo server still answers after the script ended"
