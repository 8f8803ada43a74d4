"""Drugs: the dose schedule and the effects of every drug over a step."""
