"""Feature gates that change Pod defaulting, field dropping and validation (kube 1.35).

Role: a frozen value holding the state of every upstream gate seclet's API layer
consults, with kube-apiserver 1.35 defaults, plus ``parse_feature_gates`` for the
``--feature-gates=A=true,B=false`` flag with upstream's error texts
(``k8s.io/component-base/featuregate``: ``Set`` / ``SetFromMap``).
Gates are passed around as values; nothing here is global state.
Callers: ``seclet.api.defaults`` (drop_disabled_fields), ``seclet.validation``
(options), ``seclet.cli`` (flag parsing), the kubelet (SupplementalGroupsPolicy, ...).

Defaults are the ``Version: 1.35`` entries of ``defaultVersionedKubernetesFeatureGates``
in ``k/k pkg/features/kube_features.go`` (read at a post-1.35-branch revision; the
1.35 specs there are the release's). ``_LOCKED`` holds every modelled gate whose 1.35
spec says ``LockToDefault: true``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class FeatureGates:
    """State of the gates seclet consults; attribute names are upstream's gate names."""

    # Security context (Appendix A).
    ProcMountType: bool = True  # beta, on since 1.33
    UserNamespacesSupport: bool = True  # beta, on since 1.33
    UserNamespacesHostNetworkSupport: bool = False  # alpha 1.35
    SupplementalGroupsPolicy: bool = True  # GA 1.35, locked
    SELinuxChangePolicy: bool = True  # beta, on since 1.33
    SELinuxMount: bool = False  # beta, off
    SELinuxMountReadWriteOncePod: bool = True  # beta, on since 1.28
    RecursiveReadOnlyMounts: bool = True  # GA 1.33, locked
    # Other gates that change which Pod fields exist or how they validate.
    SidecarContainers: bool = True  # GA 1.33, locked
    InPlacePodVerticalScaling: bool = True  # GA 1.35, locked
    PodLevelResources: bool = True  # beta, on since 1.34
    PodLifecycleSleepActionAllowZero: bool = True  # GA 1.34, locked
    RelaxedEnvironmentVariableValidation: bool = True  # GA 1.34, locked
    RelaxedDNSSearchValidation: bool = True  # GA 1.34, locked
    PodDeletionCost: bool = True  # beta, on since 1.22
    ImageVolume: bool = True  # beta; on by default from 1.35
    HostnameOverride: bool = True  # alpha 1.34, beta (on) 1.35
    ContainerRestartRules: bool = True  # alpha 1.34, beta (on) 1.35
    EnvFiles: bool = True  # alpha 1.34, beta (on) 1.35
    TaintTolerationComparisonOperators: bool = False  # alpha 1.35

    def enabled(self, name: str) -> bool:
        value = getattr(self, name)
        assert isinstance(value, bool)
        return value


DEFAULT_GATES = FeatureGates()

# Gates locked to their default in 1.35: setting the other value is an error.
_LOCKED: frozenset[str] = frozenset(
    {
        "SupplementalGroupsPolicy",
        "RecursiveReadOnlyMounts",
        "SidecarContainers",
        "InPlacePodVerticalScaling",
        "PodLifecycleSleepActionAllowZero",
        "RelaxedEnvironmentVariableValidation",
        "RelaxedDNSSearchValidation",
    }
)
_KNOWN: frozenset[str] = frozenset(f.name for f in fields(FeatureGates))
# Gates kube-apiserver knows but seclet does not model: accepted, then ignored.
_IGNORED_KNOWN: frozenset[str] = frozenset({"AllAlpha", "AllBeta"})


class FeatureGateError(ValueError):
    """A ``--feature-gates`` value upstream rejects; ``str()`` is upstream's text."""


def _parse_go_bool(text: str) -> bool | None:
    """``strconv.ParseBool``."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def parse_feature_gates(value: str, base: FeatureGates = DEFAULT_GATES) -> FeatureGates:
    """Apply ``A=true,B=false`` to ``base`` as ``featuregate.Set`` does.

    Steps: split on ``,`` (empty items skipped); each item needs ``=`` (``missing
    bool value for K``); the value goes through ``strconv.ParseBool``
    (``invalid value of K=V, err: strconv.ParseBool: parsing "V": invalid syntax``);
    then, in name order as Go's map walk is unordered, unknown names give
    ``unrecognized feature gate: K`` and locked gates set to the other value give
    ``cannot set feature gate K to V, feature is locked to D``.
    """
    wanted: dict[str, bool] = {}
    for item in value.split(","):
        if not item:
            continue
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise FeatureGateError(f"missing bool value for {key}")
        raw = raw.strip()
        parsed = _parse_go_bool(raw)
        if parsed is None:
            raise FeatureGateError(
                f'invalid value of {key}={raw}, err: strconv.ParseBool: parsing "{raw}": '
                "invalid syntax"
            )
        wanted[key] = parsed
    changes: dict[str, bool] = {}
    for key in sorted(wanted):
        on = wanted[key]
        if key in _IGNORED_KNOWN:
            continue
        if key not in _KNOWN:
            raise FeatureGateError(f"unrecognized feature gate: {key}")
        default = getattr(DEFAULT_GATES, key)
        if key in _LOCKED and on != default:
            raise FeatureGateError(
                f"cannot set feature gate {key} to {_go_bool(on)}, "
                f"feature is locked to {_go_bool(default)}"
            )
        changes[key] = on
    return dataclasses.replace(base, **changes)


def _go_bool(b: bool) -> str:
    return "true" if b else "false"
