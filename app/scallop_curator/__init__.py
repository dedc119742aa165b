"""Scallop Curator: review the memories a local model proposes from chat history."""

import os as _os

__version__ = "0.1.0"

# Nothing leaves the machine unless the user asks: huggingface-hub's telemetry stays off in every
# process of the app (the window, the CLI and the inference worker), whatever the shell says.
_os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
