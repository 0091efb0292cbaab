"""``python -m pipeline`` runs the hoso command line."""

from pipeline.cli.main import app

app(prog_name="hoso")
