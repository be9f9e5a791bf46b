"""Unit tests: exact Pod Security denial texts, check by check and for the page's examples."""

from __future__ import annotations

import pytest
from psa_pods import DOC_EXAMPLES, doc_example, pod

from seclet.api.models import Pod, PodSpec
from seclet.podsecurity import check_pod, level_version
from seclet.podsecurity.admission import violates_message
from seclet.podsecurity.policy import (
    UNKNOWN_FORBIDDEN_REASON,
    AggregateCheckResult,
    CheckResult,
    aggregate_check_results,
)
from shared_data import skip_unless_present


def detail(p: Pod, level: str = "restricted", version: str = "latest") -> str:
    """The aggregated ForbiddenDetail ("" when allowed)."""
    assert p.spec is not None
    return check_pod(p.metadata, p.spec, level_version(level, version)).forbidden_detail()


def violates(p: Pod, level: str, version: str = "latest") -> str:
    lv = level_version(level, version)
    assert p.spec is not None
    return violates_message(lv, check_pod(p.metadata, p.spec, lv))


RESTRICTED_OK = """
    metadata: {name: ok}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: c
        image: busybox
        securityContext: CONTAINER_SC
"""
_COMPLIANT_SC = "{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}"


def restricted_pod(
    extra_spec: str = "", container: str = "", meta: str = "", container_sc: str = _COMPLIANT_SC
) -> Pod:
    """The restricted-compliant pod, with YAML lines added to spec/container/metadata, or
    the container's securityContext replaced (flow style)."""
    text = RESTRICTED_OK.replace("CONTAINER_SC", container_sc)
    if meta:
        text = text.replace("metadata: {name: ok}", "metadata:\n      name: ok\n" + meta)
    if extra_spec:
        text = text.replace("    spec:\n", "    spec:\n" + extra_spec)
    if container:
        text = text.replace("        image: busybox\n", "        image: busybox\n" + container)
    return pod(text)


needs_docs = skip_unless_present(DOC_EXAMPLES)


# -- the page's manifests ---------------------------------------------------------------

PAGE_RESTRICTED = {
    "security-context.yaml": (
        'unrestricted capabilities (container "sec-ctx-demo" must set '
        'securityContext.capabilities.drop=["ALL"]), '
        'runAsNonRoot != true (pod or container "sec-ctx-demo" must set '
        "securityContext.runAsNonRoot=true), "
        'seccompProfile (pod or container "sec-ctx-demo" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
    ),
    "security-context-2.yaml": (
        'unrestricted capabilities (container "sec-ctx-demo-2" must set '
        'securityContext.capabilities.drop=["ALL"]), '
        'runAsNonRoot != true (pod or container "sec-ctx-demo-2" must set '
        "securityContext.runAsNonRoot=true), "
        'seccompProfile (pod or container "sec-ctx-demo-2" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
    ),
    "security-context-3.yaml": (
        'allowPrivilegeEscalation != false (container "sec-ctx-3" must set '
        "securityContext.allowPrivilegeEscalation=false), "
        'unrestricted capabilities (container "sec-ctx-3" must set '
        'securityContext.capabilities.drop=["ALL"]), '
        'runAsNonRoot != true (pod or container "sec-ctx-3" must set '
        "securityContext.runAsNonRoot=true), "
        'seccompProfile (pod or container "sec-ctx-3" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
    ),
    "security-context-4.yaml": (
        'allowPrivilegeEscalation != false (container "sec-ctx-4" must set '
        "securityContext.allowPrivilegeEscalation=false), "
        'unrestricted capabilities (container "sec-ctx-4" must set '
        'securityContext.capabilities.drop=["ALL"]; container "sec-ctx-4" must not include '
        '"NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add), '
        'runAsNonRoot != true (pod or container "sec-ctx-4" must set '
        "securityContext.runAsNonRoot=true), "
        'seccompProfile (pod or container "sec-ctx-4" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
    ),
}
for _name in ("security-context-5.yaml", "security-context-6.yaml"):
    PAGE_RESTRICTED[_name] = PAGE_RESTRICTED["security-context.yaml"]


@needs_docs
@pytest.mark.parametrize("name", sorted(PAGE_RESTRICTED))
def test_page_examples_at_restricted_latest(name: str) -> None:
    assert violates(doc_example(name), "restricted") == (
        f'violates PodSecurity "restricted:latest": {PAGE_RESTRICTED[name]}'
    )


