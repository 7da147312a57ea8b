"""The hardware package's exception tree; every error carries a stable, machine-readable code."""

from __future__ import annotations


class HardwareError(Exception):
    """Base of the hardware errors. `code` is stable; callers and logs switch on it."""

    code = "hardware_error"


class UnknownDecoder(HardwareError):
    """No QR decoder is registered under the requested name."""

    code = "unknown_decoder"


class DecoderUnavailable(HardwareError):
    """The decoder is known but its library (or the system library under it) is missing."""

    code = "decoder_unavailable"


class InvalidFrame(HardwareError):
    """A decoder was handed something that is not an 8-bit grey frame."""

    code = "invalid_frame"


class CameraUnavailable(HardwareError):
    """The frame source (device, file or URL) cannot be opened or read."""

    code = "camera_unavailable"


class GateUnreachable(HardwareError):
    """The gate's scan API did not answer, even after retrying with the same nonce."""

    code = "gate_unreachable"


class GateAnswerInvalid(HardwareError):
    """The gate answered, but not with a scan answer this client understands."""

    code = "gate_answer_invalid"


class FeedbackUnavailable(HardwareError):
    """The requested feedback outputs (GPIO) cannot be driven on this machine."""

    code = "feedback_unavailable"
