"""Shipped network models, one module each (see ``intracellular.network`` for the module
contract). Not named ``networks``: that name is the registry function ``intracellular.networks()``,
which a subpackage of the same name would shadow once imported."""
