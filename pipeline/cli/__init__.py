"""The ``hoso`` command line."""
