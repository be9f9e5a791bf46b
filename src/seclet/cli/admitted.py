"""The part every subcommand shares: inputs → accepted Pods, refusals collected.

Role: read the ``-f`` inputs, turn unusable items into failures, run the apiserver's
create path (``seclet.review.admit_body``) and turn invalid Pods into kubectl's
Invalid failures; yield the Pods the apiserver would store.
Callers: ``seclet.cli.validate``, ``seclet.cli.check``, ``seclet.cli.explain``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from seclet.api.featuregates import FeatureGates
from seclet.api.load import PodBody, Refusal
from seclet.cli.inputs import read_items
from seclet.cli.report import Failure, invalid_failure, unusable_failure
from seclet.review import Admitted, admit_body, kubectl_invalid


def admitted_pods(
    filenames: Sequence[str], gates: FeatureGates, failures: list[Failure], verb: str
) -> Iterator[tuple[PodBody, Admitted]]:
    """Each valid Pod of the inputs, in order; everything refused lands in ``failures``.

    Inputs holding no object at all are refused as kubectl refuses them
    (``error: no objects passed to create``), with ``verb`` naming the subcommand.
    """
    seen = 0
    for item in read_items(filenames):
        seen += 1
        if isinstance(item, Refusal):
            failures.append(unusable_failure(item.message))
            continue
        admitted = admit_body(item.body, gates, owned=True)
        if admitted.errors:
            failures.append(
                invalid_failure(
                    item.source,
                    kubectl_invalid("Pod", admitted.name, admitted.errors),
                    admitted.invalid_message(),
                )
            )
            continue
        yield item, admitted
    if not seen:
        failures.append(unusable_failure(f"error: no objects passed to {verb}"))
