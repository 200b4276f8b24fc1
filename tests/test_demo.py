"""`supportbot demo` shows the product without a Slack workspace."""

from __future__ import annotations

import json
import os
import re
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
                     "Message to the customer: ⟦Hi ACME Corp team,", "Our Tier 1 Support team owns this",
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


def test_the_demo_tells_one_story_and_leaves_one_folder_in_the_temp_folder_and_nothing_at_home(
        tmp_path: Path) -> None:
    temp, home = tmp_path / "temp", tmp_path / "home"
    temp.mkdir()
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "MPLCONFIGDIR"))}
    env.update(TMPDIR=str(temp), HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"))
    runs = [subprocess.run([sys.executable, "-m", "bot", "demo"], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=120, check=True).stdout for _ in range(2)]
    [folder] = list(temp.iterdir())  # the second run replaced the first's database: nothing piles up
    assert sorted(p.name for p in folder.iterdir()) == ["demo.db", "digest-chart.png", "matplotlib"]
    assert list(home.rglob("*")) == []  # matplotlib's cache is in the demo's folder, not the home folder
    out = runs[1]
    assert f"The demo database is {folder / 'demo.db'}" in out

    # The digest is in the channel the team's configuration names.
    shown = subprocess.run([sys.executable, "-m", "bot", "config", "show"], capture_output=True, text=True,
                           env={**env, "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}"}, cwd=tmp_path, timeout=60,
                           check=True).stdout
    assert "digest: C0SUPPORTKPIS" in shown and "KPI digest in #support-kpis" in out
    assert "supportbot shows #support-kpis" in out
    # The six-person team's stand-up accounts for all six.
    summary = out.split("becomes the summary", 1)[1].split("▶", 1)[0]
    assert "2 of 5 answered" in summary and "*Missed (2)*: Chen Wu, Dana Kim" in summary
    assert "*Skipped (1)*: Jordan Blake" in summary and "*Away (1)*: Priya Shah" in summary
    # The digest and Home show the same pulse round.
    digest = out.split("supportbot shows #support-kpis", 1)[1].split("▶", 1)[0]
    home_tab = out.split("publishes the Home tab of @morgan", 1)[1].split("▶", 1)[0]
    assert "score *3.5 / 5* (+0.4 vs 2026-W47, within the noise), eNPS *+33*" in home_tab
    assert "2-round: score *3.3 / 5*, eNPS *+17* (12 answers)" in home_tab
    assert "Pulse score (latest round): 3.5 / 5 of 6 answers" in digest and "eNPS (latest round): +33" in digest
    # No percentage from zero; the weekly review compares with the week before.
    assert not re.search(r"\*: 0 ·[^│]*→ 0%", digest)
    review = out.split("Weekly escalation review", 1)[1]
    assert "vs last week)" in review
