"""Tests of the sandbox servers."""
