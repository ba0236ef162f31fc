"""Working calendar (stub: the real one replaces this)."""


def invalidate():
    pass
