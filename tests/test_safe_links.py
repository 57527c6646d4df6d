"""Safe to share: a memory budget for the whole setting, strict linear-time parsing, links that
never break the page, controls that hold every value a link may set, errors that reach the
errors box, and escaping wherever link or exception text meets HTML (issue 12)."""
from __future__ import annotations

import html
import math
import time
import tracemalloc

import pytest

from initviz.app.share import read_link
from initviz.core import config as config_module
from initviz.core.config import (
    FIELDS,
    MAX_QUERY_LENGTH,
    MAX_VALUE_LENGTH,
    Config,
    estimate_cost,
    memory_budget,
    parse_value,
)
from initviz.core.training import Trainer
from initviz.plots.dashboard import input_grid

PAYLOAD = "<img src=x onerror=alert(1)><script>alert(2)</script>"


# ------------------------------------------------------------------ the budget


@pytest.mark.parametrize("changes", [
    {}, dict(depth=30, width=256), dict(depth=30, width=256, optimizer="adam"),
    dict(depth=10, width=128, n_samples=3000), dict(depth=30, width=32, n_samples=8000),
    dict(depth=4, width=512, n_samples=2000, batch_size=32),
    dict(depth=20, width=128, n_samples=2000, optimizer="momentum"),
    dict(depth=10, width=128, n_samples=3000, normalization="batch", residual=True),
    dict(depth=20, width=64, n_samples=2000, normalization="layer", residual=True),
    dict(depth=4, width=256, n_samples=2000, batch_size=32, normalization="batch"),
])
def test_the_estimate_covers_what_a_run_allocates(changes):
    """tracemalloc's peak over a reset, three epochs, a snapshot and a grid prediction (what the
    app does) stays under the estimate without the figures, and the estimate is not wildly
    pessimistic (within 2x, or 8 MB for tiny settings)."""
    config = Config(**changes)
    tracemalloc.start()
    try:
        trainer = Trainer(config)
        trainer.step(3)
        trainer.snapshot()
        trainer.predict(input_grid(trainer.dataset.X)[0])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    cost = estimate_cost(config)
    arrays = cost.total - cost.figures
    assert peak <= arrays, (peak / 2**20, cost)
    assert arrays <= max(2 * peak, peak + 8 * 2**20), (peak / 2**20, cost)


def test_a_setting_over_the_budget_is_refused_naming_the_cost_and_the_budget():
    with pytest.raises(ValueError, match=r"needs about [\d,]+ MB .*training workspace.*over the "
                                         r"budget of 256 MB per kernel"):
        Config(n_samples=100_000, depth=50, width=512)
    Config(depth=30, width=256)  # a large network that fits


def test_the_operator_sets_the_budget(monkeypatch):
    assert memory_budget() == 256 * 2**20
    monkeypatch.setenv("INITVIZ_MEMORY_BUDGET_MB", "64")
    assert memory_budget() == 64 * 2**20
    with pytest.raises(ValueError, match="over the budget of 64 MB"):
        Config(depth=30, width=256)
    monkeypatch.setenv("INITVIZ_MEMORY_BUDGET_MB", "lots")
    with pytest.raises(ValueError, match="INITVIZ_MEMORY_BUDGET_MB must be a number"):
        memory_budget()


def test_every_number_has_a_finite_upper_bound():
    for name, spec in FIELDS.items():
        if spec.kind == "params":  # each parameter is bounded by its initializer (float32)
            with pytest.raises(ValueError, match="does not fit in float32"):
                Config(initializer="normal", initializer_params={"stddev": 1e300})
        elif spec.kind not in ("name", "bool"):
            assert spec.high is not None and math.isfinite(spec.high), name
            with pytest.raises(ValueError, match=name):
                Config(**{name: type(spec.high)(spec.high * 2 + 1)})


