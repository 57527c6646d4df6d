"""The ipywidgets + ipympl app: controls, the live dashboard and the training loop."""
from initviz.app.explorer import Explorer

__all__ = ["Explorer"]
