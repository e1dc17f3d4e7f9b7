"""Rule sets a protocol can add with ``include = [...]`` (see docs/protocol-format.md)."""
