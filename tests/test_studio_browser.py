"""The studio in a real browser: headless Chromium (Debian's chromium + chromium-driver) through Selenium.

The server runs once for the module on a free port with the shipped models. ``.ci/run`` installs
Chromium when missing and sets SEQGEN_BROWSER_TESTS=required, so in CI these tests fail rather than
skip without it. With SEQGEN_SCREENSHOTS=DIR each page is saved as a PNG there (samples/studio/).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests import midi_factory as mf
from tests.studio_helpers import TOKEN, make_app

CHROMIUM, DRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or "/usr/bin/chromedriver"
SKETCH_CLASSES = ["circle", "cross", "line", "square", "triangle", "zigzag"]
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1280,1000",
         "--autoplay-policy=no-user-gesture-required")


def _require_chromium() -> None:
    if Path(CHROMIUM).exists() and Path(DRIVER).exists():
        return
    message = "headless Chromium tests need chromium and chromium-driver (apt-get install chromium chromium-driver)"
    if os.environ.get("SEQGEN_BROWSER_TESTS") == "required":
        pytest.fail(message)
    pytest.skip(message)


def _save_untrained(build, train_ds, val_ds, run, config, **_):
    """Stands in for :func:`seqgen.models.train.fit` while the fixture makes its runs: the pages need a
    run to load (run.json, codec, model.keras as ``train`` writes them), not a trained one, and
    Keras's first epoch (tracing, mostly) cost 7-12 s a run here. Training is the tests of each task's."""
    from seqgen.models import run_dir as rd

    rd.save_model(build(), run / rd.MODEL_FILE)


def _make_runs(runs: Path, tmp_path_factory) -> None:
    """A sketch run and a MIDI run through the CLI, as a user makes them (with untrained weights)."""
    from seqgen.data_prep.synthetic_sketches import write_synthetic
    from seqgen.models import train
    from tests.cli_helpers import run

    drawings, corpus = tmp_path_factory.mktemp("drawings"), tmp_path_factory.mktemp("corpus")
    write_synthetic(drawings, "ndjson", n_per_class=8, classes=SKETCH_CLASSES, seed=1)
    for i in range(3):  # two-part pieces: a melody of eighths over a bass of half notes
        mf.write_notes(corpus / f"piece{i}.mid", [(60 + (3 * b + i) % 8, b / 2, 0.5) for b in range(32)],
                       [(48 + (b % 3) * 2, 2 * b, 2) for b in range(8)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train, "fit", _save_untrained)
        for args in (("sketches", "--data", drawings, "--model", "tiny", "--out", runs / "shapes"),
                     ("midi", "--corpus", corpus, "--encoding", "grid", "--model", "gru", "--preset", "tiny",
                      "--window", "8", "--out", runs / "tunes")):
            made = run("train", *args)
            assert made.exit_code == 0, made.output
            assert (Path(args[-1]) / "model.keras").is_file() and (Path(args[-1]) / "run.json").is_file()


def _write_series(path: Path, days: int = 400) -> None:
    """A daily series for the training test: 7 batches an epoch where the built-in one (2,000 days) has 42."""
    import datetime
    import math
    import random

    start, noise = datetime.date(2020, 1, 1), random.Random(0)  # noise: a bare sine is a linear recurrence
    path.write_text("date,value\n" + "".join(f"{start + datetime.timedelta(days=d)},"
                                            f"{math.sin(d / 5) + 0.01 * d + noise.gauss(0, 0.1):.4f}\n" for d in range(days)))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from seqgen.studio.server import bind

    runs = tmp_path_factory.mktemp("runs")
    _make_runs(runs, tmp_path_factory)
    _write_series(runs / "daily.csv")
    sock = bind("127.0.0.1", 0)
    app = make_app(runs, max_text=20_000)  # long enough that Stop always comes before the end
    instance = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    instance.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser(server):
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="seqgen-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.get(f"{server}/?token={TOKEN}#chorale")
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def until(driver, script: str, limit_s: float = 120):
    """Poll a JavaScript expression until it is truthy; its value."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        time.sleep(0.1)
    error = driver.execute_script("return document.getElementById('error').textContent")
    raise AssertionError(f"{script} still false after {limit_s} s (page error: {error!r})")


