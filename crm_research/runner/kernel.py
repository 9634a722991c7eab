"""The kernel manager the pipeline runs notebooks with: quiet and local.

- IPC transport (Unix domain sockets in Jupyter's runtime folder) instead of TCP on
  localhost, so ipykernel no longer warns on every run that "Kernel is running over TCP without
  encryption" — and no other local user can connect to the kernel's ports.
- No interrupt before shutdown: jupyter_client's ``shutdown_kernel`` sends SIGINT before asking
  the kernel to quit, which makes an idle kernel log a spurious "KeyboardInterrupt caught in
  kernel" at the end of every run. The notebook has finished when the pipeline shuts the
  kernel down, so the interrupt has nothing to stop; a real interrupt (``interrupt_kernel``,
  e.g. on a cell timeout) is unchanged.
"""

from __future__ import annotations

import os

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum


class QuietKernelManager(AsyncKernelManager):
    """AsyncKernelManager over IPC that does not interrupt a kernel it is shutting down."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc" if os.name == "posix"
                                else "tcp", config=True)

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()
