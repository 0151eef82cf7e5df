"""The studio's API through Starlette's TestClient: guards, errors, and each chorale/text job on the shipped models."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from starlette.testclient import TestClient

from seqgen.data_prep import music_metrics as mm
from seqgen.data_prep.grid import Grid
from seqgen.studio.judge_marks import rule_marks
from seqgen.studio.pieces import parse_melody
from tests.studio_helpers import BASE, TOKEN, make_app, wait_job

AUTH = {"X-Studio-Token": TOKEN}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    (runs / "notarun").mkdir()
    outside = tmp_path_factory.mktemp("outside")
    (outside / "run.json").write_text('{"task": "chorale"}')
    os.symlink(outside, runs / "escape")
    with TestClient(make_app(runs, max_upload=4096), base_url=BASE, raise_server_exceptions=False) as c:
        yield c


def get(client, path):
    response = client.get(path, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def events(client, job_id, headers=None, token=TOKEN):
    """The server-sent events of a job, read to the end: [(event, id, data)]."""
    query = f"?token={token}" if token else ""
    with client.stream("GET", f"/api/jobs/{job_id}/events{query}", headers=headers or {}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        blocks = "\n".join(response.iter_lines()).split("\n\n")
    fields = [dict(line.split(": ", 1) for line in b.splitlines() if ": " in line) for b in blocks]
    return [(f["event"], int(f["id"]), json.loads(f["data"])) for f in fields if "event" in f]


def run_job(client, path, body):
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code == 202, response.text
    return wait_job(lambda p: get(client, p), response.json())


@pytest.fixture(scope="module")
def piece(client):
    job = run_job(client, "/api/chorale/generate", {"steps": 48, "seed": 2, "temperature": 0.9, "top_p": 0.95})
    assert job["status"] == "done", job
    return job["result"]


def test_the_page_needs_no_token_but_the_api_does(client):
    assert client.get("/").status_code == 200 and "seqgen studio" in client.get("/").text
    assert client.get("/static/roll.js").status_code == 200
    missing = client.get("/api/status")
    assert missing.status_code == 401 and "token" in missing.json()["error"]
    assert client.get("/api/status", headers={"X-Studio-Token": "wrong-token-123456789"}).status_code == 403
    # ?token= is taken by the event stream only (EventSource cannot send headers): no other URL carries it.
    assert client.get(f"/api/status?token={TOKEN}").status_code == 401


def test_the_first_page_waits_for_neither_numpy_nor_tensorflow():
    # What the server imports before it answers: numpy (0.3-0.6 s) and TensorFlow load later (RESULTS.md).
    code = "import sys; import seqgen.studio.app, uvicorn; print(sorted({'numpy', 'tensorflow'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr[-500:]


def test_host_and_origin_are_checked(client):
    rebound = client.get("/api/status", headers={**AUTH, "Host": "attacker.example:8765"})
    assert rebound.status_code == 403 and "attacker.example" in rebound.json()["error"]
    cross = client.post("/api/chorale/generate", json={}, headers={**AUTH, "Origin": "https://evil.example"})
    assert cross.status_code == 403 and "cross-site" in cross.json()["error"]
    assert client.get("/api/status", headers={**AUTH, "Origin": "http://localhost:8765"}).status_code == 200


@pytest.mark.parametrize("run, status", [("../outside", 403), ("/etc", 403), ("escape", 403), ("nothere", 404),
                                         ("notarun", 400)])
def test_runs_stay_inside_the_folder(client, run, status):
    from seqgen.studio.security import StudioError

    job = run_job(client, "/api/chorale/generate", {"run": run, "steps": 8})
    with pytest.raises(StudioError) as caught:
        client.app.state.loader.path_of(run, "chorale")
    assert caught.value.status == status
    assert job["status"] == "failed" and job["error"] == str(caught.value)
    assert "runs folder" in job["error"]


def test_oversized_uploads_are_refused_naming_the_limit(client):
    response = client.post("/api/upload?name=big.mid", content=b"x" * 5000, headers=AUTH)
    assert response.status_code == 413 and "4 KiB" in response.json()["error"] and "4,096 bytes" in response.json()["error"]
    assert client.post("/api/upload?name=x.exe", content=b"x", headers=AUTH).status_code == 400


def test_errors_are_one_line_json(client):
    for response in (client.get("/api/nothing", headers=AUTH), client.post("/api/chorale/judge", content=b"{", headers=AUTH),
                     client.post("/api/chorale/export", json={"piece": {"pitches": [[200]]}}, headers=AUTH)):
        assert response.status_code in (400, 404) and "\n" not in response.json()["error"], response.text
    job = run_job(client, "/api/chorale/generate", {"temperature": -1})
    assert job["status"] == "failed" and "temperature" in job["error"] and "Traceback" not in job["error"]


def test_generate_a_chorale_returns_four_voices_of_notes(piece):
    assert piece["steps"] == 48 and piece["voices"] == 4
    assert {n[0] for n in piece["notes"]} == {0, 1, 2, 3}
    assert all(36 <= n[1] <= 81 for n in piece["notes"])


def test_infill_changes_only_the_region(client, piece):
    job = run_job(client, "/api/chorale/infill", {"piece": piece, "bar_from": 2, "bar_to": 2, "voices": [1, 2], "seed": 4, "sweeps": 1})
    assert job["status"] == "done", job
    before, after = np.array(piece["pitches"]), np.array(job["result"]["pitches"])
    outside = np.ones_like(before, bool)
    outside[16:32, 1:3] = False
    assert (before[outside] == after[outside]).all()
    # A note held into the bar after the region is struck when the region's last note changed pitch (a
    # held note continues the same pitch); every other flag outside the region stays as it was.
    outside[32, 1:3] = False
    assert (np.array(piece["struck"])[outside] == np.array(job["result"]["struck"])[outside]).all()


def test_harmonize_keeps_a_typed_melody(client):
    job = run_job(client, "/api/chorale/harmonize", {"text": "G4 A4 B4 C5:8 B4 A4 G4:8", "particles": 4})
    assert job["status"] == "done", job
    soprano = np.array(job["result"]["pitches"])[:, 0]
    assert soprano.tolist() == parse_melody("G4 A4 B4 C5:8 B4 A4 G4:8", 100).pitches[:, 0].tolist()
    assert (np.array(job["result"]["pitches"])[:, 1:] > 0).any()


def test_harmonize_searches_cadences_at_the_bars_asked(client):
    tune = "G4:4 A4:4 B4:4 C5:4 D5:4 C5:4 B4:8 A4:4 B4:4 C5:8 D5:8 G4:16"
    job = run_job(client, "/api/chorale/harmonize", {"text": tune, "particles": 3, "phrase_ends": "1,2"})
    assert job["status"] == "done", job
    assert "of 3 phrase ends" in " ".join(job["result"]["messages"])
    soprano = np.array(job["result"]["pitches"])[:, 0]
    assert soprano.tolist() == parse_melody(tune, 100).pitches[:, 0].tolist()
    bad = run_job(client, "/api/chorale/harmonize", {"text": tune, "particles": 3, "phrase_ends": "9"})
    assert bad["status"] == "failed" and "--phrase-ends" in bad["error"], bad


def test_melody_names_and_errors():
    assert parse_melody("C4 C#4:2 Db r:2 C", 64).pitches[:, 0].tolist() == [60] * 4 + [61] * 2 + [61] * 4 + [0] * 2 + [60] * 4
    from seqgen.studio.security import StudioError

    with pytest.raises(StudioError, match="H5"):
        parse_melody("C5 H5", 64)


def test_judge_marks_add_up_to_the_judges_counts(client, piece):
    job = run_job(client, "/api/chorale/judge", {"piece": piece, "reference": "none"})
    assert job["status"] == "done", job
    grid = Grid(np.array(piece["pitches"]), np.array(piece["struck"], bool))
    counts = mm.rule_counts(grid)
    for rule in mm.RULES:
        assert sum(m["count"] for m in job["result"]["marks"] if m["rule"] == rule) == counts[rule], rule
    assert [r[0] for r in job["result"]["rows"]][:2] == ["parallel_fifths", "parallel_octaves"]


def test_marks_point_at_the_parallel_fifth():
    pitches = np.array([[72, 67, 60, 48]] * 4 + [[74, 69, 62, 50]] * 4)  # every voice up a tone: fifths and octaves
    marks = rule_marks(Grid.from_pitches(pitches))
    assert {m["rule"] for m in marks} >= {"parallel_fifths", "parallel_octaves"}
    assert {m["step"] for m in marks if m["rule"].startswith("parallel")} == {4}


@pytest.mark.parametrize("fmt, magic", [("midi", b"MThd"), ("musicxml", b"<?xml"), ("wav", b"RIFF")])
def test_export(client, piece, fmt, magic):
    response = client.post("/api/chorale/export", json={"piece": piece, "format": fmt}, headers=AUTH)
    assert response.status_code == 200 and response.content.startswith(magic)


def test_an_uploaded_midi_file_comes_back_as_a_piece(client, piece):
    midi = client.post("/api/chorale/export", json={"piece": piece, "format": "midi"}, headers=AUTH).content
    client.app.state.config  # the limit is 4096 bytes: a 3-bar chorale fits
    response = client.post("/api/upload?name=mine.mid", content=midi, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["voices"] == 4 and np.array(response.json()["pitches"]).tolist() == piece["pitches"]


def test_text_streams_by_server_sent_events_from_the_shipped_model(client):
    started = client.post("/api/text/generate", json={"prompt": "ROMEO:", "length": 130, "seed": 1}, headers=AUTH)
    assert started.status_code == 202
    job_id = started.json()["id"]
    stream = events(client, job_id)
    names, last = [name for name, _, _ in stream], stream[-1][2]
    assert set(names[:-1]) == {"progress"} and names[-1] == "done", names
    chunks = [c for _, _, view in stream for c in view["chunks"]]
    assert chunks[0] == "ROMEO:" and len(chunks) == 4  # the prompt, then 64 + 64 + 2 characters
    assert "".join(chunks) == last["result"]["text"] and len(last["result"]["text"]) == len("ROMEO:") + 130
    assert [i for _, i, _ in stream] == sorted(i for _, i, _ in stream) and stream[-1][1] == 4
    # A browser reconnecting sends Last-Event-ID and gets only what it missed.
    again = events(client, job_id, headers={"Last-Event-ID": "2"}, )
    assert [(n, v["chunks"]) for n, _, v in again] == [("done", chunks[2:])]


def test_the_event_stream_needs_the_token(client):
    job_id = client.post("/api/text/generate", json={"length": 1, "temperature": -1}, headers=AUTH).json()["id"]
    assert client.get(f"/api/jobs/{job_id}/events").status_code == 401
    assert client.get(f"/api/jobs/{job_id}/events?token=wrong-token-123456789").status_code == 403
    refused = client.get(f"/api/jobs/{job_id}/events?token={TOKEN}", headers={"Host": "attacker.example"})
    assert refused.status_code == 403
    assert client.get(f"/api/jobs/nojob-1/events?token={TOKEN}").status_code == 404
    (name, _, view), = events(client, job_id, headers=AUTH, token=None)  # the header works too
    assert name == "failed" and "temperature" in view["error"]


def test_runs_lists_the_shipped_models_and_refuses_bad_training(client):
    data = get(client, "/api/runs")
    assert {r["name"] for r in data["shipped"]} >= {"shipped:chorale", "shipped:text"}
    assert data["shipped"][0]["epochs"] > 0 and data["shipped"][0]["log"]["val_loss"]
    bad = client.post("/api/train", json={"task": "series", "out": "../x"}, headers=AUTH)
    assert bad.status_code == 403
    job = run_job(client, "/api/train", {"task": "poetry", "out": "p"})
    assert job["status"] == "failed" and "poetry" in job["error"]


def test_series_uploads_and_forecasts_need_a_series_run(client):
    assert client.post("/api/series/upload?name=data.exe", content=b"a,b\n", headers=AUTH).status_code == 400
    response = client.post("/api/series/upload?name=data.csv", content=b"date,value\n2020-01-01,1\n", headers=AUTH)
    assert response.status_code == 200 and response.json()["rows"] == 2
    job = run_job(client, "/api/series/forecast", {"upload": response.json()["upload"]})
    assert job["status"] == "failed" and "series run" in job["error"]
    job = run_job(client, "/api/series/forecast", {"upload": "../../etc/passwd", "run": "x"})
    assert job["status"] == "failed" and "upload must be the id" in job["error"]


def test_midi_sketch_and_evaluate_say_what_to_pick(client):
    assert "MIDI run" in run_job(client, "/api/midi/generate", {"seconds": 5})["error"]
    assert "no strokes" in run_job(client, "/api/sketch/classify", {"run": "x", "strokes": []})["error"]
    assert "no shipped run" in run_job(client, "/api/evaluate", {"run": "shipped:poetry"})["error"]
    assert "outside the runs folder" in run_job(client, "/api/evaluate", {"run": "escape"})["error"]


def test_two_tabs_cannot_train_one_folder_at_once(client, monkeypatch):
    from seqgen.studio import runs_api

    # Training stands in for a job that runs until cancelled (real training is the browser test's).
    monkeypatch.setattr(runs_api, "train_work", lambda root, body, job: job.cancel_flag.wait(60))
    body = {"task": "series", "model": "gru", "preset": "tiny", "epochs": 50, "out": "twice"}
    first = client.post("/api/train", json=body, headers=AUTH)
    second = client.post("/api/train", json=body, headers=AUTH)
    assert first.status_code == 202 and second.status_code == 409 and first.json()["id"] in second.json()["error"]
    client.post(f"/api/jobs/{first.json()['id']}/cancel", headers=AUTH)
    assert wait_job(lambda p: get(client, p), first.json())["status"] == "cancelled"
    assert [name for name, _, _ in events(client, first.json()["id"])] == ["cancelled"]


def test_generate_continues_the_piece_on_screen(client, piece):
    job = run_job(client, "/api/chorale/generate", {"steps": 64, "seed": 5, "primer_piece": piece, "primer_steps": 48})
    assert job["status"] == "done", job
    assert job["result"]["steps"] == 64 and job["result"]["pitches"][:48] == piece["pitches"]
