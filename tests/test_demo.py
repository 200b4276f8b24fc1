"""`supportbot demo` shows the product without a Slack workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_prints_what_each_step_would_post(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    done = subprocess.run([sys.executable, "-m", "bot", "demo"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in ("supportbot posts in #eng-escalations", "ESC-9 · P1 · Checkout fails for ACME",
                     "the acknowledgement is due", "has breached its acknowledgement SLA", "cc @morgan",
                     "@sam acknowledged it and owns it now.", "Outcome", "Escalations · last 30 days",
                     "Repeat customers", "Weekly escalation review · Tier 1 Support"):
        assert expected in out, expected
    assert "<@" not in out and "<!date" not in out  # rendered for a terminal, not raw mrkdwn
    database = Path(out.rsplit("The demo database is ", 1)[1].split(":", 1)[0])
    assert database.is_file()
