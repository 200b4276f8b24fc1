"""`supportbot demo` shows the product without a Slack workspace."""

from __future__ import annotations

import json
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
                     "Repeat customers", "Weekly escalation review · Tier 1 Support",
                     "supportbot posts in #standup (thread)",
                     "supportbot publishes the Home tab of @morgan", "Your teams", "*Alex Rivera*", "*Blockers (1)*",
                     "*Alex Rivera*: Waiting on engineering for the ACME export bug",
                     "*First response (median)*", "*CSAT*", "Behind *", "digest-chart.png",
                     "== Pulse · Tier 1 Support", "*eNPS: +", "== Pulse · VIP Desk", "hidden to protect anonymity",
                     "== Initiatives · Tier 1 Support ==", "1. *Self-serve refunds in the help centre* (#1) · *4.10*",
                     "Message to the customer: ⟦Hi ACME Corp (account 4411),", "our Tier 1 Support team owns this",
                     "- Payment gateway rolled back; ACME can check out again.", "CET.",
                     "@sam sent the customer an update:"):
        assert expected in out, expected
    assert "<@" not in out and "<!date" not in out  # rendered for a terminal, not raw mrkdwn
    database = Path(out.rsplit("The demo database is ", 1)[1].split(":", 1)[0])
    assert database.is_file()
    chart = database.with_name("digest-chart.png").read_bytes()
    assert chart.startswith(b"\x89PNG\r\n\x1a\n")


def test_demo_shows_each_card_once_with_its_channels_and_one_customer_per_customer(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    out = subprocess.run([sys.executable, "-m", "bot", "demo"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120, check=True).stdout
    new_card = out.split("fills in the form", 1)[1].split("▶", 1)[0]
    assert new_card.count("ESC-9 · P1 · Checkout fails for ACME ==") == 1
    assert "└─ and the same in #escalations" in new_card
    assert "since 09:10" not in out  # no clock time in the sample text that its timestamps could contradict
    assert "*Top customers:* ACME Corp 4," in out  # "ACME Corp (account 4411)" is ACME Corp too


def test_demo_json_prints_the_raw_block_kit(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    done = subprocess.run([sys.executable, "-m", "bot", "demo", "--json"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    sent = [line for line in lines if "supportbot" in line]
    assert any(line["where"] == "#eng-escalations" and line["blocks"][0]["type"] == "header" for line in sent)
    assert any(line["supportbot"] == "publishes the Home tab of" for line in sent)
    assert any("step" in line for line in lines)
