"""The teaching tabs in the real Voila page: presets, compare A/B, and a share link's query."""
from __future__ import annotations

import pytest
from servers import (
    APP_PATH,
    load_app,
    open_app,
    open_tab,
    selected_text,
    total_frames,
    wait_for_new_frames,
    wait_until_settled,
)

pytestmark = pytest.mark.browser


def test_preset_loads_its_setting_and_explains_it(page, voila_server):
    open_app(page, voila_server)
    open_tab(page, "Presets")
    frames = total_frames(page)
    select = page.locator(".initviz-preset select")
    label = next(o for o in select.locator("option").all_inner_texts() if "zero" in o.lower())
    select.select_option(label=label)
    wait_for_new_frames(page, frames)
    wait_until_settled(page)
    assert "zeros" in selected_text(page, ".initviz-initializer")
    info = page.locator(".initviz-preset-info").inner_text()
    assert "?" in info and len(info) > 80  # a question to the student and its conditions
    # predict first: the explanation is hidden until 'reveal'
    from initviz.core import presets

    first_line = presets.get("zeros").explanation.splitlines()[0]
    assert "Predict first" in info and first_line[:40] not in info
    page.locator(".initviz-preset-prediction label", has_text="stays near chance").click()
    page.locator("button.initviz-preset-reveal").click()
    page.wait_for_function(
        "t => document.querySelector('.initviz-preset-info').innerText.includes(t)",
        arg=first_line[:40], timeout=30_000)
    page.errors.check()


def test_compare_trains_a_and_b_and_states_the_difference(page, voila_server):
    open_app(page, voila_server)
    open_tab(page, "Compare")
    page.locator(".initviz-compare-epochs input").fill("60")
    page.locator(".initviz-compare-epochs input").press("Enter")
    page.locator(".initviz-compare-b-initializer select").select_option(label="Keras · zeros")
    page.locator(".initviz-compare-run button, button.initviz-compare-run").first.click()
    page.wait_for_function(
        """() => { const s = document.querySelector('.initviz-compare-summary');
                   return s && /A/.test(s.innerText) && /B/.test(s.innerText)
                          && /loss/.test(s.innerText) && !/training A and B/.test(s.innerText); }""",
        timeout=60_000)
    summary = page.locator(".initviz-compare-summary").inner_text()
    assert "after 60 epochs" in summary, summary
    drawn = page.evaluate("""() => { const c = document.querySelector(
        '.initviz-compare-figure canvas'); return c ? (c.__initvizFrames || 0) : 0; }""")
    assert drawn > 0  # the overlaid curves were painted
    page.errors.check()


def test_query_string_starts_the_app_on_that_setting(page, voila_server):
    load_app(page, voila_server.url + APP_PATH + "?initializer=zeros&activation=relu&depth=12")
    page.wait_for_function(
        """() => { const s = document.querySelector('.initviz-initializer select');
                   return s && /zeros/.test(s.options[s.selectedIndex].text); }""", timeout=60_000)
    assert selected_text(page, ".initviz-activation") == "relu"
    assert page.locator(".initviz-depth .widget-readout").inner_text().strip() == "12"
    page.errors.check()
