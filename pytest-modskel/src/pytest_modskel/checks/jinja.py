"""Every Jinja template and expression of the role parses, with Ansible's own environment.

Ansible parses a template only when a task uses it, on a machine; a typo in a
rarely used branch waits for production. This check parses, without rendering:

- every file under ``templates/`` (``*.j2`` and any other file there);
- every string with ``{{``, ``{%`` or ``{#`` in ``tasks/``, ``handlers/``,
  ``defaults/`` and ``vars/``, and every bare conditional (``when``,
  ``changed_when``, ``failed_when``, ``until``).

Filters and tests are looked up as Ansible does (builtins, the role's own
``filter_plugins/`` and ``test_plugins/``, installed collections), so a
misspelt or missing filter is caught too. Variables are not resolved.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from pytest_modskel.checks.base import Check, per_role
from pytest_modskel.project import Project

YAML_DIRS = ("tasks", "handlers", "defaults", "vars")
CONDITIONALS = frozenset({"when", "changed_when", "failed_when", "until"})
MARKS = ("{{", "{%", "{#")
OVERRIDE = "#jinja2:"


@functools.cache
def load_plugins(root: Path) -> None:
    """Start Ansible's plugin loader (once per process) with the role's plugin folders."""
    from ansible.plugins.loader import add_all_plugin_dirs, init_plugin_loader  # noqa: PLC0415
    from ansible.utils.collection_loader import AnsibleCollectionConfig  # noqa: PLC0415

    if AnsibleCollectionConfig.collection_finder is None:  # once per process
        init_plugin_loader([])
    add_all_plugin_dirs(str(root))


@functools.cache
def environment(root: Path) -> Any:  # noqa: ANN401 - Ansible's Jinja environment
    """Return Ansible's Jinja environment, with the role's plugin folders loaded."""
    from ansible.parsing.dataloader import DataLoader  # noqa: PLC0415 - unit envs only
    from ansible.template import Templar  # noqa: PLC0415

    load_plugins(root)
    templar = Templar(loader=DataLoader())
    # From ansible-core 2.19 the public ``Templar.environment`` prints a
    # deprecation warning; its template engine holds the same object.
    engine = getattr(templar, "_engine", templar)
    return engine.environment


def unknown_names(tree: Any, env: Any) -> tuple[int, str] | None:  # noqa: ANN401 - Jinja objects
    """Return the first filter or test the environment lacks, anywhere in ``tree``.

    Jinja reports an unknown name at compile time only outside ``{% if %}`` and
    ``x if y``; inside them it waits for a render, which may never come.
    """
    from jinja2 import nodes  # noqa: PLC0415 - comes with ansible-core

    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind, known = (
            ("filter", env.filters) if isinstance(node, nodes.Filter) else ("test", env.tests)
        )
        if node.name not in known:
            return node.lineno, advice(f"No {kind} named {node.name!r}")
    return None


def error_of(source: str, root: Path, *, expression: bool = False) -> tuple[int, str] | None:
    """Return (line within ``source``, message) if it does not compile, else None."""
    import jinja2  # noqa: PLC0415 - comes with ansible-core

    env = environment(root)
    if not expression:
        return template_error(source, env)
    try:
        env.compile_expression(source)
    except jinja2.TemplateSyntaxError as error:  # TemplateAssertionError is one too
        return error.lineno or 1, advice(error.message or str(error))
    return unknown_names(env.parse(f"{{{{ {source} }}}}"), env)


def advice(message: str) -> str:
    """Add what to do to Jinja's message."""
    message = message.rstrip(".")
    if message.startswith(("No filter named", "No test named")):
        return f"{message}: fix the name, or add its collection to requirements.yml"
    return f"{message}: fix the Jinja syntax"


def overridden(source: str, root: Path) -> tuple[str, Any]:
    """Apply a ``#jinja2:`` first line (other delimiters) as the template module does."""
    env = environment(root)
    if not source.startswith(OVERRIDE):
        return source, env
    header, _, body = source.partition("\n")
    settings = {}
    for pair in header.removeprefix(OVERRIDE).split(","):
        key, _, value = pair.partition(":")
        with contextlib.suppress(ValueError, SyntaxError):
            settings[key.strip()] = ast.literal_eval(value.strip())
    return body, env.overlay(**settings)


def template_problems(root: Path) -> Iterator[str]:
    """Yield one message per template under ``templates/`` that does not compile."""
    folder = root / "templates"
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else ():
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a binary file copied with the template module
        body, env = overridden(source, root)
        if (found := template_error(body, env)) is not None:
            line = found[0] + (body is not source)  # the header line was taken off
            yield f"{path.relative_to(root)}:{line}: {found[1]}"


def template_error(source: str, env: Any) -> tuple[int, str] | None:  # noqa: ANN401
    """Return (line, message) if a template does not compile in ``env``, else None."""
    import jinja2  # noqa: PLC0415 - comes with ansible-core

    try:
        tree = env.parse(source)
        env.compile(tree)
    except jinja2.TemplateSyntaxError as error:
        return error.lineno or 1, advice(error.message or str(error))
    return unknown_names(tree, env)


def strings(node: yaml.Node, key: str = "") -> Iterator[tuple[str, yaml.ScalarNode]]:
    """Yield (the key it sits under, scalar) for every plain string in a YAML tree."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:str":  # not !unsafe, !vault, numbers, booleans
            yield key, node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from strings(item, key)
    elif isinstance(node, yaml.MappingNode):
        for name, value in node.value:
            yield from strings(value, str(name.value) if isinstance(name, yaml.ScalarNode) else "")


def expression_problems(path: Path, root: Path) -> Iterator[str]:
    """Yield one message per Jinja string or conditional of a YAML file that does not compile."""
    source = path.read_text(encoding="utf-8")
    try:
        documents = list(yaml.compose_all(source, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return  # yamllint and ansible-lint report YAML errors
    for document in filter(None, documents):
        for key, node in strings(document):
            text = str(node.value)
            bare = key in CONDITIONALS and not any(mark in text for mark in MARKS)
            if not (bare or any(mark in text for mark in MARKS)):
                continue
            if node.style == ">":  # folded: find the line in the text as written
                written = source[node.start_mark.index : node.end_mark.index]
                text = textwrap.dedent(written.partition("\n")[2])  # below the indicator
            if (found := error_of(text, root, expression=bare)) is not None:
                yield f"{path.relative_to(root)}:{line_of(node, found[0])}: {found[1]}"


def line_of(node: yaml.ScalarNode, line: int) -> int:
    """Return the file line of ``line`` within a scalar's text."""
    below = node.style in {"|", ">"}  # a block scalar's text starts below its indicator
    return node.start_mark.line + line + below


def role_problems(root: Path) -> list[str]:
    """Return every Jinja problem of one role's templates and YAML files."""
    found = list(template_problems(root))
    for folder in YAML_DIRS:
        paths = sorted((root / folder).rglob("*.y*ml")) if (root / folder).is_dir() else []
        for path in paths:
            found.extend(expression_problems(path, root))
    return found


def problems(project: Project) -> list[str]:
    """Return every Jinja problem of the project's roles."""
    return per_role(project, role_problems)


CHECK = Check("jinja", "every template and Jinja expression parses (Ansible's filters)", problems)
