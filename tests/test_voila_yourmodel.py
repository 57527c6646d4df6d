"""The "Your model" tab in the real Voila page: paste the seed's Keras model, press Load, and
the explorer trains it on 13-feature data with the notes shown."""
from __future__ import annotations

import pytest
from servers import open_app, open_tab, total_frames, wait_for_new_frames, wait_until_settled

pytestmark = pytest.mark.browser

PYTORCH = """import torch
from torch import nn
model = nn.Sequential(nn.Linear(13, 32), nn.Tanh(), nn.Linear(32, 3))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
"""


def test_pasted_code_rebuilds_the_network_and_bad_code_says_why(page, voila_server):
    open_app(page, voila_server)
    open_tab(page, "Your model")
    box = page.locator(".initviz-yourmodel-code textarea")
    box.fill(PYTORCH)
    frames = total_frames(page)
    page.locator("button.initviz-yourmodel-load").click()
    page.wait_for_function(
        """() => { const m = document.querySelector('.initviz-yourmodel-message');
                   return m && /Loaded/.test(m.innerText); }""", timeout=60_000)
    wait_for_new_frames(page, frames)
    wait_until_settled(page)
    message = page.locator(".initviz-yourmodel-message").inner_text()
    assert "on wine" in message and "tanh" in message, message
    dataset = page.locator(".initviz-dataset select").evaluate(
        "(s) => s.options[s.selectedIndex].text")
    assert dataset == "wine"
    box.fill("model = Sequential()\nmodel.add(Conv2D(8, 3))\nmodel.add(Dense(1))")
    page.locator("button.initviz-yourmodel-load").click()
    page.wait_for_function(
        """() => /Not loaded/.test(document.querySelector('.initviz-yourmodel-message')
                 .innerText)""", timeout=30_000)
    assert "line 2: Conv2D" in page.locator(".initviz-yourmodel-message").inner_text()
    page.errors.check()
