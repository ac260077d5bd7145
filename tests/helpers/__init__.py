"""Code the tests share, imported by name; the fixtures built on it live in tests/conftest.py."""