@needs_docs
@pytest.mark.parametrize("name", sorted(PAGE_RESTRICTED))
def test_page_examples_at_baseline_latest(name: str) -> None:
    if name == "security-context-4.yaml":
        assert violates(doc_example(name), "baseline") == (
            'violates PodSecurity "baseline:latest": non-default capabilities '
            '(container "sec-ctx-4" must not include "NET_ADMIN", "SYS_TIME" in '
            "securityContext.capabilities.add)"
        )
    else:
        assert detail(doc_example(name), "baseline") == ""


# -- one check at a time ------------------------------------------------------------------


def test_compliant_pod_passes_everything() -> None:
    assert detail(restricted_pod()) == ""
    assert detail(restricted_pod(), "baseline", "v1.0") == ""


def test_allow_privilege_escalation_pluralises_in_visit_order() -> None:
    p = pod(
        """
        metadata: {name: p}
        spec:
          ephemeralContainers: [{name: e, image: x}]
          containers: [{name: b, image: x}, {name: a, image: x,
                       securityContext: {allowPrivilegeEscalation: true}}]
          initContainers: [{name: i, image: x}]
        """
    )
    assert p.spec is not None
    agg = check_pod(p.metadata, p.spec, level_version("restricted"))
    assert agg.forbidden_reasons[0] == "allowPrivilegeEscalation != false"
    assert agg.forbidden_details[0] == (
        'containers "i", "b", "a", "e" must set securityContext.allowPrivilegeEscalation=false'
    )


def test_capabilities_baseline_sorted_set_and_exact_spelling() -> None:
    p = restricted_pod(
        container_sc="{capabilities: {add: [SYS_TIME, CAP_CHOWN, chown, NET_ADMIN, SYS_TIME, KILL]}}"
    )
    assert detail(p, "baseline") == (
        'non-default capabilities (container "c" must not include "CAP_CHOWN", "NET_ADMIN", '
        '"SYS_TIME", "chown" in securityContext.capabilities.add)'
    )


def test_host_namespaces_in_fixed_order() -> None:
    p = restricted_pod("      hostIPC: true\n      hostPID: true\n      hostNetwork: true\n")
    assert detail(p, "baseline") == (
        "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"
    )


def test_host_path_volumes_baseline_and_restricted_volumes() -> None:
    p = restricted_pod(
        "      volumes:\n"
        "      - {name: a, hostPath: {path: /}}\n"
        "      - {name: b, nfs: {server: s, path: /}}\n"
        "      - {name: c, emptyDir: {}}\n"
        "      - {name: d}\n"
    )
    assert detail(p, "baseline") == 'hostPath volumes (volume "a")'
    assert detail(p) == (
        'restricted volume types (volumes "a", "b", "d" use restricted volume types '
        '"hostPath", "nfs", "unknown")'
    )


def test_host_ports_sorted_as_strings() -> None:
    p = pod(
        """
        metadata: {name: p}
        spec:
          containers:
          - {name: a, image: x, ports: [{containerPort: 1, hostPort: 9}, {containerPort: 2}]}
          - {name: b, image: x, ports: [{containerPort: 1, hostPort: 8080},
                                        {containerPort: 3, hostPort: 10}]}
        """
    )
    assert detail(p, "baseline") == 'hostPort (containers "a", "b" use hostPorts 10, 8080, 9)'
    one = restricted_pod(container="        ports: [{containerPort: 80, hostPort: 80}]\n")
    assert detail(one, "baseline") == 'hostPort (container "c" uses hostPort 80)'


def test_host_probes_and_lifecycle_from_v1_34_sorted() -> None:
    p = pod(
        """
        metadata: {name: p}
        spec:
          containers:
          - name: z
            image: x
            livenessProbe: {httpGet: {host: example.com, port: 80}}
            lifecycle: {preStop: {tcpSocket: {host: 1.1.1.1, port: 80}}}
          - name: a
            image: x
            readinessProbe: {tcpSocket: {host: example.com, port: 80}}
          - name: m
            image: x
            startupProbe: {httpGet: {host: "", port: 80}}
        """
    )
    assert detail(p, "baseline") == (
        'probe or lifecycle host (containers "a", "z" use probe or lifecycle hosts '
        '"1.1.1.1", "example.com")'
    )
    assert detail(p, "baseline", "v1.33") == ""


def test_privileged() -> None:
    p = restricted_pod(container_sc="{privileged: true}")
    assert detail(p, "baseline") == (
        'privileged (container "c" must not set securityContext.privileged=true)'
    )


def test_proc_mount_and_user_namespaces_by_version() -> None:
    unmasked = restricted_pod(
        "      hostUsers: false\n",
        container_sc="{procMount: Unmasked, allowPrivilegeEscalation: false,"
        " capabilities: {drop: [ALL]}}",
    )
    text = 'procMount (container "c" must not set securityContext.procMount to "Unmasked")'
    assert detail(unmasked, "baseline", "v1.34") == text
    assert detail(unmasked, "baseline", "v1.35") == ""
    assert detail(unmasked, "restricted", "v1.34") == text
    assert detail(unmasked, "restricted", "v1.35") == text
    assert detail(unmasked, "restricted") == text


