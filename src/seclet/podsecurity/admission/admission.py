"""Pure Pod Security admission decisions for pods, pod controllers and namespaces.

Role: upstream ``admission/admission.go`` without the I/O: the caller supplies the
namespace's labels (and, for namespace updates, the pods in it) instead of a lister.
``validate_pod`` follows ``ValidatePod`` (ignored subresources, exempt namespace/user,
fully-privileged short cut, updates that change nothing but metadata are not
re-evaluated), ``evaluate_pod_policy`` follows ``EvaluatePod`` (enforce denial,
audit annotation, warning only when not denied, results cached per level:version),
``validate_namespace`` follows ``ValidateNamespace`` (label errors, exempt-namespace
warning, dry-run of existing pods against a tightened enforce level).
Callers: the API server's admission chain (pods create/update, pod-controller
create/update, namespace create/update).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from seclet.api.field import FieldError, aggregate_text, go_quote
from seclet.api.models import Container, EphemeralContainer, ObjectMeta, Pod, PodSpec
from seclet.podsecurity.admission.config import DEFAULT_CONFIGURATION, PodSecurityConfiguration
from seclet.podsecurity.admission.response import (
    ALLOWED_RESPONSE,
    AdmissionResponse,
    forbidden_response,
    invalid_response,
    violates_message,
    would_violate_message,
)
from seclet.podsecurity.api.constants import (
    AUDIT_LEVEL_LABEL,
    AUDIT_VERSION_LABEL,
    AUDIT_VIOLATIONS_ANNOTATION_KEY,
    ENFORCE_LEVEL_LABEL,
    ENFORCE_VERSION_LABEL,
    ENFORCED_POLICY_ANNOTATION_KEY,
    ERROR_ANNOTATION_KEY,
    EXEMPTION_REASON_ANNOTATION_KEY,
    WARN_LEVEL_LABEL,
    WARN_VERSION_LABEL,
)
from seclet.podsecurity.api.policy import PRIVILEGED_LATEST, Policy, policy_to_evaluate
from seclet.podsecurity.api.version import Level, LevelVersion, compare_levels
from seclet.podsecurity.policy.checks import AggregateCheckResult
from seclet.podsecurity.policy.registry import DEFAULT_EVALUATOR, Evaluator

IGNORED_POD_SUBRESOURCES: Final = frozenset(
    {"exec", "attach", "binding", "eviction", "log", "portforward", "proxy", "status"}
)
"""Pod subresources never evaluated; any other (e.g. ``ephemeralcontainers``) is."""

DEFAULT_NAMESPACE_MAX_PODS_TO_CHECK: Final = 3000

ALLOWED_PRIVILEGED_RESPONSE: Final = AdmissionResponse(
    True, audit_annotations={ENFORCED_POLICY_ANNOTATION_KEY: str(PRIVILEGED_LATEST)}
)
ALLOWED_BY_USER_EXEMPTION_RESPONSE: Final = AdmissionResponse(
    True, audit_annotations={EXEMPTION_REASON_ANNOTATION_KEY: "user"}
)
ALLOWED_BY_NAMESPACE_EXEMPTION_RESPONSE: Final = AdmissionResponse(
    True, audit_annotations={EXEMPTION_REASON_ANNOTATION_KEY: "namespace"}
)
ALLOWED_BY_RUNTIME_CLASS_EXEMPTION_RESPONSE: Final = AdmissionResponse(
    True, audit_annotations={EXEMPTION_REASON_ANNOTATION_KEY: "runtimeClass"}
)


def _exempt_namespace(config: PodSecurityConfiguration, namespace: str) -> bool:
    return bool(namespace) and namespace in config.exemptions.namespaces


def _exempt_user(config: PodSecurityConfiguration, username: str) -> bool:
    return bool(username) and username in config.exemptions.usernames


def _exempt_runtime_class(config: PodSecurityConfiguration, runtime_class: str | None) -> bool:
    return bool(runtime_class) and runtime_class in config.exemptions.runtime_classes


def _policy_error_text(errs: Sequence[FieldError]) -> str | None:
    """``ErrorList.ToAggregate().Error()``, or None for no errors."""
    return aggregate_text([str(e) for e in errs]) if errs else None


def evaluate_pod_policy(
    ns_policy: Policy,
    ns_policy_error: str | None,
    metadata: ObjectMeta | None,
    spec: PodSpec,
    *,
    name: str = "",
    enforce: bool = True,
    resource: str = "pods",
    group: str = "",
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION,
    evaluator: Evaluator = DEFAULT_EVALUATOR,
) -> AdmissionResponse:
    """``Admission.EvaluatePod``: enforce (if ``enforce``), audit and warn for one pod spec."""
    if _exempt_runtime_class(config, spec.runtimeClassName):
        return ALLOWED_BY_RUNTIME_CLASS_EXEMPTION_RESPONSE

    audit_annotations: dict[str, str] = {}
    if ns_policy_error is not None:
        audit_annotations[ERROR_ANNOTATION_KEY] = f"Failed to parse policy: {ns_policy_error}"

    cached: dict[LevelVersion, AggregateCheckResult] = {}
    response: AdmissionResponse | None = None
    if enforce:
        audit_annotations[ENFORCED_POLICY_ANNOTATION_KEY] = str(ns_policy.enforce)
        result = evaluator.check_pod(ns_policy.enforce, metadata, spec)
        if not result.allowed:
            response = forbidden_response(
                resource, name, violates_message(ns_policy.enforce, result), group
            )
        cached[ns_policy.enforce] = result

    audit_result = cached.get(ns_policy.audit)
    if audit_result is None:
        audit_result = evaluator.check_pod(ns_policy.audit, metadata, spec)
        cached[ns_policy.audit] = audit_result
    if not audit_result.allowed:
        audit_annotations[AUDIT_VIOLATIONS_ANNOTATION_KEY] = would_violate_message(
            ns_policy.audit, audit_result
        )

    if response is not None:  # denied: no warnings on a request that is rejected anyway
        return AdmissionResponse(False, response.status, (), audit_annotations)

    warnings: tuple[str, ...] = ()
    warn_result = cached.get(ns_policy.warn)
    if warn_result is None:
        warn_result = evaluator.check_pod(ns_policy.warn, metadata, spec)
    if not warn_result.allowed:
        warnings = (would_violate_message(ns_policy.warn, warn_result),)
    return AdmissionResponse(True, None, warnings, audit_annotations)


def _image_changed(c: Container | EphemeralContainer, old: Container | EphemeralContainer) -> bool:
    """``isSignificantContainerUpdate``: only an image change matters."""
    return c.image != old.image


def is_significant_pod_update(pod: Pod, old_pod: Pod) -> bool:
    """``isSignificantPodUpdate``: does an update need re-evaluation?

    True when the number of (init) containers changed, any (init) container's image
    changed, or an ephemeral container was added or changed its image.
    """
    spec = pod.spec or PodSpec()
    old = old_pod.spec or PodSpec()
    if len(spec.containers) != len(old.containers):
        return True
    if len(spec.initContainers) != len(old.initContainers):
        return True
    for c, oc in zip(spec.containers, old.containers, strict=True):
        if _image_changed(c, oc):
            return True
    for c, oc in zip(spec.initContainers, old.initContainers, strict=True):
        if _image_changed(c, oc):
            return True
    for e in spec.ephemeralContainers:
        old_e = next((o for o in old.ephemeralContainers if o.name == e.name), None)
        if old_e is None or _image_changed(e, old_e):
            return True
    return False


def validate_pod(
    pod: Pod,
    *,
    namespace: str,
    namespace_labels: Mapping[str, str],
    old_pod: Pod | None = None,
    username: str = "",
    subresource: str = "",
    name: str | None = None,
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION,
    evaluator: Evaluator = DEFAULT_EVALUATOR,
) -> AdmissionResponse:
    """``ValidatePod``: admit a pod create (``old_pod`` None) or update.

    ``name`` is the request's object name (defaults to ``pod.metadata.name``; pass ``""``
    for a ``generateName`` create, which upstream reports as ``pods is forbidden: ...``).
    """
    if subresource in IGNORED_POD_SUBRESOURCES:
        return ALLOWED_RESPONSE
    if _exempt_namespace(config, namespace):
        return ALLOWED_BY_NAMESPACE_EXEMPTION_RESPONSE
    if _exempt_user(config, username):
        return ALLOWED_BY_USER_EXEMPTION_RESPONSE

    ns_policy, ns_errs = policy_to_evaluate(namespace_labels, config.defaults)
    if not ns_errs and ns_policy.fully_privileged():
        return ALLOWED_PRIVILEGED_RESPONSE

    if old_pod is not None and not is_significant_pod_update(pod, old_pod):
        return ALLOWED_RESPONSE

    metadata = pod.metadata or ObjectMeta()
    if name is None:
        name = metadata.name or ""
    return evaluate_pod_policy(
        ns_policy,
        _policy_error_text(ns_errs),
        metadata,
        pod.spec or PodSpec(),
        name=name,
        enforce=True,
        config=config,
        evaluator=evaluator,
    )


def validate_pod_controller(
    template_metadata: ObjectMeta | None,
    template_spec: PodSpec | None,
    *,
    resource: str,
    group: str,
    name: str,
    namespace: str,
    namespace_labels: Mapping[str, str],
    username: str = "",
    subresource: str = "",
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION,
    evaluator: Evaluator = DEFAULT_EVALUATOR,
) -> AdmissionResponse:
    """``ValidatePodController``: audit and warn (never enforce) a workload's pod template."""
    if subresource:
        return ALLOWED_RESPONSE
    if _exempt_namespace(config, namespace):
        return ALLOWED_BY_NAMESPACE_EXEMPTION_RESPONSE
    if _exempt_user(config, username):
        return ALLOWED_BY_USER_EXEMPTION_RESPONSE
    ns_policy, ns_errs = policy_to_evaluate(namespace_labels, config.defaults)
    if (
        not ns_errs
        and ns_policy.warn.level == Level.PRIVILEGED
        and ns_policy.audit.level == Level.PRIVILEGED
    ):
        return ALLOWED_RESPONSE
    if template_metadata is None and template_spec is None:
        return ALLOWED_RESPONSE
    return evaluate_pod_policy(
        ns_policy,
        _policy_error_text(ns_errs),
        template_metadata,
        template_spec or PodSpec(),
        name=name,
        enforce=False,
        resource=resource,
        group=group,
        config=config,
        evaluator=evaluator,
    )


