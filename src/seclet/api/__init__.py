"""The Kubernetes API surface of seclet: models and the way bytes become them.

Role: ``models`` (generated core/v1 types), ``schema`` (their wire vocabulary),
``parse`` (YAML/JSON as kubectl reads them), ``decode`` (strict decoding with the
apiserver's messages), ``load`` (manifest files to Pod bodies), ``defaults`` and
``featuregates`` (the apiserver's create-time defaulting), ``field`` (field errors).
Callers: every other layer.
"""
