"""``POST /api/v1/namespaces/{ns}/pods/{name}/eviction``: the Eviction subresource.

Role: upstream's ``EvictionREST.Create`` (pkg/registry/core/pod/storage/eviction.go)
for a server that serves no PodDisruptionBudgets, so every eviction is allowed —
what ``kubectl drain`` (and ``kubectl evict``-style clients) post. Steps:
1. the body must be a policy/v1 (or v1beta1) Eviction (400 otherwise) whose
   ``metadata.name`` is the URL's (400 ``name in URL does not match name in
   Eviction object``);
2. ``propagateDryRun``: the request's ``dryRun`` and the body's
   ``deleteOptions.dryRun`` must agree (the request's fills an empty one);
3. the pod, else 404 ``pods "x" not found``;
4. ``addConditionAndDeletePod``: unless dry run, the pod's status gets the condition
   ``DisruptionTarget=True`` (reason ``EvictionByEvictionAPI``, message ``Eviction
   API: evicting``; ``UpdatePodCondition``), then the pod is deleted with the
   eviction's ``deleteOptions`` (graceful, as ``DELETE``);
5. the answer: ``Status{Status: Success}``, which the create handler gives code 201.
Callers: ``seclet.apiserver.http``, tests.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from seclet.apiserver import status as st
from seclet.apiserver.registry import JSONObject, Registry, rfc3339
from seclet.store.api import ConflictError, NotFoundError

EVICTION_VERSIONS: Final = ("policy/v1", "policy/v1beta1")
SUCCESS: Final[JSONObject] = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Success",
    "code": 201,
}


def _delete_options(body: JSONObject, dry_run: bool) -> JSONObject:
    """``propagateDryRun``."""
    raw = body.get("deleteOptions")
    options: JSONObject = dict(raw) if isinstance(raw, dict) else {}
    wanted = ["All"] if dry_run else []
    have = list(options.get("dryRun") or [])
    if not have:
        if wanted:
            options["dryRun"] = wanted
        return options
    if wanted and have != wanted:
        raise st.APIError(
            st.status(
                500,
                "InternalError",
                f"Internal error occurred: Non-matching dry-run options in request and "
                f"content: [{' '.join(wanted)}] and [{' '.join(have)}]",
            )
        )
    return options


def with_disruption_condition(pod: JSONObject, now: str) -> JSONObject:
    """The pod with ``DisruptionTarget=True`` (``UpdatePodCondition``: the transition
    time kept when the status does not change)."""
    out = copy.deepcopy(pod)
    status = out.setdefault("status", {})
    conditions = list(status.get("conditions") or ())
    old = next((c for c in conditions if c.get("type") == "DisruptionTarget"), None)
    cond = {
        "type": "DisruptionTarget",
        "status": "True",
        "lastProbeTime": None,
        "lastTransitionTime": (
            old.get("lastTransitionTime") if old and old.get("status") == "True" else now
        ),
        "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting",
    }
    if old is None:
        conditions.append(cond)
    else:
        conditions[conditions.index(old)] = cond
    status["conditions"] = conditions
    return out


def evict(registry: Registry, namespace: str, name: str, body: Any, *, dry_run: bool) -> JSONObject:
    """The steps in the module docstring; the Status to answer with 201."""
    if not isinstance(body, dict):
        raise st.bad_request("the body is not an Eviction object")
    if body.get("kind") not in (None, "", "Eviction") or body.get("apiVersion") not in (
        None, "", *EVICTION_VERSIONS
    ):
        raise st.bad_request(
            f"not a Eviction object: {body.get('apiVersion')}, Kind={body.get('kind')}"
        )
    meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    if (meta or {}).get("name", "") != name:
        raise st.bad_request("name in URL does not match name in Eviction object")
    options = _delete_options(body, dry_run)
    pod = registry.get("pods", namespace, name)
    if not options.get("dryRun"):
        for _ in range(5):
            marked = with_disruption_condition(pod, rfc3339(registry.clock()))
            if marked == pod:
                break
            try:
                registry.store.update(
                    "pods", namespace, name, marked,
                    (pod.get("metadata") or {}).get("resourceVersion"),
                )
                break
            except ConflictError:
                pod = registry.get("pods", namespace, name)
            except NotFoundError:
                raise st.not_found("pods", name) from None
    registry.delete_pod(namespace, name, options)
    return dict(SUCCESS)


__all__ = ["SUCCESS", "evict", "with_disruption_condition"]
