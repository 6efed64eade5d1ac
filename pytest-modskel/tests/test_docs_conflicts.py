"""``modskel docs`` (the README's variables table) and ``modskel conflicts``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pytest_modskel.commands import conflicts, docs, main
from pytest_modskel.errors import ConfigError

SPECS = """\
argument_specs:
  main:
    short_description: Install nginx
    options:
      web_port:
        type: int
        default: 8080
        description: Port nginx listens on.
      web_sites:
        type: list
        elements: dict
        default: [{name: default, root: /srv}]
        description:
          - Sites to serve.
          - One per virtual host.
      web_enabled:
        type: bool
        default: true
        description: Whether to start nginx.
      web_server_name:
        description: Name | alias of the server.
      web_proxy:
        type: str
        default: null
        description: "A proxy, or null."
      web_user:
        default: www-data
"""
TABLE = """\
| Variable | Type | Default | Description |
| --- | --- | --- | --- |
| `web_port` | int | `8080` | Port nginx listens on. |
| `web_sites` | list | `[{name: default, root: /srv}]` | Sites to serve. One per virtual host. |
| `web_enabled` | bool | `true` | Whether to start nginx. |
| `web_server_name` | str | (required) | Name \\| alias of the server. |
| `web_proxy` | str | `null` | A proxy, or null. |
| `web_user` | str | `www-data` |  |"""


@pytest.fixture
def role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A role with argument specs and a README with the table's markers; the current folder."""
    root = tmp_path / "role"
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "main.yml").write_text("galaxy_info: {}\n", encoding="utf-8")
    (root / "meta" / "argument_specs.yml").write_text(SPECS, encoding="utf-8")
    readme = f"# web\n\n## Variables\n\n{docs.BEGIN}\nold table\n{docs.END}\n\n## License\n"
    (root / "README.md").write_text(readme, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def test_variables_table(role: Path) -> None:
    assert docs.variables_table(role) == TABLE


def test_variables_table_without_options(role: Path) -> None:
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    short_description: x\n", encoding="utf-8"
    )
    assert docs.variables_table(role) == (
        "| Variable | Type | Default | Description |\n| --- | --- | --- | --- |"
    )


def test_with_table_and_readme_table() -> None:
    readme = f"head\n{docs.BEGIN}\nold\n{docs.END}\ntail\n"
    updated = docs.with_table(readme, "| new |")
    assert updated == f"head\n{docs.BEGIN}\n| new |\n{docs.END}\ntail\n"
    assert docs.readme_table(updated) == "| new |"
    assert docs.with_table(updated, "| new |") == updated
    assert docs.readme_table("no markers") == ""


@pytest.mark.parametrize(
    "readme",
    ["# no markers\n", f"{docs.BEGIN}\nno end\n", f"{docs.END}\n{docs.BEGIN}\n"],
    ids=["none", "begin-only", "reversed"],
)
def test_with_table_needs_both_markers(readme: str) -> None:
    message = (
        f"README.md lacks the markers {docs.BEGIN!r} and {docs.END!r}: "
        "add both where the table goes"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        docs.with_table(readme, "| t |")


def test_docs_rewrites_the_table(role: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "--check"]) == 1
    assert capsys.readouterr().out == "README.md: variables table is stale: run `tox -e docs`\n"
    assert main(["docs"]) == 0
    assert capsys.readouterr().out == "README.md: variables table updated\n"
    text = (role / "README.md").read_text(encoding="utf-8")
    assert text == f"# web\n\n## Variables\n\n{docs.BEGIN}\n{TABLE}\n{docs.END}\n\n## License\n"
    assert main(["docs", "--check"]) == 0
    assert capsys.readouterr().out == ""


def test_docs_without_markers(role: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (role / "README.md").write_text("# web\n", encoding="utf-8")
    assert main(["docs"]) == 2
    assert capsys.readouterr().err.startswith("modskel docs: error: README.md lacks the markers ")
    assert (role / "README.md").read_text(encoding="utf-8") == "# web\n"


@pytest.fixture
def clean_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean role project; the current folder."""
    root = tmp_path / "role"
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "main.yml").write_text("galaxy_info: {}\n", encoding="utf-8")
    (root / "tasks").mkdir()
    (root / "tasks" / "main.yml").write_text("- name: ok\n  debug:\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def test_project_files_skip_tool_folders(clean_role: Path) -> None:
    for skipped in (".git/config", ".tox/x/y.txt", ".venv/bin/z", "a/__pycache__/m.pyc"):
        (clean_role / skipped).parent.mkdir(parents=True, exist_ok=True)
        (clean_role / skipped).write_text("<<<<<<< HEAD\n", encoding="utf-8")
    (clean_role / "gitlike").mkdir()  # a folder is not a file
    assert [str(p.relative_to(clean_role)) for p in conflicts.project_files(clean_role)] == [
        "meta/main.yml", "tasks/main.yml"
    ]  # fmt: skip


def test_leftovers(clean_role: Path) -> None:
    (clean_role / "README.md").write_text(
        "# web\n<<<<<<< before updating\nold\n=======\nnew\n>>>>>>> after updating\n"
        "======= not a marker (text follows)\n<<<<<<<no space\n",
        encoding="utf-8",
    )
    (clean_role / "tasks" / "main.yml.rej").write_text("@@ -1 +1 @@\n", encoding="utf-8")
    (clean_role / "files").mkdir()
    (clean_role / "files" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe<<<<<<< x\n")
    assert conflicts.leftovers(clean_role) == [
        "README.md:2: conflict marker '<<<<<<<'; resolve the merge",
        "README.md:4: conflict marker '======='; resolve the merge",
        "README.md:6: conflict marker '>>>>>>>'; resolve the merge",
        "tasks/main.yml.rej: hunk rejected by copier update; merge it by hand, delete the file",
    ]


def test_conflicts_command(clean_role: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conflicts"]) == 0
    assert capsys.readouterr().out == ""
    (clean_role / "defaults.yml.rej").write_text("x\n", encoding="utf-8")
    assert main(["conflicts"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "defaults.yml.rej: hunk rejected by copier update; merge it by hand, delete the file",
        "1 unresolved update conflict(s): resolve each, then rerun",
    ]


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (
            "README.md",
            "README.md not found: add one with the variables table markers",
        ),
        (
            "meta/argument_specs.yml",
            "meta/argument_specs.yml not found: the variables table is made from it, add it",
        ),
    ],
    ids=["readme", "argument-specs"],
)
def test_docs_names_a_missing_file(
    role: Path, capsys: pytest.CaptureFixture[str], missing: str, message: str
) -> None:
    (role / missing).unlink()
    assert main(["docs"]) == 2
    assert capsys.readouterr().err == f"modskel docs: error: {message}\n"