def test_minus_zero_is_normalised():
    config = Config(noise=-0.0)
    assert math.copysign(1.0, config.noise) == 1.0
    assert config == Config(noise=0.0) and config.to_query() == "noise=0.0"


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize("key, text", [
    ("depth", "１２"),  # full-width digits
    ("depth", "1\u200b2"),  # a zero-width space
    ("depth", "0x10"), ("depth", "1_0"), ("depth", ""), ("depth", " 3"), ("depth", "3.0"),
    ("scale", "nan"), ("scale", "inf"), ("scale", "-inf"), ("scale", "1e309"),
    ("scale", "0x1p-2"), ("scale", "1_0"), ("scale", ""), ("scale", "٣"),
    ("noise", "1e308"), ("learning_rate", "5e"), ("seed", "4294967296"),
    ("batch_size", "full batch"), ("dataset", "x" * (MAX_VALUE_LENGTH + 1)),
    ("residual", "yes"), ("residual", " true"), ("residual", "2"), ("residual", ""),
    ("normalization", "group"), ("residual_scale", "2.5"),
])
def test_malformed_or_out_of_range_values_are_refused(key, text):
    with pytest.raises(ValueError, match=key):
        parse_value(key, text)


def test_boundary_values_parse():
    assert parse_value("seed", "4294967295") == 2**32 - 1
    assert parse_value("scale", "1e-3") == 0.001 and parse_value("scale", "100") == 100.0
    assert parse_value("noise", "-0") == 0.0 and math.copysign(1, parse_value("noise", "-0")) == 1
    assert parse_value("batch_size", "none") is None
    assert parse_value("learning_rate", ".5") == 0.5


def test_parsing_is_linear_in_the_length_of_the_text():
    """The old float pattern backtracked quadratically ('111...1x' of 16 kB: ~5 s of CPU)."""
    long_text = "1" * 200_000 + "x"
    start = time.process_time()
    assert config_module._FLOAT_TEXT.fullmatch(long_text) is None
    assert config_module._INT_TEXT.fullmatch(long_text) is None
    assert time.process_time() - start < 0.5
    with pytest.raises(ValueError, match="too long"):
        parse_value("scale", long_text)
    link = read_link("?depth=3&scale=" + "1" * 100_000)
    assert link.config == Config() and "too long" in link.notice


def test_duplicates_and_empty_values():
    link = read_link("?depth=3&depth=4&width=&scale=2")
    assert link.config == Config(depth=3, scale=2.0)
    assert "depth=4 (given more than once" in link.notice and "width=" in link.notice


# ------------------------------------------------------------------ a link never breaks the page


HOSTILE_LINKS = [
    "?n_samples=100000&depth=50&width=512",
    "?noise=1e308", "?dataset=sine&noise=1e308", "?hide=n_samples", "?hide=" + PAYLOAD,
    "?scale=" + "1" * 16_000 + "x", "?seed=4294967295", "?learning_rate=5",
    "?theme=dark&depth=12", "?utm_source=forum&utm_medium=post&depth=12", "?fbclid=abc&depth=12",
    "?voila-theme=dark&depth=12", "?depth=12&" + PAYLOAD + "=1", "?initializer=" + PAYLOAD,
    "?preset=" + PAYLOAD, "?play=" + PAYLOAD, "?depth", "?&&&depth=12", "?%ZZ=1&depth=12",
    "?depth=%00", "?" + "a=1&" * 3000, "?batch_size=0", "?n_samples=5&dataset=blobs",
]


@pytest.mark.parametrize("query", HOSTILE_LINKS)
def test_hostile_links_start_the_app(query):
    from initviz.app.explorer import Explorer

    explorer = Explorer(query=query, features=[])
    assert isinstance(explorer.config, Config)
    assert not explorer.errors.outputs  # no traceback
    notice = explorer.link_notice.value
    assert "<script" not in notice and "<img" not in notice  # escaped
    if "depth=12" in query and "&&&" not in query:
        assert explorer.config.depth == 12, notice


def test_voila_and_tracking_keys_are_ignored_silently_other_keys_are_named():
    assert read_link("?theme=dark&utm_source=x&fbclid=y&gclid=z&voila-theme=dark&depth=2").ignored == ()
    link = read_link("?colour=red&depth=2")
    assert link.config == Config(depth=2) and link.notice == "Ignored in the link: colour (unknown key)"


def test_values_valid_alone_but_not_together_drop_the_later_field():
    """Fields are added in the table's order (n_samples before depth and width): each one that
    would push the setting over the budget is dropped, with the reason."""
    link = read_link("?width=256&depth=40&n_samples=20000")
    assert link.config == Config(n_samples=20000)
    assert [part for part, _ in link.ignored] == ["depth=40", "width=256"]
    assert all("over the budget" in reason for _, reason in link.ignored)


