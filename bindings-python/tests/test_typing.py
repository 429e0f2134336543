"""The stubs shipped in the wheel type-check a usage sample under mypy --strict, and catch a misuse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def mypy(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", str(path)],
        capture_output=True,
        text=True,
        cwd=HERE.parent.parent,
    )


def test_usage_sample_type_checks() -> None:
    result = mypy(HERE / "typed_usage.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_misuse_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "bad_usage.py"
    bad.write_text(
        "import koko\n"
        "total: int = koko.PricePlan.story3().quote_days('novel', 2).total\n"
        "koko.BookStore.memory().rent(customer='x')\n"
        "koko.BookStore.memory().pay(customer_id=1, amount=1.5)\n"
        "koko.BookStore.memory().return_rental(rental_id=1, damage_fee=2.5, note='torn')\n"
        "position: str = koko.BookStore.memory().hold(1).position\n"
    )
    result = mypy(bad)
    assert result.returncode != 0
    assert "Decimal" in result.stdout and "customer" in result.stdout
    assert '"pay"' in result.stdout and "float" in result.stdout
    assert '"return_rental"' in result.stdout and "damage_fee" in result.stdout
    assert "bad_usage.py:6: error: Incompatible types" in result.stdout
