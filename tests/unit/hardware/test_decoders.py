"""decoders: the registry, each decoder on real ticket QR codes, and what it leaves out."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hardware.decoders import (
    DECODERS,
    DEFAULT_DECODER,
    ZxingDecoder,
    available_decoders,
    make_decoder,
)
from hardware.errors import DecoderUnavailable, HardwareError, InvalidFrame, UnknownDecoder
from hardware.frame import Frame
from hardware.synthetic_frames import (
    HEIGHT,
    WIDTH,
    clean_frame,
    empty_frame,
    hard_frames,
    qr_image,
)


def test_registry_names_zxing_as_default_and_pyzbar_variants() -> None:
    assert DEFAULT_DECODER == "zxing"
    assert set(DECODERS) == {"zxing", "pyzbar", "pyzbar+blur"}
    for name in DECODERS:
        assert make_decoder(name).name == name


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownDecoder) as caught:
        make_decoder("quagga")
    assert caught.value.code == "unknown_decoder"
    assert "pyzbar" in str(caught.value)
    assert "zxing" in str(caught.value)


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_every_decoder_reads_a_ticket_and_nothing_from_an_empty_scene(
    name: str, tokens: list[str]
) -> None:
    decoder = make_decoder(name)
    frame = clean_frame(tokens[0], seed=1)
    assert frame.image.shape == (HEIGHT, WIDTH)
    assert frame.image.dtype == np.uint8
    assert decoder.decode(frame.image) == [tokens[0]]
    assert decoder.decode(empty_frame(seed=2).image) == []


def test_two_codes_in_one_frame_are_both_read(tokens: list[str]) -> None:
    left = clean_frame(tokens[1], module_px=3, seed=0).image
    right = clean_frame(tokens[2], module_px=3, seed=0).image
    both = np.hstack([left[:, 170:470], right[:, 170:470]])
    assert sorted(make_decoder().decode(both)) == sorted(tokens[1:3])


def test_non_ascii_payloads_are_left_out() -> None:
    image = qr_image("Pépé se kaartjie", module_px=4)
    assert make_decoder("zxing").decode(image) == []
    assert make_decoder("pyzbar").decode(image) == []


def test_default_fallbacks_read_hard_frames_the_first_pass_misses(tokens: list[str]) -> None:
    frames = hard_frames(tokens, 30, seed=404)
    full, first_pass = ZxingDecoder(), ZxingDecoder(fallbacks=False)
    read = sum(f.text in full.decode(f.image) for f in frames)
    read_first = sum(f.text in first_pass.decode(f.image) for f in frames)
    assert read >= 27  # the benchmark's target: 90%
    assert read > read_first


def test_a_missing_library_is_reported_by_decoder_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import` fail as it does where a library is not installed.
    monkeypatch.setitem(sys.modules, "pyzbar.pyzbar", None)
    with pytest.raises(DecoderUnavailable) as caught:
        make_decoder("pyzbar+blur")
    assert isinstance(caught.value, HardwareError)
    assert caught.value.code == "decoder_unavailable"
    assert "'pyzbar+blur'" in str(caught.value)
    assert "libzbar0" in str(caught.value)
    found = available_decoders()
    assert isinstance(found["pyzbar"], DecoderUnavailable)
    assert not isinstance(found["zxing"], DecoderUnavailable)


@pytest.mark.parametrize("name", sorted(DECODERS))
@settings(max_examples=40, deadline=None)
@given(
    frame=arrays(
        np.uint8,
        st.tuples(st.integers(0, 64), st.integers(0, 64)),
        elements=st.integers(0, 255),
    )
)
def test_any_grey_frame_gives_a_list_of_ascii_texts(name: str, frame: Frame) -> None:
    texts = make_decoder(name).decode(frame)
    assert isinstance(texts, list)
    assert all(t.isascii() for t in texts)


@pytest.mark.parametrize("name", sorted(DECODERS))
@pytest.mark.parametrize(
    "frame",
    [np.zeros((48, 64, 3), np.uint8), np.zeros((48, 64), np.float32), np.zeros(64, np.uint8)],
    ids=["colour", "float", "one-row"],
)
def test_anything_but_a_grey_frame_is_a_clean_error(name: str, frame: Frame) -> None:
    with pytest.raises(InvalidFrame) as caught:
        make_decoder(name).decode(frame)
    assert caught.value.code == "invalid_frame"


def test_the_default_reads_a_light_on_dark_code(tokens: list[str]) -> None:
    inverted = 255 - clean_frame(tokens[3], seed=3).image
    assert make_decoder().decode(inverted) == [tokens[3]]
