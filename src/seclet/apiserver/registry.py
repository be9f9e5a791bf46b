"""The API's resource logic: what kube-apiserver decides for namespaces, pods, events.

Role: the registry/strategy layer of kube-apiserver over a ``Store``, without HTTP:
decode (``fieldValidation`` Strict/Warn/Ignore), NamespaceLifecycle admission,
defaults and create-time fields (uid, creationTimestamp, generation, Pending status
with qosClass), validation (422), Pod Security admission per namespace labels (403,
warnings), storage errors mapped to upstream's Status (404/409/410), graceful pod
deletion (``BeforeDelete`` + the pod strategy's ``CheckGracefulDelete``: a pod bound
to a node gets a deletionTimestamp and the kubelet deletes it; immediate for pods on
no node, terminal pods and grace 0; a later DELETE may only shorten the grace),
``pods/status`` updates and patches (status, labels and annotations only), event
creation (core/v1, ``involvedObject.namespace`` checked), deletes of nodes and events
(Success Status), namespace deletion with its content, patches (merge, JSON,
strategic, apply) and pod updates (PUT, ``update_pod``) followed by update validation
(``ValidatePodUpdate`` with the update options), and list/watch with label and field
selectors (nodes, events and leases are written by the kubelet into the store). Every refusal is a
``seclet.apiserver.status.APIError``; successes are ``Result`` (object + warnings).
The clock and uid source are injected. Callers: ``seclet.apiserver.http``, tests.

Steps of ``create_pod`` (upstream's order):
1. decode per ``fieldValidation`` (400 ``Pod in version "v1" cannot be handled ...``);
2. the body's namespace must match the request's (400); NamespaceLifecycle (404/403);
3. generateName, defaults, default admission, the merge of pod (anti-)affinity
   ``matchLabelKeys`` into label selectors (PrepareForCreate), quantities made
   canonical (``canonical.canonical_quantities``; also on updates and status
   writes), create-time fields;
4. ``validate_pod_create`` (422 Invalid);
5. Pod Security ``validate_pod`` (403 Forbidden; warnings);
6. store (409 AlreadyExists).
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, Final

from seclet.api.decode import DecodeError, build, check, check_lenient, handled_as, json_kind
from seclet.api.defaults import apply_default_admission, apply_pod_defaults, drop_disabled_fields
from seclet.api.featuregates import DEFAULT_GATES, FeatureGates
from seclet.api.field import FieldError, Path, forbidden, invalid
from seclet.api.models import ObjectMeta, Pod, PodStatus
from seclet.apiserver import patch as patching
from seclet.apiserver import status as st
from seclet.apiserver.canonical import canonical_quantities
from seclet.apiserver.qos import pod_qos
from seclet.apiserver.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)
from seclet.podsecurity.admission import (
    DEFAULT_CONFIGURATION,
    AdmissionResponse,
    PodSecurityConfiguration,
    validate_namespace,
    validate_pod,
)
from seclet.review import default_body, generated_name
from seclet.store.api import (
    AlreadyExistsError,
    ConflictError,
    GoneError,
    NotFoundError,
    Store,
    WatchEvent,
)
from seclet.validation import options_for_create, validate_pod_update
from seclet.validation.affinity import merge_label_keys
from seclet.validation.names import name_is_dns_label
from seclet.validation.objectmeta import validate_object_meta
from seclet.validation.pod import validate_pod_create
from seclet.validation.update_options import options_for_update

JSONObject = dict[str, Any]

SYSTEM_NAMESPACES: Final = ("default", "kube-system", "kube-public", "kube-node-lease")
IMMORTAL_NAMESPACES: Final = frozenset({"default", "kube-system", "kube-public"})
NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
GROUPS: Final = {"leases": "coordination.k8s.io", "storageclasses": "storage.k8s.io"}
"""The API group of each resource outside the core group."""
NAMESPACED_CONTENT: Final = (
    "events",
    "leases",
    "configmaps",
    "secrets",
    "persistentvolumeclaims",
)
"""What a namespace's deletion removes once its pods are gone (claims go without
waiting for their protection finalizer: seclet runs no namespace controller)."""


@dataclass(frozen=True, slots=True)
class Result:
    """A stored (or returned) object and the ``Warning`` headers for the response."""

    object: JSONObject
    warnings: tuple[str, ...] = ()


def rfc3339(t: datetime.datetime) -> str:
    return t.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def pod_grace_period(pod: JSONObject, requested: Any) -> int:
    """The pod strategy's ``CheckGracefulDelete``: the request's grace, else the pod's
    ``terminationGracePeriodSeconds`` (else 0); 0 for a pod on no node or a terminal
    one; a negative grace is 1."""
    spec = pod.get("spec") or {}
    if isinstance(requested, int) and not isinstance(requested, bool):
        period = requested
    else:
        period = int(spec.get("terminationGracePeriodSeconds") or 0)
    if not spec.get("nodeName"):
        period = 0
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        period = 0
    return 1 if period < 0 else period


def validate_pod_status(new: JSONObject, old: JSONObject, restart_policy: str) -> list[FieldError]:
    """``ValidateContainerStateTransition`` of ``ValidatePodStatusUpdate``: unless the
    pod always restarts, a terminated container (that may not restart on failure) may
    not leave the terminated state."""
    errors: list[FieldError] = []
    if restart_policy == "Always":
        return errors
    for key in ("initContainerStatuses", "containerStatuses"):
        news = [cs for cs in new.get(key) or [] if isinstance(cs, dict)]
        for i, old_cs in enumerate(old.get(key) or []):
            term = (old_cs.get("state") or {}).get("terminated")
            if term is None:
                continue
            if term.get("exitCode", 0) != 0 and restart_policy == "OnFailure":
                continue
            for new_cs in news:
                if new_cs.get("name") == old_cs.get("name") and not (new_cs.get("state") or {}).get(
                    "terminated"
                ):
                    errors.append(
                        forbidden(
                            Path.root("status", key).index(i).child("state"),
                            "may not be transitioned to non-terminated state",
                        )
                    )
    return errors


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _meta(obj: JSONObject) -> JSONObject:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        obj["metadata"] = meta
    return meta


def decode_body(
    obj: Any, cls: type, kind: str, field_validation: str
) -> tuple[JSONObject, tuple[str, ...]]:
    """Step 1: the checked body and the unknown-field warnings (``Warn``).

    ``Strict``: unknown or duplicate fields refuse the body (400); ``Warn`` (the
    server's default): they are dropped, each named in a warning; ``Ignore``: dropped
    silently. Type errors refuse the body in every mode.
    """
    if not isinstance(obj, dict):
        raise st.bad_request(
            handled_as(
                kind,
                "v1",
                f"json: cannot unmarshal {json_kind(obj)} into Go "
                f'value of type struct {{ APIVersion string "json:\\"apiVersion,'
                'omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }',
            )
        )
    if field_validation == "Strict":
        try:
            return check(obj, cls), ()
        except DecodeError as exc:
            version = str(obj.get("apiVersion") or "v1")
            raise st.bad_request(handled_as(kind, version, str(exc))) from None
    try:
        out, strict_errors = check_lenient(obj, cls)
    except DecodeError as exc:
        version = str(obj.get("apiVersion") or "v1")
        raise st.bad_request(handled_as(kind, version, str(exc))) from None
    warnings = tuple(strict_errors) if field_validation != "Ignore" else ()
    return out, warnings


_SERVER_OWNED_META: Final = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "resourceVersion",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
)
"""Metadata a client may not set on create; the server assigns or clears it."""


def check_namespace(meta: JSONObject, namespace: str) -> None:
    """A body naming another namespace than the request's URL (400, as upstream)."""
    if meta.get("namespace") and meta["namespace"] != namespace:
        raise st.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )


