"""Running Ansible against the role: playbooks, environment, structured results."""