def test_a_link_value_is_what_runs_and_moving_a_control_keeps_the_others():
    from initviz.app.explorer import Explorer

    query = "?seed=4294967295&learning_rate=5&scale=0.001&noise=2&width=48&batch_size=7&depth=50"
    explorer = Explorer(query=query, features=[])
    expected = Config(seed=2**32 - 1, learning_rate=5.0, scale=0.001, noise=2.0, width=48,
                      batch_size=7, depth=50)
    assert explorer.config == expected and explorer.link_notice.value == ""
    explorer.controls.activation.value = "relu"  # another control moves
    assert explorer.config == expected.replace(activation="relu")


@pytest.mark.parametrize("name", list(FIELDS))
def test_controls_hold_each_field_at_its_limits(name):
    from initviz.app.controls import Controls

    spec = FIELDS[name]
    values = ([spec.names()[0], spec.names()[-1]] if spec.kind == "name" else
              [False, True] if spec.kind == "bool" else
              [(int(spec.low), int(spec.high)), (int(spec.high), int(spec.low))]
              if spec.kind == "widths" else
              [spec.low, spec.high] + ([None] if spec.kind == "batch" else []))
    for value in values:
        if spec.kind == "int" or (spec.kind == "batch" and value is not None):
            value = int(value)
        try:
            config = Config(**{name: value})
        except ValueError as error:  # e.g. 100,000 samples alone exceed the budget
            assert "budget" in str(error) or "bias" in str(error)
            continue
        controls = Controls(config)
        assert controls.config == config, (name, value)


# ------------------------------------------------------------------ errors reach the errors box


def test_a_refused_control_change_is_reported_and_undone():
    from initviz.app.explorer import Explorer

    explorer = Explorer(depth=40, width=256, features=[])
    explorer.controls.n_samples.value = 50_000  # over the budget with 40 x 256
    text = "".join(o["text"] for o in explorer.errors.outputs)
    assert "not applied" in text and "over the budget" in text
    assert explorer.controls.n_samples.value == 300 and explorer.config.n_samples == 300


def test_the_errors_box_keeps_the_last_few_messages():
    from initviz.app.errors import MAX_MESSAGES, ErrorLog

    log = ErrorLog()
    for i in range(12):
        log.report(f"message {i}")
    texts = [o["text"] for o in log.outputs]
    assert len(texts) == MAX_MESSAGES and texts[-1] == "message 11\n" and "message 6\n" not in texts


def test_a_failing_widget_callback_reaches_the_errors_box():
    from initviz.app.explorer import Explorer

    explorer = Explorer(features=[])

    def broken(_change):
        raise RuntimeError("callback exploded")

    explorer.step_button.on_click(explorer.guard(broken))
    explorer.step_button.click()
    assert "callback exploded" in "".join(o["text"] for o in explorer.errors.outputs)


# ------------------------------------------------------------------ escaping


def test_the_link_notice_escapes_link_text():
    from initviz.app.explorer import Explorer

    explorer = Explorer(query="?" + PAYLOAD + "=1&initializer=" + PAYLOAD, features=[])
    assert html.escape(PAYLOAD) in explorer.link_notice.value or "&lt;img" in explorer.link_notice.value
    assert "<img" not in explorer.link_notice.value and "<script" not in explorer.link_notice.value


def test_the_share_tab_escapes_a_pasted_query():
    from initviz.app.explorer import Explorer
    from initviz.app.features.share_panel import SharePanel

    explorer = Explorer(features=[SharePanel])
    panel = explorer.features[0]
    panel.open("?" + PAYLOAD + "=1")
    assert "initviz-share-error" in panel.link.value
    assert "<img" not in panel.link.value and "<script" not in panel.link.value
    assert "&lt;img" in panel.link.value


