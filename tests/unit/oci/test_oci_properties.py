"""Property tests over random security contexts (modest example counts)."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocischema import schema_errors

from seclet.api import models
from seclet.host.facts import NodeFacts
from seclet.runtime.oci.builder import build_container
from seclet.runtime.oci.explain import effective_process, summarise_process
from seclet.runtime.oci.inputs import ContainerSpecInputs, ImageConfig, RuntimeContext
from seclet.securitycontext.linux_context import (
    linux_container_security_context,
    translate_security_context,
)
from seclet.securitycontext.users import (
    _resolve_process_user,
    image_user_from_config,
    kubelet_image_user,
)

CAP_NAMES = st.sampled_from(
    ["CHOWN", "NET_ADMIN", "SYS_ADMIN", "SYS_TIME", "KILL", "ALL", "all", "CAP_KILL", "BPF"]
)
maybe_bool = st.none() | st.booleans()
ids = st.none() | st.integers(min_value=0, max_value=70000)

selinux = st.none() | st.builds(
    models.SELinuxOptions,
    level=st.none() | st.just("s0:c1,c2"),
    role=st.none(),
    type=st.none(),
    user=st.none(),
)
seccomp = st.none() | st.sampled_from(
    [
        models.SeccompProfile(type="RuntimeDefault"),
        models.SeccompProfile(type="Unconfined"),
        models.SeccompProfile(type="Localhost", localhostProfile="p.json"),
    ]
)
capabilities = st.none() | st.builds(
    models.Capabilities,
    add=st.lists(CAP_NAMES, max_size=3).map(tuple),
    drop=st.lists(CAP_NAMES, max_size=3).map(tuple),
)
container_sc = st.none() | st.builds(
    models.SecurityContext,
    allowPrivilegeEscalation=maybe_bool,
    capabilities=capabilities,
    privileged=maybe_bool,
    procMount=st.none() | st.sampled_from(["Default", "Unmasked"]),
    readOnlyRootFilesystem=maybe_bool,
    runAsGroup=ids,
    runAsUser=ids,
    seLinuxOptions=selinux,
    seccompProfile=seccomp,
    appArmorProfile=st.none(),
    runAsNonRoot=st.none(),
    windowsOptions=st.none(),
)
pod_sc = st.builds(
    models.PodSecurityContext,
    fsGroup=ids,
    runAsGroup=ids,
    runAsUser=ids,
    supplementalGroups=st.lists(st.integers(0, 70000), max_size=3).map(tuple),
    supplementalGroupsPolicy=st.none() | st.sampled_from(["Merge", "Strict"]),
    seccompProfile=seccomp,
    appArmorProfile=st.none(),
    fsGroupChangePolicy=st.none(),
    runAsNonRoot=st.none(),
    seLinuxChangePolicy=st.none(),
    seLinuxOptions=selinux,
    sysctls=st.just(()),
    windowsOptions=st.none(),
)
PROFILES = {"/var/lib/kubelet/seccomp/p.json": json.dumps({"defaultAction": "SCMP_ACT_ALLOW"})}


@st.composite
def inputs(draw: st.DrawFn) -> ContainerSpecInputs:
    c = models.Container(
        name="c", image="busybox", command=("sh",), securityContext=draw(container_sc)
    )
    pod = models.Pod(
        metadata=models.ObjectMeta(name="p", namespace="ns", uid="u"),
        spec=models.PodSpec(
            containers=(c,),
            securityContext=draw(pod_sc),
            hostNetwork=draw(maybe_bool),
            hostPID=draw(maybe_bool),
            hostIPC=draw(maybe_bool),
            shareProcessNamespace=draw(maybe_bool),
            hostUsers=draw(maybe_bool),
        ),
    )
    return ContainerSpecInputs(
        pod=pod,
        container=c,
        image=ImageConfig(user=draw(st.sampled_from(["", "1000", "0:0", "nobody"]))),
        passwd_text="root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
        group_text="root:x:0:\nwheel:x:10:root\n",
        node=NodeFacts.reference(),
        runtime=RuntimeContext(
            sandbox_pid=draw(st.none() | st.just(7)), localhost_seccomp_profiles=PROFILES
        ),
    )


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(inputs())
def test_spec_is_schema_valid_and_deterministic(inp: ContainerSpecInputs) -> None:
    a = build_container(inp).spec
    b = build_container(inp).spec
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert schema_errors(a) == []


@SETTINGS
@given(inputs())
def test_privileged_gets_every_grantable_cap_and_no_masks(inp: ContainerSpecInputs) -> None:
    sc = inp.container.securityContext or models.SecurityContext()
    inp = ContainerSpecInputs(
        pod=inp.pod,
        container=inp.container._replace(securityContext=sc._replace(privileged=True)),
        image=inp.image,
        passwd_text=inp.passwd_text,
        group_text=inp.group_text,
        node=inp.node,
        runtime=inp.runtime,
    )
    b = build_container(inp)
    caps = b.spec["process"]["capabilities"]
    grantable = list(NodeFacts.reference().grantable_capabilities)
    for key in ("bounding", "effective", "permitted"):
        assert caps[key] == grantable
    assert "maskedPaths" not in b.spec["linux"] and "readonlyPaths" not in b.spec["linux"]
    assert "seccomp" not in b.spec["linux"]
    assert b.process.cap_bnd.hex == "000001fffeffffff"
    assert b.host_devices
    assert schema_errors(b.spec) == []


@SETTINGS
@given(inputs())
def test_drop_all_without_add_empties_cap_sets(inp: ContainerSpecInputs) -> None:
    sc = inp.container.securityContext or models.SecurityContext()
    sc = sc._replace(privileged=False, capabilities=models.Capabilities(drop=("ALL",)))
    c = inp.container._replace(securityContext=sc)
    inp = ContainerSpecInputs(
        pod=inp.pod,
        container=c,
        image=inp.image,
        passwd_text=inp.passwd_text,
        group_text=inp.group_text,
        node=inp.node,
        runtime=inp.runtime,
    )
    b = build_container(inp)
    assert b.spec["process"]["capabilities"] == {}
    for s in (
        b.process.cap_prm,
        b.process.cap_eff,
        b.process.cap_bnd,
        b.process.cap_inh,
        b.process.cap_amb,
    ):
        assert s.mask == 0


@SETTINGS
@given(inputs(), st.booleans())
def test_memoised_decisions_equal_the_uncached_translation(
    inp: ContainerSpecInputs, seccomp_default: bool
) -> None:
    """The memos (CRI context, process user, effective process) never change a value,
    and never hide an error."""
    image_user = kubelet_image_user(image_user_from_config(inp.image.user))
    root = inp.runtime.seccomp_root
    try:
        fresh = translate_security_context(
            inp.pod, inp.container, image_user, seccomp_root=root, seccomp_default=seccomp_default
        )
    except ValueError as e:
        with pytest.raises(type(e), match=re.escape(str(e))):
            linux_container_security_context(
                inp.pod,
                inp.container,
                image_user,
                seccomp_root=root,
                seccomp_default=seccomp_default,
            )
        return
    for _ in range(2):  # a miss, then a hit
        memo = linux_container_security_context(
            inp.pod, inp.container, image_user, seccomp_root=root, seccomp_default=seccomp_default
        )
        assert memo == fresh
    args = (
        fresh.run_as_user,
        fresh.run_as_username,
        fresh.run_as_group,
        fresh.supplemental_groups,
        fresh.supplemental_groups_policy,
        inp.image.user,
        inp.passwd_text,
        inp.group_text,
    )
    with contextlib.suppress(ValueError):
        assert _resolve_process_user(*args) == _resolve_process_user.__wrapped__(*args)
    try:
        b = build_container(inp)
    except ValueError:
        return
    privileged = b.plan.cri.privileged
    assert effective_process(
        b.spec, seccomp_profile="RuntimeDefault", privileged=privileged
    ) == summarise_process(b.spec, seccomp_profile="RuntimeDefault", privileged=privileged)
