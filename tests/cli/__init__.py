"""Tests of the wxm command line."""
