"""The hub's services: load, check the policy, call the pure domain, persist.

The API and the organiser app are thin layers over these functions; each takes the acting
`Principal` and goes through `hub.tenancy` for every tenant row it touches.
"""
