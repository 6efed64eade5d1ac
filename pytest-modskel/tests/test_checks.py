"""The role checks the generated unit tests run: Jinja syntax, argument specs, README table.

Each test builds a tiny role in ``tmp_path`` and asserts on the messages the
generated ``tests/unit/test_checks.py`` shows, word for word. Ansible's own
Jinja environment and argument-spec validator run in-process (ansible-core
is in the repository's environment).
"""

from __future__ import annotations

import itertools
import re
import warnings
from pathlib import Path

import pytest
import yaml
from pytest_modskel.checks import CHECKS, jinja, variables
from pytest_modskel.commands import docs
from pytest_modskel.project import Project


def role(root: Path, files: dict[str, str | bytes]) -> Project:
    """Write a role (``meta/main.yml`` plus ``files``) into ``root`` and return it."""
    for relative, content in {"meta/main.yml": "galaxy_info: {}\n", **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return Project(root)


def test_checks_registered_by_name() -> None:
    assert {name: check.summary for name, check in CHECKS.items()} == {
        "jinja": "every template and Jinja expression parses (Ansible's filters)",
        "argument-specs": "defaults/main.yml agrees with meta/argument_specs.yml",
        "readme-variables": (
            "README's tables match meta/argument_specs.yml and a collection's plugin docs"
        ),
    }
    assert all(check.name == name for name, check in CHECKS.items())


# --- jinja ---------------------------------------------------------------------------------

SYNTAX = ": fix the Jinja syntax"
UNKNOWN = "fix the name, or add its collection to requirements.yml"
UNCLOSED_IF = (
    "Unexpected end of template. Jinja was looking for the following tags: 'elif' or 'else' "
    "or 'endif'. The innermost block that needs to be closed is 'if'"
)
TASKS = """\
- name: Greet
  ansible.builtin.debug:
    msg: "Hello {{ who | default('world') }}"
  when: who is defined and who != 'nobody'
"""
BLOCK_SCALAR = """\
- name: Write the config
  ansible.builtin.copy:
    dest: /etc/web.conf
    content: |
      port = {{ web_port }}
      name = {{ web_name }
"""


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"templates/web.conf.j2": "port = {{ web_port }}\n{% raw %}{{ x }{% endraw %}\n",
          "tasks/main.yml": TASKS, "handlers/main.yaml": "---\n- name: Restart\n  when: true\n"},
         []),
        ({"templates/x.j2": "{{ h }\n"}, [f"templates/x.j2:1: unexpected '}}'{SYNTAX}"]),
        ({"templates/sub/site.conf": "ok\n{% if web_tls %}\n"},
         [f"templates/sub/site.conf:2: {UNCLOSED_IF}{SYNTAX}"]),
        ({"templates/z.j2": "{# note\n"},
         [f"templates/z.j2:1: Missing end of comment tag{SYNTAX}"]),
        ({"tasks/main.yml": "- name: Show\n  ansible.builtin.debug:\n"
                            '    msg: "{{ web_port | nosuch_filter }}"\n'},
         [f"tasks/main.yml:3: No filter named 'nosuch_filter': {UNKNOWN}"]),
        ({"tasks/main.yml": "- name: Show\n  ansible.builtin.debug:\n  when: web_port ==\n"},
         [f"tasks/main.yml:3: unexpected 'end of template'{SYNTAX}"]),
        ({"handlers/main.yml": "- name: Restart\n  ansible.builtin.service:\n    name: web\n"
                               "  changed_when:\n    - true\n    - web is nosuch_test\n"},
         [f"handlers/main.yml:6: No test named 'nosuch_test': {UNKNOWN}"]),
        ({"tasks/main.yml": BLOCK_SCALAR}, [f"tasks/main.yml:6: unexpected '}}'{SYNTAX}"]),
        ({"tasks/main.yml": "- name: Raw text\n  ansible.builtin.debug:\n"
                            '    msg: !unsafe "{{ not jinja }"\n'}, []),
        ({"tasks/main.yml": "- name: web == broken and {\n  ansible.builtin.debug:\n"}, []),
        ({"defaults/main.yml": '---\nweb_url: "http://{{ web_host }"\n',
          "vars/debian/main.yaml": '---\nweb_a: 1\n---\nweb_b: "{{ web_a + }}"\n'},
         [f"defaults/main.yml:2: unexpected '}}'{SYNTAX}",
          f"vars/debian/main.yaml:4: unexpected 'end of print statement'{SYNTAX}"]),
        ({"tasks/main.yml": "", "vars/main.yml": "---\n# only a comment\n"}, []),
        ({"tasks/main.yml": '- name: [unclosed\n  msg: "{{ x }"\n'}, []),
        ({"templates/logo.png": b"\x89PNG\r\n\x1a\n\xff{{ x }\n"}, []),
        ({"templates/x.j2": "{{ a }\n", "templates/y.j2": "{{ b }\n",
          "tasks/main.yml": "- name: A\n  when: a ==\n"},
         [f"templates/x.j2:1: unexpected '}}'{SYNTAX}",
          f"templates/y.j2:1: unexpected '}}'{SYNTAX}",
          f"tasks/main.yml:2: unexpected 'end of template'{SYNTAX}"]),
    ],
    ids=[
        "valid-role", "template-syntax", "template-line-two", "template-comment",
        "unknown-filter-in-task", "bare-when", "unknown-test-in-changed-when-list",
        "block-scalar-line", "unsafe-ignored", "plain-string-ignored", "defaults-and-vars",
        "empty-yaml", "unparsable-yaml-skipped", "binary-template-skipped", "several-problems",
    ],
)  # fmt: skip
def test_jinja(tmp_path: Path, files: dict[str, str | bytes], expected: list[str]) -> None:
    assert CHECKS["jinja"].run(role(tmp_path, files)) == expected