def name_mismatch(body_name: object, url_name: str) -> st.APIError:
    """The update and patch handlers' 400 for a body whose name is not the URL's."""
    return st.bad_request(
        f"the name of the object ({body_name}) does not match the name on the URL ({url_name})"
    )


def check_name(meta: JSONObject, name: str) -> None:
    """A PUT body naming another object than the URL (an empty name is the URL's)."""
    if meta.get("name") not in (None, "", name):
        raise name_mismatch(meta.get("name"), name)


def check_body_uid(resource: str, name: str, meta: JSONObject, current: JSONObject | None) -> None:
    """A PUT body's uid is a precondition (``DefaultUpdatedObjectInfo.Preconditions``,
    checked by storage): it must be the stored object's."""
    uid = meta.get("uid")
    if uid:
        stored_uid = ((current or {}).get("metadata") or {}).get("uid") or ""
        if uid != stored_uid:
            raise st.uid_precondition_failed(resource, name, uid, stored_uid)


def patched_object(current: JSONObject, patch_type: str, patch_body: Any) -> JSONObject:
    """``current`` with the patch applied; a patch that does not apply is a 422, one
    that leaves no JSON object a 400."""
    try:
        patched = patching.apply_patch(patch_type, current, patch_body)
    except patching.PatchError as exc:
        raise st.APIError(st.status(422, "Invalid", str(exc))) from None
    if not isinstance(patched, dict):
        raise st.bad_request("the patched object is not a JSON object")
    return patched


def patched_or_applied(
    current: JSONObject | None,
    patch_type: str,
    patch_body: Any,
    *,
    api_version: str,
    kind: str,
    writer: patching.Writer,
    now: datetime.datetime,
    name: str = "",
    subresource: str = "",
) -> JSONObject:
    """What a PATCH leaves: a server-side apply onto ``current`` (onto nothing when
    it is None: the new object, named ``name`` unless the body names it), or the
    patch applied to ``current``."""
    if patch_type == patching.APPLY:
        out = patching.applied(
            current,
            patch_body,
            api_version=api_version,
            kind=kind,
            writer=writer,
            now=now,
            subresource=subresource,
        )
        if current is None:
            _meta(out).setdefault("name", name)
        return out
    if current is None:
        raise ValueError("only an apply patches a missing object")
    return patched_object(current, patch_type, patch_body)


def _check_kind(obj: Any, kind: str) -> None:
    if not isinstance(obj, dict):
        return
    got_kind = obj.get("kind")
    got_version = obj.get("apiVersion")
    if got_kind not in (None, "", kind):
        raise st.bad_request(
            f"the API version in the data ({got_version}) does not match the expected API "
            "version (v1)"
            if got_version not in (None, "", "v1")
            else f"the kind in the data ({got_kind}) does not match the expected kind ({kind})"
        )
    if got_version not in (None, "", "v1"):
        raise st.bad_request(
            f"the API version in the data ({got_version}) does not match the expected API "
            "version (v1)"
        )


