"""Venue and feed adapters. Each turns one wire format into domain types; nothing else sees it."""
