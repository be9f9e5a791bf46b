"""``PodValidationOptions`` for an update: kube-apiserver 1.35's relaxations for old pods.

Role: ``options_for_update(new, old, gates)`` mirrors
``k/k pkg/api/pod/util.go GetValidationOptionsFromPodSpecAndMeta(&new.Spec, &old.Spec,
&new.ObjectMeta, &old.ObjectMeta)``: the create-time options under ``gates``
(``options.options_for_create``), then every relaxation that applies because the
*stored* pod already uses the relaxed form, so that an object admitted under older
rules stays updatable:

1. relaxed env var names (gate, or a name the old pod already used that only the
   relaxed rule admits), relaxed DNS search (gate, or the old search list has ``.``
   or an ``_``), env files (gate, or a ``fileKeyRef`` in the old pod), user
   namespaces with hostNetwork (gate, or the old pod has both), SELinux change
   policy (any policy when ``SELinuxMount`` is on or the old pod set one), taint
   toleration comparison operators (gate, or ``Lt``/``Gt`` in the old tolerations);
2. with an old spec: indivisible huge page quantities, invalid label values in pod
   (anti-)affinity selectors and in required node affinity, invalid topology spread
   label selectors, non-local projected token paths, namespaced sysctls on a
   hostNetwork/hostIPC pod, a zero lifecycle sleep, a resize policy on a sidecar,
   container restart rules, user namespaces with volume devices;
3. an old ``controller.kubernetes.io/pod-deletion-cost`` that is not an int32.

Callers: ``seclet.apiserver.registry`` (pod PUT and PATCH), tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from seclet.api import models
from seclet.api.featuregates import FeatureGates
from seclet.api.field import Path
from seclet.validation.affinity import validate_label_selector
from seclet.validation.annotations import POD_DELETION_COST_KEY, validate_pod_specific_annotations
from seclet.validation.containers import validate_resources
from seclet.validation.names import is_env_var_name, is_label_value, is_relaxed_env_var_name
from seclet.validation.options import PodValidationOptions, options_for_create
from seclet.validation.podsecuritycontext import validate_host_sysctl
from seclet.validation.profiles import validate_local_non_reserved_path

_NOWHERE = Path.root("x")
_EMPTY_SPEC = models.PodSpec()
_EMPTY_META = models.ObjectMeta()


def _containers(spec: models.PodSpec) -> Iterator[models.Container | models.EphemeralContainer]:
    """``VisitContainers(spec, AllContainers)``: init, regular, ephemeral."""
    yield from spec.initContainers
    yield from spec.containers
    yield from spec.ephemeralContainers


def _env_names(spec: models.PodSpec) -> set[str]:
    """``gatherPodEnvVarNames``: env names and envFrom prefixes of every container."""
    names: set[str] = set()
    for c in _containers(spec):
        names.update(e.name or "" for e in c.env)
        names.update(e.prefix or "" for e in c.envFrom)
    return names


def _relaxed_env(new: models.PodSpec, old: models.PodSpec, gates: FeatureGates) -> bool:
    """``useRelaxedEnvironmentVariableValidation``."""
    if gates.RelaxedEnvironmentVariableValidation:
        return True
    old_names = _env_names(old)
    if not old_names:
        return False
    return any(
        not (not is_env_var_name(n) or is_relaxed_env_var_name(n)) and n in old_names
        for n in _env_names(new)
    )


def _uses_file_key_ref(spec: models.PodSpec) -> bool:
    return any(
        e.valueFrom is not None and e.valueFrom.fileKeyRef is not None
        for c in _containers(spec)
        for e in c.env
    )


def _indivisible_huge_pages(spec: models.PodSpec) -> bool:
    """``usesIndivisibleHugePagesValues``: a huge page quantity that is not a multiple
    of its page size (the strict check reports more errors than the relaxed one)."""

    def bad(res: models.ResourceRequirements | None) -> bool:
        strict = validate_resources(res, _NOWHERE, False)
        return len(strict) != len(validate_resources(res, _NOWHERE, True))

    if any(bad(c.resources) for c in _containers(spec)):
        return True
    return bool(spec.overhead) and bad(models.ResourceRequirements(limits=spec.overhead))


def _affinity_selector_invalid(spec: models.PodSpec) -> bool:
    """``hasInvalidLabelValueInAffinitySelector``."""
    aff = spec.affinity
    if aff is None:
        return False
    terms: list[models.PodAffinityTerm] = []
    for group in (aff.podAffinity, aff.podAntiAffinity):
        if group is None:
            continue
        terms.extend(group.requiredDuringSchedulingIgnoredDuringExecution)
        terms.extend(
            w.podAffinityTerm
            for w in group.preferredDuringSchedulingIgnoredDuringExecution
            if w.podAffinityTerm is not None
        )
    return any(
        validate_label_selector(t.labelSelector, False, _NOWHERE)
        or validate_label_selector(t.namespaceSelector, False, _NOWHERE)
        for t in terms
    )


def _required_node_affinity_invalid(spec: models.PodSpec) -> bool:
    """``hasInvalidLabelValueInRequiredNodeAffinity``
    (``helper.HasInvalidLabelValueInNodeSelectorTerms``)."""
    aff = spec.affinity
    na = aff.nodeAffinity if aff is not None else None
    required = na.requiredDuringSchedulingIgnoredDuringExecution if na is not None else None
    if required is None:
        return False
    return any(
        is_label_value(v)
        for term in required.nodeSelectorTerms
        for expr in term.matchExpressions
        for v in expr.values
    )


def _topology_selector_invalid(spec: models.PodSpec) -> bool:
    return any(
        validate_label_selector(c.labelSelector, False, _NOWHERE)
        for c in spec.topologySpreadConstraints
    )


def _non_local_token_path(spec: models.PodSpec) -> bool:
    """``hasNonLocalProjectedTokenPath``."""
    return any(
        bool(validate_local_non_reserved_path(s.serviceAccountToken.path or "", _NOWHERE))
        for v in spec.volumes
        if v.projected is not None
        for s in v.projected.sources
        if s.serviceAccountToken is not None
    )


def _host_namespaced_sysctl(spec: models.PodSpec) -> bool:
    sc = spec.securityContext
    if sc is None:
        return False
    return any(validate_host_sysctl(s.name or "", spec, _NOWHERE) is not None for s in sc.sysctls)


def _zero_sleep(spec: models.PodSpec) -> bool:
    """``podLifecycleSleepActionZeroValueInUse``."""
    for c in _containers(spec):
        lc = c.lifecycle
        if lc is None:
            continue
        for handler in (lc.preStop, lc.postStart):
            if handler is not None and handler.sleep is not None and not handler.sleep.seconds:
                return True
    return False


def _sidecar_resize_policy(spec: models.PodSpec) -> bool:
    """``hasRestartableInitContainerResizePolicy``."""
    return any(c.restartPolicy == "Always" and c.resizePolicy for c in spec.initContainers)


def _restart_rules(spec: models.PodSpec) -> bool:
    """``containerRestartRulesInUse``."""
    for c in spec.initContainers:
        if (c.restartPolicy is not None and c.restartPolicy != "Always") or c.restartPolicyRules:
            return True
    return any(c.restartPolicy is not None for c in spec.containers)


def _userns_volume_devices(spec: models.PodSpec) -> bool:
    """``hasUserNamespacesWithVolumeDevices``."""
    if spec.hostUsers is None or spec.hostUsers:
        return False
    return any(c.volumeDevices for c in _containers(spec))


def _relaxed_dns(old: models.PodSpec, gates: FeatureGates) -> bool:
    if gates.RelaxedDNSSearchValidation:
        return True
    cfg = old.dnsConfig
    return cfg is not None and any(s == "." or "_" in s for s in cfg.searches)


def options_for_update(
    new: models.Pod, old: models.Pod, gates: FeatureGates, *, allow_privileged: bool = True
) -> PodValidationOptions:
    """``GetValidationOptionsFromPodSpecAndMeta(new, old)`` under ``gates`` (module steps)."""
    spec = new.spec or _EMPTY_SPEC
    old_spec = old.spec or _EMPTY_SPEC
    base = options_for_create(gates, allow_privileged=allow_privileged)
    sc = old_spec.securityContext
    deletion_cost = base.allow_invalid_pod_deletion_cost
    if not deletion_cost:
        old_annotations = (old.metadata or _EMPTY_META).annotations
        deletion_cost = POD_DELETION_COST_KEY in old_annotations and bool(
            validate_pod_specific_annotations(
                {POD_DELETION_COST_KEY: old_annotations[POD_DELETION_COST_KEY]},
                old_spec,
                _NOWHERE,
                False,
            )
        )
    return dataclasses.replace(
        base,
        # step 1
        allow_relaxed_environment_variable_validation=_relaxed_env(spec, old_spec, gates),
        allow_relaxed_dns_search_validation=_relaxed_dns(old_spec, gates),
        allow_env_files_validation=gates.EnvFiles or _uses_file_key_ref(old_spec),
        allow_user_namespaces_host_network_support=(
            gates.UserNamespacesHostNetworkSupport
            or (old_spec.hostUsers is False and bool(old_spec.hostNetwork))
        ),
        allow_only_recursive_selinux_change_policy=not (
            gates.SELinuxMount or (sc is not None and sc.seLinuxChangePolicy is not None)
        ),
        allow_taint_toleration_comparison_operators=(
            gates.TaintTolerationComparisonOperators
            or any(t.operator in ("Lt", "Gt") for t in old_spec.tolerations)
        ),
        # step 2
        allow_indivisible_huge_pages_values=_indivisible_huge_pages(old_spec),
        allow_invalid_label_value_in_selector=_affinity_selector_invalid(old_spec),
        allow_invalid_label_value_in_required_node_affinity=_required_node_affinity_invalid(
            old_spec
        ),
        allow_invalid_topology_spread_constraint_label_selector=_topology_selector_invalid(
            old_spec
        ),
        allow_non_local_projected_token_path=_non_local_token_path(old_spec),
        allow_namespaced_sysctls_for_host_net_and_host_ipc=_host_namespaced_sysctl(old_spec),
        allow_pod_lifecycle_sleep_action_zero_value=(
            base.allow_pod_lifecycle_sleep_action_zero_value or _zero_sleep(old_spec)
        ),
        allow_sidecar_resize_policy=(
            base.allow_sidecar_resize_policy or _sidecar_resize_policy(old_spec)
        ),
        allow_container_restart_policy_rules=(
            base.allow_container_restart_policy_rules or _restart_rules(old_spec)
        ),
        allow_user_namespaces_with_volume_devices=_userns_volume_devices(old_spec),
        # step 3
        allow_invalid_pod_deletion_cost=deletion_cost,
    )
