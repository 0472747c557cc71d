"""Course-staff tools built on the verified results: grading and the student version.

``tools.grading`` marks answers files against ``results/*.json``;
``tools.student`` writes the hand-out notebooks with exercise stubs.
"""