def exempt_namespace_warning(
    namespace: str, policy: Policy, labels: Mapping[str, str], defaults: Policy
) -> str:
    """``exemptNamespaceWarning``: the warning for labelling an exempt namespace, or ``""``."""
    if policy.fully_privileged() or policy.equivalent(defaults):
        return ""
    parts: list[str] = []
    modes = (
        ("enforce", policy.enforce, ENFORCE_LEVEL_LABEL, ENFORCE_VERSION_LABEL),
        ("audit", policy.audit, AUDIT_LEVEL_LABEL, AUDIT_VERSION_LABEL),
        ("warn", policy.warn, WARN_LEVEL_LABEL, WARN_VERSION_LABEL),
    )
    for mode, lv, level_label, version_label in modes:
        if lv.level != Level.PRIVILEGED and (level_label in labels or version_label in labels):
            parts.append(f"{mode}={lv}")
    return (
        f"namespace {go_quote(namespace)} is exempt from Pod Security, "
        f"and the policy ({', '.join(parts)}) will be ignored"
    )


@dataclass(frozen=True, slots=True)
class _PodCount:
    pod_name: str
    count: int


def evaluate_pods_in_namespace(
    namespace: str,
    enforce: LevelVersion,
    pods: Sequence[Pod],
    *,
    max_pods: int = DEFAULT_NAMESPACE_MAX_PODS_TO_CHECK,
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION,
    evaluator: Evaluator = DEFAULT_EVALUATOR,
) -> list[str]:
    """``EvaluatePodsInNamespace`` (without the time budget): warnings for existing pods."""
    prioritized: list[Pod] = []
    duplicates: list[Pod] = []
    seen_controllers: set[str] = set()
    for pod in pods:
        spec = pod.spec or PodSpec()
        if _exempt_runtime_class(config, spec.runtimeClassName):
            continue
        meta = pod.metadata or ObjectMeta()
        controller = next((o for o in meta.ownerReferences if o.controller), None)
        if controller is None:
            prioritized.append(pod)
            continue
        uid = controller.uid or ""
        if uid in seen_controllers:
            duplicates.append(pod)
            continue
        prioritized.append(pod)
        seen_controllers.add(uid)
    prioritized.extend(duplicates)

    total = len(prioritized)
    checked = prioritized[:max_pods]
    warnings: list[str] = []
    pod_warnings: list[str] = []
    counts: dict[str, _PodCount] = {}
    for pod in checked:
        meta = pod.metadata or ObjectMeta()
        r = evaluator.check_pod(enforce, meta, pod.spec or PodSpec())
        if r.allowed:
            continue
        warning = r.forbidden_reason()
        pod_name = meta.name or ""
        c = counts.get(warning)
        if c is None:
            pod_warnings.append(warning)
            counts[warning] = _PodCount(pod_name, 1)
        else:
            counts[warning] = _PodCount(min(c.pod_name, pod_name), c.count + 1)

    if len(checked) < total:
        warnings.append(
            "new PodSecurity enforce level only checked against the first "
            f"{len(checked)} of {total} existing pods"
        )
    if pod_warnings:
        warnings.append(
            f"existing pods in namespace {go_quote(namespace)} violate the new PodSecurity "
            f"enforce level {go_quote(str(enforce))}"
        )
    decorated: list[str] = []
    for warning in pod_warnings:
        c = counts[warning]
        if c.count == 1:
            decorated.append(f"{c.pod_name}: {warning}")
        elif c.count == 2:
            decorated.append(f"{c.pod_name} (and 1 other pod): {warning}")
        else:
            decorated.append(f"{c.pod_name} (and {c.count - 1} other pods): {warning}")
    return warnings + sorted(decorated)


