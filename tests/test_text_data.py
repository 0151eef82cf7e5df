"""The text data layer: corpora, the built-in Shakespeare, char/word codecs, streaming windows."""

from __future__ import annotations

import gc
import json
import re
import tracemalloc

import numpy as np
import pytest

from seqgen.data_prep.codec_base import codec_from_config
from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.shakespeare import shakespeare_corpus, tiny_shakespeare_corpus
from seqgen.data_prep.shakespeare_convert import convert_play
from seqgen.data_prep.text_codec import CharCodec, WordCodec, tokenize_words
from seqgen.data_prep.text_corpus import (
    CHUNK_CHARS,
    describe_corpus,
    iter_split_chunks,
    load_corpus,
    resolve_files,
)
from seqgen.data_prep.text_pipeline import count_windows, steps_per_epoch, text_dataset, validation_tokens


def _write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def _part(corpus, index, split):
    return "".join(t for i, t in iter_split_chunks(corpus, split) if i == index)


# --- corpora ---------------------------------------------------------------------------------


def test_files_folders_and_globs(tmp_path):
    a = _write(tmp_path / "a.txt", "alpha\n")
    b = _write(tmp_path / "sub" / "deep" / "b.md", "beta\n")
    _write(tmp_path / "sub" / ".hidden.txt", "secret\n")
    _write(tmp_path / "sub" / "image.png", b"\x89PNG\x00\x00\x01")
    _write(tmp_path / ".git" / "config", "x\n")
    assert resolve_files([tmp_path / "sub"]) == [b]  # hidden and binary files in a folder skipped
    assert resolve_files([str(tmp_path / "*.txt"), a, tmp_path / "sub"]) == [a, b]  # de-duplicated
    assert resolve_files(str(tmp_path / "**" / "*.md")) == [b]
    corpus = load_corpus([tmp_path])
    assert corpus.files == (a, b) and corpus.sizes == (6, 5)


def test_encodings_and_newlines(tmp_path):
    latin = _write(tmp_path / "latin.txt", "caf\u00e9 cr\u00e8me\r\nfin\r\n", "latin-1")
    with pytest.raises(SeqgenError, match=r"latin\.txt.*byte offset 3 .*--encoding latin-1"):
        load_corpus([latin])
    corpus = load_corpus([latin], encoding="latin-1")
    assert _part(corpus, 0, "train") + _part(corpus, 0, "validation") == "caf\u00e9 cr\u00e8me\nfin\n"
    bom = _write(tmp_path / "bom.txt", "\ufeffhi\n")
    assert load_corpus([bom]).sizes == (3,)  # byte-order mark dropped
    with pytest.raises(SeqgenError, match="unknown text encoding"):
        load_corpus([bom], encoding="klingon")


def test_undecodable_byte_offset_past_a_chunk(tmp_path):
    # A valid two-byte character straddles the first block boundary; the bad byte comes after.
    head = b"a" * (CHUNK_CHARS - 1) + "\u00e9".encode() + b"bc"
    bad = _write(tmp_path / "bad.txt", head + b"\xff" + b"tail")
    with pytest.raises(SeqgenError, match=rf"bad\.txt.*\\xff.*byte offset {len(head)} "):
        load_corpus([bad])


def test_binary_and_empty_corpora_refused(tmp_path):
    binary = _write(tmp_path / "data.bin", b"text\x00\x01\x02")
    with pytest.raises(SeqgenError, match=r"data\.bin.*looks binary"):
        load_corpus([binary])
    with pytest.raises(SeqgenError, match="holds no text"):
        load_corpus([_write(tmp_path / "empty.txt", "")])
    (tmp_path / "nothing").mkdir()
    with pytest.raises(SeqgenError, match="holds no text"):
        load_corpus([tmp_path / "nothing"])
    with pytest.raises(SeqgenError, match="matches no file"):
        load_corpus([str(tmp_path / "*.csv")])
    with pytest.raises(SeqgenError, match="does not exist"):
        load_corpus([tmp_path / "missing.txt"])
    with pytest.raises(SeqgenError, match=r"validation fraction 1\.5"):
        load_corpus([binary], val_fraction=1.5)


