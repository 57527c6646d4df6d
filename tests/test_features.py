"""The contract between the Explorer and its feature tabs (initviz.app.features.base.Feature).

Every registered feature subclasses Feature and overrides only the hooks it uses; the Explorer
calls on_reset, on_frame and on_link on every feature (no getattr), refuses a factory that builds
something else, and features reach the Explorer through its public interface only (guard,
report_error, event_loop, ...), never its private members.
"""
from __future__ import annotations

import ast
import asyncio
import inspect
import re
import textwrap
from pathlib import Path

import ipywidgets as W
import pytest
from conftest import assert_no_errors

import initviz.app.explorer as explorer_module
from initviz.app import Explorer
from initviz.app.features import FEATURES
from initviz.app.features.base import Feature
from initviz.app.share import AppOptions

HOOKS = ("on_reset", "on_frame", "on_link")
FEATURE_MODULES = sorted(Path(inspect.getfile(Feature)).parent.glob("*.py"))


class Recorder(Feature):
    """Counts the hooks the Explorer calls."""

    title = "Recorder"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.widget = W.HTML()
        self.calls: list[str] = []
        self.links: list[AppOptions] = []

    def on_reset(self) -> None:
        self.calls.append("reset")

    def on_frame(self) -> None:
        self.calls.append("frame")

    def on_link(self, options) -> None:
        self.links.append(options)


class Bare(Feature):
    """Overrides no hook: the base class's no-ops must do."""

    title = "Bare"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.widget = W.HTML("bare")


def test_every_registered_feature_subclasses_feature_and_is_a_tab_in_order():
    assert len(FEATURES) == 14  # + the three signal tabs, Your model and Normalization
    titles = [cls.title for cls in FEATURES]
    assert all(titles) and len(set(titles)) == len(titles), titles
    for cls in FEATURES:
        assert issubclass(cls, Feature), cls
    app = Explorer(query="")
    assert [type(f) for f in app.features] == FEATURES
    assert list(app.tabs.children) == [f.widget for f in app.features]
    assert [app.tabs.get_title(i) for i in range(len(FEATURES))] == titles
    assert_no_errors(app)


def _is_empty(function) -> bool:
    """The function's body is only a docstring and/or ``pass``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    body = tree.body[0].body
    return all(isinstance(node, ast.Pass) or (isinstance(node, ast.Expr)
                                              and isinstance(node.value, ast.Constant))
               for node in body)


def test_features_override_only_the_hooks_they_use():
    for hook in HOOKS:  # the base class's hooks are the documented no-ops
        assert _is_empty(getattr(Feature, hook)) and getattr(Feature, hook).__doc__
    for cls in FEATURES:
        for hook in HOOKS:
            if hook in vars(cls):
                assert not _is_empty(vars(cls)[hook]), f"{cls.__name__}.{hook} restates a no-op"


def test_the_explorer_calls_every_hook_on_every_feature(monkeypatch):
    # a preheated Voila kernel: the app is built first, its page's link arrives later
    waiting = []
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.setattr(explorer_module, "preheated", lambda: True)
    monkeypatch.setattr(explorer_module, "when_requested", waiting.append)
    app = Explorer(features=[Recorder, Bare, Recorder])
    first, bare, last = app.features
    assert first.calls == last.calls == []  # built after the first frame
    app.run(2)
    assert first.calls == last.calls == ["frame"]
    app.set_config(depth=3)
    assert first.calls == last.calls == ["frame", "reset", "frame"]
    (open_link,) = waiting
    open_link("depth=2&hide=width&play=0")
    assert app.config.depth == 2
    assert first.links == last.links == [AppOptions(hide=("width",), play=False)]
    assert first.calls[-2:] == ["reset", "frame"]  # the link's setting was applied
    assert_no_errors(app)  # Bare's inherited hooks ran without error


def test_a_factory_that_builds_no_feature_is_refused():
    class NotAFeature:
        title, widget = "Plain", W.HTML()

        def __init__(self, explorer) -> None:
            pass

    with pytest.raises(TypeError, match="not a subclass of initviz.app.features.base.Feature"):
        Explorer(query="", features=[NotAFeature])


def test_features_use_only_the_explorers_public_interface():
    private = re.compile(r"\bexplorer\._\w")
    for path in FEATURE_MODULES:
        source = path.read_text()
        assert not private.search(source), f"{path.name} reaches into the Explorer: {private.search(source)}"
        assert "getattr(self.explorer" not in source and "getattr(explorer" not in source, path.name


def test_guard_runs_the_callback_and_shows_its_exception():
    app = Explorer(query="", features=[])
    seen = []
    app.guard(seen.append)("event")
    assert seen == ["event"]
    assert_no_errors(app)

    def broken(_change):
        raise RuntimeError("a feature's callback failed")

    app.guard(broken)({"new": 1})  # must not raise
    assert "a feature's callback failed" in "".join(o.get("text", "") for o in app.errors.outputs)


def test_report_error_shows_the_exception_being_handled():
    app = Explorer(query="", features=[])
    try:
        raise ValueError("shown under the app")
    except ValueError:
        app.report_error()
    text = "".join(o.get("text", "") for o in app.errors.outputs)
    assert "ValueError: shown under the app" in text and "Traceback" in text


def test_event_loop_is_none_in_a_script_and_the_running_loop_in_a_kernel():
    assert Explorer(query="", features=[]).event_loop is None  # plain script: work runs at once

    async def main():
        app = Explorer(query="", features=[])
        return app.event_loop is asyncio.get_running_loop()

    assert asyncio.run(main())
