"""How Chromium runs here (Debian's, headless, as root, no network besides loopback) and the
phone it pretends to be; shared by the browser tests and the measurement scripts."""

from __future__ import annotations

import os
from typing import Any

CHROMIUM = os.environ.get("CLIPPORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
                         "is_mobile": True, "has_touch": True, "locale": "ja-JP"}
