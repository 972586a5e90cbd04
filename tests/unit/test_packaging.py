"""`pip install .` must carry the policy files, migrations, templates and static files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_policies_migrations_and_templates(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "policies/model.conf",
        "policies/default.csv",
        "policies/tiers.csv",
        "gateway/migrations/env.py",
        "gateway/migrations/script.py.mako",
        "gateway/migrations/versions/0001_initial_schema.py",
        "gateway/web/templates/web/base.html",
        "gateway/web/static/gateway.css",
        "gateway/orders/courts.toml",
        "gateway/orders/calendars/federal.toml",
        "gateway/orders/calendars/ca.toml",
    ):
        assert required in names, f"{required} missing from the wheel"
    assert not any(name.startswith(("tests/", "keys/", "instance/")) for name in names)