def screenshot(driver, name: str) -> None:
    folder = os.environ.get("SEQGEN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def page(driver, name: str) -> None:
    driver.execute_script(f"location.hash = '#{name}'")
    until(driver, f"!document.getElementById('page-{name}').hidden")


def click(driver, element_id: str) -> None:
    driver.find_element("id", element_id).click()


def click_in_row(driver, text: str, selector: str, tries: int = 50) -> None:
    """A real click on ``selector`` in the runs table's row naming ``text``. The table is drawn again when a
    watched training job ends (another test's), which can take the row away between finding and clicking
    it (StaleElementReferenceException, seen once in CI): then the row is found again."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(tries):
        try:
            row = [r for r in driver.find_elements("css selector", ".run-row") if text in r.text][0]
            row.find_element("css selector", selector).click()
            return
        except (StaleElementReferenceException, IndexError):
            time.sleep(0.1)
    raise AssertionError(f"no clickable {selector} in a runs row naming {text!r} after {tries} tries")


def canvas_click(driver, x: float, y: float, drag_to: float | None = None) -> None:
    """A real mouse press at canvas pixel (x, y) (released at x = ``drag_to`` when given)."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_element("id", "roll")
    w, h = canvas.size["width"], canvas.size["height"]
    actions = ActionChains(driver).move_to_element_with_offset(canvas, int(x - w / 2), int(y - h / 2)).click_and_hold()
    if drag_to is not None:
        actions = actions.move_to_element_with_offset(canvas, int(drag_to - w / 2), int(y - h / 2))
    actions.release().perform()


def test_every_page_loads_and_says_how_the_models_load(browser):
    status = until(browser, "['loading', 'ready'].find(w => document.getElementById('status').textContent.includes(w))", 10)
    assert status in ("loading", "ready")
    for name in ("text", "runs", "chorale"):
        page(browser, name)
    assert browser.execute_script("return document.getElementById('error').hidden")


def test_generate_draws_notes_and_plays(browser):
    form = browser.find_element("id", "chorale-form")
    steps = form.find_element("name", "steps")
    steps.clear()
    steps.send_keys("48")
    click(browser, "generate")
    until(browser, "studio.piece && studio.roll.drawn > 0")
    assert all(browser.execute_script(f"return studio.roll.pixelsOf({v})") > 50 for v in range(4))
    click(browser, "play")
    assert until(browser, "studio.audio && studio.audio.state") == "running"
    until(browser, "studio.roll.playhead > 1", 20)
    screenshot(browser, "chorale")
    click(browser, "stop")
    assert browser.execute_script("return studio.roll.playhead") is None


def test_infill_a_selected_region_keeps_everything_outside(browser):
    before = browser.execute_script("return JSON.stringify(studio.piece.pitches)")
    x = browser.execute_script("return [studio.roll.x(16) + 5, studio.roll.x(31) + 5]")
    canvas_click(browser, x[0], 200, drag_to=x[1])
    assert browser.execute_script("return studio.roll.selection") == {"from": 2, "to": 2}
    click(browser, "infill")
    until(browser, f"JSON.stringify(studio.piece.pitches) !== {json.dumps(before)} || "
                   "document.getElementById('messages').textContent.includes('cells changed')")
    old, new = json.loads(before), browser.execute_script("return studio.piece.pitches")
    changed = {(t, v) for t in range(len(old)) for v in range(4) if old[t][v] != new[t][v]}
    assert all(16 <= t < 32 and v in (1, 2) for t, v in changed), changed
    click(browser, "compare")
    assert browser.execute_script("return studio.roll.piece.pitches") == old
    click(browser, "undo")
    assert browser.execute_script("return studio.piece.pitches") == old


def test_harmonise_a_clicked_melody(browser):
    click(browser, "click-mode")
    melody = [(67, 0), (69, 4), (71, 8), (72, 12), (71, 16), (67, 20)]
    for pitch, step in melody:
        x, y = browser.execute_script(f"return [studio.roll.x({step}) + 15, studio.roll.y({pitch}) + studio.roll.rowH() / 2]")
        canvas_click(browser, x, y)
    assert browser.execute_script("return studio.roll.melody") == [[p, s, 4] for p, s in melody]
    particles = browser.find_element("id", "particles")
    particles.clear()
    particles.send_keys("4")
    browser.find_element("id", "phrase-ends").send_keys("1")  # the melody's first bar ends a phrase
    click(browser, "harmonize")
    until(browser, "studio.piece && studio.piece.name.includes('harmonised')")
    soprano = [row[0] for row in browser.execute_script("return studio.piece.pitches")]
    assert soprano == [p for p, _ in melody for _ in range(4)]
    assert "of 2 phrase ends" in browser.find_element("id", "messages").text
    screenshot(browser, "chorale-harmonised")
    browser.find_element("id", "phrase-ends").clear()
    click(browser, "click-mode")
    click(browser, "clear-melody")


def test_judge_shows_the_table_and_marks(browser):
    browser.find_element("css selector", "#reference option[value=none]").click()
    click(browser, "judge")
    until(browser, "!document.getElementById('judge-table').hidden")
    rows = browser.execute_script("return [...document.querySelectorAll('#judge-table tr')].map(r => r.cells[0].textContent)")
    assert "parallel_fifths" in rows and "voice_crossing" in rows
    marks = browser.execute_script("return studio.roll.marks")
    broken = browser.execute_script("return [...document.querySelectorAll('#judge-table tr.broken')].map(r => r.cells[0].textContent)")
    assert set(broken) == {m["rule"] for m in marks}
    screenshot(browser, "chorale-judged")


def test_a_reload_finds_the_piece_on_screen(browser):
    pitches = browser.execute_script("return studio.piece.pitches")
    browser.refresh()
    until(browser, "studio.piece && studio.roll.drawn > 0", 20)
    assert browser.execute_script("return studio.piece.pitches") == pitches
    assert all(browser.execute_script(f"return studio.roll.pixelsOf({v})") > 50 for v in range(4))


def test_text_streams_and_stops(browser):
    page(browser, "text")
    length = browser.find_element("css selector", "#text-form [name=length]")
    length.clear()
    length.send_keys("20000")
    click(browser, "text-generate")
    first = until(browser, "document.getElementById('text-out').textContent.length > 80 && "
                           "document.getElementById('text-out').textContent")
    assert first.startswith("ROMEO:")
    browser.refresh()  # the reloaded page follows the job again: the text from its start, then on
    again = until(browser, f"document.getElementById('text-out').textContent.length > {len(first)} && "
                           "document.getElementById('text-out').textContent", 20)
    assert again.startswith(first)
    click(browser, "text-stop")
    until(browser, "document.getElementById('text-out').dataset.status === 'cancelled'")
    # Followed by server-sent events, not by polling the job.
    fetched = until(browser, "performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/api/jobs/'))", 10)
    assert any("/events?token=" in url for url in fetched)
    assert len([url for url in fetched if re.search(r"/api/jobs/[^/?]+$", url)]) <= 1  # the reloaded page's one look-up
    assert len(browser.find_element("id", "text-out").text) < 20_000 + 6
    screenshot(browser, "text")


def test_start_and_cancel_training(browser):
    page(browser, "runs")
    until(browser, "document.querySelectorAll('.run-row').length >= 2")  # the shipped models
    form = browser.find_element("id", "train-form")
    for name, value in (("epochs", "40"), ("out", "series-gru"), ("data", "daily.csv"), ("time", "date"), ("target", "value")):
        field = form.find_element("name", name)
        field.clear()
        field.send_keys(value)
    from selenium.webdriver.support.ui import Select

    Select(form.find_element("name", "model")).select_by_visible_text("gru")
    click(browser, "train")
    until(browser, "[...document.querySelectorAll('.train-job')].some(j => j.textContent.includes('epoch 1 of 40'))")
    browser.refresh()  # the reloaded page lists the job again, still running, and follows its epochs
    until(browser, "document.querySelector('.train-job') && document.querySelector('.train-job').dataset.status === 'running'", 20)
    browser.find_element("css selector", ".train-job .cancel").click()
    until(browser, "document.querySelector('.train-job').dataset.status === 'cancelled'")
    until(browser, "[...document.querySelectorAll('.run-row')].some(r => r.textContent.includes('series-gru'))")
    screenshot(browser, "runs")


def test_forecast_an_uploaded_csv(browser, tmp_path):
    import math

    from selenium.webdriver.support.ui import Select

    csv = tmp_path / "sines.csv"  # the synthetic series' layout: date, value
    csv.write_text("date,value\n" + "".join(f"2020-{1 + d // 28:02d}-{1 + d % 28:02d},{math.sin(d / 5) + 0.1 * d:.4f}\n"
                                            for d in range(300)))
    page(browser, "series")
    until(browser, "[...document.querySelectorAll('#series-form [name=run] option')].some(o => o.value === 'series-gru')")
    Select(browser.find_element("css selector", "#series-form [name=run]")).select_by_value("series-gru")
    browser.find_element("id", "series-csv").send_keys(str(csv))
    until(browser, "document.getElementById('series-upload-info').textContent.includes('301 lines')")
    horizon = browser.find_element("css selector", "#series-form [name=horizon]")
    horizon.send_keys("20")
    click(browser, "forecast")
    info = until(browser, "document.getElementById('series-info').textContent")
    assert info == "value: 20 steps forecast after 2020-11-20"
    screenshot(browser, "series")


def test_evaluate_a_run_from_the_runs_page(browser):
    page(browser, "runs")
    until(browser, "[...document.querySelectorAll('.run-row')].some(r => r.textContent.includes('series-gru'))")
    click_in_row(browser, "series-gru", ".evaluate")
    text = until(browser, "document.getElementById('evaluation').textContent.includes('MAE') && "
                          "document.getElementById('evaluation').textContent")
    assert "naive" in text
    screenshot(browser, "runs")


def test_draw_a_sketch_and_get_five_classes(browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    page(browser, "sketch")
    until(browser, "[...document.querySelectorAll('#sketch-run option')].some(o => o.value === 'shapes')")
    Select(browser.find_element("id", "sketch-run")).select_by_value("shapes")
    pad = browser.find_element("id", "sketch-pad")
    import math

    actions = ActionChains(browser).move_to_element_with_offset(pad, 100, 0).click_and_hold()
    for k in range(1, 25):  # a circle of radius 100 around the pad's centre
        actions = actions.move_to_element_with_offset(pad, int(100 * math.cos(k / 24 * 2 * math.pi)),
                                                      int(100 * math.sin(k / 24 * 2 * math.pi)))
    actions.release().perform()
    until(browser, "document.querySelectorAll('#sketch-top li').length === 5")
    names = browser.execute_script("return [...document.querySelectorAll('#sketch-top li')].map(li => li.firstChild.textContent.trim())")
    assert len(set(names)) == 5 and set(names) <= set(SKETCH_CLASSES)
    screenshot(browser, "sketch")


def test_midi_page_generates_seconds_of_music(browser):
    from selenium.webdriver.support.ui import Select

    page(browser, "midi")
    until(browser, "[...document.querySelectorAll('#midi-form [name=run] option')].some(o => o.value === 'tunes')")
    Select(browser.find_element("css selector", "#midi-form [name=run]")).select_by_value("tunes")
    seconds = browser.find_element("css selector", "#midi-form [name=seconds]")
    seconds.clear()
    seconds.send_keys("6")
    click(browser, "midi-generate")
    until(browser, "studio.midiPiece && studio.midiRoll.drawn > 0")
    end = browser.execute_script("return Math.max(...studio.midiPiece.notes.map(n => n[2] + n[3]))")
    assert 40 <= end <= 62  # about 6 s on the 0.1 s grid (notes may end before the last step)
    assert browser.execute_script("return atob(studio.midiPiece.midi).slice(0, 4)") == "MThd"
    click(browser, "midi-play")
    until(browser, "studio.midiRoll.playhead > 1", 20)
    screenshot(browser, "midi")
    click(browser, "midi-stop")
