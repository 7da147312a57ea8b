"""The door's hardware: camera capture, QR decoding, and the LEDs, buzzer and relay."""
