"""A local stand-in for the DigitalOcean API v2 and the spec that judges its answers."""

from .server import DigitalOceanStandIn, Record, StandInServer
from .spec import Spec

__all__ = ["DigitalOceanStandIn", "Record", "Spec", "StandInServer"]