def test_split_is_last_fraction_of_each_file(tmp_path):
    one = _write(tmp_path / "1.txt", "".join(chr(ord("a") + i % 26) for i in range(100)))
    two = _write(tmp_path / "2.txt", "0123456789" * 3 + "WXYZ!")  # 35 chars: floor(3.5) = 3 held out
    corpus = load_corpus([one, two])
    assert corpus.split_sizes("train") == [90, 32] and corpus.split_sizes("validation") == [10, 3]
    assert _part(corpus, 0, "validation") == one.read_text()[90:]
    assert _part(corpus, 1, "train") == "0123456789" * 3 + "WX" and _part(corpus, 1, "validation") == "YZ!"
    assert load_corpus([one], val_fraction=0.25).split_sizes("validation") == [25]
    text = describe_corpus([one, two])
    assert "135 characters" in text and "train 122" in text and "validation 13" in text


def test_chunks_are_cut_at_whitespace(tmp_path):
    text = "To be, or not to be: that is\nthe question. " * 20
    corpus = load_corpus([_write(tmp_path / "t.txt", text)], val_fraction=0.0)
    chunks = [t for _, t in iter_split_chunks(corpus, "train", chunk_chars=7)]
    assert "".join(chunks) == text and len(chunks) > 20
    assert all(c[0] in " \n" for c in chunks[1:])
    assert sum((tokenize_words(c) for c in chunks), []) == tokenize_words(text)


# --- Shakespeare -----------------------------------------------------------------------------


def test_convert_rules_on_a_snippet():
    markdown = (
        "# A Play\n\n## ACT I\n\n### PROLOGUE\n\nO for a Muse of fire,  \nthat would ascend\n\n"
        "### SCENE I. A hall.\n\n_Enter KING, with\nLords_\n\n**KING**  \n_\\[Aside]_  \n"
        "Well met \\--  \nnow go. [Within]_\n\n_Knocks_\n\nWho knocks?\n\n**First Lord**  \n*[Bows.]*\nMy liege.\n"
    )
    assert convert_play(markdown) == (
        "PROLOGUE:\nO for a Muse of fire,\nthat would ascend\n\n"
        "KING:\nWell met --\nnow go.\nWho knocks?\n\nFIRST LORD:\nMy liege.\n\n"
    )


def test_shipped_corpus_is_clean_speech(tmp_path):
    text = shakespeare_corpus(tmp_path).read_text(encoding="utf-8")
    assert text.count("\nHAMLET:\n") > 300  # all plays, Hamlet among them
    start = text.index("BERNARDO:\nWho's there?\n\nFRANCISCO:\nNay, answer me: stand, and unfold yourself.\n\n")
    assert "HAMLET:\nTo be, or not to be: that is the question:\n" in text[start:]
    assert not re.search(r"[_*#\\\[\]]", text) and "Enter Ghost" not in text
    speeches = text.rstrip("\n").split("\n\n")
    assert len(speeches) > 30_000
    assert all(re.fullmatch(r"[A-Z][^a-z\n]*:\n[^\n]+(\n[^\n]+)*", s) for s in speeches[:5000])


