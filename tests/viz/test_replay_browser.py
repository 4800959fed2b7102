"""The replay page in a real headless browser: Chromium driven by Selenium.

Needs the selenium package and Chromium with its driver (Debian: ``apt-get install chromium
chromium-driver``; ``pip install selenium``); skipped cleanly when either is missing.
"""

import json
import shutil

import numpy as np
import pytest

import chainrule
import chainrule.viz

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

CHROMIUM = next((p for p in map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])
                 if p), None)
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                reason="Chromium and chromedriver are not installed")


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def replay(rng, tmp_path, browser):
    """An MLP's backward, traced and opened in the browser: (driver, trace, params, graph)."""
    def leaf(*shape):
        return chainrule.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    params = {"w1": leaf(3, 4), "b1": leaf(4), "w2": leaf(4, 2)}
    x = chainrule.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    loss = ((x @ params["w1"] + params["b1"]).relu() @ params["w2"] + 0.5).square().mean()
    g = chainrule.viz.graph(loss, params)
    with chainrule.autograd.trace() as t:
        loss.backward()
    path = g.to_html(str(tmp_path / "replay.html"), trace=t)
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get("file://" + path)
    return browser, t, params, g


def _active(driver) -> str:
    (node,) = driver.find_elements(By.CSS_SELECTOR, ".node.active")
    return node.get_attribute("data-node")


def _step(driver) -> int:
    return int(driver.find_element(By.ID, "step-counter").get_attribute("data-step"))


def test_page_loads_without_console_errors(replay):
    driver, t, _, _ = replay
    assert driver.find_element(By.ID, "step-counter").text == f"step 1 / {len(t)}"
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []


def test_stepping_forward_moves_the_highlight(replay):
    driver, t, _, g = replay
    order = [g.find(e.node).id for e in t]
    assert _active(driver) == order[0] == g.root
    driver.find_element(By.ID, "btn-next").click()
    assert _step(driver) == 1 and _active(driver) == order[1] != order[0]
    assert driver.find_element(By.ID, "step-name").text == t[1].name
    assert driver.find_element(By.ID, "step-rule").text.startswith(t[1].name + ": ")
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert _step(driver) == 2 and _active(driver) == order[2]
    done = {el.get_attribute("data-node") for el in driver.find_elements(By.CSS_SELECTOR,
                                                                         ".node.done")}
    assert done == set(order[:2])
    driver.find_element(By.ID, "btn-prev").click()
    assert _step(driver) == 1 and _active(driver) == order[1]
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.HOME)
    assert _step(driver) == 0
    driver.find_element(By.ID, "btn-prev").click()  # stays at the first step
    assert _step(driver) == 0 and driver.get_log("browser") == []


def test_flowing_edges_light_up(replay):
    driver, t, _, g = replay
    k = next(i for i, e in enumerate(t) if e.name == "MatMulBackward0")
    for _ in range(k):
        driver.find_element(By.ID, "btn-next").click()
    node = g.find(t[k].node).id
    flowing = {el.get_attribute("id") for el in driver.find_elements(By.CSS_SELECTOR,
                                                                     ".edge.flow")}
    sent = {f"edge-{node}-{i}" for i, grad in enumerate(t[k].grad_inputs) if grad is not None}
    assert flowing == sent and sent


def test_last_step_shows_each_leaf_grad(replay):
    driver, _, params, g = replay
    driver.find_element(By.ID, "btn-last").click()
    assert driver.find_element(By.ID, "step-name").text.startswith(
        "torch::autograd::AccumulateGrad")
    for n in g.nodes:
        if n.kind != "leaf":
            continue
        cell = driver.find_element(By.CSS_SELECTOR, f"#leaf-{n.id} .grad")
        shown = np.array([float(v) for v in json.loads(cell.get_attribute("data-grad"))],
                         np.float32)
        np.testing.assert_array_equal(shown, params[n.title].grad.data.ravel())
        assert cell.text.splitlines()[-1].strip() == f"shape {params[n.title].grad.shape} float32"


def test_leaf_grad_is_none_before_its_step(replay):
    driver, t, _, g = replay
    first_leaf = next(i for i, e in enumerate(t) if e.is_leaf)
    for _ in range(first_leaf - 1):
        driver.find_element(By.ID, "btn-next").click()
    cells = driver.find_elements(By.CSS_SELECTOR, "#leaf-grads .grad")
    assert [c.get_attribute("data-grad") for c in cells] == ["null"] * len(cells)
    driver.find_element(By.ID, "btn-next").click()
    row = driver.find_element(By.ID, f"leaf-{g.find(t[first_leaf].node).id}")
    assert "changed" in row.get_attribute("class")
    assert row.find_element(By.CLASS_NAME, "grad").get_attribute("data-grad") != "null"


def test_clicking_a_node_jumps_to_its_step(replay):
    driver, t, _, g = replay
    k = len(t) - 2
    driver.find_element(By.ID, f"node-{g.find(t[k].node).id}").click()
    assert _step(driver) == k


def test_saved_tensors_shown_for_the_current_node(replay):
    driver, t, _, g = replay
    k = next(i for i, e in enumerate(t) if e.name == "MatMulBackward0")
    driver.find_element(By.ID, f"node-{g.find(t[k].node).id}").click()
    saved = g.find(t[k].node).saved
    lines = driver.find_element(By.ID, "step-saved").text.splitlines()
    assert lines == [f"{s.role}: {s.shape} {s.dtype}" for s in saved] and len(lines) == 2
