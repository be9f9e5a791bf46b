"""The check registry: which checks, in which order, for each level and policy version.

Role: upstream ``policy/registry.go`` (``NewEvaluator``, ``validateChecks``, ``populate``,
``inflateVersions``, ``EvaluatePod``) and ``policy/checks.go``'s ``DefaultChecks``. For every
policy version v1.0 .. max it precomputes the ordered tuple of check functions:
baseline check IDs sorted, then restricted check IDs sorted, each check at its newest
revision whose ``MinimumVersion`` <= the version, restricted checks dropping the baseline
checks they override. ``latest`` and versions newer than the max evaluate as the max
(``NEWEST_POLICY_VERSION``); ``privileged`` runs nothing. ``check_pod`` evaluates and
aggregates in one pass (the hot path); ``evaluate_pod`` keeps every per-check result.
Callers: ``seclet.podsecurity.admission`` (``Evaluator.check_pod``), ``seclet.cli`` and
``bench`` (``check_pod``), and anything that wants per-check results (``evaluate_pod``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from seclet.api.models import ObjectMeta, PodSpec
from seclet.podsecurity.api.version import NEWEST_POLICY_VERSION, Level, LevelVersion, Version
from seclet.podsecurity.policy import (
    check_allow_privilege_escalation,
    check_apparmor_profile,
    check_capabilities_baseline,
    check_capabilities_restricted,
    check_host_namespaces,
    check_host_ports,
    check_host_probes_and_host_lifecycle,
    check_hostpath_volumes,
    check_privileged,
    check_proc_mount,
    check_proc_mount_restricted,
    check_restricted_volumes,
    check_run_as_non_root,
    check_run_as_user,
    check_seccomp_profile_baseline,
    check_seccomp_profile_restricted,
    check_selinux_options,
    check_sysctls,
    check_windows_host_process,
)
from seclet.podsecurity.policy.checks import (
    AGGREGATE_ALLOWED,
    ALLOWED,
    AggregateCheckResult,
    Check,
    CheckPodFn,
    CheckResult,
    VersionedCheck,
    aggregate_check_results,
)
from seclet.podsecurity.policy.helpers import visit_containers

DEFAULT_CHECKS: Final[tuple[Check, ...]] = (
    check_allow_privilege_escalation.CHECK,
    check_apparmor_profile.CHECK,
    check_capabilities_baseline.CHECK,
    check_capabilities_restricted.CHECK,
    check_host_namespaces.CHECK,
    check_hostpath_volumes.CHECK,
    check_host_ports.CHECK,
    check_host_probes_and_host_lifecycle.CHECK,
    check_privileged.CHECK,
    check_proc_mount.CHECK,
    check_proc_mount_restricted.CHECK,
    check_restricted_volumes.CHECK,
    check_run_as_non_root.CHECK,
    check_run_as_user.CHECK,
    check_seccomp_profile_baseline.CHECK,
    check_seccomp_profile_restricted.CHECK,
    check_selinux_options.CHECK,
    check_sysctls.CHECK,
    check_windows_host_process.CHECK,
)
"""``DefaultChecks()``: every versioned check upstream registers (19)."""

_UNSET: Final = Version()
_NO_SPEC: Final = PodSpec()


def validate_checks(checks: Sequence[Check]) -> None:
    """``validateChecks``: raise ``ValueError`` with upstream's text if the list is invalid."""
    ids: dict[str, Level] = {}
    for check in checks:
        if check.id in ids:
            raise ValueError(f"multiple checks registered for ID {check.id}")
        ids[check.id] = check.level
        if check.level not in (Level.BASELINE, Level.RESTRICTED):
            raise ValueError(f"check {check.id}: invalid level {check.level}")
        if not check.versions:
            raise ValueError(f"check {check.id}: empty")
        max_version = _UNSET
        for c in check.versions:
            if c.minimum_version == _UNSET:
                raise ValueError(f"check {check.id}: undefined version found")
            if c.minimum_version.latest:
                raise ValueError(f"check {check.id}: version cannot be 'latest'")
            if max_version == c.minimum_version:
                raise ValueError(f"check {check.id}: duplicate version {c.minimum_version}")
            if not max_version.older(c.minimum_version):
                raise ValueError(f"check {check.id}: versions must be strictly increasing")
            max_version = c.minimum_version
    for check in checks:
        for c in check.versions:
            if not c.override_check_ids:
                continue
            if check.level != Level.RESTRICTED:
                raise ValueError(f"check {check.id}: only restricted checks may set overrides")
            for override in c.override_check_ids:
                overridden = ids.get(override)
                if overridden is not None and overridden != Level.BASELINE:
                    raise ValueError(f"check {check.id}: overrides {overridden} check {override}")


def _revision_at(check: Check, minor: int) -> VersionedCheck | None:
    """The newest revision of ``check`` whose MinimumVersion <= v1.<minor> (``inflateVersions``)."""
    found: VersionedCheck | None = None
    target = Version(1, minor)
    for c in check.versions:
        if c.minimum_version.older(target) or c.minimum_version == target:
            found = c
    return found