def test_shakespeare_corpus_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQGEN_DATA_DIR", str(tmp_path / "env"))
    path = shakespeare_corpus()
    assert path.parent == tmp_path / "env" and path.stat().st_size > 4_000_000
    stamp = path.stat().st_mtime_ns
    assert shakespeare_corpus() == path and path.stat().st_mtime_ns == stamp  # not rebuilt
    assert shakespeare_corpus(tmp_path / "arg").parent == tmp_path / "arg"  # argument beats env var
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_tiny_shakespeare_offline_points_to_builtin(tmp_path, monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")

    def offline(*args, **kwargs):  # stands in for TFDS: the test never touches the network
        raise ConnectionError("no route to host")

    monkeypatch.setattr(tfds, "load", offline)
    with pytest.raises(SeqgenError, match=r"tiny_shakespeare.*ConnectionError.*built-in corpus"):
        tiny_shakespeare_corpus(tmp_path)
    assert not (tmp_path / "tiny_shakespeare.txt").exists()


# --- codecs ----------------------------------------------------------------------------------


def test_char_codec_round_trip_and_unknown(tmp_path):
    text = "Hello, world!\nÉtoile ☃ "
    codec = CharCodec.from_text(text)
    assert codec.vocab_size == len(set(text)) + 2 and codec.bos_id == 0 and codec.period == 1
    tokens = codec.encode(text)
    assert tokens.dtype == np.int32 and tokens.shape == (len(text),) and tokens.min() >= 2
    assert codec.decode(tokens) == text and codec.decode(np.r_[0, tokens]) == text
    assert codec.unknown("Hi, Zoë") == ["Z", "ë"]
    assert codec.decode(codec.encode("Hq!")) == "H\ufffd!"
    assert codec.encode("Hq!", skip_unknown=True).tolist() == codec.encode("H!").tolist()
    with pytest.raises(SeqgenError, match=r"2 character\(s\).*'Z', 'q'.*--skip-unknown"):
        codec.encode_prompt("Zq")
    assert codec.decode(codec.encode_prompt("Zoo!", skip_unknown=True)) == "oo!"
    rebuilt = codec_from_config(json.loads(json.dumps(codec.to_config())))
    assert rebuilt == codec and rebuilt.encode(text).tolist() == tokens.tolist()
    corpus = load_corpus([_write(tmp_path / "c.txt", "abcabcabc" + "X")])  # 'X' only in validation
    assert CharCodec.fit(corpus).tokens == ("a", "b", "c")


def test_word_codec_round_trip_vocab_limit_and_unknown():
    text = "The cat sat.\nThe cat ran, and the dog sat!\n\nDon't  o'er-run it\tnow.\n"
    tokens = tokenize_words(text)
    assert "".join(tokens) == text and " o'er" in tokens and "Don't" in tokens and "\n" in tokens
    codec = WordCodec.from_text(text)
    assert codec.decode(codec.encode(text)) == text
    small = WordCodec.from_text(text, max_vocab=8)  # BOS, UNK, " ", "\n" + the 4 most frequent
    assert small.vocab_size == 8 and small.tokens == (" ", "\n", " cat", " sat", ".", "The")
    assert small.decode(small.encode("The cat ran.")) == "The cat <unk>."
    assert small.unknown("The dog ran.") == ["dog", "ran"]
    assert small.decode(small.encode("The dog sat.", skip_unknown=True)) == "The sat."
    assert small.encode("cat").tolist() == [1]  # bare "cat" unknown, " cat" known
    assert small.encode(" cat").tolist() == [small.encode(" cat")[0]] and small.decode(small.encode("x cat")) == "<unk> cat"
    rebuilt = codec_from_config(json.loads(json.dumps(small.to_config())))
    assert rebuilt == small and rebuilt.max_vocab == 8
    with pytest.raises(SeqgenError, match="max_vocab 3"):
        WordCodec.from_text(text, max_vocab=3)


# --- pipeline --------------------------------------------------------------------------------


def test_windows_shapes_and_shift(tmp_path):
    a = _write(tmp_path / "a.txt", "abcdefghij" * 10)  # train 90 chars, validation 10
    b = _write(tmp_path / "b.txt", "ABCDEFGHIJ" * 5)  # train 45, validation 5
    corpus = load_corpus([a, b])
    codec = CharCodec.fit(corpus)
    stream = np.concatenate([[0], codec.encode(_part(corpus, 0, "train")), [0], codec.encode(_part(corpus, 1, "train"))])
    ds = text_dataset(corpus, codec, "train", window=8, batch_size=4, shuffle=False)
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == len(ds) == steps_per_epoch(corpus, codec, "train", 8, 4, shuffle=False) == 4
    assert count_windows(corpus, codec, "train", 8, shuffle=False) == (len(stream) - 9) // 8 + 1 == 17
    x, y = batches[0]
    assert x.shape == y.shape == (4, 8) and x.dtype == np.int32
    assert x.tolist() == [stream[i : i + 8].tolist() for i in (0, 8, 16, 24)]
    assert y.tolist() == [stream[i + 1 : i + 9].tolist() for i in (0, 8, 16, 24)]
    val = text_dataset(corpus, codec, "validation", window=4, batch_size=2, shift=2)
    vx, vy = next(iter(val))
    assert vx.numpy()[0].tolist() == validation_tokens(corpus, codec)[:4].tolist()


def test_shuffled_windows_are_seeded_slices_of_the_stream(tmp_path):
    text = "".join(chr(ord("a") + (i * 7) % 26) for i in range(2000))
    corpus = load_corpus([_write(tmp_path / "s.txt", text)], val_fraction=0.0)
    codec = CharCodec.fit(corpus)
    stream = "".join(codec.decode([t]) or "^" for t in np.r_[0, codec.encode(text)])
    ds = text_dataset(corpus, codec, "train", window=20, batch_size=8, seed=3)
    first, second = [np.concatenate([x for x, _ in ds.as_numpy_iterator()]) for _ in range(2)]
    assert len(first) == len(second) == count_windows(corpus, codec, "train", 20) // 8 * 8 == 96
    assert all("".join(codec.decode([t]) or "^" for t in row) in stream for row in first)
    assert not np.array_equal(first, second)  # a new order and offset every epoch
    again = np.concatenate([x for x, _ in text_dataset(corpus, codec, "train", window=20, batch_size=8, seed=3)])
    assert np.array_equal(first, again)  # same seed, same data


def test_word_pipeline_and_validation_tokens(tmp_path):
    text = "the cat sat on the mat.\n" * 40
    corpus = load_corpus([_write(tmp_path / "w.txt", text)])
    codec = WordCodec.fit(corpus)
    tokens = validation_tokens(corpus, codec)
    assert tokens[0] == codec.bos_id and codec.decode(tokens) == _part(corpus, 0, "validation")
    x, y = next(iter(text_dataset(corpus, codec, "train", window=6, batch_size=2, shuffle=False)))
    assert codec.decode(x.numpy()[0]) == "the cat sat on the" and codec.decode(y.numpy()[0]) == "the cat sat on the mat"
    assert codec.decode(x.numpy()[1]) == " mat.\nthe cat sat"


def test_short_corpus_refused(tmp_path):
    corpus = load_corpus([_write(tmp_path / "short.txt", "tiny text")])
    codec = CharCodec.fit(corpus)
    with pytest.raises(SeqgenError, match=r"train split has 10 tokens, fewer than one window of 50.*at most 9"):
        text_dataset(corpus, codec, "train", window=50, batch_size=1)
    with pytest.raises(SeqgenError, match=r"fewer than one batch of 64.*at most 1\)"):
        text_dataset(corpus, codec, "train", window=8, batch_size=64)


def _peak_while_streaming(path) -> int:
    """Peak traced Python memory while loading a corpus and reading a few shuffled batches."""
    gc.collect()
    tracemalloc.start()
    corpus = load_corpus([path])
    codec = CharCodec(sorted(set("abcdefghij \n")))
    ds = text_dataset(corpus, codec, "train", window=64, batch_size=16, shuffle_buffer=512)
    for _ in zip(range(3), ds):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_streaming_memory_does_not_grow_with_corpus(tmp_path):
    rng = np.random.default_rng(0)
    block = "".join(rng.choice(list("abcdefghij \n"), size=1 << 20))  # 1 MB of text
    small = _write(tmp_path / "small.txt", block)
    big = tmp_path / "big.txt"
    with open(big, "w", encoding="utf-8") as f:
        for _ in range(20):  # 20 MB, written block by block
            f.write(block)
    peak_small, peak_big = _peak_while_streaming(small), _peak_while_streaming(big)
    assert peak_big < 1.5 * peak_small + (2 << 20), (peak_small, peak_big)
    assert peak_big < 16 << 20  # a few chunks, far below the 20 MB corpus (80 MB as int32 tokens)
