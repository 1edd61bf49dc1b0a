"""Interfaces: the command line (and, later, the web chat, HTTP API and Zalo bot)."""