def validate_namespace(
    name: str,
    labels: Mapping[str, str],
    *,
    old_labels: Mapping[str, str] | None = None,
    pods: Sequence[Pod] = (),
    subresource: str = "",
    config: PodSecurityConfiguration = DEFAULT_CONFIGURATION,
    evaluator: Evaluator = DEFAULT_EVALUATOR,
) -> AdmissionResponse:
    """``ValidateNamespace``: a namespace create (``old_labels`` None) or update.

    ``pods`` are the namespace's existing pods, dry-run against a tightened enforce level
    on update.
    """
    if subresource:
        return ALLOWED_RESPONSE
    new_policy, new_errs = policy_to_evaluate(labels, config.defaults)
    if old_labels is None:
        if new_errs:
            return invalid_response("Namespace", name, new_errs)
        if _exempt_namespace(config, name):
            warning = exempt_namespace_warning(name, new_policy, labels, config.defaults)
            if warning:
                return AdmissionResponse(True, warnings=(warning,))
        return ALLOWED_RESPONSE

    old_policy, old_errs = policy_to_evaluate(old_labels, config.defaults)
    if new_errs and (not old_errs or new_errs != old_errs):
        return invalid_response("Namespace", name, new_errs)
    if new_policy.enforce == old_policy.enforce:
        return ALLOWED_RESPONSE
    if new_policy.enforce.level == Level.PRIVILEGED:
        return ALLOWED_RESPONSE
    if (
        new_policy.enforce.version == old_policy.enforce.version
        and compare_levels(new_policy.enforce.level, old_policy.enforce.level) < 1
    ):
        return ALLOWED_RESPONSE
    if _exempt_namespace(config, name):
        warning = exempt_namespace_warning(name, new_policy, labels, config.defaults)
        if warning:
            return AdmissionResponse(True, warnings=(warning,))
        return ALLOWED_RESPONSE
    warnings = evaluate_pods_in_namespace(
        name, new_policy.enforce, pods, config=config, evaluator=evaluator
    )
    return AdmissionResponse(True, warnings=tuple(warnings))
