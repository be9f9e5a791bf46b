"""Build a container's OCI runtime config: the pure translation at the runtime's core.

Role: ``build_container(inputs)`` decides (``plan.make_plan``), starts from
containerd's default spec (``base.cri_container_base_spec``: ``default_unix_spec``
with the plan-independent first steps already applied), runs the named steps in
``steps.STEPS`` order (``steps.BUILD_STEPS``: the rest), drops empty fields as
Go's ``omitempty`` does, and returns the spec with the warnings and the effective
process summary ``explain`` shows.
``build_container_spec(inputs)`` returns only the spec dict. Same inputs give
byte-identical ``json.dumps(spec, sort_keys=True)``.
Sharing: every dict and list of a returned spec is fresh and the caller's to change,
except ``linux.seccomp`` for RuntimeDefault: one cached profile per (arch, kernel,
Bounding set), shared by reference between specs and made of read-only containers
(``TypeError`` on change; ``copy.deepcopy`` it first). Frozen plan values
(``SpecPlan``, ``EffectiveProcess``) may be shared between builds too.
Cost: decisions are memoised on the frozen values they read (the CRI security
context, the process user, capability arithmetic, the effective process), so a
container costs some tens of microseconds; ``python -m bench.oci_build`` measures it.
Callers: the runtime's CreateContainer shell, the CLI's ``explain``, tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seclet.runtime.oci.base import cri_container_base_spec
from seclet.runtime.oci.explain import EffectiveProcess, effective_process
from seclet.runtime.oci.inputs import ContainerSpecInputs
from seclet.runtime.oci.plan import CONTAINERD_NAMESPACE, SpecError, SpecPlan, make_plan
from seclet.runtime.oci.steps import BUILD_STEPS
from seclet.runtime.oci.warnings import container_warnings
from seclet.securitycontext.seccomp import LOCALHOST, RUNTIME_DEFAULT

__all__ = ["ContainerBuild", "SpecError", "build_container", "build_container_spec"]


@dataclass(frozen=True, slots=True)
class ContainerBuild:
    """The spec plus what a user should know about it."""

    spec: dict[str, Any]
    """OCI runtime config (config.json), OCI field names."""
    process: EffectiveProcess
    warnings: tuple[str, ...]
    plan: SpecPlan
    host_devices: bool
    """Privileged with host devices: the shell must add every host /dev node to
    ``linux.devices`` (containerd ``oci.WithHostDevices``) before writing the bundle."""
    selinux_mcs_allocation: bool
    """SELinux on and no level given: the shell allocates the pod's MCS pair."""


_CAP_KEYS = ("bounding", "effective", "inheritable", "permitted", "ambient")
_OMIT_IF_EMPTY_PROCESS = ("env", "args", "rlimits", "apparmorProfile", "selinuxLabel")
_OMIT_IF_EMPTY_LINUX = (
    "maskedPaths",
    "readonlyPaths",
    "mountLabel",
    "uidMappings",
    "gidMappings",
    "sysctl",
    "namespaces",
    "devices",
)


def _omit_empty(spec: dict[str, Any]) -> None:
    """Go ``omitempty`` for the fields the steps may leave empty or false."""
    process = spec["process"]
    caps = process.get("capabilities")
    if caps is not None:
        for key in _CAP_KEYS:
            if not caps.get(key, True):
                del caps[key]
    user = process["user"]
    if not user.get("additionalGids", True):
        del user["additionalGids"]
    for key in _OMIT_IF_EMPTY_PROCESS:
        if key in process and not process[key]:
            del process[key]
    for key in ("noNewPrivileges", "terminal"):
        if process.get(key) is False:
            del process[key]
    linux = spec["linux"]
    for key in _OMIT_IF_EMPTY_LINUX:
        if key in linux and not linux[key]:
            del linux[key]
    if spec["root"].get("readonly") is False:
        del spec["root"]["readonly"]
    for m in spec["mounts"]:
        if not m.get("options", True):
            del m["options"]


def _seccomp_name(plan: SpecPlan) -> str:
    if plan.seccomp.kind == RUNTIME_DEFAULT:
        return RUNTIME_DEFAULT
    if plan.seccomp.kind == LOCALHOST:
        return "localhost/" + plan.seccomp.path
    return "unconfined"


def _plan_and_spec(inputs: ContainerSpecInputs) -> tuple[SpecPlan, dict[str, Any]]:
    plan = make_plan(inputs)
    spec = cri_container_base_spec(CONTAINERD_NAMESPACE, plan.container_id)
    for step in BUILD_STEPS:
        step(spec, plan)
    _omit_empty(spec)
    return plan, spec


def build_container(inputs: ContainerSpecInputs) -> ContainerBuild:
    """The OCI spec, effective process and warnings for one container.

    Raises ``SpecError`` with the message the kubelet/runtime would report.
    """
    plan, spec = _plan_and_spec(inputs)
    process = effective_process(
        spec, seccomp_profile=_seccomp_name(plan), privileged=plan.cri.privileged
    )
    return ContainerBuild(
        spec=spec,
        process=process,
        warnings=container_warnings(plan, spec, process),
        plan=plan,
        host_devices=plan.cri.privileged and not inputs.runtime.privileged_without_host_devices,
        selinux_mcs_allocation=plan.selinux.needs_mcs_allocation,
    )


def build_container_spec(inputs: ContainerSpecInputs) -> dict[str, Any]:
    """Only the OCI runtime config of ``build_container`` (skips the summary)."""
    return _plan_and_spec(inputs)[1]