def test_run_as_user_and_non_root_relaxed_for_user_namespaces_from_v1_35() -> None:
    p = pod(
        """
        metadata: {name: p}
        spec:
          hostUsers: false
          securityContext: {runAsUser: 0, seccompProfile: {type: RuntimeDefault}}
          containers:
          - name: c
            image: x
            securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
        """
    )
    assert detail(p, "restricted", "v1.34") == (
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
        "runAsUser=0 (pod must not set runAsUser=0)"
    )
    assert detail(p, "restricted", "v1.35") == ""
    assert detail(p, "restricted", "v1.22") == (
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)'
    )


def test_run_as_non_root_explicit_false_wins() -> None:
    p = pod(
        """
        metadata: {name: p}
        spec:
          securityContext: {runAsNonRoot: false}
          containers:
          - {name: a, image: x, securityContext: {runAsNonRoot: false}}
          - {name: b, image: x}
        """
    )
    assert detail(p, "restricted", "v1.0") == (
        'runAsNonRoot != true (pod and container "a" must not set '
        "securityContext.runAsNonRoot=false)"
    )


def test_run_as_user_setters() -> None:
    p = pod(
        """
        metadata: {name: p}
        spec:
          securityContext: {runAsUser: 0, runAsNonRoot: true}
          containers:
          - {name: a, image: x, securityContext: {runAsUser: 0}}
          - {name: b, image: x, securityContext: {runAsUser: 0}}
          - {name: c, image: x, securityContext: {runAsUser: 1}}
        """
    )
    assert 'runAsUser=0 (pod and containers "a", "b" must not set runAsUser=0)' in detail(p)


def test_seccomp_baseline_annotations_before_v1_19() -> None:
    p = restricted_pod(
        meta="      annotations:\n"
        "        seccomp.security.alpha.kubernetes.io/pod: unconfined\n"
        "        container.seccomp.security.alpha.kubernetes.io/c: runtime/default\n"
        "        container.seccomp.security.alpha.kubernetes.io/x: unconfined\n"
    )
    assert detail(p, "baseline", "v1.18") == (
        'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")'
    )
    assert detail(p, "baseline", "v1.19") == ""


def test_seccomp_fields_from_v1_19() -> None:
    p = restricted_pod(
        container_sc="{seccompProfile: {type: Unconfined},"
        " allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}"
    )
    text = 'seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")'
    assert detail(p, "baseline") == text
    assert detail(p) == text
    assert detail(p, "baseline", "v1.18") == ""


def test_selinux_options_parts() -> None:
    p = pod(
        """
        metadata: {name: p}
        spec:
          securityContext: {seLinuxOptions: {type: spc_t, user: u}}
          containers:
          - {name: c, image: x, securityContext: {seLinuxOptions: {role: r, level: s0}}}
          - {name: d, image: x, securityContext: {seLinuxOptions: {type: container_engine_t}}}
        """
    )
    assert detail(p, "baseline") == (
        'seLinuxOptions (pod and container "c" set forbidden securityContext.seLinuxOptions: '
        'type "spc_t"; user may not be set; role may not be set)'
    )
    assert detail(p, "baseline", "v1.30") == (
        'seLinuxOptions (pod and containers "c", "d" set forbidden '
        'securityContext.seLinuxOptions: types "container_engine_t", "spc_t"; '
        "user may not be set; role may not be set)"
    )


