"""Answer sets the template is rendered with; ids name them in test reports."""

from __future__ import annotations

from typing import Any

import pytest

ANSWER_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "apache-multi-platform": {
        "role_name": "web_proxy",
        "namespace": "acme",
        "description": "Proxy: with 'quotes', \"double quotes\" # and a hash",
        "author": "Zoë Ünïcode <zoe@example.org>",
        "license": "Apache-2.0",
        "min_ansible_core": "2.18",
        "platforms": ["debian13", "ubuntu2404", "rockylinux9", "debian12"],
    },
    "gpl-every-platform": {
        "role_name": "ntp_client",
        "namespace": "infra_team",
        "license": "GPL-3.0-or-later",
        "platforms": [
            "debian12",
            "debian13",
            "debian11",
            "ubuntu2404",
            "ubuntu2204",
            "rockylinux9",
            "fedora42",
            "debian12-vm",
        ],
        "ci_providers": ["github", "gitlab"],
    },
}

# The collection kind, apart: ANSWER_SETS's tests check the role kind's layout.
# GPL-3.0-or-later and min 2.18: the module's GPL header and two sanity series.
COLLECTION_ANSWERS: dict[str, dict[str, Any]] = {
    "collection-defaults": {"kind": "collection"},
    "collection-gpl": {
        "kind": "collection",
        "collection_name": "web_tools",
        "role_name": "proxy",
        "namespace": "acme",
        "license": "GPL-3.0-or-later",
        "min_ansible_core": "2.18",
    },
    # Names as long as people give them: imports and messages hold them.
    "collection-long-names": {
        "kind": "collection",
        "namespace": "platform_engineering_team",
        "collection_name": "infrastructure_monitoring_agent",
    },
}

answer_sets = pytest.mark.parametrize("answers", list(ANSWER_SETS.values()), ids=list(ANSWER_SETS))
