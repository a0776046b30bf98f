"""A minimal pytree: nested tuples, lists and dicts (namedtuples too) with anything else as a leaf,
as ``torch.utils._pytree`` treats them for the function transforms."""

__all__ = ["tree_flatten", "tree_unflatten", "broadcast_prefix", "spec_str"]


class TreeSpec:
    """The structure of a pytree: ``kind`` is None for a leaf, else the container type, with
    ``keys`` (dict keys) and one child spec per element."""

    __slots__ = ("kind", "keys", "children")

    def __init__(self, kind=None, keys=None, children=()):
        self.kind, self.keys, self.children = kind, keys, children

    @property
    def num_leaves(self):
        return 1 if self.kind is None else sum(c.num_leaves for c in self.children)

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.kind is other.kind
                and self.keys == other.keys and self.children == other.children)

    def __repr__(self):
        return spec_str(self)


LEAF = TreeSpec()


def _container(x):
    if isinstance(x, dict):
        return dict
    if isinstance(x, tuple):
        return type(x) if hasattr(x, "_fields") else tuple
    if isinstance(x, list):
        return list
    return None


def tree_flatten(tree):
    """``(leaves, spec)``: the leaves of ``tree`` in order, and its structure."""
    leaves = []

    def walk(x):
        kind = _container(x)
        if kind is None:
            leaves.append(x)
            return LEAF
        if kind is dict:
            keys = list(x)
            return TreeSpec(dict, keys, tuple(walk(x[k]) for k in keys))
        return TreeSpec(kind, None, tuple(walk(v) for v in x))
    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, spec):
    """The pytree of structure ``spec`` holding ``leaves`` (in order)."""
    it = iter(leaves)

    def build(s):
        if s.kind is None:
            return next(it)
        vals = [build(c) for c in s.children]
        if s.kind is dict:
            return dict(zip(s.keys, vals))
        if s.kind is tuple or s.kind is list:
            return s.kind(vals)
        return s.kind(*vals)  # a namedtuple
    return build(spec)


def broadcast_prefix(prefix, spec):
    """One value per leaf of ``spec``: ``prefix`` is a pytree whose leaves (ints or None) stand for
    whole subtrees of ``spec``. Returns None when the structures do not match."""
    out = []

    def walk(p, s):
        if p is None or _container(p) is None:
            out.extend([p] * s.num_leaves)
            return True
        kind = dict if isinstance(p, dict) else (list if isinstance(p, list) else tuple)
        if s.kind is None or (kind is dict) != (s.kind is dict) or len(p) != len(s.children):
            return False
        if kind is dict:
            if set(p) != set(s.keys):
                return False
            return all(walk(p[k], c) for k, c in zip(s.keys, s.children))
        return all(walk(pv, c) for pv, c in zip(p, s.children))
    return out if walk(prefix, spec) else None


def spec_str(spec):
    """A short text of a structure for error messages: ``*`` for a leaf."""
    if spec.kind is None:
        return "*"
    if spec.kind is dict:
        inner = ", ".join(f"{k!r}: {spec_str(c)}" for k, c in zip(spec.keys, spec.children))
        return "{" + inner + "}"
    inner = ", ".join(spec_str(c) for c in spec.children)
    if spec.kind is list:
        return f"[{inner}]"
    return f"({inner}{',' if len(spec.children) == 1 else ''})"
