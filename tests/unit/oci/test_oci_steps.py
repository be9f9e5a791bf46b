"""Table tests of individual spec steps, plus a cost check."""

from __future__ import annotations

import time

import pytest

from seclet.api import models
from seclet.host.facts import NodeFacts
from seclet.runtime.oci.builder import SpecError, build_container, build_container_spec
from seclet.runtime.oci.inputs import ContainerSpecInputs, CRIMount, ImageConfig, RuntimeContext


def make(
    csc: models.SecurityContext | None = None,
    *,
    spec: dict[str, object] | None = None,
    node: NodeFacts | None = None,
    runtime: RuntimeContext | None = None,
    image: ImageConfig | None = None,
) -> ContainerSpecInputs:
    c = models.Container(name="c", image="busybox", command=("sh",), securityContext=csc)
    pod = models.Pod(
        metadata=models.ObjectMeta(name="p", namespace="ns", uid="u"),
        spec=models.PodSpec(containers=(c,), **(spec or {})),  # type: ignore[arg-type]
    )
    return ContainerSpecInputs(
        pod=pod,
        container=c,
        image=image or ImageConfig(),
        node=node or NodeFacts.reference(),
        runtime=runtime or RuntimeContext(),
    )


def test_unmasked_proc_mount_has_no_paths() -> None:
    s = build_container_spec(make(models.SecurityContext(procMount="Unmasked")))
    assert "maskedPaths" not in s["linux"] and "readonlyPaths" not in s["linux"]


def test_default_proc_mount_uses_kubelet_lists() -> None:
    s = build_container_spec(make())
    assert s["linux"]["maskedPaths"][0] == "/proc/asound"
    assert len(s["linux"]["maskedPaths"]) == 11 and len(s["linux"]["readonlyPaths"]) == 5


def test_privileged_overrides_caps_and_mounts() -> None:
    b = build_container(
        make(
            models.SecurityContext(privileged=True, capabilities=models.Capabilities(drop=("ALL",)))
        )
    )
    assert b.process.cap_eff.hex == "000001fffeffffff"
    sysfs = next(m for m in b.spec["mounts"] if m["type"] == "sysfs")
    assert "rw" in sysfs["options"] and "ro" not in sysfs["options"]
    assert b.spec["linux"]["resources"]["devices"] == [{"allow": True, "access": "rwm"}]


def test_nnp_only_for_explicit_false() -> None:
    assert build_container(make()).process.no_new_privs is False
    assert (
        build_container(
            make(models.SecurityContext(allowPrivilegeEscalation=True))
        ).process.no_new_privs
        is False
    )
    assert build_container(
        make(models.SecurityContext(allowPrivilegeEscalation=False))
    ).process.no_new_privs


def test_readonly_rootfs() -> None:
    s = build_container_spec(make(models.SecurityContext(readOnlyRootFilesystem=True)))
    assert s["root"] == {"path": "rootfs", "readonly": True}


def test_no_rlimits_requested() -> None:
    assert "rlimits" not in build_container_spec(make())["process"]


def test_namespaces_with_sandbox() -> None:
    s = build_container_spec(
        make(spec={"hostPID": True, "hostNetwork": True}, runtime=RuntimeContext(sandbox_pid=9))
    )
    ns = {n["type"]: n.get("path") for n in s["linux"]["namespaces"]}
    assert ns == {
        "pid": "/proc/9/ns/pid",
        "ipc": "/proc/9/ns/ipc",
        "uts": "/proc/9/ns/uts",
        "mount": None,
        "network": "/proc/9/ns/net",
    }


def test_namespaces_standalone_host_network() -> None:
    s = build_container_spec(make(spec={"hostNetwork": True, "shareProcessNamespace": True}))
    assert [n["type"] for n in s["linux"]["namespaces"]] == ["pid", "ipc", "mount"]
    assert "hostname" not in s


def test_user_namespace() -> None:
    s = build_container_spec(make(spec={"hostUsers": False}))
    assert {"type": "user"} in s["linux"]["namespaces"]
    assert s["linux"]["uidMappings"] == [{"containerID": 0, "hostID": 65536, "size": 65536}]
    with pytest.raises(SpecError, match="user namespaces"):
        build_container_spec(make(spec={"hostUsers": False}, node=NodeFacts(user_namespaces=False)))


def test_apparmor_requested_without_apparmor_fails() -> None:
    sc = models.SecurityContext(appArmorProfile=models.AppArmorProfile(type="RuntimeDefault"))
    with pytest.raises(SpecError, match=r"^apparmor is not supported$"):
        build_container_spec(make(sc))
    node = NodeFacts(apparmor_enabled=True, apparmor_parser=True)
    assert (
        build_container_spec(make(sc, node=node))["process"]["apparmorProfile"]
        == "cri-containerd.apparmor.d"
    )
    assert (
        build_container_spec(make(node=node))["process"]["apparmorProfile"]
        == "cri-containerd.apparmor.d"
    )
    priv = models.SecurityContext(privileged=True)
    assert "apparmorProfile" not in build_container_spec(make(priv, node=node))["process"]


def test_selinux_options_ignored_without_selinux() -> None:
    b = build_container(
        make(models.SecurityContext(seLinuxOptions=models.SELinuxOptions(level="s0:c1,c2")))
    )
    assert "selinuxLabel" not in b.spec["process"]
    assert any("SELinux is not enabled" in w for w in b.warnings)
    on = build_container(
        make(
            models.SecurityContext(seLinuxOptions=models.SELinuxOptions(level="s0:c1,c2")),
            node=NodeFacts(selinux_enabled=True),
        )
    )
    assert on.spec["process"]["selinuxLabel"] == "system_u:system_r:container_t:s0:c1,c2"
    assert any("shares one MCS label" in w for w in on.warnings)


