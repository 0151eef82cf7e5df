"""The studio's settings: one frozen dataclass, validated when made."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from seqgen.data_prep.errors import SeqgenError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class StudioConfig:
    """Where the studio looks for runs, where it listens, and its limits."""

    runs: Path = Path("runs")  # the only folder the studio reads runs from and writes runs to
    host: str = "127.0.0.1"  # loopback only unless the user asks otherwise
    port: int = 8765  # 0: any free port
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))  # made at start, as Jupyter does
    max_upload: int = 4 * 1024 * 1024  # bytes of one uploaded MIDI/MusicXML/CSV file
    max_steps: int = 1024  # 16th-note steps one chorale request may ask for (64 bars)
    max_text: int = 5000  # characters one text request may ask for
    data_dir: str | None = None  # chorale dataset cache (primers by name, the judge's Bach reference)

    def __post_init__(self):
        if not 0 <= self.port <= 65535:
            raise SeqgenError(f"--port {self.port} is not a TCP port; use 0-65535 (0: any free port)")
        if len(self.token) < 16:
            raise SeqgenError("the studio token must be at least 16 characters")
        if self.max_upload < 1:
            raise SeqgenError(f"max_upload must be >= 1 byte, got {self.max_upload}")
        object.__setattr__(self, "runs", Path(self.runs).expanduser().resolve())

    @property
    def allowed_hosts(self) -> set[str]:
        """Host names a request may name (DNS rebinding sends the attacker's name instead)."""
        return {*LOCAL_HOSTS, self.host.strip("[]")}