def test_jinja_without_role_folders(tmp_path: Path) -> None:
    assert jinja.problems(role(tmp_path, {})) == []


FILTER_PLUGIN = """\
class FilterModule:
    def filters(self):
        return {"modskel_shout": str.upper}
"""
TEST_PLUGIN = """\
class TestModule:
    def tests(self):
        return {"modskel_loud": str.isupper}
"""


def test_jinja_finds_the_roles_own_plugins(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "filter_plugins/shout.py": FILTER_PLUGIN,
        "test_plugins/loud.py": TEST_PLUGIN,
        "templates/motd.j2": "{{ web_name | modskel_shout }}\n",
        "tasks/main.yml": "- name: Loud\n  ansible.builtin.debug:\n"
        "  when: web_name | modskel_shout is modskel_loud\n",
    }
    assert jinja.problems(role(tmp_path / "own", files)) == []
    files["templates/motd.j2"] = "{{ web_name | modskel_shuot }}\n"
    assert jinja.problems(role(tmp_path / "typo", files)) == [
        f"templates/motd.j2:1: No filter named 'modskel_shuot': {UNKNOWN}"
    ]


def test_jinja_knows_ansibles_filters_and_tests(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "templates/x.j2": "{{ web | to_nice_yaml }}{{ web | ansible.builtin.to_json }}\n",
        "tasks/main.yml": "- name: Match\n  when: web is ansible.builtin.match('a')\n",
    }
    assert jinja.problems(role(tmp_path, files)) == []


def test_jinja_honours_template_overrides(tmp_path: Path) -> None:
    header = "#jinja2: variable_start_string: '[%', variable_end_string: '%]'\n"
    helm = f"{header}{{{{ .Values.x }}}}\n[% x %]\n"
    assert jinja.problems(role(tmp_path, {"templates/values.yaml.j2": helm})) == []


def test_jinja_line_in_a_folded_scalar(tmp_path: Path) -> None:
    tasks = (
        "- name: Say\n  ansible.builtin.debug:\n    msg: >\n"
        "      first\n      second\n\n      {{ y }\n"
    )
    assert jinja.problems(role(tmp_path, {"tasks/main.yml": tasks})) == [
        f"tasks/main.yml:7: unexpected '}}'{SYNTAX}"
    ]


def test_jinja_unknown_filter_in_an_if_block(tmp_path: Path) -> None:
    template = "{% if web_tls %}\n{{ web_cert | nosuch_filter }}\n{% endif %}\n"
    (found,) = jinja.problems(role(tmp_path, {"templates/x.j2": template}))
    assert found.startswith("templates/x.j2:2: No filter named 'nosuch_filter'")


