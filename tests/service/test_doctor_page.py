"""The doctor's page in a real headless Chromium: open the queue, see a scored consultation,
correct its department, and find the correction stored."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    yield chrome
    chrome.quit()


def test_doctor_page_corrects_a_consultation_and_the_correction_is_stored(
    live_server: str, browser: object
) -> None:
    import httpx
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import Select, WebDriverWait

    routine = {"id": "page-routine", "text": "皮肤瘙痒起红疹三天", "age": 30, "sex": "F"}
    urgent = {"id": "page-urgent", "text": "突发胸痛大汗半小时，呼吸困难", "age": 66, "sex": "M"}
    for request in (routine, urgent):
        assert httpx.post(f"{live_server}/v1/triage", json=request, timeout=10).status_code == 200

    browser.get(f"{live_server}/doctor")  # type: ignore[attr-defined]
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr")  # type: ignore[attr-defined]
    assert [r.get_attribute("data-id") for r in rows][:2] == ["page-urgent", "page-routine"]
    assert "emergency" in rows[0].get_attribute("class")
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-id="page-routine"]')  # type: ignore[attr-defined]
    assert "皮肤瘙痒" in row.text and "%" in row.text
    suggested = row.get_attribute("data-suggested")
    select = Select(row.find_element(By.CSS_SELECTOR, "select.department"))
    other = next(
        o.get_attribute("value") for o in select.options if o.get_attribute("value") != suggested
    )
    select.select_by_value(other)
    row.find_element(By.CSS_SELECTOR, "button.correct").click()
    WebDriverWait(browser, 10).until(
        expected_conditions.text_to_be_present_in_element(
            (By.CSS_SELECTOR, 'tr[data-id="page-routine"] .status'), "corrected"
        )
    )
    stored = httpx.get(f"{live_server}/v1/consultations/page-routine", timeout=10).json()[
        "feedback"
    ]
    assert [(f["department"], f["action"], f["suggested"]) for f in stored] == [
        (other, "correct", suggested)
    ]
    browser.get(f"{live_server}/doctor")  # type: ignore[attr-defined]
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue tbody tr")  # type: ignore[attr-defined]
    ids = [r.get_attribute("data-id") for r in rows]
    assert "page-routine" not in ids and "page-urgent" in ids  # decided: out of the open view
    browser.get(f"{live_server}/doctor?view=all")  # type: ignore[attr-defined]  # the decision survives a reload
    status = browser.find_element(By.CSS_SELECTOR, 'tr[data-id="page-routine"] .status').text  # type: ignore[attr-defined]
    assert "corrected" in status and other in status
