"""The NumPy core of initviz: initializers, activations, losses, a dense network, toy datasets,
optimizers and the trainer that records per-layer statistics. NumPy only, no UI imports."""