def test_jinja_checks_a_second_role_quietly(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"templates/x.j2": "{{ x }}\n"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert jinja.problems(role(tmp_path / "one", files)) == []
        assert jinja.problems(role(tmp_path / "two", files)) == []


def test_strings_of_a_yaml_tree() -> None:
    tree = yaml.compose("? [a, b]\n: '{{ x }}'\nwhen: [c, 1, !unsafe d]\n")
    assert tree is not None
    # Values only; a key that is not a string gives its value no key.
    found = [(key, node.value) for key, node in jinja.strings(tree)]
    assert found == [("", "{{ x }}"), ("when", "c")]
    assert list(jinja.strings(yaml.Node("tag:x", None, None, None))) == []  # no other node kinds


# --- argument-specs ---------------------------------------------------------------------------

SPECS = """\
argument_specs:
  main:
    short_description: Serve the web
    options:
      web_port:
        type: int
        default: 8080
        description: Port to listen on.
      web_mode:
        type: str
        choices: [fast, safe]
        default: safe
        description: How to serve.
      web_backends:
        type: list
        elements: int
        default: []
        description: Backend ports.
      web_admin:
        type: str
        required: true
        description: Who administers it.
"""
DEFAULTS = "---\nweb_port: 8080\nweb_mode: safe\nweb_backends: []\n"
UNDOCUMENTED = (
    "defaults/main.yml sets `{name}`, which meta/argument_specs.yml does not document: add it "
    "under argument_specs.main.options (then run `tox -e docs`):\n"
)


def specs_role(root: Path, defaults: str | None = DEFAULTS, specs: str | None = SPECS) -> Project:
    files: dict[str, str | bytes] = {}
    if defaults is not None:
        files["defaults/main.yml"] = defaults
    if specs is not None:
        files["meta/argument_specs.yml"] = specs
    return role(root, files)


def test_agreeing_defaults_and_specs(tmp_path: Path) -> None:
    assert CHECKS["argument-specs"].run(specs_role(tmp_path)) == []


@pytest.mark.parametrize(
    ("value", "entry"),
    [
        ("true", "type: bool\n        default: true\n"),
        ("3", "type: int\n        default: 3\n"),
        ("0.5", "type: float\n        default: 0.5\n"),
        ("[]", "type: list\n        default: []\n"),
        ("hello", "type: str\n        default: hello\n"),
        ("", "type: str\n        default: null\n"),
    ],
    ids=["bool", "int", "float", "empty-list", "str", "null"],
)
def test_undocumented_default_gives_the_entry_to_paste(
    tmp_path: Path, value: str, entry: str
) -> None:
    project = specs_role(tmp_path, defaults=f"{DEFAULTS}web_extra: {value}\n")
    assert variables.problems(project) == [
        UNDOCUMENTED.format(name="web_extra")
        + f"      web_extra:\n        {entry}"
        + "        description: What web_extra sets (describe it).\n"
    ]


@pytest.mark.parametrize(
    ("value", "entry"),
    [
        ("[a, b]", {"type": "list", "elements": "str", "default": ["a", "b"]}),
        ("[1, a]", {"type": "list", "default": [1, "a"]}),
        ("{a: 1, b: [x]}", {"type": "dict", "default": {"a": 1, "b": ["x"]}}),
    ],
    ids=["list-of-str", "mixed-list", "dict"],
)
def test_undocumented_collection_gives_the_entry_to_paste(
    tmp_path: Path, value: str, entry: dict[str, object]
) -> None:
    (message,) = variables.problems(specs_role(tmp_path, defaults=f"{DEFAULTS}web_x: {value}\n"))
    head, pasted = message.split("\n", 1)
    assert f"{head}\n" == UNDOCUMENTED.format(name="web_x")
    assert pasted.startswith("      web_x:\n")
    assert all(line.startswith("        ") for line in pasted.splitlines()[1:])
    assert yaml.safe_load(pasted) == {
        "web_x": {**entry, "description": "What web_x sets (describe it)."}
    }


def indentless_sequences(text: str) -> list[str]:
    """Return each line that starts a block sequence no deeper than its parent key."""
    lines = text.splitlines()
    return [
        line
        for parent, line in itertools.pairwise(lines)
        if line.lstrip().startswith("- ")
        and parent.rstrip().endswith(":")
        and len(line) - len(line.lstrip()) <= len(parent) - len(parent.lstrip())
    ]


@pytest.mark.parametrize("value", ["[a, b]", "{a: [1, 2]}"], ids=["list", "dict-of-list"])
def test_pasted_entry_passes_yamllint_indentation(tmp_path: Path, value: str) -> None:
    (message,) = variables.problems(specs_role(tmp_path, defaults=f"{DEFAULTS}web_x: {value}\n"))
    assert indentless_sequences(message) == []


def test_indentless_sequences_helper() -> None:
    assert indentless_sequences("a:\n- 1\nb:\n  - 2\nc: 3\n- 4\n") == ["- 1"]


def test_spec_default_missing_in_defaults(tmp_path: Path) -> None:
    project = specs_role(tmp_path, defaults="---\nweb_mode: safe\nweb_backends: []\n")
    assert variables.problems(project) == [
        (
            "meta/argument_specs.yml gives `web_port` a default that defaults/main.yml does not "
            "set: add `web_port: 8080` to defaults/main.yml, or drop the spec's default"
        )
    ]


@pytest.mark.parametrize(
    ("spec", "paste"),
    [("type: str\n        default: null", "web_proxy: null"),
     ("type: bool\n        default: true", "web_proxy: true")],
    ids=["null", "bool"],
)  # fmt: skip
def test_value_to_paste_is_yaml(tmp_path: Path, spec: str, paste: str) -> None:
    specs = f"{SPECS}      web_proxy:\n        {spec}\n        description: Proxy.\n"
    (message,) = variables.problems(specs_role(tmp_path, specs=specs))
    assert f"add `{paste}` to defaults/main.yml" in message


def test_mismatched_default(tmp_path: Path) -> None:
    project = specs_role(tmp_path, defaults=DEFAULTS.replace("8080", "8081"))
    assert variables.problems(project) == [
        (
            "meta/argument_specs.yml gives `web_port` the default 8080 but defaults/main.yml sets "
            "8081: make them equal (the README table shows the spec's)"
        )
    ]


@pytest.mark.parametrize(
    ("defaults", "expected"),
    [
        (DEFAULTS.replace("8080", "eighty"),
         [("meta/argument_specs.yml gives `web_port` the default 8080 but defaults/main.yml sets "
          "eighty: make them equal (the README table shows the spec's)"),
          ("defaults/main.yml: argument 'web_port' is of type str and we were unable to convert to "
          "int: \"'eighty'\" cannot be converted to an int: fix the value or its spec")]),
        (DEFAULTS.replace("[]", "[80, x]").replace("safe", "slow"),
         [("meta/argument_specs.yml gives `web_mode` the default safe but defaults/main.yml sets "
          "slow: make them equal (the README table shows the spec's)"),
          ("meta/argument_specs.yml gives `web_backends` the default [] but defaults/main.yml sets "
          "[80, x]: make them equal (the README table shows the spec's)"),
          ("defaults/main.yml: Elements value for option 'web_backends' is of type str and we were "
          "unable to convert to int: \"'x'\" cannot be converted to an int: "
          "fix the value or its spec"),
          ("defaults/main.yml: value of web_mode must be one of: fast, safe, got: slow: "
          "fix the value or its spec")]),
    ],
    ids=["wrong-type", "choices-and-elements"],
)  # fmt: skip
def test_invalid_value_per_spec(tmp_path: Path, defaults: str, expected: list[str]) -> None:
    assert variables.problems(specs_role(tmp_path, defaults=defaults)) == expected


@pytest.mark.parametrize(
    "defaults",
    [
        '---\nweb_port: "{{ web_base + 1 }}"\nweb_mode: safe\nweb_backends: []\n',
        '---\nweb_port: 8080\nweb_mode: safe\nweb_backends: ["{{ web_port }}", 81]\n',
        f'{DEFAULTS}web_admin: {{name: "{{{{ ansible_user_id }}}}"}}\n',
    ],
    ids=["str", "in-list", "in-dict"],
)
def test_templated_values_are_not_type_checked(tmp_path: Path, defaults: str) -> None:
    found = variables.problems(specs_role(tmp_path, defaults=defaults))
    assert not [line for line in found if line.startswith("defaults/main.yml:")]


def test_templated() -> None:
    assert variables.templated({"a": [1, {"b": "{{ c }}"}]})
    assert not variables.templated({"a": [1, {"b": "c"}], "d": None})


def test_missing_argument_specs(tmp_path: Path) -> None:
    assert variables.problems(specs_role(tmp_path, specs=None)) == [
        (
            "meta/argument_specs.yml not found: add it "
            "(the unit tests check the role's variables with it)"
        )
    ]


@pytest.mark.parametrize(
    "specs",
    ["", "argument_specs:\n", "argument_specs:\n  main:\n    short_description: x\n"],
    ids=["empty-file", "no-entry-points", "no-options"],
)
def test_argument_specs_without_options(tmp_path: Path, specs: str) -> None:
    project = specs_role(tmp_path, defaults="---\nweb_port: 8080\n", specs=specs)
    assert variables.problems(project) == [
        UNDOCUMENTED.format(name="web_port")
        + "      web_port:\n        type: int\n        default: 8080\n"
        + "        description: What web_port sets (describe it).\n"
    ]


def test_without_defaults(tmp_path: Path) -> None:
    assert [line.split(" a default", 1)[0] for line in
            variables.problems(specs_role(tmp_path, defaults=None))] == [
        "meta/argument_specs.yml gives `web_port`",
        "meta/argument_specs.yml gives `web_mode`",
        "meta/argument_specs.yml gives `web_backends`",
    ]  # fmt: skip


def test_option_with_an_empty_body(tmp_path: Path) -> None:
    project = specs_role(tmp_path, defaults=f"{DEFAULTS}web_x: a\n", specs=f"{SPECS}      web_x:\n")
    assert variables.problems(project) == []


# --- readme-variables ------------------------------------------------------------------------


def readme_role(root: Path, readme: str | None) -> Project:
    files: dict[str, str | bytes] = {"meta/argument_specs.yml": SPECS}
    if readme is not None:
        files["README.md"] = readme
    return role(root, files)


def test_readme_table_current(tmp_path: Path) -> None:
    project = readme_role(tmp_path, None)
    readme = f"# web\n\n{docs.BEGIN}\n{docs.END}\n"
    text = docs.with_table(readme, docs.variables_table(project.root))
    (project.root / "README.md").write_text(text, encoding="utf-8")
    assert CHECKS["readme-variables"].run(project) == []


def test_readme_table_stale(tmp_path: Path) -> None:
    project = readme_role(tmp_path, f"# web\n\n{docs.BEGIN}\n| old |\n{docs.END}\n")
    assert variables.readme_problems(project) == [
        "README.md: the variables table differs from meta/argument_specs.yml: run `tox -e docs`"
    ]


def test_readme_missing(tmp_path: Path) -> None:
    assert variables.readme_problems(readme_role(tmp_path, None)) == [
        "README.md not found: add one with the variables table markers, then `tox -e docs`"
    ]


def test_readme_without_argument_specs(tmp_path: Path) -> None:
    project = readme_role(tmp_path, f"# web\n\n{docs.BEGIN}\n{docs.END}\n")
    (project.root / "meta" / "argument_specs.yml").unlink()
    assert variables.readme_problems(project) == [
        "README.md: meta/argument_specs.yml not found: the variables table is made from it, add it"
    ]


def test_readme_without_markers(tmp_path: Path) -> None:
    (found,) = variables.readme_problems(readme_role(tmp_path, "# web\n"))
    markers = f"lacks the markers {docs.BEGIN!r} and {docs.END!r}: add both where the table goes"
    assert re.search(f"^README.md.*{re.escape(markers)}$", found), found


def readme_collection(root: Path, roles: tuple[str, ...] = ("web",)) -> Project:
    """A collection whose README has the variables table markers, with ``roles``."""
    root.mkdir(parents=True)
    (root / "galaxy.yml").write_text("namespace: acme\nname: tools\n", encoding="utf-8")
    for name in roles:
        (root / "roles" / name / "meta").mkdir(parents=True)
        (root / "roles" / name / "meta" / "argument_specs.yml").write_text(SPECS, encoding="utf-8")
    begin, end = docs.markers("roles")
    readme = f"# tools\n\n{begin}\n{end}\n\n{docs.BEGIN}\n{docs.END}\n"
    (root / "README.md").write_text(readme, encoding="utf-8")
    return Project(root)


def test_collection_readme_takes_the_variables_of_its_role(tmp_path: Path) -> None:
    project = readme_collection(tmp_path / "tools")
    assert variables.readme_problems(project) == [
        (
            "README.md: its tables differ from the plugins' docs and the roles' specs: "
            "run `tox -e docs`"
        )
    ]
    readme = project.root / "README.md"
    readme.write_text(docs.expected_readme(project, readme.read_text()), encoding="utf-8")
    assert "| `web_port` |" in readme.read_text()  # the role's variables
    assert variables.readme_problems(project) == []


def test_collection_readme_variables_table_needs_one_role(tmp_path: Path) -> None:
    project = readme_collection(tmp_path / "tools", roles=("web", "db"))
    assert variables.readme_problems(project) == [
        (
            "README.md has a variables table, but the collection has 2 roles (db, web): remove "
            "the table's markers and list variables in each role's README"
        )
    ]
