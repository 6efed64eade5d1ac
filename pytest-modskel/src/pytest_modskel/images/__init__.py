"""Machine images built offline from Debian's packages (debootstrap)."""
