"""Object storage for the API server (``api``: the contract; ``sqlite``: the store).

Role: persistence of API objects with resourceVersions and watches.
Callers: the API server (``seclet server``), tests.
"""
