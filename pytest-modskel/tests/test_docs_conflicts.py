"""``modskel docs`` (the README's variables table) and ``modskel conflicts``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pytest_modskel.commands import conflicts, docs, main
from pytest_modskel.errors import ConfigError
from pytest_modskel.project import Project

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


# A collection: modules, filters and roles tables, each between its own markers.
MODULE = '''\
#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: web_config
short_description: Manage a key = value file | of web
options: {}
"""
raise SystemExit("importing a module to read its docs: never")
'''
FILTER_DOC = "DOCUMENTATION:\n  name: web_ini_value\n  description:\n    - Render a value.\n"
ROLE_SPECS = "argument_specs:\n  main:\n    short_description: Set up web\n    options: {}\n"
MODULES_TABLE = """\
| Name | Description |
| --- | --- |
| [`acme.web.web_config`](plugins/modules/web_config.py) | Manage a key = value file \\| of web |"""
FILTERS_TABLE = """\
| Name | Description |
| --- | --- |
| [`acme.web.web_ini_value`](plugins/filter/web_ini_value.yml) | Render a value. |"""
ROLES_TABLE = """\
| Name | Description |
| --- | --- |
| [`acme.web.server`](roles/server) | Set up web |
| [`acme.web.specless`](roles/specless) |  |"""


def collection_readme(modules: str = "old", filters: str = "old", roles: str = "old") -> str:
    parts = ["# acme.web\n"]
    for table, body in (("modules", modules), ("filters", filters), ("roles", roles)):
        begin, end = docs.markers(table)
        parts.append(f"## {table}\n\n{begin}\n{body}\n{end}\n")
    return "\n".join(parts)


@pytest.fixture
def collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A collection with a module, a filter (sidecar docs), two roles; the current folder."""
    root = tmp_path / "web"
    files = {
        "galaxy.yml": "namespace: acme\nname: web\nversion: 0.1.0\n",
        "plugins/modules/__init__.py": "",
        "plugins/modules/web_config.py": MODULE,
        "plugins/filter/web_ini_value.py": "class FilterModule:\n    pass\n",
        "plugins/filter/web_ini_value.yml": FILTER_DOC,
        "plugins/filter/README.txt": "not a plugin\n",
        "roles/server/meta/argument_specs.yml": ROLE_SPECS,
        "roles/specless/tasks/main.yml": "---\n[]\n",
        "README.md": collection_readme(),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def test_docs_rewrites_a_collections_tables(
    collection: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["docs", "--check"]) == 1
    assert capsys.readouterr().out == "README.md: tables are stale: run `tox -e docs`\n"
    assert main(["docs"]) == 0
    assert capsys.readouterr().out == "README.md: tables updated\n"
    text = (collection / "README.md").read_text(encoding="utf-8")
    assert text == collection_readme(MODULES_TABLE, FILTERS_TABLE, ROLES_TABLE)
    assert main(["docs", "--check"]) == 0


def test_expected_readme_leaves_out_an_empty_table_without_markers(collection: Path) -> None:
    for path in (collection / "plugins" / "filter").iterdir():
        path.unlink()
    readme = (
        collection_readme()
        .replace(docs.markers("filters")[0], "")
        .replace("<!-- END filters -->", "")
    )
    text = docs.expected_readme(Project.find(), readme)
    assert docs.markers("filters")[0] not in text
    assert MODULES_TABLE in text


@pytest.mark.usefixtures("role")
def test_expected_readme_of_a_role() -> None:
    readme = f"{docs.BEGIN}\nold\n{docs.END}\n"
    assert docs.expected_readme(Project.find(), readme) == f"{docs.BEGIN}\n{TABLE}\n{docs.END}\n"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "plugins/modules/web_config.py",
            "x = 1\n",
            (
                "plugins/modules/web_config.py has no DOCUMENTATION string: add one "
                "(ansible-doc, sanity and the README's modules table read it)"
            ),
        ),
        (
            "plugins/modules/web_config.py",
            "DOCUMENTATION = 'a: [b'\n",
            (
                "plugins/modules/web_config.py: its documentation cannot be read (expected ',' or "
                "']', but got '<stream end>', line 1 of the YAML): fix it"
            ),
        ),
        (
            "plugins/modules/web_config.py",
            "def (:\n",
            (
                "plugins/modules/web_config.py: its documentation cannot be read (invalid syntax "
                "(web_config.py, line 1)): fix it"
            ),
        ),
        (
            "plugins/filter/web_ini_value.yml",
            "- a list\n",
            (
                "plugins/filter/web_ini_value.yml: its documentation cannot be read ('list' object "
                "has no attribute 'get'): fix it"
            ),
        ),
    ],
    ids=["no-documentation", "bad-yaml", "bad-python", "sidecar-not-a-mapping"],
)
def test_docs_names_a_bad_plugin(
    collection: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    (collection / name).write_text(text, encoding="utf-8")
    assert main(["docs"]) == 2
    assert capsys.readouterr().err == f"modskel docs: error: {message}\n"


def test_docs_needs_a_collections_markers(
    collection: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (collection / "README.md").write_text("# acme.web\n", encoding="utf-8")
    assert main(["docs"]) == 2
    begin, end = docs.markers("modules")
    assert capsys.readouterr().err == (
        f"modskel docs: error: README.md lacks the markers {begin!r} and {end!r}: "
        "add both where the table goes\n"
    )
    (collection / "README.md").unlink()
    assert main(["docs"]) == 2
    assert capsys.readouterr().err == (
        "modskel docs: error: README.md not found: add one with the tables markers\n"
    )
