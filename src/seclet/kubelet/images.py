"""Make sure a container's image is on the node, per imagePullPolicy, with events.

Role: upstream's ``images/image_manager.go EnsureImageExists`` and ``pullImage``:
- present, accessible to the pod and the policy is not ``Always`` -> Normal ``Pulled``
  ``Container image "<img>" already present on machine and can be accessed by the pod``
  (KubeletEnsureSecretPulledImages, beta and on in 1.35: an image this kubelet pulled
  with credentials is pulled again for a pod without the same credentials);
- absent under ``Never`` -> Warning ``ErrImageNeverPull``
  ``Container image "<img>" is not present with pull policy of Never``;
- in back-off (key ``<podUID>_<img>``) -> Normal ``BackOff`` ``Back-off pulling image
  "<img>"``; the waiting message adds ``: ErrImagePull: <previous error>``;
- otherwise Normal ``Pulling`` ``Pulling image "<img>"``, then Warning ``Failed``
  ``Failed to pull image "<img>": rpc error: code = <Code> desc = <error>`` (and one
  more back-off step; the waiting message is the same error) or Normal
  ``Pulled`` ``Successfully pulled image "<img>" in 1.2s (1.2s including waiting).
  Image size: N bytes.``
An image without tag or digest is looked up as ``<img>:latest``; messages keep the
spec's spelling. Callers: seclet.kubelet.worker.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from seclet.api import models
from seclet.cri.errors import CRIError
from seclet.cri.services import ImageService
from seclet.cri.types import AuthConfig, Image, ImageSpec
from seclet.kubelet.backoff import Backoff
from seclet.kubelet.clock import Clock, go_duration
from seclet.kubelet.events import NORMAL, WARNING, EventRecorder
from seclet.kubelet.grpcerror import grpc_error
from seclet.store.api import JSONObject

ERR_IMAGE_PULL = "ErrImagePull"
IMAGE_PULL_BACKOFF = "ImagePullBackOff"
ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"
ERR_IMAGE_INSPECT = "ImageInspectError"


@dataclass(frozen=True, slots=True)
class ImageResult:
    """``image_ref`` on success; else the waiting ``reason`` and its ``message``."""

    image_ref: str = ""
    reason: str = ""
    message: str = ""
    image: Image | None = None


def with_default_tag(image: str) -> str:
    """``applyDefaultImageTag``: ``busybox`` -> ``busybox:latest``."""
    if "@" in image:
        return image
    last = image.rsplit("/", 1)[-1]
    return image if ":" in last else image + ":latest"


def pull_policy(container: models.Container) -> str:
    if container.imagePullPolicy:
        return container.imagePullPolicy
    image = container.image or ""
    last = image.rsplit("/", 1)[-1]
    if "@" in image:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


class ImageManager:
    def __init__(
        self, images: ImageService, recorder: EventRecorder, clock: Clock, backoff: Backoff
    ) -> None:
        self.images = images
        self.recorder = recorder
        self.clock = clock
        self.backoff = backoff
        self._prev_errors: dict[str, str] = {}
        self._pulled_with: dict[str, set[str]] = {}
        """Image id -> the credentials it was pulled with (``""``: none)."""

    @staticmethod
    def _credential(auth: AuthConfig | None) -> str:
        if auth is None:
            return ""
        digest = hashlib.sha256(f"{auth.username}:{auth.password}".encode()).hexdigest()
        return digest

    def _accessible(self, image_id: str, auth: AuthConfig | None) -> bool:
        """KubeletEnsureSecretPulledImages: an image pulled with credentials serves only
        pods with the same credentials, unless it was also pulled without any;
        images the kubelet did not pull (preloaded) serve every pod."""
        pulled = self._pulled_with.get(image_id)
        if pulled is None or "" in pulled:
            return True
        return self._credential(auth) in pulled

    async def ensure(
        self,
        pod_uid: str,
        container: models.Container,
        ref: JSONObject,
        auth: AuthConfig | None = None,
    ) -> ImageResult:
        requested = container.image or ""
        spec = ImageSpec(image=with_default_tag(requested))
        policy = pull_policy(container)
        try:
            present = await self.images.image_status(spec)
        except CRIError as e:
            msg = f'Failed to inspect image "{requested}": {grpc_error(e)}'
            self.recorder.event(ref, WARNING, "InspectFailed", msg)
            return ImageResult(reason=ERR_IMAGE_INSPECT, message=msg)
        if present is not None and policy != "Always" and self._accessible(present.id, auth):
            self.recorder.event(
                ref,
                NORMAL,
                "Pulled",
                f'Container image "{requested}" already present on machine and can be '
                "accessed by the pod",
            )
            return ImageResult(image_ref=present.id, image=present)
        if present is None and policy == "Never":
            msg = f'Container image "{requested}" is not present with pull policy of Never'
            self.recorder.event(ref, WARNING, ERR_IMAGE_NEVER_PULL, msg)
            return ImageResult(reason=ERR_IMAGE_NEVER_PULL, message=msg)
        return await self._pull(pod_uid, requested, spec, ref, auth)

    async def _pull(
        self,
        pod_uid: str,
        requested: str,
        spec: ImageSpec,
        ref: JSONObject,
        auth: AuthConfig | None,
    ) -> ImageResult:
        key = f"{pod_uid}_{requested}"
        if self.backoff.in_backoff_since_update(key, self.clock.now()):
            msg = f'Back-off pulling image "{requested}"'
            self.recorder.event(ref, NORMAL, "BackOff", msg)
            prev = self._prev_errors.get(key)
            if prev:
                msg = f"{msg}: {prev}"
            return ImageResult(reason=IMAGE_PULL_BACKOFF, message=msg)
        self._prev_errors.pop(key, None)
        self.recorder.event(ref, NORMAL, "Pulling", f'Pulling image "{requested}"')
        started = time.monotonic()
        try:
            image_ref = await self.images.pull_image(spec, auth)
        except CRIError as e:
            text = grpc_error(e)
            self.recorder.event(
                ref, WARNING, "Failed", f'Failed to pull image "{requested}": {text}'
            )
            self.backoff.next(key, self.clock.now())
            self._prev_errors[key] = f"{ERR_IMAGE_PULL}: {text}"
            return ImageResult(reason=ERR_IMAGE_PULL, message=text)
        self._pulled_with.setdefault(image_ref, set()).add(self._credential(auth))
        took = time.monotonic() - started
        duration = go_duration(int(took * 1000) / 1000)
        image = await self.images.image_status(ImageSpec(image=image_ref))
        size = image.size if image is not None else 0
        self.recorder.event(
            ref,
            NORMAL,
            "Pulled",
            f'Successfully pulled image "{requested}" in {duration} ({duration} including '
            f"waiting). Image size: {size} bytes.",
        )
        return ImageResult(image_ref=image_ref, image=image)

    def retry_in(self, pod_uid: str, container: models.Container, now: float) -> float:
        """Seconds until the image's pull back-off ends (0 when not backing off)."""
        key = f"{pod_uid}_{container.image or ''}"
        return self.backoff.remaining(key, self.backoff.last_update(key), now)

    def forget(self, pod_uid: str) -> None:
        self.backoff.forget(pod_uid + "_")
        for key in [k for k in self._prev_errors if k.startswith(pod_uid + "_")]:
            del self._prev_errors[key]
