"""``PodValidationOptions`` and how kube-apiserver 1.35 derives them on create.

Role: the switches upstream threads through Pod validation
(``k/k pkg/apis/core/validation.PodValidationOptions``), plus ``allow_privileged``,
the process-wide ``capabilities.Get().AllowPrivileged`` (``--allow-privileged``),
which seclet passes as a value. ``options_for_create`` mirrors
``k/k pkg/api/pod/util.go GetValidationOptionsFromPodSpecAndMeta`` with no old pod.
Callers: ``seclet.validation.pod`` entry points and every module they call.
"""

from __future__ import annotations

from dataclasses import dataclass

from seclet.api.featuregates import FeatureGates


@dataclass(frozen=True, slots=True)
class PodValidationOptions:
    """Upstream's options; names are snake_case versions of the Go fields."""

    allow_invalid_pod_deletion_cost: bool = False
    allow_invalid_label_value_in_selector: bool = False
    allow_indivisible_huge_pages_values: bool = False
    allow_invalid_topology_spread_constraint_label_selector: bool = False
    allow_non_local_projected_token_path: bool = False
    allow_namespaced_sysctls_for_host_net_and_host_ipc: bool = False
    resource_is_pod: bool = True
    allow_relaxed_environment_variable_validation: bool = True
    allow_relaxed_dns_search_validation: bool = True
    allow_pod_lifecycle_sleep_action_zero_value: bool = True
    allow_only_recursive_selinux_change_policy: bool = False
    pod_level_resources_enabled: bool = True
    allow_sidecar_resize_policy: bool = True
    allow_invalid_label_value_in_required_node_affinity: bool = False
    allow_user_namespaces_host_network_support: bool = False
    allow_env_files_validation: bool = True
    allow_container_restart_policy_rules: bool = True
    # True only on updates of pods that already had volumeDevices with hostUsers=false.
    allow_user_namespaces_with_volume_devices: bool = False
    allow_taint_toleration_comparison_operators: bool = False
    # capabilities.Get().AllowPrivileged: kube-apiserver --allow-privileged. The flag's
    # own default is false, but every common installer (kubeadm, kind, k3s) sets true.
    allow_privileged: bool = True


def options_for_create(
    gates: FeatureGates, *, allow_privileged: bool = True
) -> PodValidationOptions:
    """``GetValidationOptionsFromPodSpecAndMeta(pod, nil, meta, nil)`` under ``gates``."""
    return PodValidationOptions(
        allow_invalid_pod_deletion_cost=not gates.PodDeletionCost,
        resource_is_pod=True,
        allow_relaxed_environment_variable_validation=gates.RelaxedEnvironmentVariableValidation,
        allow_relaxed_dns_search_validation=gates.RelaxedDNSSearchValidation,
        allow_pod_lifecycle_sleep_action_zero_value=gates.PodLifecycleSleepActionAllowZero,
        allow_only_recursive_selinux_change_policy=not gates.SELinuxMount,
        pod_level_resources_enabled=gates.PodLevelResources,
        allow_sidecar_resize_policy=gates.InPlacePodVerticalScaling,
        allow_user_namespaces_host_network_support=gates.UserNamespacesHostNetworkSupport,
        allow_env_files_validation=gates.EnvFiles,
        allow_container_restart_policy_rules=gates.ContainerRestartRules,
        allow_user_namespaces_with_volume_devices=False,
        allow_taint_toleration_comparison_operators=gates.TaintTolerationComparisonOperators,
        allow_privileged=allow_privileged,
    )
