"""The kernel manager the pipeline runs notebooks with: quiet and local.

- IPC transport (Unix domain sockets) instead of TCP on localhost, so ipykernel no longer warns
  on every run that "Kernel is running over TCP without encryption", and no other local user
  can reach the kernel's ports. Each kernel gets its own fresh private folder for its sockets
  (jupyter_client's default, ``kernel-ipc-N`` in the working directory, lets kernels started
  at the same time from the same folder pick the same sockets), removed after shutdown.
- No interrupt before shutdown: jupyter_client's ``shutdown_kernel`` sends SIGINT before asking
  the kernel to quit, which makes an idle kernel log a spurious "KeyboardInterrupt caught in
  kernel" at the end of every run. The notebook has finished when the pipeline shuts the
  kernel down, so the interrupt has nothing to stop; a real interrupt (``interrupt_kernel``,
  e.g. on a cell timeout) is unchanged.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, default


class QuietKernelManager(AsyncKernelManager):
    """AsyncKernelManager over IPC (private socket folder) that does not interrupt a kernel it
    is shutting down."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc" if os.name == "posix"
                                else "tcp", config=True)
    _ipc_dir: str | None = None

    @default("ip")
    def _ip_default(self) -> str:
        if self.transport != "ipc":
            return super()._ip_default()
        self._ipc_dir = tempfile.mkdtemp(prefix="crm-kernel-")
        return os.path.join(self._ipc_dir, "k")

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._ipc_dir is not None:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None
