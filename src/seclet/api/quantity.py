"""``resource.Quantity``: parse a quantity and print it in upstream's canonical form.

Role: the API server stores quantities as apimachinery's ``Quantity.String()`` writes
them (``1024Mi`` reads back as ``1Gi``, ``2000M`` as ``2G``, ``1.5Gi`` as ``1536Mi``),
and the printers of ``kubectl get pv``/``pvc`` show that form. Rules (apimachinery
``pkg/api/resource/quantity.go``): the suffix picks the format (``Ki``..``Ei``
BinarySI; ``n u m "" k M G T P E`` DecimalSI; ``e<n>`` DecimalExponent); precision
finer than 1n is rounded up, away from zero; zero is ``0``; BinarySI below 1024 in
magnitude, or not an integer, prints as DecimalSI; DecimalSI/DecimalExponent print
the integer mantissa with the largest exponent that is a multiple of 3.
Pure. Callers: ``seclet.apiserver.objects`` (volume kinds), ``seclet.apiserver.tables``,
``seclet.validation.persistentvolume``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Final

_RE: Final = re.compile(
    r"^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i|)$"
)
_BINARY: Final = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL: Final = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DECIMAL_SUFFIX: Final = {v: k for k, v in _DECIMAL.items()}
_BINARY_SUFFIX: Final = {v: k for k, v in _BINARY.items()}

BINARY_SI: Final = "BinarySI"
DECIMAL_SI: Final = "DecimalSI"
DECIMAL_EXPONENT: Final = "DecimalExponent"


def parse(value: object) -> tuple[Fraction, str] | None:
    """The exact value (rounded up to 1n) and the format; None when unparsable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value), DECIMAL_SI
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        value = repr(value) if not value.is_integer() else str(int(value))
    if not isinstance(value, str):
        return None
    m = _RE.match(value)
    if m is None:
        return None
    sign, number, suffix = m.groups()
    n = Fraction(number)
    if suffix in _BINARY:
        n *= Fraction(1024) ** _BINARY[suffix]
        fmt = BINARY_SI
    elif suffix[:1] in ("e", "E"):
        n *= Fraction(10) ** int(suffix[1:])
        fmt = DECIMAL_EXPONENT
    else:
        n *= Fraction(10) ** _DECIMAL[suffix]
        fmt = DECIMAL_SI
    nano = n * 10**9
    if nano.denominator != 1:
        n = Fraction(math.ceil(nano), 10**9)
    return (-n if sign == "-" else n), fmt


def _decimal(v: Fraction, fmt: str) -> str:
    sign = "-" if v < 0 else ""
    v = abs(v)
    exponent = 0
    while v.denominator != 1:
        v *= 10
        exponent -= 1
    amount = v.numerator
    while amount % 10 == 0:
        amount //= 10
        exponent += 1
    shift = exponent % 3
    amount *= 10**shift
    exponent -= shift
    if fmt == DECIMAL_SI and exponent in _DECIMAL_SUFFIX:
        suffix = _DECIMAL_SUFFIX[exponent]
    else:
        suffix = f"e{exponent}" if exponent else ""
    return f"{sign}{amount}{suffix}"


def canonical(value: object) -> str | None:
    """``Quantity.String()`` of a wire quantity; None when unparsable."""
    parsed = parse(value)
    if parsed is None:
        return None
    v, fmt = parsed
    if v == 0:
        return "0"
    if fmt == BINARY_SI and (abs(v) < 1024 or v.denominator != 1):
        fmt = DECIMAL_SI
    if fmt != BINARY_SI:
        return _decimal(v, fmt)
    sign = "-" if v < 0 else ""
    amount = abs(v.numerator)
    exponent = 0
    while amount % 1024 == 0 and exponent < 6:
        amount //= 1024
        exponent += 1
    return f"{sign}{amount}{_BINARY_SUFFIX.get(exponent, '')}"


__all__ = ["BINARY_SI", "DECIMAL_EXPONENT", "DECIMAL_SI", "canonical", "parse"]
