"""render_template: a role's template rendered in-process, as Ansible renders it.

Ansible's plugin loader keeps the role folders it was given for the life of
the process, so each test uses a filter name of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.errors import AnsibleUndefinedVariable
from pytest_modskel import render, render_template
from pytest_modskel.errors import ConfigError
from pytest_modskel.project import Project

FILTER = """\
class FilterModule:
    def filters(self):
        return {"shout_render": lambda value: str(value).upper() + "!"}
"""


def role(root: Path, files: dict[str, str]) -> Project:
    """Write a role with ``files`` into ``root`` and return it."""
    for relative, content in {"meta/main.yml": "galaxy_info: {}\n", **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return Project(root)


@pytest.fixture
def app(tmp_path: Path) -> Project:
    """A role whose defaults template one another and whose template uses a role filter."""
    return role(tmp_path, {
        "defaults/main.yml": 'app_user: app\napp_home: "/srv/{{ app_user }}"\napp_port: 8080\n',
        "templates/app.conf.j2": (
            "# {{ ansible_managed }}\nhome = {{ app_home }}\nport = {{ app_port }}\n"
            "{% for name in app_names | default([]) %}\nname = {{ name | shout_render }}\n"
            "{% endfor %}\n"
        ),
        "filter_plugins/shout.py": FILTER,
    })  # fmt: skip


def test_defaults_are_rendered_as_ansible_does(app: Project) -> None:
    text = render_template("app.conf.j2", project=app)
    assert text.splitlines()[1:] == ["home = /srv/app", "port = 8080"]
    assert text.startswith("# Ansible managed")


def test_variables_override_defaults_and_reach_templated_defaults(app: Project) -> None:
    text = render_template("app.conf.j2", {"app_user": "zed", "app_port": 9443}, app)
    assert text.splitlines()[1:] == ["home = /srv/zed", "port = 9443"]


def test_role_filters_and_trim_blocks(app: Project) -> None:
    text = render_template("app.conf.j2", {"app_names": ["a", "b"]}, app)
    assert text.splitlines()[-2:] == ["name = A!", "name = B!"]


def test_project_defaults_to_the_current_directory(
    app: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(app.root)
    assert "port = 8080" in render_template("app.conf.j2").splitlines()


def test_a_role_without_defaults(tmp_path: Path) -> None:
    bare = role(tmp_path, {"templates/motd.j2": "hello {{ who }}\n"})
    assert render_template("motd.j2", {"who": "world"}, bare) == "hello world\n"


def test_undefined_variable_is_ansibles_error(tmp_path: Path) -> None:
    bare = role(tmp_path, {"templates/motd.j2": "hello {{ nobody_set_this }}\n"})
    with pytest.raises(AnsibleUndefinedVariable, match="'nobody_set_this' is undefined"):
        render_template("motd.j2", project=bare)


def test_missing_template_names_the_folder(app: Project) -> None:
    with pytest.raises(
        ConfigError, match=r"^no template app\.cfg\.j2 in .*/templates: name a file"
    ):
        render_template("app.cfg.j2", project=app)


class OldLoader:
    """ansible-core 2.18's DataLoader: load_from_file takes no ``trusted_as_template``."""

    def load_from_file(self, file_name: str) -> object:
        return {"loaded": file_name}


def test_defaults_on_ansible_core_2_18(app: Project) -> None:
    loaded = render.defaults(OldLoader(), app.root)
    assert loaded == {"loaded": str(app.root / "defaults" / "main.yml")}
