"""The welfare-call planner: pure Python, no Django and nothing else from chaperone. It takes a
closure's households and staff in the shape fixed by the rota-plan contract and returns a call
plan; ``chaperone rota plan`` and the welfare app call the same function."""
