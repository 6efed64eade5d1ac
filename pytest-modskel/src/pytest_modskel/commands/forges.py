"""Where ``modskel template-update`` pushes its branch and opens its request: GitHub, GitLab.

A :class:`Provider` pushes a branch and opens (or refreshes) one request; the
two here speak each forge's REST API with :mod:`urllib`. Both read
``MODSKEL_UPDATE_TOKEN``: a GitHub App token or fine-grained personal token
(contents and pull requests: write), or a GitLab project access token (scope
``api``, role Developer). GitHub's own ``GITHUB_TOKEN`` is the fallback there:
it works, but CI does not run on a request it opens (docs/updating.md).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pytest_modskel.errors import ConfigError, SetupError
from pytest_modskel.text import last_line

if TYPE_CHECKING:
    from pytest_modskel.commands.template_update import Request

TOKEN = "MODSKEL_UPDATE_TOKEN"  # noqa: S105 - the variable's name


class Provider(Protocol):
    """A forge: pushes the update branch, opens or refreshes its request."""

    def push(self, root: Path, branch: str) -> None:
        """Force-push ``branch`` of the project at ``root``."""

    def submit(self, request: Request) -> str:
        """Open or refresh the request; return a line naming it (with its URL)."""


def call(method: str, url: str, token_header: tuple[str, str], data: object = None) -> Any:  # noqa: ANN401
    """Send one JSON request to a forge's API; return the decoded answer."""
    if not url.startswith(("https://", "http://")):
        msg = f"API address {url!r} is not http(s): check GITHUB_API_URL or CI_API_V4_URL"
        raise ConfigError(msg)
    body = None if data is None else json.dumps(data).encode()
    headers = {"Accept": "application/json", "Content-Type": "application/json",
               token_header[0]: token_header[1]}  # fmt: skip
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - checked above
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        said = last_line(error.read().decode(errors="replace"))
        msg = (f"{method} {url} failed: HTTP {error.code} {said}: check that "
               f"{TOKEN} may write the repository and its requests (docs/updating.md)")  # fmt: skip
        raise SetupError(msg) from None
    except urllib.error.URLError as error:
        msg = f"{method} {url} failed: {error.reason}: check the network and the API address"
        raise SetupError(msg) from None


def need(env: Mapping[str, str], name: str, why: str) -> str:
    """Return ``env[name]``, or say which variable to set."""
    if not env.get(name):
        msg = f"{name} is not set: {why}"
        raise ConfigError(msg)
    return env[name]


@dataclass(frozen=True)
class Forge:
    """What both forges share: a token, the repository's git address, pushing."""

    token: str
    api: str
    repo_url: str
    user: ClassVar[str] = "oauth2"

    def push(self, root: Path, branch: str) -> None:
        """Force-push ``branch``, the token in an HTTP header (never in the command line)."""
        basic = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        env = {**os.environ, "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
               "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}"}  # fmt: skip
        cmd = ["git", "push", "--force", "--quiet", self.repo_url, f"HEAD:refs/heads/{branch}"]
        done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            msg = f"git push to {self.repo_url} failed: {last_line(done.stderr)}: check {TOKEN}"
            raise SetupError(msg)


@dataclass(frozen=True)
class GitHub(Forge):
    """GitHub: REST v3, pull requests."""

    repo: str = ""
    user: ClassVar[str] = "x-access-token"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHub:
        """Read the token and repository from the Actions environment."""
        token = env.get(TOKEN) or env.get("GITHUB_TOKEN", "")
        if not env.get(TOKEN) and token:
            print(f"template-update: {TOKEN} not set, using GITHUB_TOKEN: CI will not run on "
                  "the pull request it opens (docs/updating.md)", file=sys.stderr)  # fmt: skip
        repo = need(env, "GITHUB_REPOSITORY", "run in GitHub Actions or set it (owner/name)")
        if not token:
            msg = f"{TOKEN} is not set: add the secret (docs/updating.md)"
            raise ConfigError(msg)
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        api = env.get("GITHUB_API_URL") or "https://api.github.com"
        return cls(token, api, f"{server}/{repo}.git", repo)

    def submit(self, request: Request) -> str:
        """Refresh the open pull request from the branch, or open one."""
        auth = ("Authorization", f"Bearer {self.token}")
        pulls = f"{self.api}/repos/{self.repo}/pulls"
        head = f"{self.repo.split('/')[0]}:{request.branch}"
        query = urllib.parse.urlencode({"state": "open", "head": head})
        found = call("GET", f"{pulls}?{query}", auth)
        fields = {"title": request.title, "body": request.body}
        if found:
            pull = call("PATCH", f"{pulls}/{found[0]['number']}", auth, fields)
            return f"refreshed {pull['html_url']}"
        new = {**fields, "head": request.branch, "base": request.base, "draft": request.draft}
        return f"opened {call('POST', pulls, auth, new)['html_url']}"


@dataclass(frozen=True)
class GitLab(Forge):
    """GitLab: REST v4, merge requests (a draft is titled ``Draft: ``)."""

    project: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitLab:
        """Read the token and project from the GitLab CI environment."""
        token = need(env, TOKEN, "add a project access token (scope api) as a CI/CD variable")
        where = "run in GitLab CI or set it"
        api = need(env, "CI_API_V4_URL", where)
        server = need(env, "CI_SERVER_URL", where)
        path = need(env, "CI_PROJECT_PATH", where)
        return cls(token, api, f"{server}/{path}.git", need(env, "CI_PROJECT_ID", where))

    def submit(self, request: Request) -> str:
        """Refresh the open merge request from the branch, or open one."""
        auth = ("PRIVATE-TOKEN", self.token)
        requests = f"{self.api}/projects/{self.project}/merge_requests"
        query = urllib.parse.urlencode({"state": "opened", "source_branch": request.branch})
        found = call("GET", f"{requests}?{query}", auth)
        title = f"Draft: {request.title}" if request.draft else request.title
        fields = {"title": title, "description": request.body}
        if found:
            merge = call("PUT", f"{requests}/{found[0]['iid']}", auth, fields)
            return f"refreshed {merge['web_url']}"
        new = {**fields, "source_branch": request.branch, "target_branch": request.base,
               "remove_source_branch": True}  # fmt: skip
        return f"opened {call('POST', requests, auth, new)['web_url']}"


PROVIDERS: dict[str, type[GitHub | GitLab]] = {"github": GitHub, "gitlab": GitLab}