def test_seccomp_runtime_default_and_localhost() -> None:
    sc = models.SecurityContext(seccompProfile=models.SeccompProfile(type="RuntimeDefault"))
    b = build_container(make(sc))
    assert b.process.seccomp_mode == 2 and b.process.seccomp_profile == "RuntimeDefault"
    loc = models.SecurityContext(
        seccompProfile=models.SeccompProfile(type="Localhost", localhostProfile="x.json")
    )
    with pytest.raises(SpecError, match="cannot load seccomp profile"):
        build_container_spec(make(loc))
    rt = RuntimeContext(
        localhost_seccomp_profiles={
            "/var/lib/kubelet/seccomp/x.json": '{"defaultAction":"SCMP_ACT_LOG"}'
        }
    )
    assert build_container_spec(make(loc, runtime=rt))["linux"]["seccomp"] == {
        "defaultAction": "SCMP_ACT_LOG"
    }


def test_cap_prefix_and_non_root_warnings() -> None:
    b = build_container(
        make(
            models.SecurityContext(
                runAsUser=1000, capabilities=models.Capabilities(add=("CAP_NET_ADMIN",))
            )
        )
    )
    assert b.process.unknown_capabilities == ("CAP_CAP_NET_ADMIN",)
    assert any("CAP_ prefix" in w for w in b.warnings)
    assert any("no effect for uid 1000" in w for w in b.warnings)
    assert b.process.cap_eff.mask == 0


def test_ungrantable_capability_warns() -> None:
    b = build_container(
        make(models.SecurityContext(capabilities=models.Capabilities(add=("SYS_RESOURCE",))))
    )
    assert any("CAP_SYS_RESOURCE" in w and "bounding set" in w for w in b.warnings)


def test_command_and_env_expansion() -> None:
    c = models.Container(
        name="c",
        args=("$(GREETING) $(MISSING) $$(GREETING)",),
        env=(
            models.EnvVar(name="GREETING", value="hi"),
            models.EnvVar(name="B", value="$(GREETING)!"),
        ),
    )
    pod = models.Pod(metadata=models.ObjectMeta(name="p"), spec=models.PodSpec(containers=(c,)))
    image = ImageConfig(
        entrypoint=("/ep",), cmd=("ignored",), env=("PATH=/x", "B=img"), working_dir="/w"
    )
    s = build_container_spec(ContainerSpecInputs(pod=pod, container=c, image=image))
    assert s["process"]["args"] == ["/ep", "hi $(MISSING) $(GREETING)"]
    assert s["process"]["env"] == ["PATH=/x", "HOSTNAME=p", "B=hi!", "GREETING=hi"]
    assert s["process"]["cwd"] == "/w"


def test_kubelet_cri_command_and_envs_are_used_verbatim() -> None:
    """containerd takes CRI's command, args and envs as the kubelet expanded them: an
    escaped ``$$(GREETING)`` the kubelet turned into ``$(GREETING)`` stays literal."""
    c = models.Container(
        name="c",
        args=("$$(GREETING)",),
        env=(models.EnvVar(name="GREETING", value="hi"),),
    )
    pod = models.Pod(metadata=models.ObjectMeta(name="p"), spec=models.PodSpec(containers=(c,)))
    rt = RuntimeContext(
        cri_command=(),
        cri_args=("$(GREETING)",),
        cri_envs=(("GREETING", "hi"), ("FROM_FIELD", "default")),
    )
    image = ImageConfig(entrypoint=("/ep",), env=("PATH=/x", "GREETING=img"))
    s = build_container_spec(ContainerSpecInputs(pod=pod, container=c, image=image, runtime=rt))
    assert s["process"]["args"] == ["/ep", "$(GREETING)"]
    assert s["process"]["env"] == ["PATH=/x", "HOSTNAME=p", "GREETING=hi", "FROM_FIELD=default"]


def test_no_command() -> None:
    c = models.Container(name="c")
    pod = models.Pod(metadata=models.ObjectMeta(name="p"), spec=models.PodSpec(containers=(c,)))
    with pytest.raises(SpecError, match=r"^no command specified$"):
        build_container_spec(ContainerSpecInputs(pod=pod, container=c))


def test_mounts_sorted_and_override_defaults() -> None:
    rt = RuntimeContext(
        mounts=(
            CRIMount(container_path="/data/demo/x", host_path="/h/x", readonly=True),
            CRIMount(container_path="/dev/shm", host_path="/h/shm"),
            CRIMount(
                container_path="/data",
                host_path="/h/d",
                propagation="PROPAGATION_HOST_TO_CONTAINER",
            ),
        )
    )
    s = build_container_spec(make(runtime=rt))
    dests = [m["destination"] for m in s["mounts"]]
    assert dests[-3:] == ["/data", "/dev/shm", "/data/demo/x"]
    assert dests.count("/dev/shm") == 1
    assert s["linux"]["rootfsPropagation"] == "rslave"
    assert s["mounts"][-1]["options"] == ["rbind", "rprivate", "ro"]


def test_building_is_cheap() -> None:
    inp = make(
        models.SecurityContext(
            allowPrivilegeEscalation=False,
            seccompProfile=models.SeccompProfile(type="RuntimeDefault"),
        ),
        spec={
            "securityContext": models.PodSecurityContext(
                runAsUser=1000, runAsGroup=3000, fsGroup=2000
            )
        },
    )
    build_container_spec(inp)
    n = 500
    start = time.perf_counter()
    for _ in range(n):
        build_container_spec(inp)
    per = (time.perf_counter() - start) / n
    assert per < 500e-6  # generous for CI noise; ~25-35 us on the 2-core reference box
