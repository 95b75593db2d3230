"""Tracking stores: one interface, one implementation per transport, chosen by URI scheme."""
