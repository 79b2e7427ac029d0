"""The command line's own error: a usage problem or an unreadable file (PK1 spec §7: exit 2)."""


class UsageError(Exception):
    """Shown as one line, ``passkiosk <command>: <message>``, exit status 2."""
