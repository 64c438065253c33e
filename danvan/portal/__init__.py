"""Cổng thông tin: the web portal for units and compilers (SPEC §4.5).

``links`` (personal links, no web framework) is imported by the CLI and the outbox; ``app`` and
the routes need FastAPI and are imported only by ``danvan portal`` and the tests.
"""
