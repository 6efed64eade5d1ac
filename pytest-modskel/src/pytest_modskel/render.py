"""Render a role's template in the test process, with Ansible's own template lookup.

A unit test of a template used to run ``ansible localhost -m template`` per
case: about a second each, nearly all of it Ansible starting. The
``ansible.builtin.template`` lookup renders with the same Jinja environment
(Ansible's filters and tests, the role's ``filter_plugins/``), the same
variables the template module adds (``ansible_managed``, ``template_path``…)
and the same options (``trim_blocks``), in milliseconds. The role's
``defaults/main.yml`` is loaded as Ansible loads it (its own templates are
rendered lazily), then the test's variables override it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_modskel.checks.jinja import load_plugins
from pytest_modskel.errors import ConfigError
from pytest_modskel.project import Project


def defaults(loader: Any, root: Path) -> dict[str, Any]:  # noqa: ANN401 - Ansible's DataLoader
    """Return the role's defaults/main.yml as Ansible loads it (templates trusted from 2.19)."""
    path = root / "defaults" / "main.yml"
    if not path.is_file():
        return {}
    try:
        loaded = loader.load_from_file(str(path), trusted_as_template=True)
    except TypeError:  # ansible-core 2.18 trusts every template and takes no such argument
        loaded = loader.load_from_file(str(path))
    return dict(loaded or {})


def role_folder(project: Project, role: str | None) -> Path:
    """Return the folder of the role named ``role`` (default: the project's only role)."""
    folders = {folder.name: folder for folder in project.role_dirs}
    if role is None and len(folders) == 1:
        return next(iter(folders.values()))
    if role is not None and project.root / "roles" / role in folders.values():
        return project.root / "roles" / role
    names = ", ".join(sorted(n for n, f in folders.items() if f != project.root)) or "none"
    msg = f"no role {role} in {project.root / 'roles'} (roles: {names}): pass role=<one of them>"
    raise ConfigError(msg)


def render_template(
    template: str,
    variables: Mapping[str, object] | None = None,
    project: Project | None = None,
    *,
    role: str | None = None,
) -> str:
    """Render ``templates/<template>`` of the role with its defaults and ``variables``.

    ``project`` defaults to the project in the current directory (tox runs
    tests from the project's root). In a collection, ``role`` names the role
    under ``roles/`` (needed when there are several).
    """
    from ansible.parsing.dataloader import DataLoader  # noqa: PLC0415 - unit envs only
    from ansible.plugins.loader import lookup_loader  # noqa: PLC0415
    from ansible.template import Templar  # noqa: PLC0415

    root = role_folder(project or Project(Path.cwd()), role)
    source = root / "templates" / template
    if not source.is_file():
        msg = f"no template {template} in {root / 'templates'}: name a file there, e.g. app.conf.j2"
        raise ConfigError(msg)
    load_plugins(root)
    loader = DataLoader()
    loader.set_basedir(str(root))
    context = {**defaults(loader, root), **(variables or {}), "role_path": str(root)}
    templar = Templar(loader=loader, variables=context)
    lookup = lookup_loader.get("ansible.builtin.template", loader=loader, templar=templar)
    rendered = lookup.run([str(source)], variables=context)
    return str(rendered[0])
