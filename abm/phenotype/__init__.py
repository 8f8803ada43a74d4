"""Phenotype programs: what decides each tumour cell's phase and events from its environment."""
from .base import EVENT_DIVIDE, EVENT_NAMES, EVENT_NECROSIS, EVENT_NONE, EVENT_REMOVE, Phenotype
from .placeholder import PlaceholderCycle

__all__ = ["EVENT_DIVIDE", "EVENT_NAMES", "EVENT_NECROSIS", "EVENT_NONE", "EVENT_REMOVE",
           "Phenotype", "PlaceholderCycle"]
