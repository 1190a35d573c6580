"""Settings given on the command line, read by the modules that need them."""

from dataclasses import dataclass

DEFAULT_CLIENT_ID = "ca_sandbox"


@dataclass
class Config:
    #: The Connect client id (``ca_...``) OAuth accepts; ``None`` accepts any ``ca_`` id.
    client_id: str = None
    #: Seconds between an event and its webhook delivery (localstripe waits 1 s; tests use 0).
    webhook_delay: float = 1.0
    #: Milliseconds added to every ``/v1`` response (a slower network, for benchmarks).
    latency_ms: float = 0.0

    @property
    def application_id(self):
        """The platform's Connect application (fees, ``account.application.*`` events)."""
        return self.client_id or DEFAULT_CLIENT_ID


CONFIG = Config()
