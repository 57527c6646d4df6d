"""The app's page layout: one style sheet for every screen a class uses, and presentation mode.

The controls column keeps its width (``CONTROLS_MIN_WIDTH``) and the dashboard takes the rest,
down to ``FIGURE_MIN_WIDTH``; below that the row wraps and the controls stand above the plots.
A figure wider than its column is scaled down (CSS ``max-width: 100%``, height in proportion),
never cut. Presentation mode (``PRESENTING`` on the app) enlarges the controls' text and keeps
the play bar in view while the tabs below the dashboard are scrolled to.
"""
from __future__ import annotations

import ipywidgets as W

CONTROLS_MIN_WIDTH = "310px"
FIGURE_MIN_WIDTH = "640px"  # the dashboard's flex basis: beside the controls down to ~960 px
PRESENTING = "initviz-presenting"  # CSS class of the app while presenting
PRESENTATION_SCALE = 1.3  # plot fonts and lines while presenting
PRESENTATION_FONT = "16px"  # control text while presenting (13px otherwise)

APP_CSS = f"""
.initviz-app {{ max-width: 100%; }}
.initviz-app .initviz-controls {{ flex: 0 0 auto; min-width: {CONTROLS_MIN_WIDTH}; }}
.initviz-app .initviz-figure-box {{ flex: 1 1 {FIGURE_MIN_WIDTH}; min-width: 0; max-width: 100%; }}
.initviz-app .jupyter-matplotlib, .initviz-app .jupyter-matplotlib-figure,
.initviz-app .jupyter-matplotlib-canvas-container {{ min-width: 0; max-width: 100%; }}
.initviz-app .jupyter-matplotlib-canvas-div {{
  width: fit-content !important; height: auto !important; max-width: 100%; }}
.initviz-app .jupyter-matplotlib-canvas-div canvas:first-child {{
  position: relative !important; max-width: 100% !important; height: auto !important; }}
.initviz-app .jupyter-matplotlib-canvas-div canvas + canvas {{
  width: 100% !important; height: 100% !important; }}
.initviz-app .widget-tab, .initviz-app .widget-box {{ max-width: 100%; }}
.initviz-app .widget-hbox {{ flex-wrap: wrap; }}
.initviz-app .lm-TabBar-content {{ flex-wrap: wrap; }}
.initviz-app .lm-TabBar-tab {{ flex: 0 0 auto !important; min-width: fit-content !important; }}
.{PRESENTING} .widget-label, .{PRESENTING} .widget-readout, .{PRESENTING} select,
.{PRESENTING} .widget-button, .{PRESENTING} .widget-toggle-button,
.{PRESENTING} .widget-html-content, .{PRESENTING} .lm-TabBar-tabLabel {{
  font-size: {PRESENTATION_FONT} !important; }}
.{PRESENTING} .initviz-controls .widget-inline-hbox {{ width: 390px !important; }}
.{PRESENTING} .initviz-controls .widget-label {{ width: 125px !important; }}
.{PRESENTING} .initviz-controls {{ width: 400px !important; min-width: 400px; }}
.{PRESENTING} .widget-label, .{PRESENTING} .widget-button,
.{PRESENTING} .widget-toggle-button {{ min-width: fit-content !important; }}
.{PRESENTING} .initviz-pace {{ width: 300px !important; }}
.{PRESENTING} .widget-readout {{ min-width: 64px; }}
.{PRESENTING} .initviz-header {{
  position: sticky; top: 0; z-index: 5; background: var(--jp-layout-color0, white); }}
"""


def style_sheet() -> W.HTML:
    """An (invisible) HTML widget holding the app's style sheet; every rule is scoped to
    ``.initviz-app``."""
    sheet = W.HTML(f"<style>{APP_CSS}</style>", layout=W.Layout(display="none"))
    sheet.add_class("initviz-style")
    return sheet