class Evaluator:
    """``checkRegistry``: the precomputed check lists per (level, version).

    ``emulation_version`` lowers the newest evaluated version, as the apiserver's emulation
    version does upstream.
    """

    __slots__ = (
        "_baseline",
        "_ids",
        "_last",
        "_restricted",
        "derived_max_version",
        "max_version",
    )

    def __init__(self, checks: Sequence[Check], emulation_version: Version | None = None) -> None:
        validate_checks(checks)
        derived = _UNSET
        for c in checks:
            last = c.versions[-1].minimum_version
            if derived.older(last):
                derived = last
        self.derived_max_version: Version = derived
        """The highest MinimumVersion of any check (upstream's ``maxVersion`` before emulation)."""

        baseline_ids = sorted(c.id for c in checks if c.level == Level.BASELINE)
        restricted_ids = sorted(c.id for c in checks if c.level == Level.RESTRICTED)
        ordered = [*baseline_ids, *restricted_ids]
        by_id = {c.id: c for c in checks}

        self._baseline: list[tuple[CheckPodFn, ...]] = []
        self._restricted: list[tuple[CheckPodFn, ...]] = []
        self._ids: dict[tuple[Level, int], tuple[str, ...]] = {}
        for minor in range(derived.minor + 1 if derived.major == 1 else 0):
            revisions = {
                cid: rev for cid in ordered if (rev := _revision_at(by_id[cid], minor)) is not None
            }
            overridden = {
                o
                for cid in restricted_ids
                if cid in revisions
                for o in revisions[cid].override_check_ids
            }
            b_ids = tuple(cid for cid in baseline_ids if cid in revisions)
            r_ids = tuple(cid for cid in ordered if cid in revisions and cid not in overridden)
            self._baseline.append(tuple(revisions[cid].check_pod for cid in b_ids))
            self._restricted.append(tuple(revisions[cid].check_pod for cid in r_ids))
            self._ids[(Level.BASELINE, minor)] = b_ids
            self._ids[(Level.RESTRICTED, minor)] = r_ids

        max_version = derived
        if emulation_version is not None and emulation_version.older(max_version):
            max_version = emulation_version
        self.max_version: Version = max_version
        """The newest version evaluated; ``latest`` and newer versions evaluate as this."""
        self._last: tuple[ObjectMeta | None, PodSpec, dict[CheckPodFn, CheckResult]] = (
            None,
            _NO_SPEC,
            {},
        )
        """The last pod ``check_pod`` evaluated (held, so identity means this pod) and its
        results per check function: a pod is evaluated at several levels in a row (the
        admission modes, ``check`` at baseline then restricted) and restricted runs the
        baseline checks again. Checks are pure functions of the frozen metadata and spec,
        so a result is reused only for the very same objects."""

    def _minor(self, version: Version) -> int | None:
        """The table row for a version (newer ones clamp to the max), None before v1.0."""
        if version.latest or self.max_version.older(version):
            version = self.max_version
        if version.major != 1 or version.minor >= len(self._baseline):
            return None
        return version.minor

    def check_ids(self, lv: LevelVersion) -> tuple[str, ...]:
        """The IDs of the checks ``lv`` runs, in evaluation (and message) order."""
        if lv.level == Level.PRIVILEGED:
            return ()
        minor = self._minor(lv.version)
        if minor is None:
            return ()
        return self._ids[(lv.level, minor)]

    def evaluate_pod(
        self, lv: LevelVersion, metadata: ObjectMeta | None, spec: PodSpec
    ) -> list[CheckResult]:
        """``EvaluatePod``: one result per check of ``lv``, in order (empty for privileged)."""
        level = lv.level
        if level is Level.PRIVILEGED:
            return []
        minor = self._minor(lv.version)
        if minor is None:
            return []
        fns = self._restricted[minor] if level is Level.RESTRICTED else self._baseline[minor]
        containers = visit_containers(spec)
        return [fn(metadata, spec, containers) for fn in fns]

    def check_pod(
        self, lv: LevelVersion, metadata: ObjectMeta | None, spec: PodSpec
    ) -> AggregateCheckResult:
        """``AggregateCheckResults(EvaluatePod(...))`` in one pass.

        Only the failing results are kept (aggregation ignores the allowed ones), so
        the common allowed pod builds no per-check list.
        """
        level = lv.level
        if level is Level.PRIVILEGED:
            return AGGREGATE_ALLOWED
        minor = self._minor(lv.version)
        if minor is None:
            return AGGREGATE_ALLOWED
        fns = self._restricted[minor] if level is Level.RESTRICTED else self._baseline[minor]
        last = self._last
        if last[1] is spec and last[0] is metadata:
            done = last[2]
        else:
            done = {}
            self._last = (metadata, spec, done)  # replaced whole: safe across threads
        containers = visit_containers(spec)
        failed: list[CheckResult] = []
        for fn in fns:
            result = done.get(fn)
            if result is None:
                result = fn(metadata, spec, containers)
                done[fn] = result
            # Most results are the shared ALLOWED: identity skips a NamedTuple field load.
            if result is not ALLOWED and not result.allowed:
                failed.append(result)
        return aggregate_check_results(failed) if failed else AGGREGATE_ALLOWED


DEFAULT_EVALUATOR: Final = Evaluator(DEFAULT_CHECKS, NEWEST_POLICY_VERSION)
"""The evaluator over ``DEFAULT_CHECKS`` with ``latest`` = ``NEWEST_POLICY_VERSION``."""


def evaluate_pod(metadata: ObjectMeta | None, spec: PodSpec, lv: LevelVersion) -> list[CheckResult]:
    """Evaluate a pod's metadata and spec against ``lv`` with the default checks."""
    return DEFAULT_EVALUATOR.evaluate_pod(lv, metadata, spec)


def check_pod(metadata: ObjectMeta | None, spec: PodSpec, lv: LevelVersion) -> AggregateCheckResult:
    """``AggregateCheckResults(EvaluatePod(...))`` with the default checks."""
    return DEFAULT_EVALUATOR.check_pod(lv, metadata, spec)