def test_a_link_shorter_than_the_limit_is_read_in_full():
    query = "?depth=3&" + "x=1&" * ((MAX_QUERY_LENGTH - 20) // 4)
    assert read_link(query).config.depth == 3


# ------------------------------------------------------------------ every HTML widget escapes


def _assert_escaped(markup: str) -> None:
    assert "<script" not in markup and "<img" not in markup, markup[:300]
    assert "&lt;script&gt;" in markup or "&lt;img" in markup, markup[:300]


def test_text_shown_as_html_is_escaped_everywhere(monkeypatch):
    """Each function that puts link, preset, Config, code or exception text into an HTML
    widget escapes it: a payload never becomes markup."""
    from initviz.app import controls
    from initviz.app.features import code, export
    from initviz.app.features import presets as presets_tab
    from initviz.core import presets

    preset = presets.Preset("x", PAYLOAD, {}, PAYLOAD + "\n" + PAYLOAD, PAYLOAD)
    _assert_escaped(presets_tab.preset_html(preset))
    _assert_escaped(code.code_html(PAYLOAD, PAYLOAD, "initviz-code-keras-text"))
    _assert_escaped(export.download_link(b"1", PAYLOAD, "text/csv", PAYLOAD))
    info = controls.initializers.info("zeros")._replace(formula=PAYLOAD, description=PAYLOAD)
    monkeypatch.setattr(controls.initializers, "info", lambda name: info)
    _assert_escaped(controls.initializer_help("zeros"))


def test_the_share_tabs_page_link_escapes_the_address(monkeypatch):
    from initviz.app.explorer import Explorer
    from initviz.app.features.share_panel import SharePanel

    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/x.ipynb'" + PAYLOAD)
    panel = Explorer(features=[SharePanel]).features[0]
    _assert_escaped(panel.link.value)
    assert "href='/voila/render/x.ipynb&#x27;" in panel.link.value


def test_feature_summaries_escape_their_text(monkeypatch):
    from initviz.app.explorer import Explorer
    from initviz.app.features import compare as compare_tab
    from initviz.app.features.compare import CompareFeature
    from initviz.app.features.sweep import SweepFeature
    from initviz.app.features.symmetry import SymmetryFeature
    from initviz.core import symmetry
    from initviz.core.compare import CompareResult
    from initviz.core.sweep import SweepResult

    monkeypatch.setattr(compare_tab, "describe_config", lambda config: PAYLOAD)
    monkeypatch.setattr(CompareResult, "summary", lambda self: PAYLOAD)
    monkeypatch.setattr(SweepResult, "summary", lambda self: PAYLOAD)
    monkeypatch.setattr(symmetry.SymmetryReport, "summary", lambda self: PAYLOAD)
    explorer = Explorer(depth=1, width=4, features=[CompareFeature, SweepFeature, SymmetryFeature])
    compare_feature, sweep_feature, symmetry_feature = explorer.features
    _assert_escaped(compare_feature.a_label.value)
    compare_feature.epochs.value = 10
    compare_feature.start()  # no event loop here: runs at once
    _assert_escaped(compare_feature.summary.value)
    sweep_feature.depths, sweep_feature.scales = (1,), (1.0,)
    sweep_feature.epochs.value = 10
    sweep_feature.start()
    _assert_escaped(sweep_feature.status.value)
    symmetry_feature.refresh()
    _assert_escaped(symmetry_feature.summary.value)


def test_the_errors_box_shows_exception_text_as_plain_text():
    from initviz.app.errors import ErrorLog

    log = ErrorLog()
    log.report(PAYLOAD)
    (output,) = log.outputs
    assert output["output_type"] == "stream" and output["text"] == PAYLOAD + "\n"


def test_the_readme_says_what_a_link_does():
    """README's "Share links" sentences, checked: its example link is refused for memory, its
    ignored keys make no notice, its budget is the default."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "`?n_samples=100000&depth=50&width=512` is refused with the memory" in readme
    link = read_link("?n_samples=100000&depth=50&width=512")
    assert any("needs about" in reason for _, reason in link.ignored)
    assert "memory budget of a\n  kernel (256 MB" in readme and memory_budget() == 256 * 2**20
    assert read_link("?theme=dark&utm_source=x&fbclid=y").notice == ""


def test_largest_finds_the_budgets_edge():
    from initviz.core.config import largest

    widest = largest("width", depth=50)
    assert widest.depth == 50 and estimate_cost(widest).total <= memory_budget()
    with pytest.raises(ValueError, match="budget"):
        widest.replace(width=widest.width + 1)


def test_unequal_widths_refuse_normalization_and_residuals():
    with pytest.raises(ValueError, match="need equal hidden widths"):
        Config(widths=(8, 4, 6), normalization="batch")
    with pytest.raises(ValueError, match="need equal hidden widths"):
        Config(widths=(8, 4, 6), residual=True)
    link = read_link("?widths=8,4,6&normalization=batch")
    assert link.config.widths == (8, 4, 6) and link.config.normalization == "none"
    assert "need equal hidden widths" in link.notice
