"""Grid lookup (stub: the real STRtree index replaces this)."""


def invalidate():
    pass
