"""The welfare-call planner: pure Python, no Django and nothing else from chaperone. It takes a
closure's households and staff in the shape fixed by the rota-plan contract
(``shared/contracts/rota-plan.md``) and returns a call plan; ``chaperone rota plan`` and the
welfare app call the same functions:

* :func:`plan_from_dict` (a decoded request) and :func:`plan_from_bytes` (its JSON bytes) return
  the plan as the contract's output object;
* :func:`lower_bounds` gives the bounds the benchmark measures plans against;
* :func:`tier_periods` gives the contract's periods of a tier and the calls due in each;
* :class:`RotaInputError` is raised for malformed input, with ``code``, ``message`` and ``field``.
"""

from .bounds import Bounds, lower_bounds
from .errors import RotaInputError
from .plan import plan_from_bytes, plan_from_dict
from .problem import tier_periods

__all__ = [
    "Bounds",
    "RotaInputError",
    "lower_bounds",
    "plan_from_bytes",
    "plan_from_dict",
    "tier_periods",
]
