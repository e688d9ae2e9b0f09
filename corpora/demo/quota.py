"""Upload quota checks for the Ingot upload gateway.

The constants below mirror the production defaults in ``ferrowave.yaml`` and
``config-reference.md``. Sizes are binary: 1 MB = 1,048,576 bytes and
1 GiB = 1024 MB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MB = 1024 * 1024
GIB = 1024 * MB

MAX_FILE_SIZE_MB = 2048          # upload.max_file_size_mb
CHUNK_SIZE_MB = 8                # upload.chunk_size_mb
STANDARD_STORAGE_GIB = 500       # quota.standard_storage_gib
ENTERPRISE_STORAGE_GIB = 5120    # quota.enterprise_storage_gib
WARN_RATIO = 0.80                # quota.warn_ratio
HARD_LIMIT_RATIO = 1.05          # quota.hard_limit_ratio
DAILY_UPLOAD_LIMIT = 10_000      # quota.daily_upload_limit

_TIER_GIB = {"standard": STANDARD_STORAGE_GIB, "enterprise": ENTERPRISE_STORAGE_GIB}


@dataclass(frozen=True)
class QuotaDecision:
    """Result of :func:`check_upload`.

    ``status`` is the HTTP status Ingot returns when the upload is refused
    (413 or 403) and 201 when it is allowed. ``warning`` is True when the
    response must carry ``X-Ferro-Quota-Warning: true``.
    """

    allowed: bool
    status: int
    code: str | None = None
    warning: bool = False


def storage_quota_bytes(tier: str) -> int:
    """Return the storage quota of a tier in bytes.

    Standard tenants get 500 GiB and enterprise tenants 5120 GiB (5 TiB).
    Raises ``ValueError`` for an unknown tier; there is no implicit default tier.
    """
    try:
        return _TIER_GIB[tier] * GIB
    except KeyError:
        raise ValueError(f"unknown tier: {tier!r}") from None


def chunk_count(size_bytes: int, chunk_size_mb: int = CHUNK_SIZE_MB) -> int:
    """Number of chunks a file of ``size_bytes`` is split into (at least 1).

    With the default 8 MB chunks, a 2048 MB file needs exactly 256 chunks.
    """
    return max(1, math.ceil(size_bytes / (chunk_size_mb * MB)))


def check_upload(tier: str, used_bytes: int, size_bytes: int, uploads_today: int) -> QuotaDecision:
    """Decide whether a tenant may open a new upload session.

    Checks run in this order, and the first failing check wins:

    1. The declared size must be at most 2048 MB, else ``413 FILE_TOO_LARGE``.
    2. The tenant must have completed fewer than 10,000 uploads today (UTC),
       else ``403 QUOTA_EXCEEDED``.
    3. Storage after the upload must not exceed 105% of the tier quota,
       else ``403 QUOTA_EXCEEDED``.

    An allowed upload that brings storage above 80% of the quota sets ``warning``.
    """
    if size_bytes > MAX_FILE_SIZE_MB * MB:
        return QuotaDecision(False, 413, "FILE_TOO_LARGE")
    if uploads_today >= DAILY_UPLOAD_LIMIT:
        return QuotaDecision(False, 403, "QUOTA_EXCEEDED")
    quota = storage_quota_bytes(tier)
    after = used_bytes + size_bytes
    if after > quota * HARD_LIMIT_RATIO:
        return QuotaDecision(False, 403, "QUOTA_EXCEEDED")
    return QuotaDecision(True, 201, None, warning=after > quota * WARN_RATIO)
