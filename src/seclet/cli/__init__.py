"""The ``seclet`` command line: one module per subcommand, plus inputs and reporting.

Role: thin I/O shell over the pure layers. Callers: ``seclet.cli.main``.
"""
