"""Live at the hub: each event's figures from the scans the gates uploaded (inside count,
admissions per gate over time, rejections by reason, double admissions, devices' health),
for the API, the organiser app's live page and their server-sent event streams."""
