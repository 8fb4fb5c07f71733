"""clipportal: a folder of short training clips in, a static, searchable video portal out."""

from __future__ import annotations

__version__ = "0.1.0"