class Registry:
    """Namespaces and pods over ``store``; one instance per server."""

    def __init__(
        self,
        store: Store,
        *,
        gates: FeatureGates = DEFAULT_GATES,
        pod_security: PodSecurityConfiguration = DEFAULT_CONFIGURATION,
        clock: Callable[[], datetime.datetime] = _utcnow,
        new_uid: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.store = store
        self.gates = gates
        self.pod_security = pod_security
        self.clock = clock
        self.new_uid = new_uid

    # -- bootstrap ----------------------------------------------------------------

    def bootstrap(self) -> None:
        """Create the system namespaces that do not exist yet."""
        existing = {
            (o.get("metadata") or {}).get("name") for o in self.store.list("namespaces").items
        }
        for name in SYSTEM_NAMESPACES:
            if name not in existing:
                obj = self._new_namespace(name, {})
                # kube-apiserver's own create: its entry owns the name label.
                view = {**obj, "spec": {}, "status": {}}
                patching.track(None, view, patching.Writer("kube-apiserver"), self.clock())
                self.store.create("namespaces", "", name, obj)

    def _new_namespace(self, name: str, meta: JSONObject) -> JSONObject:
        labels = dict(meta.get("labels") or {})
        labels[NAMESPACE_NAME_LABEL] = name
        out_meta = {k: v for k, v in meta.items() if k not in ("resourceVersion",)}
        out_meta.update(
            name=name,
            uid=self.new_uid(),
            creationTimestamp=rfc3339(self.clock()),
            labels=labels,
        )
        out_meta.pop("namespace", None)
        return {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": out_meta,
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    # -- reads --------------------------------------------------------------------

    def get(self, resource: str, namespace: str, name: str) -> JSONObject:
        try:
            return self.store.get(resource, namespace, name)
        except NotFoundError:
            raise st.not_found(resource, name, GROUPS.get(resource, "")) from None

    def list(
        self,
        resource: str,
        namespace: str | None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> tuple[list[JSONObject], int]:
        match = self._matcher(resource, label_selector, field_selector)
        result = self.store.list(resource, namespace)
        return [o for o in result.items if match(o)], result.resource_version

    def _matcher(
        self, resource: str, label_selector: str, field_selector: str
    ) -> Callable[[JSONObject], bool]:
        try:
            lreqs = parse_label_selector(label_selector)
            freqs = parse_field_selector(resource, field_selector)
        except ValueError as exc:
            raise st.bad_request(str(exc)) from None
        return lambda o: labels_match(lreqs, o) and fields_match(freqs, o)

    async def watch(
        self,
        resource: str,
        namespace: str | None,
        resource_version: str,
        label_selector: str = "",
        field_selector: str = "",
    ) -> AsyncGenerator[WatchEvent, None]:
        """Events after ``resource_version``; from ``""``/``"0"``: the current objects as
        ADDED first. 410 Expired when the version is compacted."""
        match = self._matcher(resource, label_selector, field_selector)
        if resource_version in ("", "0"):
            items, since = self.list(resource, namespace, label_selector, field_selector)
            for item in items:
                yield WatchEvent("ADDED", item, since)
        else:
            try:
                since = int(resource_version)
            except ValueError:
                raise st.bad_request(f'invalid resource version "{resource_version}"') from None
        events = self.store.watch(resource, namespace, since)
        try:
            async for event in events:
                if match(event.object):
                    yield event
        except GoneError:
            raise st.expired(
                f"too old resource version: {since} ({self.store.current_resource_version()})"
            ) from None

    def _namespace_ready(
        self, namespace: str, resource: str = "pods", name: str = ""
    ) -> JSONObject:
        """NamespaceLifecycle: the namespace must exist and not be terminating."""
        try:
            ns = self.store.get("namespaces", "", namespace)
        except NotFoundError:
            raise st.not_found("namespaces", namespace) from None
        if (ns.get("status") or {}).get("phase") == "Terminating":
            raise st.forbidden(
                resource,
                name,
                f"unable to create new content in namespace {namespace} because "
                "it is being terminated",
            )
        return ns

    def _stamp_new(self, meta: JSONObject) -> None:
        """Clear the server-owned metadata a create body carries; assign uid and
        creationTimestamp."""
        for key in _SERVER_OWNED_META:
            meta.pop(key, None)
        meta["uid"] = self.new_uid()
        meta["creationTimestamp"] = rfc3339(self.clock())

    # -- pods ---------------------------------------------------------------------

    def create_pod(
        self,
        namespace: str,
        body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
        applied: bool = False,
    ) -> Result:
        """``POST /api/v1/namespaces/{ns}/pods`` (see the module's steps). The field
        manager sees the defaulted pod before admission (create.go); ``applied``: the
        body comes from a server-side apply and carries its managedFields."""
        _check_kind(body, "Pod")
        checked, warnings = decode_body(body, Pod, "Pod", field_validation)
        meta = _meta(checked)
        check_namespace(meta, namespace)
        meta["namespace"] = namespace
        ns = self._namespace_ready(namespace)
        request_name = meta.get("name") or ""
        if not request_name and meta.get("generateName"):
            meta["name"] = generated_name(meta["generateName"])
        obj = checked
        apply_pod_defaults(obj, self.gates)
        drop_disabled_fields(obj, self.gates)
        obj["kind"], obj["apiVersion"] = "Pod", "v1"
        if not applied:
            patching.track(None, obj, writer, self.clock())
        managed_fields = _meta(obj).get("managedFields")
        apply_default_admission(obj)
        merge_label_keys(obj)
        canonical_quantities(obj, Pod)
        meta = _meta(obj)
        self._stamp_new(meta)
        if managed_fields is not None:
            meta["managedFields"] = managed_fields
        meta["generation"] = 1
        obj.pop("status", None)
        pod = build(obj, Pod)
        errors = validate_pod_create(pod, options_for_create(self.gates), self.gates)
        if errors:
            raise st.invalid("Pod", meta.get("name") or "", errors)
        admission = validate_pod(
            pod,
            namespace=namespace,
            namespace_labels=(ns.get("metadata") or {}).get("labels") or {},
            name=request_name,
            config=self.pod_security,
        )
        warnings += self._admitted(admission)
        obj["status"] = {"phase": "Pending", "qosClass": pod_qos(obj)}
        if dry_run:
            return Result(obj, warnings)
        try:
            stored = self.store.create("pods", namespace, meta["name"], obj)
        except AlreadyExistsError:
            raise st.already_exists("pods", meta["name"]) from None
        return Result(stored, warnings)

    @staticmethod
    def _admitted(response: AdmissionResponse) -> tuple[str, ...]:
        if not response.allowed:
            deny = response.status
            assert deny is not None
            if deny.code == 422:
                raise st.invalid(deny.kind, deny.name, deny.causes)
            body = st.status(deny.code, deny.reason, deny.message)
            details: JSONObject = {}
            if deny.name:
                details["name"] = deny.name
            if deny.group:
                details["group"] = deny.group
            details["kind"] = deny.kind
            body = st.status(deny.code, deny.reason, deny.message, details)
            raise st.APIError(body)
        return tuple(response.warnings)

    def delete_pod(self, namespace: str, name: str, options: JSONObject) -> Result:
        """``DELETE``: upstream's ``BeforeDelete`` with the pod strategy's
        ``CheckGracefulDelete``, then the store's graceful update or final delete.

        A pod bound to a node and not terminal gets ``deletionTimestamp = now + grace``
        and ``deletionGracePeriodSeconds = grace`` (grace: the request's
        ``gracePeriodSeconds``, else ``spec.terminationGracePeriodSeconds``, else 0;
        negative means 1); the kubelet stops it and deletes it. Unbound or terminal pods,
        and grace 0, go: an update stamping the deletion, then the delete. On a pod
        already terminating only a shorter grace is taken; otherwise the pod is returned
        as it is.
        """
        current = self.get("pods", namespace, name)
        self._preconditions("pods", name, current, options)
        meta = _meta(current)
        grace = options.get("gracePeriodSeconds")
        if isinstance(grace, int) and grace < 0:
            grace = 1
        if meta.get("deletionTimestamp"):
            pending = meta.get("deletionGracePeriodSeconds")
            if isinstance(pending, int) and pending < 0:
                pending = 1
            if pending:
                if not isinstance(grace, int) or grace >= pending:
                    return Result(current)  # graceful deletion pending: nothing to do
                started = parse_rfc3339(meta["deletionTimestamp"]) - datetime.timedelta(
                    seconds=pending
                )
                meta["deletionTimestamp"] = rfc3339(started + datetime.timedelta(seconds=grace))
                meta["deletionGracePeriodSeconds"] = grace
                updated = self._graceful_update(namespace, name, current, options)
                if grace > 0:
                    return updated
                return self._final_delete(namespace, name, updated.object, options)
            return self._final_delete(namespace, name, current, options)
        period = pod_grace_period(current, grace)
        meta["deletionTimestamp"] = rfc3339(self.clock() + datetime.timedelta(seconds=period))
        meta["deletionGracePeriodSeconds"] = period
        if int(meta.get("generation") or 0) > 0:
            meta["generation"] = int(meta["generation"]) + 1
        if period > 0:
            return self._graceful_update(namespace, name, current, options)
        updated = self._graceful_update(namespace, name, current, options)
        return self._final_delete(namespace, name, updated.object, options)

    def _graceful_update(
        self, namespace: str, name: str, obj: JSONObject, options: JSONObject
    ) -> Result:
        if options.get("dryRun"):
            return Result(obj)
        try:
            return Result(self.store.update("pods", namespace, name, obj))
        except NotFoundError:
            raise st.not_found("pods", name) from None

    def _final_delete(
        self, namespace: str, name: str, obj: JSONObject, options: JSONObject
    ) -> Result:
        if options.get("dryRun"):
            return Result(obj)
        try:
            return Result(self.store.delete("pods", namespace, name))
        except NotFoundError:
            raise st.not_found("pods", name) from None

    @staticmethod
    def _preconditions(resource: str, name: str, current: JSONObject, options: JSONObject) -> None:
        pre = options.get("preconditions") or {}
        meta = current.get("metadata") or {}
        uid = pre.get("uid")
        if uid and uid != meta.get("uid"):
            raise st.uid_precondition_failed(resource, name, uid, meta.get("uid"))
        rv = pre.get("resourceVersion")
        if rv and rv != meta.get("resourceVersion"):
            raise st.conflict(
                resource,
                name,
                f"Precondition failed: ResourceVersion in precondition: {rv}, "
                f"ResourceVersion in object meta: {meta.get('resourceVersion')}",
            )

    def patch_pod(
        self,
        namespace: str,
        name: str,
        patch_type: str,
        patch_body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PATCH``: the patched pod, strictly decoded, validated as an update; an
        apply is server-side apply (on a missing pod: applied to an empty one, created).
        ``dry_run``: everything but the write (the answer is the pod as it would be)."""
        try:
            current = self.store.get("pods", namespace, name)
        except NotFoundError:
            if patch_type == patching.APPLY:
                created = patched_or_applied(
                    None,
                    patch_type,
                    patch_body,
                    api_version="v1",
                    kind="Pod",
                    writer=writer,
                    now=self.clock(),
                    name=name,
                )
                return self.create_pod(
                    namespace,
                    created,
                    field_validation=field_validation,
                    dry_run=dry_run,
                    applied=True,
                )
            raise st.not_found("pods", name) from None
        patched = patched_or_applied(
            current,
            patch_type,
            patch_body,
            api_version="v1",
            kind="Pod",
            writer=writer,
            now=self.clock(),
        )
        checked, warnings = decode_body(patched, Pod, "Pod", field_validation)
        obj = default_body(checked, self.gates, owned=True)
        canonical_quantities(obj, Pod)
        if patch_type != patching.APPLY:
            patching.track(current, obj, writer, self.clock())
        meta = _meta(obj)
        old_meta = current.get("metadata") or {}
        for key in ("uid", "creationTimestamp", "generation", "namespace", "name"):
            if key in old_meta:
                meta[key] = old_meta[key]
        if not meta.get("resourceVersion"):  # a patch removing it: an unconditional update
            meta["resourceVersion"] = old_meta.get("resourceVersion")
        elif meta["resourceVersion"] != old_meta.get("resourceVersion"):
            raise st.conflict(
                "pods",
                name,
                st.OBJECT_MODIFIED,
            )
        obj["status"] = current.get("status") or {}
        old = build(current, Pod)
        new = build(obj, Pod)
        errors = validate_pod_update(new, old, options_for_update(new, old, self.gates))
        if errors:
            raise st.invalid("Pod", name, errors)
        ns = self._namespace_ready(namespace)
        warnings += self._admitted(
            validate_pod(
                new,
                namespace=namespace,
                namespace_labels=(ns.get("metadata") or {}).get("labels") or {},
                old_pod=old,
                config=self.pod_security,
            )
        )
        if obj.get("spec") != current.get("spec"):
            meta["generation"] = int(old_meta.get("generation") or 1) + 1
        if dry_run:
            return Result(obj, warnings)
        if obj == current:
            return Result(current, warnings)
        try:
            stored = self.store.update(
                "pods", namespace, name, obj, old_meta.get("resourceVersion")
            )
        except ConflictError:
            raise st.conflict(
                "pods",
                name,
                st.OBJECT_MODIFIED,
            ) from None
        return Result(stored, warnings)

    def update_pod(
        self,
        namespace: str,
        name: str,
        body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PUT /api/v1/namespaces/{ns}/pods/{name}`` (``kubectl replace``): the update
        handler, then the generic store's ``Update`` with the pod strategy.

        1. decode per ``fieldValidation`` (400); the body's namespace and name must be the
           request's (400, ``EnsureObjectNamespaceMatchesRequestNamespace``, ``checkName``);
        2. a uid in the body is a storage precondition (409 ``Precondition failed: UID
           in precondition: ...``); the stored pod, else 404 (no ``AllowCreateOnUpdate``);
        3. defaults and the field manager (operation Update), as ``patch_pod``;
        4. resourceVersion: none in the body is an unconditional update (the pod strategy
           ``AllowUnconditionalUpdate``s), a stale one is 409 (``OptimisticLockErrorMsg``);
        5. ``BeforeUpdate``: generation, uid, creationTimestamp and deletion fields kept
           from the stored pod, ``PrepareForUpdate`` (status kept, generation bumped when
           the spec changes), ``ValidatePodUpdate`` with the update options (422);
        6. Pod Security admission on update (403, warnings); dryRun stops here;
        7. store (an unchanged pod is not written).
        """
        _check_kind(body, "Pod")
        checked, warnings = decode_body(body, Pod, "Pod", field_validation)
        meta = _meta(checked)
        check_namespace(meta, namespace)
        check_name(meta, name)
        try:
            current: JSONObject | None = self.store.get("pods", namespace, name)
        except NotFoundError:
            current = None
        check_body_uid("pods", name, meta, current)
        if current is None:
            raise st.not_found("pods", name)
        obj = default_body(checked, self.gates, owned=True)
        canonical_quantities(obj, Pod)
        patching.track(current, obj, writer, self.clock())
        meta = _meta(obj)
        old_meta = current.get("metadata") or {}
        meta["namespace"] = namespace
        meta["name"] = name
        conflict = st.conflict(
            "pods",
            name,
            st.OBJECT_MODIFIED,
        )
        if not meta.get("resourceVersion"):
            meta["resourceVersion"] = old_meta.get("resourceVersion")
        elif meta["resourceVersion"] != old_meta.get("resourceVersion"):
            raise conflict
        if "generation" in old_meta:
            meta["generation"] = old_meta["generation"]
        if not meta.get("uid") and "uid" in old_meta:
            meta["uid"] = old_meta["uid"]
        for key in ("creationTimestamp", "deletionTimestamp"):
            if old_meta.get(key):
                meta[key] = old_meta[key]
        if meta.get("deletionGracePeriodSeconds") is None and (
            old_meta.get("deletionGracePeriodSeconds") is not None
        ):
            meta["deletionGracePeriodSeconds"] = old_meta["deletionGracePeriodSeconds"]
        obj["status"] = current.get("status") or {}
        if obj.get("spec") != current.get("spec"):
            meta["generation"] = int(old_meta.get("generation") or 0) + 1
        old = build(current, Pod)
        new = build(obj, Pod)
        errors = validate_pod_update(new, old, options_for_update(new, old, self.gates))
        if errors:
            raise st.invalid("Pod", name, errors)
        try:  # NamespaceLifecycle refuses creates only: a terminating namespace is fine
            ns_labels = (self.store.get("namespaces", "", namespace).get("metadata") or {}).get(
                "labels"
            ) or {}
        except NotFoundError:
            ns_labels = {}
        warnings += self._admitted(
            validate_pod(
                new,
                namespace=namespace,
                namespace_labels=ns_labels,
                old_pod=old,
                config=self.pod_security,
            )
        )
        if dry_run:
            return Result(obj, warnings)
        if obj == current:
            return Result(current, warnings)
        try:
            stored = self.store.update(
                "pods", namespace, name, obj, old_meta.get("resourceVersion")
            )
        except NotFoundError:
            raise st.not_found("pods", name) from None
        except ConflictError:
            raise conflict from None
        return Result(stored, warnings)

    # -- pods/status ----------------------------------------------------------------

    def update_pod_status(
        self,
        namespace: str,
        name: str,
        body: Any,
        *,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PUT pods/{name}/status``: the body's status (and labels, annotations) over
        the stored pod; spec and the rest of metadata stay (``podStatusStrategy``)."""
        _check_kind(body, "Pod")
        if not isinstance(body, dict):
            raise st.bad_request(
                handled_as(
                    "Pod",
                    "v1",
                    f"json: cannot unmarshal {json_kind(body)} into Go value of type core.Pod",
                )
            )
        current = self.get("pods", namespace, name)
        meta = body.get("metadata") or {}
        check_name(meta, name)
        rv = meta.get("resourceVersion")
        return self._store_status(namespace, name, current, body, rv or None, writer)

    def patch_pod_status(
        self,
        namespace: str,
        name: str,
        patch_type: str,
        patch_body: Any,
        *,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PATCH pods/{name}/status``: the patch applied to the whole pod, then only its
        status (and labels, annotations) kept, as ``podStatusStrategy`` does."""
        try:
            current = self.store.get("pods", namespace, name)
        except NotFoundError:
            raise st.not_found("pods", name) from None
        patched = patched_or_applied(
            current,
            patch_type,
            patch_body,
            api_version="v1",
            kind="Pod",
            writer=writer,
            now=self.clock(),
            subresource="status",
        )
        rv = (current.get("metadata") or {}).get("resourceVersion")
        return self._store_status(namespace, name, current, patched, rv, writer, patch_type)

    def _store_status(
        self,
        namespace: str,
        name: str,
        current: JSONObject,
        new: JSONObject,
        expected_rv: str | None,
        writer: patching.Writer = patching.DEFAULT_WRITER,
        patch_type: str = "",
    ) -> Result:
        status = new.get("status")
        if status is not None and not isinstance(status, dict):
            raise st.bad_request(
                handled_as(
                    "Pod",
                    "v1",
                    f"json: cannot unmarshal {json_kind(status)} into Go struct field "
                    "Pod.status of type v1.PodStatus",
                )
            )
        obj = dict(current)
        meta = dict(current.get("metadata") or {})
        new_meta = new.get("metadata") or {}
        for key in ("labels", "annotations"):
            if key in new_meta:
                meta[key] = new_meta[key]
        obj["metadata"] = meta
        new_status = dict(status or {})
        old_status = current.get("status") or {}
        if "qosClass" in old_status:
            new_status["qosClass"] = old_status["qosClass"]
        canonical_quantities(new_status, PodStatus)
        obj["status"] = new_status
        errors = validate_pod_status(
            new_status,
            old_status,
            str((current.get("spec") or {}).get("restartPolicy") or "Always"),
        )
        if errors:
            raise st.invalid("Pod", name, errors)
        conflict = st.conflict(
            "pods",
            name,
            st.OBJECT_MODIFIED,
        )
        if expected_rv and expected_rv != meta.get("resourceVersion"):
            raise conflict
        if patch_type == patching.APPLY:
            meta["managedFields"] = (new.get("metadata") or {}).get("managedFields")
            if meta["managedFields"] is None:
                del meta["managedFields"]
        else:
            patching.track(current, obj, writer, self.clock(), "status")
        if obj == current:
            return Result(current)
        try:
            return Result(self.store.update("pods", namespace, name, obj, expected_rv))
        except NotFoundError:
            raise st.not_found("pods", name) from None
        except ConflictError:
            raise conflict from None

    # -- nodes and events -------------------------------------------------------------

    def delete_object(
        self, resource: str, namespace: str, name: str, options: JSONObject
    ) -> JSONObject:
        """``DELETE`` of a node or an event: immediate; the answer is a Success Status
        (these registries do not return the deleted object)."""
        current = self.get(resource, namespace, name)
        self._preconditions(resource, name, current, options)
        if not options.get("dryRun"):
            try:
                self.store.delete(resource, namespace, name)
            except NotFoundError:
                raise st.not_found(resource, name) from None
        meta = current.get("metadata") or {}
        return st.success_status({"name": name, "kind": resource, "uid": meta.get("uid", "")})

    def create_event(
        self,
        namespace: str,
        body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``POST /api/v1/namespaces/{ns}/events`` (core/v1 Event; the kubelet writes
        its events straight into the store)."""
        _check_kind(body, "Event")
        if not isinstance(body, dict):
            raise st.bad_request(
                handled_as(
                    "Event",
                    "v1",
                    f"json: cannot unmarshal {json_kind(body)} into Go value of type core.Event",
                )
            )
        meta_only, warnings = decode_body(
            {"metadata": body.get("metadata")} if body.get("metadata") is not None else {},
            Pod,
            "Event",
            field_validation,
        )
        meta = dict(meta_only.get("metadata") or {})
        check_namespace(meta, namespace)
        meta["namespace"] = namespace
        self._namespace_ready(namespace)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = generated_name(meta["generateName"])
        sent_managed_fields = meta.get("managedFields")
        self._stamp_new(meta)
        obj = {k: v for k, v in body.items() if k not in ("metadata", "kind", "apiVersion")}
        obj = {"kind": "Event", "apiVersion": "v1", "metadata": meta, **obj}
        if sent_managed_fields is not None:
            meta["managedFields"] = sent_managed_fields
        patching.track(None, obj, writer, self.clock())
        errors = list(validate_object_meta(build(meta, ObjectMeta), Path.root("metadata")))
        involved = obj.get("involvedObject") or {}
        if not obj.get("eventTime"):
            ref_ns = involved.get("namespace") or ""
            if (ref_ns == "" and namespace not in ("", "default")) or (
                ref_ns != "" and ref_ns != namespace
            ):
                errors.append(
                    invalid(
                        Path.root("involvedObject", "namespace"),
                        ref_ns,
                        "does not match event.namespace",
                    )
                )
        if errors:
            raise st.invalid("Event", meta.get("name") or "", errors)
        if dry_run:
            return Result(obj, warnings)
        try:
            return Result(self.store.create("events", namespace, meta["name"], obj), warnings)
        except AlreadyExistsError:
            raise st.already_exists("events", meta["name"]) from None

    # -- namespaces -----------------------------------------------------------------

    def _decode_namespace(
        self, body: Any, field_validation: str
    ) -> tuple[JSONObject, tuple[str, ...]]:
        _check_kind(body, "Namespace")
        if not isinstance(body, dict):
            raise st.bad_request(
                handled_as(
                    "Namespace", "v1", f"json: cannot unmarshal {json_kind(body)} into Go value"
                )
            )
        unknown = [k for k in body if k not in ("apiVersion", "kind", "metadata", "spec", "status")]
        meta_only, warnings = decode_body(
            {"metadata": body.get("metadata")} if body.get("metadata") is not None else {},
            Pod,
            "Namespace",
            field_validation,
        )
        strict = [f'unknown field "{k}"' for k in sorted(unknown)]
        if strict and field_validation == "Strict":
            raise st.bad_request(
                handled_as("Namespace", "v1", "strict decoding error: " + ", ".join(strict))
            )
        if field_validation != "Ignore":
            warnings += tuple(strict)
        out: JSONObject = {"metadata": meta_only.get("metadata") or {}}
        for key in ("spec", "status"):
            if isinstance(body.get(key), dict):
                out[key] = body[key]
        return out, warnings

    def _validate_namespace_meta(self, obj: JSONObject) -> None:
        meta = build(obj.get("metadata") or {}, ObjectMeta)
        errors = validate_object_meta(
            meta, Path.root("metadata"), name_is_dns_label, requires_namespace=False
        )
        if errors:
            raise st.invalid("Namespace", meta.name or "", errors)

    def create_namespace(
        self,
        body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
        applied: bool = False,
    ) -> Result:
        checked, warnings = self._decode_namespace(body, field_validation)
        meta = _meta(checked)
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            name = generated_name(meta["generateName"])
        obj = self._new_namespace(name, meta)
        # The field manager sees the defaulted body (the name label), not the
        # strategy's spec.finalizers and status.
        decoded = {**obj, "spec": checked.get("spec") or {}, "status": {}}
        if not applied:
            patching.track(None, decoded, writer, self.clock())
        if "managedFields" in decoded["metadata"]:
            obj["metadata"]["managedFields"] = decoded["metadata"]["managedFields"]
        self._validate_namespace_meta(obj)
        labels = obj["metadata"]["labels"]
        warnings += self._admitted(validate_namespace(name, labels, config=self.pod_security))
        if dry_run:  # the store's dry-run create still refuses a taken name
            try:
                self.store.get("namespaces", "", name)
            except NotFoundError:
                return Result(obj, warnings)
            raise st.already_exists("namespaces", name)
        try:
            return Result(self.store.create("namespaces", "", name, obj), warnings)
        except AlreadyExistsError:
            raise st.already_exists("namespaces", name) from None

    def patch_namespace(
        self,
        name: str,
        patch_type: str,
        patch_body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        try:
            current = self.store.get("namespaces", "", name)
        except NotFoundError:
            if patch_type == patching.APPLY:
                created = patched_or_applied(
                    None,
                    patch_type,
                    patch_body,
                    api_version="v1",
                    kind="Namespace",
                    writer=writer,
                    now=self.clock(),
                    name=name,
                )
                return self.create_namespace(
                    created, field_validation=field_validation, dry_run=dry_run, applied=True
                )
            raise st.not_found("namespaces", name) from None
        patched = patched_or_applied(
            current,
            patch_type,
            patch_body,
            api_version="v1",
            kind="Namespace",
            writer=writer,
            now=self.clock(),
        )
        return self._store_namespace(
            name,
            current,
            patched,
            field_validation=field_validation,
            dry_run=dry_run,
            writer=writer,
            track=patch_type != patching.APPLY,
        )

    def update_namespace(
        self,
        name: str,
        body: Any,
        *,
        field_validation: str = "Warn",
        dry_run: bool = False,
        writer: patching.Writer = patching.DEFAULT_WRITER,
    ) -> Result:
        """``PUT /api/v1/namespaces/{name}`` (``kubectl replace``): the body's metadata
        over the stored namespace, whose spec and status stay (the namespace strategy's
        PrepareForUpdate); 404 when missing (no create on update), 409 for a stale
        resourceVersion, the body's name must be the URL's."""
        _check_kind(body, "Namespace")
        if not isinstance(body, dict):
            raise st.bad_request(
                handled_as(
                    "Namespace",
                    "v1",
                    f"json: cannot unmarshal {json_kind(body)} into Go value of type "
                    "core.Namespace",
                )
            )
        current = self.get("namespaces", "", name)
        raw_meta = body.get("metadata")
        meta: JSONObject = raw_meta if isinstance(raw_meta, dict) else {}
        check_name(meta, name)
        rv = meta.get("resourceVersion")
        if rv and rv != (current.get("metadata") or {}).get("resourceVersion"):
            raise st.conflict(
                "namespaces",
                name,
                st.OBJECT_MODIFIED,
            )
        replaced = {**body, "metadata": {**meta, "name": name}}
        return self._store_namespace(
            name,
            current,
            replaced,
            field_validation=field_validation,
            dry_run=dry_run,
            writer=writer,
            track=True,
        )

    def _store_namespace(
        self,
        name: str,
        current: JSONObject,
        patched: Any,
        *,
        field_validation: str,
        dry_run: bool,
        writer: patching.Writer,
        track: bool,
    ) -> Result:
        """The update steps shared by PATCH and PUT: decode, immutable name, server
        metadata kept, the name label, spec and status kept, field manager, metadata
        validation, Pod Security on the labels (warnings for the pods, 403), write."""
        checked, warnings = self._decode_namespace(patched, field_validation)
        old_meta = current.get("metadata") or {}
        meta = _meta(checked)
        errs: list[FieldError] = []
        if meta.get("name") != name:
            errs.append(
                invalid(Path.root("metadata", "name"), meta.get("name"), "field is immutable")
            )
        if errs:
            raise st.invalid("Namespace", name, errs)
        for key in ("uid", "creationTimestamp", "deletionTimestamp"):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        labels = dict(meta.get("labels") or {})
        labels[NAMESPACE_NAME_LABEL] = name
        meta["labels"] = labels
        obj = {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": meta,
            "spec": current.get("spec") or {},
            "status": current.get("status") or {},
        }
        if track:
            patching.track(current, obj, writer, self.clock())
        self._validate_namespace_meta(obj)
        pods = [build(p, Pod) for p in self.store.list("pods", name).items]
        warnings += self._admitted(
            validate_namespace(
                name,
                labels,
                old_labels=old_meta.get("labels") or {},
                pods=pods,
                config=self.pod_security,
            )
        )
        if dry_run:
            return Result(obj, warnings)
        if obj == current:
            return Result(current, warnings)
        return Result(self.store.update("namespaces", "", name, obj), warnings)

    def delete_namespace(self, name: str, options: JSONObject) -> Result:
        """Delete a namespace and its content; the system ones may not be deleted."""
        current = self.get("namespaces", "", name)
        if name in IMMORTAL_NAMESPACES:
            raise st.forbidden("namespaces", name, "this namespace may not be deleted")
        self._preconditions("namespaces", name, current, options)
        if options.get("dryRun"):
            return Result(current)
        meta = _meta(current)
        meta.setdefault("deletionTimestamp", rfc3339(self.clock()))
        current["status"] = {"phase": "Terminating"}
        terminating = self.store.update("namespaces", "", name, current)
        for pod in self.store.list("pods", name).items:
            pod_name = (pod.get("metadata") or {}).get("name", "")
            # As the namespace controller: graceful for pods on a node (the kubelet
            # stops them and deletes them), at once for the others.
            with contextlib.suppress(st.APIError):
                self.delete_pod(name, pod_name, {})
        self.finish_namespace(name)
        return Result(terminating)

    def finish_namespace(self, name: str) -> bool:
        """The namespace controller's last step: a Terminating namespace whose pods are
        all gone loses its remaining content (events, leases) and is deleted."""
        try:
            ns = self.store.get("namespaces", "", name)
        except NotFoundError:
            return False
        if (ns.get("status") or {}).get("phase") != "Terminating":
            return False
        if self.store.list("pods", name).items:
            return False
        for resource in NAMESPACED_CONTENT:
            for obj in self.store.list(resource, name).items:
                with contextlib.suppress(NotFoundError):
                    self.store.delete(resource, name, (obj.get("metadata") or {}).get("name", ""))
        with contextlib.suppress(NotFoundError):
            self.store.delete("namespaces", "", name)
        return True


__all__ = ["Registry", "Result", "decode_body", "forbidden"]
