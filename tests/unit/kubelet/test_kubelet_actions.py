"""compute_pod_actions: what the pod needs next, by table. Callers: pytest."""

from __future__ import annotations

from kubelet_states import cs, pod, state

from seclet.kubelet.actions import PodActions, compute_pod_actions


def test_new_pod_creates_sandbox_and_starts_all() -> None:
    assert compute_pod_actions(pod(("a", "b")), state(ready=None)) == PodActions(
        create_sandbox=True, containers_to_start=("a", "b")
    )


def test_new_pod_with_init_starts_first_init_only() -> None:
    assert compute_pod_actions(pod(init=("i1", "i2")), state(ready=None)) == PodActions(
        create_sandbox=True, next_init_container="i1"
    )


def test_init_sequence() -> None:
    p = pod(init=("i1", "i2"))
    assert compute_pod_actions(p, state(cs("i1", "running"))) == PodActions()
    assert compute_pod_actions(p, state(cs("i1", "exited"))) == PodActions(next_init_container="i2")
    done = state(cs("i1", "exited"), cs("i2", "exited"))
    assert compute_pod_actions(p, done) == PodActions(containers_to_start=("app",))


def test_failed_init_restarts_or_kills_under_never() -> None:
    failed = state(cs("i1", "exited", exit_code=1))
    assert compute_pod_actions(pod(init=("i1",)), failed) == PodActions(next_init_container="i1")
    assert compute_pod_actions(pod(init=("i1",), restart="Never"), failed) == PodActions(
        kill_pod=True
    )


def test_restart_policies() -> None:
    ok, bad = cs("app", "exited"), cs("app", "exited", exit_code=2)
    assert compute_pod_actions(pod(restart="Always"), state(ok)).containers_to_start == ("app",)
    assert compute_pod_actions(pod(restart="OnFailure"), state(ok)) == PodActions(kill_pod=True)
    assert compute_pod_actions(pod(restart="OnFailure"), state(bad)).containers_to_start == ("app",)
    assert compute_pod_actions(pod(restart="Never"), state(bad)) == PodActions(kill_pod=True)


def test_running_and_finished_pods() -> None:
    assert compute_pod_actions(pod(), state(cs("app", "running"))) == PodActions()
    # one still running, one finished under Never: nothing to do, not killed
    p = pod(("a", "b"), restart="Never")
    assert compute_pod_actions(p, state(cs("a", "running"), cs("b", "exited"))) == PodActions()
    # the sandbox was stopped when the pod finished: left alone
    assert compute_pod_actions(p, state(cs("a", "exited"), ready=False)) == PodActions()


def test_created_but_not_started_is_started_again() -> None:
    assert compute_pod_actions(pod(), state(cs("app", "created"))).containers_to_start == ("app",)


def test_on_failure_new_sandbox_skips_succeeded() -> None:
    p = pod(("a", "b"), restart="OnFailure")
    actions = compute_pod_actions(p, state(cs("a", "exited"), ready=None))
    assert actions == PodActions(create_sandbox=True, containers_to_start=("b",))


def test_changed_definition_is_killed_and_restarted() -> None:
    from dataclasses import replace

    from seclet.api import models
    from seclet.kubelet.actions import CONTAINER_HASH_ANNOTATION, container_hash

    p = pod()
    c = (p.spec or models.PodSpec()).containers[0]
    same = replace(cs("app", "running"), annotations={CONTAINER_HASH_ANNOTATION: container_hash(c)})
    assert compute_pod_actions(p, state(same)) == PodActions()
    other = replace(cs("app", "running"), annotations={CONTAINER_HASH_ANNOTATION: "0"})
    assert compute_pod_actions(p, state(other)) == PodActions(
        containers_to_start=("app",),
        containers_to_kill=(
            ("app-0", "app", "Container app definition changed, will be restarted"),
        ),
    )
    resized = c._replace(resources=models.ResourceRequirements(limits={"cpu": "1"}))
    assert container_hash(resized) == container_hash(c)


def test_sidecars() -> None:
    from seclet.api import models
    from seclet.api.decode import decode

    p = decode(
        {
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1"},
            "spec": {
                "restartPolicy": "Never",
                "initContainers": [
                    {"name": "side", "image": "busybox", "restartPolicy": "Always"},
                    {"name": "init", "image": "busybox"},
                ],
                "containers": [{"name": "app", "image": "busybox"}],
            },
        },
        models.Pod,
    )
    assert compute_pod_actions(p, state()) == PodActions(next_init_container="side")
    side = cs("side", "running")
    assert compute_pod_actions(p, state(side)) == PodActions(next_init_container="init")
    # a sidecar that died before the app started is restarted first, in its turn
    dead = cs("side", "exited", exit_code=1)
    assert compute_pod_actions(p, state(dead)) == PodActions(next_init_container="side")
    done_init = cs("init", "exited")
    assert compute_pod_actions(p, state(side, done_init)) == PodActions(
        containers_to_start=("app",)
    )
    # after the app started, a dead sidecar restarts beside it (restartPolicy Never or not)
    app = cs("app", "running")
    assert compute_pod_actions(p, state(dead, done_init, app)) == PodActions(
        containers_to_start=("side",)
    )
    # the app finished: the pod (and its sidecar) is stopped
    finished = cs("app", "exited")
    assert compute_pod_actions(p, state(side, done_init, finished)) == PodActions(kill_pod=True)


def test_container_gc_keeps_the_newest_dead_one() -> None:
    from seclet.kubelet.runtimestate import dead_to_remove

    running = cs("app", "running", attempt=3)
    dead = [cs("app", "exited", exit_code=1, attempt=n) for n in (2, 1, 0)]
    assert [s.id for s in dead_to_remove(state(running, *dead))] == ["app-1", "app-0"]
    assert [s.id for s in dead_to_remove(state(*dead))] == ["app-1", "app-0"]
    assert dead_to_remove(state(running, dead[0])) == ()
