"""Which code model to suggest for this machine: one rule, used by ``doctor``, ``models list``
(and so the editors' download commands), the server's message about the embedded model and the
docs (which quote ``RULE``)."""

from __future__ import annotations

import os

import attrs

BIG = "deepseek-coder-1.3b-base"
SMALL = "qwen2.5-coder-0.5b"
MIN_RAM_GB = 8
MIN_CORES = 4
RULE = (f"{BIG} on a machine with {MIN_RAM_GB} GB of RAM and {MIN_CORES} cores or more, "
        f"else {SMALL}")


@attrs.frozen
class Recommendation:
    """The model to suggest, and the machine it was chosen for."""

    id: str
    ram_gb: float
    cores: int

    @property
    def why(self) -> str:
        return f"this machine has {self.ram_gb:.0f} GB of RAM and {self.cores} cores"

    @property
    def command(self) -> str:
        return f"slm-lsp models pull {self.id}"


def machine() -> tuple[float, int]:
    """(RAM in GB, usable CPU cores) of this machine."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            ram = next(int(ln.split()[1]) * 1024 / 1e9 for ln in fh if ln.startswith("MemTotal:"))
    except (OSError, ValueError, IndexError, StopIteration):
        try:
            ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
        except (ValueError, OSError, AttributeError):
            ram = 0.0
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return ram, cores


def recommend(ram_gb: float, cores: int) -> str:
    """The model id for a machine (``RULE``): DeepSeek-Coder 1.3B where it answers as you type,
    else Qwen2.5-Coder 0.5B, fast enough on small machines."""
    return BIG if ram_gb >= MIN_RAM_GB and cores >= MIN_CORES else SMALL


def for_this_machine() -> Recommendation:
    """The recommendation for the machine this runs on."""
    ram, cores = machine()
    return Recommendation(recommend(ram, cores), ram, cores)


def embedded_hint() -> str:
    """What to tell a user who runs the embedded model (the server shows it once)."""
    best = for_this_machine()
    return (
        "running the embedded SmolLM2-135M, a tiny general model, so completions are rough. "
        f"For real code completions run `{best.command}` (recommended for this machine) and "
        "restart."
    )
