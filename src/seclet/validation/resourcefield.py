"""Resource field selectors (env ``valueFrom.resourceFieldRef`` and downward API
volume items): ``validateContainerResourceFieldSelector`` and
``validateContainerResourceDivisor`` of k/k ``pkg/apis/core/validation``.

Role: the resource must be one of the six container resource paths or start with
``requests.hugepages-`` / ``limits.hugepages-`` (DownwardAPIHugePages, GA); a volume
item also names its container. A set divisor (not zero) must print, as
``Quantity.String()``, as one of the values the resource allows, the error's value
being the resource name. Pure.
Callers: seclet.validation.containers (env), seclet.validation.volumes (downward API).
"""

from __future__ import annotations

from seclet.api import models
from seclet.api.field import ErrorList, Path, invalid, not_supported, required
from seclet.api.quantity import canonical, parse

CONTAINER_RESOURCE_FIELDS = (
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
)
"""``validContainerResourceFieldPathExpressions``, sorted as ``sets.List`` prints it."""
_HUGEPAGES_PREFIXES = ("limits.hugepages-", "requests.hugepages-")
_CPU_DIVISORS = frozenset({"1m", "1"})
_BYTE_DIVISORS = frozenset(
    {"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"}
)
_BYTES = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are"
_CPU = "only divisor's values 1m and 1 are supported with the cpu resource"
_DIVISOR_RULES: dict[str, tuple[frozenset[str], str]] = {
    "limits.cpu": (_CPU_DIVISORS, _CPU),
    "requests.cpu": (_CPU_DIVISORS, _CPU),
    "limits.memory": (_BYTE_DIVISORS, f"{_BYTES} supported with the memory resource"),
    "requests.memory": (_BYTE_DIVISORS, f"{_BYTES} supported with the memory resource"),
    "limits.ephemeral-storage": (
        _BYTE_DIVISORS,
        f"{_BYTES} supported with the local ephemeral storage resource",
    ),
    "requests.ephemeral-storage": (
        _BYTE_DIVISORS,
        f"{_BYTES} supported with the local ephemeral storage resource",
    ),
}
_HUGEPAGES_MESSAGE = f"{_BYTES} supported with the hugepages resource"


def validate_resource_field_selector(
    selector: models.ResourceFieldSelector, path: Path, *, volume: bool
) -> ErrorList:
    """``validateContainerResourceFieldSelector`` (``volume``: a downward API item)."""
    errs = ErrorList()
    resource = selector.resource or ""
    if volume and not selector.containerName:
        errs.append(required(path.child("containerName")))
    elif not resource:
        errs.append(required(path.child("resource")))
    elif resource not in CONTAINER_RESOURCE_FIELDS and not resource.startswith(_HUGEPAGES_PREFIXES):
        errs.append(not_supported(path.child("resource"), resource, CONTAINER_RESOURCE_FIELDS))
    errs.extend(_divisor(resource, selector.divisor, path))
    return errs


def _divisor(resource: str, divisor: str | int | float | None, path: Path) -> ErrorList:
    """``validateContainerResourceDivisor``: nothing for an unset (zero) divisor."""
    if divisor is None:
        return ErrorList()
    parsed = parse(divisor)
    if parsed is None or parsed[0] == 0:
        return ErrorList()
    text = canonical(divisor)
    errs = ErrorList()
    rule = _DIVISOR_RULES.get(resource)
    if rule is not None and text not in rule[0]:
        errs.append(invalid(path.child("divisor"), resource, rule[1]))
    if resource.startswith(_HUGEPAGES_PREFIXES) and text not in _BYTE_DIVISORS:
        errs.append(invalid(path.child("divisor"), resource, _HUGEPAGES_MESSAGE))
    return errs
