"""Test helper: real pods from the page's manifests, a busybox image store, CRI configs.

Role: ``load_example`` turns a manifest of ``examples/`` into the Pod the apiserver
stores (defaults applied, decoded, as tests/unit/oci/podload does);
``make_image_store`` lays out busybox-based image roots (``/bin/busybox`` + applet
symlinks + the image's ``/etc/passwd`` and ``/etc/group``) and answers
``ImageLookup`` for busybox:1.28, hello-app:2.0 (``/hello-app`` sleeps) and
agnhost:2.45, busybox:stop-usr1 (StopSignal SIGUSR1) (by that name, the normalised tag or digest, or the id, as the image
store answers); ``sandbox_config`` / ``container_config`` build the CRI requests the
kubelet would send; ``run`` drives a coroutine to completion.
Callers: tests/integration/runtime.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from registry import build_tool
from seclet.api import models
from seclet.api.decode import decode_pod
from seclet.api.defaults import apply_pod_defaults
from seclet.api.featuregates import FeatureGates
from seclet.cri.types import (
    ContainerConfig,
    ContainerMetadata,
    Image,
    ImageSpec,
    KeyValue,
    PodSandboxConfig,
    PodSandboxMetadata,
)
from seclet.runtime.image.reference import normalize
from seclet.runtime.image.stored import StoredImage
from seclet.runtime.oci.inputs import ImageConfig

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"
BUSYBOX = Path("/bin/busybox")
APPLETS = (
    "sh", "sleep", "id", "cat", "echo", "touch", "readlink", "stty", "true", "false",
    "ls", "grep", "head", "kill", "trap", "env", "hostname", "ip", "mkdir", "rm", "test", "dd",
)  # fmt: skip
BUSYBOX_PASSWD: str = build_tool().BUSYBOX_USERS
BUSYBOX_GROUP: str = build_tool().BUSYBOX_GROUPS
HELLO_APP = "#!/bin/sh\nexec sleep 3600\n"

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def load_example(name: str, uid: str) -> models.Pod:
    """``examples/<name>`` as the stored Pod (namespace ``default``, the given uid)."""
    obj = yaml.safe_load((EXAMPLES / name).read_text())
    return pod_from_obj(obj, uid)


def pod_from_obj(obj: dict[str, Any], uid: str) -> models.Pod:
    md = obj.setdefault("metadata", {})
    md.setdefault("namespace", "default")
    md["uid"] = uid
    apply_pod_defaults(obj, FeatureGates())
    return decode_pod(obj)


def simple_pod(name: str, uid: str, container: dict[str, Any], **spec: Any) -> models.Pod:
    """A one-container busybox pod with ``container`` fields and pod ``spec`` fields."""
    body = {"name": "c", "image": "busybox:1.28", **container}
    return pod_from_obj(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
         "spec": {"containers": [body], **spec}},
        uid,
    )  # fmt: skip


def _image_root(root: Path, etc: Path | dict[str, str] | None, extra: dict[str, str]) -> Path:
    (root / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    (root / "etc").mkdir()
    if isinstance(etc, Path):
        for name in ("passwd", "group"):
            shutil.copy2(etc / name, root / "etc" / name)
    elif etc is not None:
        for name, text in etc.items():
            (root / "etc" / name).write_text(text)
    for rel, text in extra.items():
        path = root / rel
        path.write_text(text)
        path.chmod(0o755)
    (root / "tmp").mkdir(mode=0o1777)
    (root / "tmp").chmod(0o1777)
    return root


@dataclass(frozen=True)
class TestImages:
    images: dict[str, StoredImage]

    def lookup(self, ref: str) -> StoredImage | None:
        """By the name the test uses, its normalised repo tag or digest, or the id."""
        found = self.images.get(ref)
        if found is not None:
            return found
        for stored in self.images.values():
            i = stored.image
            if ref == i.id or ref in i.repo_tags or ref in i.repo_digests:
                return stored
        return None


def make_image_store(base: Path) -> TestImages:
    busybox_etc = {"passwd": BUSYBOX_PASSWD, "group": BUSYBOX_GROUP}
    agnhost_etc = EXAMPLES / "images" / "agnhost-2.45" / "etc"
    specs: dict[str, tuple[Path | dict[str, str] | None, dict[str, str], ImageConfig]] = {
        "busybox:1.28": (busybox_etc, {}, ImageConfig(cmd=("sh",))),
        "gcr.io/google-samples/hello-app:2.0": (
            None, {"hello-app": HELLO_APP}, ImageConfig(entrypoint=("/hello-app",)),
        ),
        "registry.k8s.io/e2e-test-images/agnhost:2.45": (
            agnhost_etc, {}, ImageConfig(entrypoint=("/bin/sh",)),
        ),
        "busybox:stop-usr1": (busybox_etc, {}, ImageConfig(cmd=("sh",), stop_signal="SIGUSR1")),
    }  # fmt: skip
    images: dict[str, StoredImage] = {}
    for index, (ref, (etc, extra, config)) in enumerate(specs.items()):
        root = _image_root(base / f"image{index}", etc, extra)
        name = normalize(ref)
        image = Image(
            id=f"sha256:{index:064x}",
            repo_tags=(name,),
            repo_digests=(f"{name.rsplit(':', 1)[0]}@sha256:{index + 100:064x}",),
            size=0,
        )
        images[ref] = StoredImage(image, (root,), config)
    return TestImages(images)


def sandbox_config(pod: models.Pod, log_root: Path) -> PodSandboxConfig:
    md = pod.metadata or models.ObjectMeta()
    name, namespace, uid = md.name or "", md.namespace or "default", md.uid or ""
    return PodSandboxConfig(
        metadata=PodSandboxMetadata(name=name, uid=uid, namespace=namespace),
        pod=pod,
        hostname=name,
        log_directory=str(log_root / f"{namespace}_{name}_{uid}"),
    )


def container_config(pod: models.Pod, index: int = 0) -> ContainerConfig:
    spec = pod.spec or models.PodSpec()
    container = spec.containers[index]
    env = tuple(KeyValue(key=e.name or "", value=e.value or "") for e in container.env)
    return ContainerConfig(
        metadata=ContainerMetadata(name=container.name or ""),
        image=ImageSpec(image=container.image or ""),
        pod=pod,
        container=container,
        command=tuple(container.command),
        args=tuple(container.args),
        envs=env,
        log_path=f"{container.name}/0.log",
        tty=bool(container.tty),
    )
