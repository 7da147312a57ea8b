"""`voelgoed hub ...` as a tech uses it against a real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

from tests.integration.hub.conftest import Hub
from voelgoed.processes import voelgoed_command


def run(
    hub: Hub, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        voelgoed_command(
            "hub", *args, "--database-url", hub.database_url, "--data", str(hub.data_dir)
        ),
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_create_org_then_export_its_seeded_event(hub: Hub, tmp_path: Path) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    made = run(
        hub,
        "create-org",
        "--email",
        f"{slug}@example.org",
        "--name",
        "Tech",
        "--org-name",
        "CLI org",
        "--slug",
        slug,
        "--api-key",
        "ci",
        env={"VOELGOED_ADMIN_PASSWORD": "a-long-password"},
    )
    assert made.returncode == 0, made.stderr
    assert f"org {slug} with admin {slug}@example.org" in made.stdout
    key = made.stdout.split("API key (shown once): ")[1].strip()
    assert key.startswith("vgk_")

    again = run(
        hub,
        "create-org",
        "--email",
        f"{slug}@example.org",
        "--name",
        "Tech",
        "--org-name",
        "CLI org",
        "--slug",
        slug,
        env={"VOELGOED_ADMIN_PASSWORD": "a-long-password"},
    )
    assert again.returncode == 2
    assert "[conflict]" in again.stderr
    assert "taken" in again.stderr

    wrong = run(
        hub,
        "create-org",
        "--email",
        f"{slug}@example.org",
        "--name",
        "Tech",
        "--org-name",
        "Other",
        "--slug",
        slug + "-2",
        env={"VOELGOED_ADMIN_PASSWORD": "not-the-password"},
    )
    assert wrong.returncode == 2
    assert "wrong email or password" in wrong.stderr


def test_export_event_refuses_unknown_events_clearly(hub: Hub, tmp_path: Path) -> None:
    out = tmp_path / "x.vgpkg"
    missing = run(hub, "export-event", str(uuid.uuid4()), "--out", str(out))
    assert missing.returncode == 2
    assert "[not_found]" in missing.stderr
    malformed = run(hub, "export-event", "not-an-id", "--out", str(out))
    assert malformed.returncode == 2
    assert "not an event id" in malformed.stderr
    assert not out.exists()


def test_seed_demo_is_made_once_and_exports(hub: Hub, tmp_path: Path) -> None:
    first = run(hub, "seed-demo")
    assert first.returncode == 0, first.stderr
    second = run(hub, "seed-demo")
    assert "already there" in second.stdout
    assert "organiser@demo.voelgoed.test" in second.stdout


def test_migrate_is_idempotent(hub: Hub) -> None:
    for _ in range(2):
        done = run(hub, "migrate")
        assert done.returncode == 0, done.stderr
        assert "up to date" in done.stdout


def test_a_bad_database_url_is_a_clear_error(hub: Hub, tmp_path: Path) -> None:
    result = subprocess.run(
        voelgoed_command("hub", "migrate", "--database-url", "mysql://x@localhost/db"),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "[database_unavailable]" in result.stderr


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        voelgoed_command("hub", "migrate", "--database-url", "postgres://postgres@127.0.0.1:1/x"),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot reach PostgreSQL" in result.stderr


def test_serve_without_its_database_says_so_and_exits() -> None:
    result = subprocess.run(
        voelgoed_command(
            "hub", "serve", "--database-url", "postgres://u:secret@127.0.0.1:1/x", "--port", "1"
        ),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot reach PostgreSQL at postgres://u:***@127.0.0.1:1/x" in result.stderr
