"""The fault suite: seeded load through public interfaces, faults injected from outside, and checkers
of the invariants, each shown to catch a deliberately broken variant."""
