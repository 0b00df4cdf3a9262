"""Mixins for classes that define equality the way a dependent's class may:
pool must tell such objects apart by identity (connection caps, a pool's
record of connections it lent)."""


class EqualByOrigin:
    """Equal to any object of the same (host, port), and hashed so."""

    def __eq__(self, other):
        return (getattr(other, "host", None), getattr(other, "port", None)) == (self.host, self.port)

    def __hash__(self):
        return hash((self.host, self.port))


class Unhashable:
    """``__eq__`` without ``__hash__``: instances are unhashable."""

    def __eq__(self, other):
        return self is other

    __hash__ = None