@pytest.mark.parametrize(
    ("version", "forbidden"),
    [
        (
            "v1.0",
            "net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_rmem, "
            "net.ipv4.tcp_notsent_lowat, net/ipv4/tcp_syncookies",
        ),
        (
            "v1.27",
            "net.ipv4.tcp_fin_timeout, net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat, "
            "net/ipv4/tcp_syncookies",
        ),
        ("v1.29", "net.ipv4.tcp_rmem, net.ipv4.tcp_notsent_lowat, net/ipv4/tcp_syncookies"),
        ("v1.32", "net.ipv4.tcp_notsent_lowat, net/ipv4/tcp_syncookies"),
        ("v1.36", "net.ipv4.tcp_notsent_lowat, net/ipv4/tcp_syncookies"),
        ("v1.37", "net/ipv4/tcp_syncookies"),
        ("v1.99", "net/ipv4/tcp_syncookies"),
        ("latest", "net/ipv4/tcp_syncookies"),
    ],
)
def test_sysctls_by_version(version: str, forbidden: str) -> None:
    p = pod(
        """
        metadata: {name: p}
        spec:
          securityContext:
            sysctls:
            - {name: kernel.shm_rmid_forced, value: "1"}
            - {name: net.ipv4.ip_local_reserved_ports, value: "1"}
            - {name: net.ipv4.tcp_fin_timeout, value: "1"}
            - {name: net.ipv4.tcp_rmem, value: "1"}
            - {name: net.ipv4.tcp_slow_start_after_idle, value: "0"}
            - {name: net.ipv4.tcp_notsent_lowat, value: "1"}
            - {name: net/ipv4/tcp_syncookies, value: "1"}
          containers: [{name: c, image: x}]
        """
    )
    expected = forbidden
    if version in ("v1.0", "v1.27", "v1.29", "v1.32", "v1.36"):
        expected = forbidden.replace(
            "net.ipv4.tcp_notsent_lowat",
            "net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat",
        )
    assert detail(p, "baseline", version) == f"forbidden sysctls ({expected})"


def test_windows_host_process_and_windows_exemptions() -> None:
    p = pod(
        """
        metadata: {name: p}
        spec:
          os: {name: windows}
          securityContext:
            runAsNonRoot: true
            windowsOptions: {hostProcess: true}
          containers: [{name: c, image: x}]
        """
    )
    assert detail(p, "baseline") == (
        "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)"
    )
    assert detail(p, "restricted", "v1.25") == detail(p, "baseline")
    assert detail(p, "restricted", "v1.24") == (
        "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true), "
        'allowPrivilegeEscalation != false (container "c" must set '
        "securityContext.allowPrivilegeEscalation=false), "
        'unrestricted capabilities (container "c" must set '
        'securityContext.capabilities.drop=["ALL"]), '
        'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to '
        '"RuntimeDefault" or "Localhost")'
    )


def test_apparmor_fields_and_annotations() -> None:
    p = pod(
        """
        metadata:
          name: p
          annotations:
            container.apparmor.security.beta.kubernetes.io/c: unconfined
            container.apparmor.security.beta.kubernetes.io/d: localhost/foo
            container.apparmor.security.beta.kubernetes.io/e: runtime/default
        spec:
          securityContext: {appArmorProfile: {type: Unconfined}}
          containers:
          - {name: c, image: x, securityContext: {appArmorProfile: {type: Localhost,
             localhostProfile: p}}}
        """
    )
    assert detail(p, "baseline") == (
        "forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "
        '"Unconfined", "container.apparmor.security.beta.kubernetes.io/c="unconfined"")'
    )
    one = restricted_pod(
        container_sc="{appArmorProfile: {type: Unconfined},"
        " allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}"
    )
    assert detail(one, "baseline") == (
        'forbidden AppArmor profile (container "c" must not set AppArmor profile type to '
        '"Unconfined")'
    )


def test_capabilities_restricted_both_parts_and_net_bind_service() -> None:
    ok = restricted_pod(
        container_sc="{allowPrivilegeEscalation: false,"
        " capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}"
    )
    assert detail(ok) == ""
    bad = restricted_pod(
        container_sc="{allowPrivilegeEscalation: false,"
        " capabilities: {drop: [all], add: [NET_BIND_SERVICE, CHOWN]}}"
    )
    assert detail(bad) == (
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop='
        '["ALL"]; container "c" must not include "CHOWN" in securityContext.capabilities.add)'
    )
    assert detail(bad, "restricted", "v1.21") == ""


def test_version_clamping_and_message_keeps_requested_version() -> None:
    p = restricted_pod(container_sc="{privileged: true}")
    assert violates(p, "baseline", "v1.99").startswith('violates PodSecurity "baseline:v1.99": ')


def test_aggregation_and_unknown_reason() -> None:
    agg = aggregate_check_results(
        [
            CheckResult(True),
            CheckResult(False, "a", "x"),
            CheckResult(False),
            CheckResult(False, "b"),
        ]
    )
    assert agg == AggregateCheckResult(False, ("a", UNKNOWN_FORBIDDEN_REASON, "b"), ("x", "", ""))
    assert agg.forbidden_detail() == "a (x), unknown forbidden reason, b"
    assert agg.forbidden_reason() == "a, unknown forbidden reason, b"
    assert aggregate_check_results([CheckResult(True)]).allowed


def test_privileged_level_runs_nothing() -> None:
    p = restricted_pod(container_sc="{privileged: true}")
    assert detail(p, "privileged") == ""
    assert check_pod(None, PodSpec(), level_version("restricted")).allowed
