"""Supervision rules (电子监察): checkpoints evaluated on every case transition and by time."""
