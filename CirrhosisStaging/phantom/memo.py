"""Remember the last few field values computed over the same sample points.

Some fields (the skin and cavity outlines, the liver surface) are asked for by several layers over
the same block of samples. A result is keyed by the memory its coordinate arrays occupy; the entry
keeps those arrays alive, so their memory cannot be reused by other points while it is cached.
Results are read-only, so no caller can change a shared value in place.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

_ENTRIES = 6


def memoised_field(method):
    """Decorator for `method(self, x, y, z)` on objects that may carry a `_field_memo` dict."""
    @functools.wraps(method)
    def wrapper(self, x, y, z):
        memo = self.__dict__.setdefault("_field_memo", OrderedDict())
        key = (method.__name__, x.shape, x.strides,
               *(array.__array_interface__["data"][0] for array in (x, y, z)))
        hit = memo.get(key)
        if hit is not None:
            return hit[1]
        result = method(self, x, y, z)
        result.flags.writeable = False
        memo[key] = ((x, y, z), result)
        while len(memo) > _ENTRIES:
            memo.popitem(last=False)
        return result
    return wrapper
