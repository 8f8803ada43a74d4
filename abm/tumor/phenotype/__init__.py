"""Phenotype programs: what decides each tumour cell's phase and events from its environment."""
from abm.tumor.phenotype.base import EVENT_DIVIDE, EVENT_NAMES, EVENT_NECROSIS, EVENT_NONE, EVENT_REMOVE, Phenotype
from abm.tumor.phenotype.placeholder import PlaceholderCycle


def make_phenotype(config, seed: int) -> Phenotype:
    """The cell program selected by ``cells.program``."""
    if config.cells.program == "placeholder":
        return PlaceholderCycle(config.cycle, config.cells, seed)
    from abm.tumor.phenotype.network_fate import NetworkFate  # imports the intracellular library only when used

    return NetworkFate(config, seed)


__all__ = ["EVENT_DIVIDE", "EVENT_NAMES", "EVENT_NECROSIS", "EVENT_NONE", "EVENT_REMOVE",
           "Phenotype", "PlaceholderCycle", "make_phenotype"]
