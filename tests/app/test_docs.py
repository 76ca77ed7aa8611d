"""The README's tables are generated from the registry and the key bindings."""

from pathlib import Path

from performer.app.docs import render

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_tables_are_current() -> None:
    text = README.read_text()
    assert "`ablation.rate`" in text and "| Backspace |" in text
    assert "| `/performer/ablation/dead` |" in text
    assert render(text) == text, "run: python -m performer.app.docs --write README.md"
