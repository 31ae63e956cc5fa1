"""12345 接诉即办: tickets — a Protocol with a built-in implementation and an HTTP one."""

from connectors.complaint.protocol import (
    ComplaintError,
    ComplaintService,
    InvalidTicketError,
    Ticket,
    TicketNotFoundError,
    TicketRequest,
    TicketStateError,
    TicketUnsupportedError,
)

__all__ = [
    "ComplaintError",
    "ComplaintService",
    "InvalidTicketError",
    "Ticket",
    "TicketNotFoundError",
    "TicketRequest",
    "TicketStateError",
    "TicketUnsupportedError",
]
